// The gRPC listener: OIP v2 (`inference.GRPCInferenceService`) and grpc.health.v1 on GRPC_PORT and,
// when GRPC_SOCKET is set, on a Unix domain socket as well. Messages are capped at the same size
// as REST bodies. drain() is the SIGTERM path: health turns NOT_SERVING, new calls are refused,
// calls in flight finish (bounded by the grace period).
import { lstat, rm } from "node:fs/promises";
import * as grpc from "@grpc/grpc-js";
import type { ApiKeySource } from "../auth";
import type { ServiceMetrics } from "../metrics";
import type { Serving } from "../serving";
import { healthDefinition, healthService, type HealthState } from "./health-service";
import { inferenceService, type Logger } from "./inference-service";
import { loadInferenceService } from "./messages";

export interface GrpcServerOptions {
  serving: Serving;
  metrics: ServiceMetrics;
  log: Logger & { info(msg: string): void };
  host: string;
  /** Undefined: no TCP listener. 0: a free port. */
  port: number | undefined;
  socket: string | undefined;
  maxMessageBytes: number;
  /** API keys, as for REST (auth.ts); undefined: auth off. */
  apiKeys?: ApiKeySource;
}

export interface RunningGrpcServer {
  /** The bound TCP port, when listening on TCP. */
  port: number | undefined;
  socket: string | undefined;
  /** Stops taking calls and lets those in flight finish, for at most `graceMs`. */
  drain(graceMs: number): Promise<void>;
}

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
  );
}

/** A socket file left by a process that died is removed; anything else at that path is an error. */
async function clearStaleSocket(socket: string): Promise<void> {
  const stat = await lstat(socket).catch(() => undefined);
  if (!stat) return;
  if (!stat.isSocket()) throw new Error(`GRPC_SOCKET "${socket}" exists and is not a socket`);
  await rm(socket);
}

export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": options.maxMessageBytes,
    "grpc.max_send_message_length": options.maxMessageBytes,
  });
  const state: HealthState = { draining: false, watchers: new Set() };
  server.addService(loadInferenceService(), inferenceService(options.serving, options.metrics, options.log, options.apiKeys));
  server.addService(healthDefinition, healthService(options.serving, state));
  let port: number | undefined;
  if (options.port !== undefined) {
    // grpc-js takes IPv4 addresses as given; "0.0.0.0" listens on every interface.
    port = await bind(server, `${options.host}:${options.port}`);
    options.log.info(`gRPC (OIP v2) listening on ${options.host}:${port}`);
  }
  if (options.socket) {
    await clearStaleSocket(options.socket);
    await bind(server, `unix://${options.socket}`);
    options.log.info(`gRPC (OIP v2) listening on unix://${options.socket}`);
  }
  return {
    port,
    socket: options.socket,
    async drain(graceMs) {
      state.draining = true;
      for (const watcher of state.watchers) {
        watcher.write({ status: "NOT_SERVING" });
        watcher.end();
      }
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
