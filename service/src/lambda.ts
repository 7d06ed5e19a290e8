// The Lambda entry (`dist/lambda.handler`), behind an ALB or an API Gateway HTTP API. The model
// and the feature store are loaded during init, once per execution environment, not per event.
import awsLambdaFastify, { type LambdaResponse } from "@fastify/aws-lambda";
import type { ALBEvent, APIGatewayProxyEvent, APIGatewayProxyEventV2, Context } from "aws-lambda";
import { buildApp } from "./app";
import { loadConfig, type ServiceConfig } from "./config";
import { createLogger } from "./log";
import { ServiceMetrics } from "./metrics";
import { loadServing } from "./serving";

/** ALB target group events, API Gateway HTTP API (v2) and REST API (v1) events. */
export type LambdaEvent = ALBEvent | APIGatewayProxyEventV2 | APIGatewayProxyEvent;
export type LambdaHandler = (event: LambdaEvent, context: Context) => Promise<LambdaResponse>;

export async function createLambdaHandler(config: ServiceConfig): Promise<LambdaHandler> {
  const metrics = new ServiceMetrics({ defaultMetrics: false });
  const logger = createLogger(config.logLevel);
  const serving = await loadServing(config, metrics, logger);
  const app = await buildApp({ config, serving, metrics, logger });
  const proxy = awsLambdaFastify<LambdaEvent>(app, { decorateRequest: false });
  return (event, context) => proxy(event, context);
}

let init: Promise<LambdaHandler> | undefined;
const initialize = () => (init ??= createLambdaHandler(loadConfig()));
// In Lambda, start loading at import so the model loads in the init phase (full CPU, not billed per event).
if (process.env.AWS_LAMBDA_FUNCTION_NAME) void initialize();

export const handler: LambdaHandler = async (event, context) => (await initialize())(event, context);
