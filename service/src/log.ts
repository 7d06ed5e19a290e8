// One logger per process (pino, as Fastify uses it): start-up, the feature stores and the
// app's requests all write the same JSON lines.
import type { FastifyBaseLogger } from "fastify";
import pino from "pino";
import type { LogLevel } from "./config";

/** Fastify's view of a pino logger, so the app keeps its default logger type. */
export type ServiceLogger = FastifyBaseLogger;

export function createLogger(level: LogLevel): ServiceLogger {
  return pino({ level });
}
