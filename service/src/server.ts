// The HTTP server entry: `node service/dist/server.js`. Loads the model and the feature store,
// listens on PORT, and on SIGTERM/SIGINT drains in-flight requests before exiting.
import type { FastifyInstance } from "fastify";
import { buildApp } from "./app";
import { ConfigError, loadConfig, type ServiceConfig } from "./config";
import { createLogger } from "./log";
import { ServiceMetrics } from "./metrics";
import { closeServing, loadServing } from "./serving";
import { startGrpcServer, type RunningGrpcServer } from "./grpc/server";

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  /** OIP v2 over gRPC, unless GRPC_PORT is off and GRPC_SOCKET unset. */
  grpc: RunningGrpcServer | undefined;
  close(): Promise<void>;
}

/**
 * Stops accepting requests, lets in-flight ones finish, then closes. A connection that was busy
 * when closing began turns idle afterwards and would otherwise hold the close for the whole
 * keep-alive timeout, so idle connections are closed as they appear.
 */
export async function drain(app: FastifyInstance): Promise<void> {
  const sweeper = setInterval(() => app.server.closeIdleConnections(), 50);
  try {
    await app.close();
  } finally {
    clearInterval(sweeper);
  }
}

export async function startServer(config: ServiceConfig): Promise<RunningServer> {
  const metrics = new ServiceMetrics();
  const logger = createLogger(config.logLevel);
  const serving = await loadServing(config, metrics, logger);
  const app = await buildApp({ config, serving, metrics, logger });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host;
  const grpc =
    config.grpcPort !== undefined || config.grpcSocket
      ? await startGrpcServer({
          serving,
          metrics,
          log: logger,
          host: config.host,
          port: config.grpcPort,
          socket: config.grpcSocket,
          maxMessageBytes: config.bodyLimitBytes,
        })
      : undefined;
  return {
    url: `http://${host}:${port}`,
    app,
    grpc,
    async close() {
      await Promise.all([drain(app), grpc?.drain(config.shutdownGraceMs)]);
      await closeServing(serving);
    },
  };
}

async function main(): Promise<void> {
  let config: ServiceConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const server = await startServer(config);
  server.app.log.info(`listening on ${server.url}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info(`${signal}: draining in-flight requests (at most ${config.shutdownGraceMs} ms)`);
    setTimeout(() => {
      server.app.log.error(`still busy after ${config.shutdownGraceMs} ms; exiting anyway`);
      process.exit(1);
    }, config.shutdownGraceMs).unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        server.app.log.error({ err }, "error while closing");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`fatal: ${(err as Error).message}`);
    process.exit(1);
  });
}
