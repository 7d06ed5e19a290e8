// SIGTERM under load loses nothing: a real server process under 32 connections of autocannon
// (loopback, bounded) drains: every request it accepted is answered 200, responses during the
// drain carry `connection: close`, no connection is reset, and it exits 0. New connections after
// SIGTERM are refused (the listener is closed), which clients and load balancers retry elsewhere.
import * as net from "node:net";
import autocannon from "autocannon";
import { golden } from "./fixtures";
import { listening, spawnServiceProcess, stopServiceProcess, type ServiceProcess } from "./service-process";

const known = golden.cases.find((c) => Object.keys(c.online).length > 0)!;
const body = JSON.stringify({ entity: known.entity, features: known.request });
const rawRequest = `POST /v1/models/fraud:predict HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

let service: ServiceProcess | undefined;
afterAll(() => stopServiceProcess(service));

/** One keep-alive client sending its next request as soon as the last is answered, recording each answer's head. */
function keepAliveClient(url: string): { heads: string[]; closed: Promise<string | undefined> } {
  const { port } = new URL(url);
  const socket = net.connect(Number(port), "127.0.0.1");
  const heads: string[] = [];
  let buffer = "";
  socket.on("connect", () => socket.write(rawRequest));
  socket.on("data", (d: Buffer) => {
    buffer += d.toString();
    // Each answer is one JSON object after its head; the client is sequential.
    for (;;) {
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(buffer.slice(0, end))?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      const head = buffer.slice(0, end).toLowerCase();
      heads.push(head);
      buffer = buffer.slice(end + 4 + length);
      if (!head.includes("connection: close")) setTimeout(() => socket.writable && socket.write(rawRequest), 5);
    }
  });
  const closed = new Promise<string | undefined>((resolve) => {
    let error: string | undefined;
    socket.on("error", (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.on("close", () => resolve(error));
  });
  return { heads, closed };
}

it("answers every accepted request during a SIGTERM drain under 32 connections, resets none, and exits 0", async () => {
  service = spawnServiceProcess({ LOG_LEVEL: "info", SHUTDOWN_GRACE_MS: "10000" });
  const { url } = await listening(service);
  const errors: Record<string, number> = {};
  const statuses: Record<number, number> = {};
  let afterSigterm = 0;
  let sigtermSent = false;
  const load = autocannon({
    url: `${url}/v1/models/fraud:predict`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    connections: 32,
    duration: 20,
    timeout: 10,
  }, () => undefined);
  load.on("reqError", (err: NodeJS.ErrnoException) => {
    const code = err.code ?? err.message;
    errors[code] = (errors[code] ?? 0) + 1;
  });
  load.on("response", (_client: unknown, status: number) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (sigtermSent) afterSigterm += 1;
  });
  const watcher = keepAliveClient(url);
  // Under load for a while, then SIGTERM.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const before = statuses[200] ?? 0;
  expect(before).toBeGreaterThan(32);
  sigtermSent = true;
  service.child.kill("SIGTERM");
  const code = await service.exited;
  load.stop();
  const watcherError = await watcher.closed;

  expect(code).toBe(0);
  expect(service.output()).toMatch(/SIGTERM: draining in-flight requests/);
  // Every answer is a 200: nothing refused with 503 during the drain, nothing timed out.
  expect(Object.keys(statuses)).toEqual(["200"]);
  // The only errors are connections refused after the listener closed: none reset, none cut.
  expect(errors).toEqual(errors.ECONNREFUSED ? { ECONNREFUSED: errors.ECONNREFUSED } : {});
  // Requests that arrived on open connections after SIGTERM were served.
  expect(afterSigterm).toBeGreaterThan(0);
  // The keep-alive client: all 200, the drain's answer told it to close, and the close was clean.
  expect(watcher.heads.length).toBeGreaterThan(1);
  for (const head of watcher.heads) expect(head).toMatch(/^http\/1.1 200 /);
  expect(watcher.heads.at(-1)).toMatch(/\r\nconnection: close/);
  expect(watcher.heads.slice(0, -1).every((h) => !h.includes("connection: close"))).toBe(true);
  expect(watcherError).toBeUndefined();
}, 120_000);
