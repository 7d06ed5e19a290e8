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
import { predictRoutes } from "./routes/predict";
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

// One validator and one serializer compiler for every app in the process: the public and admin
// listeners register the same route schemas (the same objects), so the second app reuses what
// the first compiled instead of compiling it again at start-up.
const compilersFactory = { buildValidator: ValidatorSelector(), buildSerializer: SerializerSelector() };

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
