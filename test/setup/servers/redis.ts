// redis-server from Debian on a free loopback port, without persistence, for the test run.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import type { TestServer } from "./server";

export const REDIS_BINARY = "redis-server";
/** Where the test files find the shared instance. */
export const TEST_REDIS_PORT = "TEST_REDIS_PORT";

export interface RedisServer extends TestServer {
  readonly port: number;
}

/** A free TCP port on 127.0.0.1, as the kernel hands it out. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts redis-server; `port` lets a test restart an instance where its clients expect it. */
export async function startRedis(options: { port?: number } = {}): Promise<RedisServer> {
  const found = spawnSync("sh", ["-c", `command -v ${REDIS_BINARY}`]);
  if (found.status !== 0) {
    throw new Error(`${REDIS_BINARY} not found on PATH: install it with .ci/install-test-servers.sh (apt-get install redis-server)`);
  }
  const port = options.port ?? (await freePort());
  const child = spawn(
    REDIS_BINARY,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  try {
    await waitForPong(port, child, 10_000);
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`redis-server on port ${port} did not start: ${(err as Error).message}\n${output}`);
  }
  return {
    name: "redis",
    port,
    env: { [TEST_REDIS_PORT]: String(port) },
    stop: () => stopProcess(child),
  };
}

async function waitForPong(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    if (await ping(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no PONG within ${timeoutMs} ms`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let reply = "";
    socket.setTimeout(500, () => socket.destroy());
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (d) => {
      reply += d.toString();
      if (reply.includes("\r\n")) socket.end();
    });
    socket.on("error", () => resolve(false));
    socket.on("close", () => resolve(reply.startsWith("+PONG")));
  });
}

/** SIGTERM, then SIGKILL if it lingers; resolves once the process has exited. */
export function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
