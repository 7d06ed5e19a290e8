// What a client sees when the HTTP layer itself refuses a request (before any route runs), over
// a real socket: the answer is still the service's `{ error }` JSON, never Fastify's or Node's.
import * as net from "node:net";
import { startServer, type RunningServer } from "../../service/src/server";
import { testConfig } from "./fixtures";

let server: RunningServer;
let port: number;

beforeAll(async () => {
  server = await startServer(testConfig({ port: 0, adminPort: 0, host: "127.0.0.1" }));
  port = Number(new URL(server.url).port);
});
afterAll(() => server.close());

interface RawResponse {
  status: number;
  headers: string;
  body: string;
}

function parse(text: string): RawResponse {
  const [head, ...rest] = text.split("\r\n\r\n");
  return { status: Number(head.split(" ")[1]), headers: head.toLowerCase(), body: rest.join("\r\n\r\n") };
}

/** Writes `chunks` in order on one connection and returns everything the server sent until it closed. */
function exchange(chunks: string[], pauseMs = 20): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (d) => (received += d.toString()));
    socket.on("error", reject);
    socket.on("close", () => resolve(parse(received)));
    socket.on("connect", async () => {
      for (const chunk of chunks) {
        socket.write(chunk);
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    });
  });
}

describe("errors raised below the routes", () => {
  it("answers a malformed chunk with 400 and the service's shape", async () => {
    const res = await exchange([
      "POST /v1/models/fraud:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
      "zz\r\n{}\r\n0\r\n\r\n",
    ]);
    expect(res.status).toBe(400);
    expect(res.headers).toContain("content-type: application/json");
    expect(JSON.parse(res.body)).toEqual({ error: expect.stringMatching(/^malformed HTTP request \(HPE_INVALID_CHUNK_SIZE\)/) });
  });

  it("answers headers over Node's size limit with 431 and the service's shape", async () => {
    const res = await exchange([`GET /healthz?q=${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`]);
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body)).toEqual({ error: expect.stringMatching(/^request line and headers exceed \d+ bytes$/) });
  });
});
