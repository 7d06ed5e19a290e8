// The HTTP server entry: `node service/dist/server.js`. Loads the model and the feature store
// (retrying transient failures for MODEL_LOAD_TIMEOUT_MS), then listens on PORT (inference and
// health: what the load balancer forwards) and ADMIN_PORT (metrics, OpenAPI, the feature server,
// status). On SIGTERM/SIGINT it drains: requests already accepted complete, then it exits 0.
//
// When model loading gives up, the process keeps running with liveness failing (503) rather
// than exiting: every target's health check acts on it (ECS replaces the task and its circuit
// breaker rolls the deployment back; Kubernetes restarts the pod), while the admin /status and
// the log keep saying why. An exit would give the platforms the same signal with less to read,
// and under Kubernetes a crash loop whose backoff hides the reason between restarts.
import type { IncomingMessage, ServerResponse } from "node:http";
import * as net from "node:net";
import type { FastifyInstance } from "fastify";
import { buildApp } from "./app";
import { apiKeySource } from "./auth";
import { openConnections } from "./connections";
import { ConfigError, loadConfig, type ServiceConfig } from "./config";
import { createLogger } from "./log";
import { ServiceMetrics } from "./metrics";
import { closeServing, loadServing } from "./serving";
import type { RunningGrpcServer } from "./grpc/server";

export interface RunningServer {
  /** The public listener (PORT). */
  url: string;
  /** The admin listener (ADMIN_PORT). */
  adminUrl: string;
  app: FastifyInstance;
  admin: FastifyInstance;
  /** OIP v2 over gRPC, unless GRPC_PORT is off and GRPC_SOCKET unset. */
  grpc: RunningGrpcServer | undefined;
  close(): Promise<void>;
}

/**
 * Drains one listener without resetting a single connection:
 *   1. it stops accepting connections, but leaves the open ones alone (Node's `server.close()`
 *      would also destroy every idle keep-alive connection at once, and a client may be
 *      sending its next request on one of them right now: that request would be reset);
 *   2. every request still arriving is served, its response carrying `connection: close`, so
 *      the client moves to a new connection (which, after 1, lands on another replica), and
 *      the connection is then closed gently (see `closeGently`);
 *   3. after `quietMs`, a connection still idle has been idle since the drain began: it is
 *      closed gently too, and so on every 50 ms until none is left.
 */
export async function drain(app: FastifyInstance, quietMs = 250): Promise<void> {
  net.Server.prototype.close.call(app.server);
  const closing = new WeakSet<net.Socket>();
  // Ahead of Fastify's own listener, so the header is set before any reply is written.
  const closeAfterResponse = (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader("connection", "close");
    closing.add(req.socket);
    // Node ends a `connection: close` response with destroySoon(); close gently instead.
    req.socket.destroySoon = () => closeGently(req.socket);
  };
  app.server.prependListener("request", closeAfterResponse);
  try {
    await new Promise((resolve) => setTimeout(resolve, quietMs));
    for (;;) {
      const open = openConnections(app.server);
      if (open.length === 0) break;
      for (const { socket, idle } of open) {
        if (idle && !closing.has(socket)) {
          closing.add(socket);
          closeGently(socket);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await app.close();
  } finally {
    app.server.off("request", closeAfterResponse);
  }
}

/** How long a closing connection keeps discarding what the client still sends. */
const LINGER_MS = 2_000;

/**
 * A "lingering close", as nginx and Apache do it: send FIN and keep reading (and discarding)
 * until the client closes too. Closing a socket with unread bytes makes the kernel answer RST,
 * so a client that wrote its next request before it saw `connection: close` (load generators
 * do) would see a reset instead of a closed connection.
 */
function closeGently(socket: net.Socket): void {
  // The HTTP exchange on it is over: what still arrives is not served, only read and dropped.
  socket.removeAllListeners("data");
  socket.on("data", () => undefined);
  socket.once("end", () => socket.destroy());
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
  socket.end();
  socket.resume();
}

function urlOf(app: FastifyInstance, host: string): string {
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
}

export async function startServer(config: ServiceConfig): Promise<RunningServer> {
  const metrics = new ServiceMetrics();
  const logger = createLogger(config.logLevel);
  const serving = await loadServing(config, metrics, logger);
  // One key source for every listener (one Secrets Manager reader, one view of the keys).
  const apiKeys = await apiKeySource(config, logger);
  const app = await buildApp({ config, serving, metrics, logger, apiKeys, surface: "public" });
  const admin = await buildApp({ config, serving, metrics, logger, apiKeys, surface: "admin" });
  await app.listen({ port: config.port, host: config.host });
  await admin.listen({ port: config.adminPort, host: config.host });
  // gRPC's modules (grpc-js, proto-loader, protobufjs, the health service) load only when it is
  // served: they are a third of the start-up time and several MB of heap.
  const grpc =
    config.grpcPort !== undefined || config.grpcSocket
      ? await (await import("./grpc/server")).startGrpcServer({
          serving,
          metrics,
          log: logger,
          host: config.host,
          port: config.grpcPort,
          socket: config.grpcSocket,
          maxMessageBytes: config.bodyLimitBytes,
          apiKeys,
        })
      : undefined;
  return {
    url: urlOf(app, config.host),
    adminUrl: urlOf(admin, config.host),
    app,
    admin,
    grpc,
    async close() {
      const quietMs = Math.min(250, config.shutdownGraceMs / 4);
      await Promise.all([drain(app, quietMs), drain(admin, quietMs), grpc?.drain(config.shutdownGraceMs)]);
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
  server.app.log.info(`listening on ${server.url} (admin on ${server.adminUrl})`);
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
