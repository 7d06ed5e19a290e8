// OIP v2 transports compared in one run, on the built server (service/dist/server.js) over loopback:
// the golden cases' encoded rows (one row per request, cycling) sent as REST JSON, REST with the
// binary tensor extension, gRPC over TCP and gRPC over the Unix socket (raw contents, one channel).
//   latency     p50/p99 at 1 connection, sequential
//   throughput  requests/s with 32 requests in flight (32 keep-alive sockets for REST, 32
//               concurrent streams on one HTTP/2 channel for gRPC)
// Ratios are to REST JSON. Goals (issue 11): gRPC TCP p50 ≤ REST JSON p50 and throughput ≥ REST
// JSON; Unix socket p50 ≤ 0.8 × TCP p50.
// Run: `npm run bench:grpc` (builds first). Flags: --quick (fewer requests, shorter load).
import { spawn } from "node:child_process";
import * as http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ENV, READY_PATH } from "../service/src/config";
import { LOADER_OPTIONS, protoPath } from "../service/src/grpc/messages";
import { loadModelPackage } from "../service/src/model/package";
import { encodedGoldenRows } from "../test/service/oip-fixtures";
import { testConfig } from "../test/service/fixtures";
import { freePort } from "../test/setup/servers/redis";

const quick = process.argv.includes("--quick");
const LATENCY_REQUESTS = quick ? 300 : 2000;
const WARMUP = quick ? 50 : 300;
const LOAD_SECONDS = quick ? 2 : 6;
const CONCURRENCY = 32;
const root = path.resolve(__dirname, "..");

type Send = () => Promise<void>;
interface Transport {
  name: string;
  /** A sender for `lane` (REST: one socket per lane; gRPC: one shared channel). */
  sender(lane: number): Send;
  close(): void;
}

function restTransport(name: string, port: number, bodies: { body: Buffer; headers: Record<string, string> }[]): Transport {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let next = 0;
  return {
    name,
    sender: () => () =>
      new Promise((resolve, reject) => {
        const { body, headers } = bodies[next++ % bodies.length];
        const req = http.request({ host: "127.0.0.1", port, path: "/v2/models/fraud/infer", method: "POST", agent, headers: { ...headers, "content-length": body.length } }, (res) => {
          res.resume();
          res.on("end", () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
        });
        req.on("error", reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

function grpcTransport(name: string, address: string, rows: Buffer[]): Transport {
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath(), LOADER_OPTIONS)).inference as grpc.GrpcObject;
  const Client = pkg.GRPCInferenceService as grpc.ServiceClientConstructor;
  const client = new Client(address, grpc.credentials.createInsecure());
  const infer = (client as unknown as Record<string, (r: object, cb: (err: Error | null) => void) => void>).ModelInfer.bind(client);
  let next = 0;
  return {
    name,
    sender: () => () =>
      new Promise((resolve, reject) =>
        infer({ model_name: "fraud", inputs: [{ name: "input", datatype: "FP32", shape: [1, 30] }], raw_input_contents: [rows[next++ % rows.length]] }, (err) => (err ? reject(err) : resolve())),
      ),
    close: () => client.close(),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function latency(t: Transport): Promise<{ p50: number; p99: number }> {
  const send = t.sender(0);
  for (let i = 0; i < WARMUP; i++) await send();
  const micros: number[] = [];
  for (let i = 0; i < LATENCY_REQUESTS; i++) {
    const started = process.hrtime.bigint();
    await send();
    micros.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  micros.sort((a, b) => a - b);
  return { p50: percentile(micros, 50), p99: percentile(micros, 99) };
}

async function throughput(t: Transport): Promise<number> {
  const until = Date.now() + LOAD_SECONDS * 1000;
  let done = 0;
  const lane = async (i: number) => {
    const send = t.sender(i);
    while (Date.now() < until) {
      await send();
      done++;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => lane(i)));
  return done / ((Date.now() - started) / 1000);
}

async function waitReady(port: number, child: ReturnType<typeof spawn>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}${READY_PATH}`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("the server was not ready within 60 s");
}

async function main(): Promise<void> {
  const pkg = await loadModelPackage(testConfig());
  const { rows } = await encodedGoldenRows(pkg);
  const [port, adminPort, grpcPort] = [await freePort(), await freePort(), await freePort()];
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-grpc-"));
  const socket = path.join(dir, "grpc.sock");
  const child = spawn(process.execPath, [path.join(root, "service", "dist", "server.js")], {
    cwd: root,
    env: { ...process.env, [ENV.port]: String(port), [ENV.adminPort]: String(adminPort), [ENV.grpcPort]: String(grpcPort), [ENV.grpcSocket]: socket, [ENV.host]: "127.0.0.1", [ENV.logLevel]: "warn" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  try {
    await waitReady(port, child);
    const raw = rows.map((r) => Buffer.from(Float32Array.from(r).buffer));
    const json = rows.map((r) => ({ body: Buffer.from(JSON.stringify({ inputs: [{ name: "input", shape: [1, 30], datatype: "FP32", data: r }] })), headers: { "content-type": "application/json" } }));
    const binary = raw.map((bytes) => {
      const header = Buffer.from(JSON.stringify({ inputs: [{ name: "input", shape: [1, 30], datatype: "FP32", parameters: { binary_data_size: bytes.length } }], parameters: { binary_data_output: true } }));
      return { body: Buffer.concat([header, bytes]), headers: { "content-type": "application/octet-stream", "inference-header-content-length": String(header.length) } };
    });
    const transports = [
      restTransport("REST JSON", port, json),
      restTransport("REST binary", port, binary),
      grpcTransport("gRPC TCP", `127.0.0.1:${grpcPort}`, raw),
      grpcTransport("gRPC Unix socket", `unix://${socket}`, raw),
    ];
    const results: { name: string; p50: number; p99: number; rps: number }[] = [];
    for (const t of transports) {
      const l = await latency(t);
      const rps = await throughput(t);
      results.push({ name: t.name, ...l, rps });
      t.close();
    }
    const base = results[0];
    const cpus = os.cpus().length;
    console.log(`\nOIP v2 transports, one row per request, loopback, ${cpus} CPUs, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")} (a shared machine: figures vary)\n`);
    console.log("| transport | p50 (1 conn) | p99 (1 conn) | req/s (32 in flight) | p50 vs REST JSON | req/s vs REST JSON |");
    console.log("|---|---|---|---|---|---|");
    for (const r of results) {
      console.log(`| ${r.name} | ${r.p50.toFixed(0)} µs | ${r.p99.toFixed(0)} µs | ${r.rps.toFixed(0)} | ${(r.p50 / base.p50).toFixed(2)}× | ${(r.rps / base.rps).toFixed(2)}× |`);
    }
    const tcp = results[2];
    const unix = results[3];
    const goal = (ok: boolean) => (ok ? "met" : "NOT met");
    console.log(`\ngoals: gRPC TCP p50 ≤ REST JSON p50: ${goal(tcp.p50 <= base.p50)}; gRPC TCP req/s ≥ REST JSON: ${goal(tcp.rps >= base.rps)}; Unix socket p50 ≤ 0.8 × TCP: ${goal(unix.p50 <= 0.8 * tcp.p50)} (${(unix.p50 / tcp.p50).toFixed(2)}×)`);
  } finally {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
