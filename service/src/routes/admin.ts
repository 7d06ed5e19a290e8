// What only the admin listener serves (ADMIN_PORT, never forwarded by a load balancer):
// Prometheus metrics and the detailed status an operator needs when liveness fails.
import type { FastifyPluginAsync } from "fastify";
import type { ServiceMetrics } from "../metrics";
import type { Serving } from "../serving";
import { readiness } from "./health";

export const METRICS_PATH = "/metrics";
export const STATUS_PATH = "/status";

export const adminRoutes: FastifyPluginAsync<{ serving: Serving; metrics: ServiceMetrics }> = async (app, { serving, metrics }) => {
  const admin = { hide: false, tags: ["admin"] };
  app.get(METRICS_PATH, { schema: { ...admin, summary: "Prometheus metrics." } }, async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get(STATUS_PATH, { schema: { ...admin, summary: "Detailed status: the model's source and why it is not loaded, the store's health." } }, async () => {
    const { ready, reason, store } = await readiness(serving);
    const manifest = serving.predictor?.manifest;
    return {
      live: serving.predictor !== undefined,
      ready,
      ...(reason ? { reason } : {}),
      model: {
        uri: serving.modelUri,
        ...(manifest ? { name: manifest.name, version: manifest.version, sha256: manifest.artifact.sha256 } : {}),
        ...(serving.detail ? { problem: serving.detail } : {}),
      },
      ...(store ? { store } : {}),
      uptimeSeconds: Math.round(process.uptime()),
    };
  });
};
