// Liveness, readiness and metrics: the paths every compute target's health checks use.
import type { FastifyPluginAsync } from "fastify";
import { HEALTH_PATH, READY_PATH } from "../config";
import type { ServiceMetrics } from "../metrics";
import type { Serving } from "../serving";

/** Why the service cannot take traffic now, or undefined when it can. */
export async function notReadyReason(serving: Serving): Promise<string | undefined> {
  if (!serving.predictor) return serving.problem ?? "model not loaded";
  if (serving.store && !(await serving.store.ready())) return `${serving.store.kind} feature store is not answering`;
  return undefined;
}

export const healthRoutes: FastifyPluginAsync<{ serving: Serving; metrics: ServiceMetrics }> = async (app, { serving, metrics }) => {
  const status = { hide: false, tags: ["health"] };
  app.get(HEALTH_PATH, { schema: { ...status, summary: "Liveness: the process answers." } }, async () => ({ status: "ok" }));
  app.get(READY_PATH, { schema: { ...status, summary: "Readiness: the model is loaded and the feature store answers." } }, async (_req, reply) => {
    const reason = await notReadyReason(serving);
    if (reason) return reply.code(503).send({ status: "not ready", reason });
    return { status: "ready" };
  });
  app.get("/metrics", { schema: { ...status, summary: "Prometheus metrics." } }, async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
