// The Lambda handler behind an ALB or an API Gateway HTTP API, built once per execution
// environment. The entry Lambda loads is `lambda.mts` (bundled to `dist/lambda.mjs`, handler
// string `dist/lambda.handler`): an ES module whose top-level `await` on `initLambda()` keeps
// the Init phase open until the model is loaded and the store answers. Lambda's Node runtime
// waits for that await, and only for it: a promise merely started at import keeps running after
// Init, so the first invoke paid for the model load, and provisioned concurrency froze the
// environment before it settled.
import awsLambdaFastify, { type LambdaResponse } from "@fastify/aws-lambda";
import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from "aws-lambda";
import { buildApp } from "./app";
import { loadConfig, type ServiceConfig } from "./config";
import { createLogger } from "./log";
import { ServiceMetrics } from "./metrics";
import { closeServing, loadServing, storeAnswers } from "./serving";

/** ALB target group events, API Gateway HTTP API (v2) and REST API (v1) events. */
export type LambdaEvent = ALBEvent | APIGatewayProxyEventV2 | APIGatewayProxyEvent;
export type LambdaHandler = (event: LambdaEvent, context: Context) => Promise<LambdaResponse>;
/** The handler, and what releases its model session and store client (tests; Lambda just freezes). */
export type ClosableLambdaHandler = LambdaHandler & { close(): Promise<void> };

/**
 * Loads the model (retrying transient failures within MODEL_LOAD_TIMEOUT_MS) and waits for the
 * store, then returns the handler. Throws when the model cannot be loaded: the Init fails, so
 * Lambda retries it on the next invoke instead of keeping an environment that answers 503.
 * A store that still does not answer is not fatal: requests then fail or take the manifest's
 * defaults, as on the other targets.
 */
export async function createLambdaHandler(config: ServiceConfig, options: { storeWaitUntil?: number } = {}): Promise<ClosableLambdaHandler> {
  const metrics = new ServiceMetrics({ defaultMetrics: false });
  const logger = createLogger(config.logLevel);
  const serving = await loadServing(config, metrics, logger);
  if (!serving.predictor) throw new Error(serving.detail ?? "model not loaded");
  const storeWaitUntil =
    options.storeWaitUntil ??
    storeWaitDeadline({
      now: Date.now(),
      processStart: performance.timeOrigin,
      modelLoadTimeoutMs: config.modelLoadTimeoutMs,
      initializationType: process.env.AWS_LAMBDA_INITIALIZATION_TYPE,
    });
  if (serving.store && !(await storeAnswers(serving.store, storeWaitUntil))) {
    logger.warn(`the ${serving.store.kind} feature store does not answer yet; Init ends without it`);
  }
  // Lambda serves only the public surface: no metrics, OpenAPI or feature server to anonymous callers.
  const app = await buildApp({ config, serving, metrics, logger, surface: "public" });
  const proxy = awsLambdaFastify<LambdaEvent>(app, { decorateRequest: false });
  const handler: LambdaHandler = (event, context) => proxy(event, context);
  return Object.assign(handler, {
    close: async () => {
      await app.close();
      await closeServing(serving);
    },
  });
}

/** An on-demand Init that has not finished after this long is stopped (and retried within the first invoke). */
export const LAMBDA_INIT_LIMIT_MS = 10_000;

/**
 * Until when Init waits for the feature store. On demand, Lambda stops an Init at 10 s and runs
 * it again inside the first invoke, so waiting out the whole model-loading budget (60 s) for a
 * store that does not answer would fail every invoke instead of serving the manifest's defaults:
 * the wait ends a second before the limit (counted from the process start). Provisioned
 * concurrency and SnapStart initialize ahead of traffic with a longer limit: the budget applies.
 */
export function storeWaitDeadline(p: { now: number; processStart: number; modelLoadTimeoutMs: number; initializationType: string | undefined }): number {
  const budget = p.now + p.modelLoadTimeoutMs;
  const onDemand = p.initializationType === undefined || p.initializationType === "on-demand";
  return onDemand ? Math.min(budget, p.processStart + LAMBDA_INIT_LIMIT_MS - 1_000) : budget;
}

/** The Init of one execution environment, from its environment variables. */
export function initLambda(env: NodeJS.ProcessEnv = process.env): Promise<LambdaHandler> {
  return createLambdaHandler(loadConfig(env));
}
