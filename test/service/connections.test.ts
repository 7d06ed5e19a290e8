// Connection limits on a real socket: a trickled body is cut off, a silent connection is closed,
// and a connection past the cap gets one clean 503, each in the service's { error } shape.
import * as net from "node:net";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../service/src/app";
import { ServiceMetrics } from "../../service/src/metrics";
import { Predictor } from "../../service/src/predictor";
import { examplePackage, golden, goldenStore, testConfig } from "./fixtures";

const limits = { requestTimeoutMs: 1_500, headersTimeoutMs: 500, keepAliveTimeoutMs: 5_000, maxConnections: 2 };
const known = golden.cases.find((c) => Object.keys(c.online).length > 0)!;
const body = JSON.stringify({ entity: known.entity, features: known.request });
const predictRequest = `POST /v1/models/fraud:predict HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

let app: FastifyInstance;
let port: number;
let predictor: Predictor;

beforeAll(async () => {
  const pkg = await examplePackage();
  const store = goldenStore(pkg);
  const metrics = new ServiceMetrics({ defaultMetrics: false });
  const config = testConfig(limits);
  predictor = await Predictor.create(pkg, store, metrics, config);
  app = await buildApp({ config, serving: { predictor, store }, metrics });
  await app.listen({ port: 0, host: "127.0.0.1" });
  port = (app.server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await app.close();
  await predictor.close();
});

/** A raw client connection: what it received, and when the server closed it. */
function connect(): { socket: net.Socket; received: () => string; closed: Promise<number> } {
  const socket = net.connect(port, "127.0.0.1");
  const opened = Date.now();
  let data = "";
  socket.on("data", (d: Buffer) => (data += d.toString()));
  socket.on("error", () => undefined);
  const closed = new Promise<number>((resolve) => socket.on("close", () => resolve(Date.now() - opened)));
  return { socket, received: () => data, closed };
}

function parse(raw: string): { status: number; headers: string; body: unknown } {
  const [head, ...rest] = raw.split("\r\n\r\n");
  return { status: Number(head.split(" ")[1]), headers: head.toLowerCase(), body: JSON.parse(rest.join("\r\n\r\n")) };
}

describe("connection limits", () => {
  it("cuts off a body trickled past the request timeout with 408 { error }", async () => {
    const client = connect();
    client.socket.write(predictRequest.slice(0, predictRequest.indexOf("\r\n\r\n") + 5));
    const rest = predictRequest.slice(predictRequest.indexOf("\r\n\r\n") + 5);
    let sent = 0;
    // One byte every 100 ms: the body would take far longer than the 1.5 s limit.
    const trickle = setInterval(() => {
      if (client.socket.writable && sent < rest.length - 1) client.socket.write(rest[sent++]);
    }, 100);
    const closedAfter = await client.closed;
    clearInterval(trickle);
    expect(closedAfter).toBeLessThan(limits.requestTimeoutMs + 1_500);
    const res = parse(client.received());
    expect(res.status).toBe(408);
    expect(res.body).toEqual({ error: expect.stringMatching(/whole request within 1500 ms \(REQUEST_TIMEOUT_MS\)/) });
  });

  it("closes a connection that stays silent past the headers timeout", async () => {
    const client = connect();
    const closedAfter = await client.closed;
    expect(closedAfter).toBeGreaterThanOrEqual(limits.headersTimeoutMs - 50);
    expect(closedAfter).toBeLessThan(limits.headersTimeoutMs + 1_500);
    expect(parse(client.received()).status).toBe(408);
  });

  it("answers a connection past the cap with one 503 { error } and connection: close, and keeps serving the others", async () => {
    const first = connect();
    const second = connect();
    const answered = (c: ReturnType<typeof connect>) =>
      new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (c.received().includes("\r\n\r\n{")) {
            clearInterval(check);
            resolve();
          }
        }, 10);
      });
    first.socket.write(predictRequest);
    second.socket.write(predictRequest);
    await Promise.all([answered(first), answered(second)]);
    expect([parse(first.received()).status, parse(second.received()).status]).toEqual([200, 200]);

    const third = connect();
    third.socket.write(predictRequest);
    await third.closed;
    const refused = parse(third.received());
    expect(refused.status).toBe(503);
    expect(refused.headers).toMatch(/\r\nconnection: close/);
    expect(refused.body).toEqual({ error: expect.stringMatching(/too many open connections \(more than 2, MAX_CONNECTIONS\)/) });

    // The connections within the cap still work (keep-alive).
    const before = first.received().length;
    first.socket.write(predictRequest);
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (first.received().length > before && first.received().slice(before).includes("\r\n\r\n{")) {
          clearInterval(check);
          resolve();
        }
      }, 10);
    });
    expect(parse(first.received().slice(before)).status).toBe(200);
    first.socket.destroy();
    second.socket.destroy();
  });
});
