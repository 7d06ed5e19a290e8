// Liveness and readiness: the paths every compute target's health checks use (imported by the
// infra from config.ts). What each platform does with them:
//
//   liveness  GET /healthz  "is this process worth keeping?"  200 once the model is loaded;
//             503 when model loading gave up (bad package, or storage unreachable for all of
//             MODEL_LOAD_TIMEOUT_MS). ALB target groups and ECS container health checks use it:
//             ECS replaces the task and the deployment circuit breaker rolls a bad release back;
//             Kubernetes' startup and liveness probes restart the pod. A feature-store outage
//             never fails it: the store is shared by every replica, and replacing them all
//             would turn a degraded service into no service.
//   readiness GET /readyz   "can it answer predictions now?"  model loaded, and the store
//             answers or the manifest serves defaults when it does not
//             (`onStoreUnavailable: "defaults"`). Kubernetes' readiness probe uses it to take a
//             pod out of the Service; the store's health is in the body and in the
//             `inference_feature_store_up` gauge.
//   Lambda    has no probes: Init awaits the model and the store (lambda.mts) and fails when the
//             model cannot be loaded, so Lambda retries the Init instead of serving 503s.
//
// Both bodies are for anyone who can reach the port: no paths, URIs or hashes (the log and the
// admin listener's /status have those).
import type { FastifyPluginAsync } from "fastify";
import { HEALTH_PATH, READY_PATH } from "../config";
import type { Serving } from "../serving";

export interface Readiness {
  ready: boolean;
  /** Why not, when not ready. */
  reason?: string;
  /** The store's kind and whether it answers now; absent when no store was created. */
  store?: { kind: string; up: boolean };
}

export async function readiness(serving: Serving): Promise<Readiness> {
  const store = serving.store ? { kind: serving.store.kind, up: await serving.store.ready() } : undefined;
  if (!serving.predictor) return { ready: false, reason: serving.problem ?? "model not loaded", store };
  if (store && !store.up && serving.predictor.manifest.onStoreUnavailable !== "defaults") {
    return { ready: false, reason: `${store.kind} feature store is not answering`, store };
  }
  return { ready: true, store };
}

/** Why the service cannot take traffic now, or undefined when it can. */
export async function notReadyReason(serving: Serving): Promise<string | undefined> {
  return (await readiness(serving)).reason;
}

export const healthRoutes: FastifyPluginAsync<{ serving: Serving }> = async (app, { serving }) => {
  const status = { hide: false, tags: ["health"] };
  app.get(
    HEALTH_PATH,
    { schema: { ...status, summary: "Liveness: 200 once the model is loaded; 503 when loading gave up (replace this process)." } },
    async (_req, reply) => {
      if (!serving.predictor) return reply.code(503).send({ status: "failed", reason: serving.problem ?? "model not loaded" });
      return { status: "ok" };
    },
  );
  app.get(
    READY_PATH,
    { schema: { ...status, summary: "Readiness: the model is loaded, and the feature store answers or defaults are allowed." } },
    async (_req, reply) => {
      const { ready, reason, store } = await readiness(serving);
      return reply.code(ready ? 200 : 503).send({ status: ready ? "ready" : "not ready", ...(reason ? { reason } : {}), ...(store ? { store } : {}) });
    },
  );
};
