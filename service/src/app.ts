// The Fastify app: one factory that receives its collaborators, so the HTTP server, the Lambda
// handler and the tests all build the same thing. Two surfaces: "public" is what a load
// balancer forwards (inference and health, on PORT; all Lambda serves), "admin" adds metrics,
// OpenAPI, the Feast feature server (raw per-user features) and detailed status (ADMIN_PORT,
// never forwarded). The admin surface is a superset, so its OpenAPI document lists every route.
import Fastify, { LogController, type FastifyInstance } from "fastify";
import swagger from "@fastify/swagger";
import ValidatorSelector from "@fastify/ajv-compiler";
import SerializerSelector from "@fastify/fast-json-stringify-compiler";
import { apiKeySource, installApiKeyAuth, type ApiKeySource } from "./auth";
import type { ServiceConfig } from "./config";
import { capConnections, connectionOptions, type ConnectionSettings } from "./connections";
import { createLogger, type ServiceLogger } from "./log";
import { errorShapeOptions, installErrorHandlers } from "./errors";
import { installJsonBody } from "./json-body";
import type { ServiceMetrics } from "./metrics";
import { adminRoutes } from "./routes/admin";
import { healthRoutes } from "./routes/health";
import { PREDICT_ROUTE, predictRoutes } from "./routes/predict";
import { v2Routes } from "./routes/v2";
import { featureRoutes } from "./routes/features";
import { documentErrorResponses } from "./routes/schemas";
import type { Serving } from "./serving";

export type Surface = "public" | "admin";

export interface AppDeps {
  config: Pick<ServiceConfig, "logLevel" | "bodyLimitBytes" | "apiKeys" | "apiKeysSecretArn" | "awsRegion"> & ConnectionSettings;
  serving: Serving;
  metrics: ServiceMetrics;
  /** The process's logger; tests may leave it out and get one at `config.logLevel`. */
  logger?: ServiceLogger;
  /** Where API keys come from; by default what `config` says (none: auth off). */
  apiKeys?: ApiKeySource;
  /** Which routes (see above); in-process users (tests) get every route by default. */
  surface?: Surface;
}

/**
 * A compiler whose functions compile on their route's first request instead of at start-up, except
 * the friendly prediction route's. Fastify compiles every route's body, params, querystring and
 * response schemas when the app is ready: for routes most processes never serve (OIP, the feature
 * server, the admin pages) that was ~100 ms of each cold start. The prediction route's schemas
 * (the manifest's body schema is the largest, ~50 ms) still compile at start, so a cold start's
 * first prediction, and Lambda's first invoke after Init, cost what a warm one does. Another route's
 * first request pays for its own. A validator's `errors` (Fastify reads them after a `false`) are
 * passed on.
 */
function onFirstUse<R extends { url?: string }, F extends (data: never) => unknown>(compile: (route: R) => F): (route: R) => F {
  return (route) => {
    if (route.url === PREDICT_ROUTE) return compile(route);
    let compiled: F | undefined;
    const firstUse = (data: Parameters<F>[0]) => {
      compiled ??= compile(route);
      const result = compiled(data);
      (firstUse as { errors?: unknown }).errors = (compiled as { errors?: unknown }).errors;
      return result;
    };
    return firstUse as unknown as F;
  };
}

// One validator and one serializer compiler for every app in the process: the public and admin
// listeners register the same route schemas (the same objects), so the second app reuses what
// the first compiled instead of compiling it again.
const validators = ValidatorSelector();
const serializers = SerializerSelector();
const compilersFactory = {
  buildValidator: (...args: Parameters<typeof validators>) => onFirstUse(validators(...args)),
  buildSerializer: (...args: Parameters<typeof serializers>) => onFirstUse(serializers(...args)),
};

export async function buildApp({ config, serving, metrics, logger, apiKeys, surface = "admin" }: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger ?? createLogger(config.logLevel),
    // Per-request log lines cost more than a prediction; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    ...errorShapeOptions,
    // After errorShapeOptions: its timeout answer names the configured limits.
    ...connectionOptions(config),
    schemaController: { compilersFactory },
    ajv: {
      // Strict: no silent type coercion, no silently dropped unknown fields.
      customOptions: {
        coerceTypes: false,
        removeAdditional: false,
        useDefaults: false,
        allErrors: false,
        // Checking route schemas against the JSON Schema meta-schema compiles the meta-schema
        // first (~60 ms of every cold start). Our schemas are built by TypeBox, and ajv's strict
        // mode still refuses unknown keywords and ill-typed keyword values when compiling.
        validateSchema: false,
      },
    },
  });
  installErrorHandlers(app, metrics);
  capConnections(app, config.maxConnections);
  installJsonBody(app);
  const keys = apiKeys ?? (await apiKeySource(config, app.log));
  if (keys) installApiKeyAuth(app, keys, metrics);
  await app.register(swagger, {
    transform: documentErrorResponses,
    openapi: {
      info: {
        title: "inference-blueprint",
        description: "Online predictions with features from the online store. Errors are `{ error, field? }`.",
        version: "0.1.0",
      },
    },
  });
  await app.register(healthRoutes, { serving });
  await app.register(predictRoutes, { serving });
  await app.register(v2Routes, { serving });
  if (surface === "admin") {
    await app.register(adminRoutes, { serving, metrics });
    if (serving.store && serving.predictor) {
      await app.register(featureRoutes, { store: serving.store, manifest: serving.predictor.manifest });
    }
    app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  }
  await app.ready();
  return app;
}
