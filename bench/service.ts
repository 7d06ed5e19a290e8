// Service benchmarks, each beside its floor measured in the same run on this machine:
//   latency   predict p50/p99 at 1 connection      vs Fastify hello-world   goal ≤ 5×
//   throughput predict req/s under load             vs hello-world ceiling   goal ≥ 20%
//   cold start spawn → first prediction             vs `node -e 0`          goal ≤ 6×
//   memory    warm RSS after the load               —                        goal ≤ 150 MB
// Latency, throughput and memory are measured twice: with the embedded store, and with Redis
// features (a redis-server on a free loopback port, filled from the sample offline file by the
// project's materializer); `--embedded-only` skips Redis. With Redis, the throughput peer runs
// too: FastAPI + uvicorn + onnxruntime + redis-py doing the same work (bench/peer/, installed into a
// venv under the OS temp dir on first use; `--no-peer` skips it). Cold start uses the embedded store.
// Run: `npm run bench` (builds the service first). Loopback only; every loop is bounded.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as http from "node:http";
import { existsSync, readFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import autocannon from "autocannon";
import { ENV, EXAMPLE_MODEL_DIR, loadConfig, READY_PATH } from "../service/src/config";
import { formatSummary, materialize } from "../service/src/features/materialize";
import { RedisStore } from "../service/src/features/redis";
import { parseManifest } from "../service/src/model/manifest";
import { freePort, startRedis, stopProcess, type RedisServer } from "../test/setup/servers/redis";

const root = path.resolve(__dirname, "..");
const serverJs = path.join(root, "service", "dist", "server.js");
const golden = JSON.parse(readFileSync(path.join(root, "models", "fraud", "golden.json"), "utf8")) as {
  cases: { entity: Record<string, number>; request: Record<string, unknown> }[];
};
const bodies = golden.cases.map((c) => JSON.stringify({ entity: c.entity, features: c.request }));

interface Server {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

function startProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Server> {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" line within 60 s: ${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /listening on (http:\/\/[0-9.]+:\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        resolve({
          url: m[1],
          child,
          stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once("exit", () => r()), child.kill("SIGTERM")))),
        });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    child.on("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
}

const EMBEDDED = { [ENV.featureStore]: "embedded" };
const startService = (env: NodeJS.ProcessEnv) => startProcess([serverJs], { LOG_LEVEL: "info", ...env });
const startHello = () => startProcess(["-r", "ts-node/register/transpile-only", path.join(__dirname, "hello-server.ts")]);

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(url: string, body: string | undefined, keepBody: boolean): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: body ? "POST" : "GET", agent, headers: body ? { "content-type": "application/json" } : {} },
      (res) => {
        let text = "";
        if (keepBody) res.on("data", (d: Buffer) => (text += d.toString()));
        else res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const once = async (url: string, body?: string) => (await request(url, body, false)).status;

/** The service answers 200 on the readiness path once its model and feature store are usable. */
async function waitReady(url: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await once(`${url}${READY_PATH}`)) !== 200) {
    if (Date.now() > until) throw new Error(`${url}${READY_PATH} not 200 within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every golden request's answer, to check that two stores give the service the same features. */
async function answers(predictUrl: string): Promise<string[]> {
  const out: string[] = [];
  for (const body of bodies) {
    const { status, text } = await request(predictUrl, body, true);
    if (status !== 200) throw new Error(`${predictUrl} answered ${status}: ${text}`);
    out.push(text);
  }
  return out;
}

/** Sequential requests on one keep-alive connection, timed one by one (µs). */
async function latency(url: string, withBody: boolean, n: number): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < n + 500; i++) {
    const t = process.hrtime.bigint();
    const status = await once(url, withBody ? bodies[i % bodies.length] : undefined);
    if (status !== 200) throw new Error(`${url} answered ${status}`);
    if (i >= 500) samples.push(Number(process.hrtime.bigint() - t) / 1000); // the first 500 warm up
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(n * 0.5)], p99: samples[Math.floor(n * 0.99)] };
}

async function throughput(url: string, withBody: boolean, seconds: number): Promise<{ rps: number; errors: number }> {
  const result = await autocannon({
    url,
    connections: 32,
    duration: seconds,
    method: withBody ? "POST" : "GET",
    headers: withBody ? { "content-type": "application/json" } : undefined,
    requests: withBody ? bodies.map((body) => ({ body })) : undefined,
  });
  return { rps: result.requests.average, errors: result.errors + result.non2xx };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function coldStart(runs: number): Promise<{ node: number; service: number }> {
  const nodeTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    spawnSync(process.execPath, ["-e", "0"]);
    nodeTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const serviceTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const server = await startService(EMBEDDED);
    const status = await once(`${server.url}/v1/models/fraud:predict`, bodies[0]);
    serviceTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
    await server.stop();
    if (status !== 200) throw new Error(`first prediction answered ${status}`);
  }
  return { node: median(nodeTimes), service: median(serviceTimes) };
}

/** A redis-server on a free loopback port holding the sample offline file, as `npm run materialize` writes it. */
async function redisWithFeatures(): Promise<{ server: RedisServer; env: NodeJS.ProcessEnv; summary: string }> {
  const server = await startRedis();
  const env = { [ENV.featureStore]: "redis", [ENV.redisHost]: "127.0.0.1", [ENV.redisPort]: String(server.port) };
  try {
    const config = loadConfig({ ...process.env, ...env });
    const manifest = parseManifest(JSON.parse(readFileSync(path.join(EXAMPLE_MODEL_DIR, "manifest.json"), "utf8")));
    const writer = await RedisStore.connect({ ...config, featureTimeoutMs: 10_000 }, manifest, { logger: { warn: () => undefined } });
    try {
      const until = Date.now() + 10_000;
      while (!(await writer.ready())) {
        if (Date.now() > until) throw new Error(`redis-server on port ${server.port} does not answer`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const summary = await materialize({ source: config.embeddedFeaturesPath, manifest, writer });
      return { server, env, summary: formatSummary(summary) };
    } finally {
      await writer.close();
    }
  } catch (err) {
    await server.stop();
    throw err;
  }
}

const PEER_DIR = path.join(__dirname, "peer");
const PEER_VENV = path.join(os.tmpdir(), "inference-blueprint-peer-venv");

/** The venv's python with bench/peer/requirements.txt installed (pip is quick when they already are). */
function peerPython(): string {
  const python = path.join(PEER_VENV, "bin", "python");
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.error?.message ?? r.stderr.toString().slice(-2000)}`);
  };
  if (!existsSync(python)) run("python3", ["-m", "venv", PEER_VENV]);
  run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", path.join(PEER_DIR, "requirements.txt")]);
  return python;
}

/** The FastAPI peer on a free loopback port, reading the same Redis; resolves once it predicts. */
async function startPeer(python: string, redisPort: number): Promise<{ predictUrl: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const args = [path.join(PEER_DIR, "fastapi_server.py"), "--model-dir", EXAMPLE_MODEL_DIR, "--port", String(port), "--redis-port", String(redisPort)];
  const child = spawn(python, args, { stdio: ["ignore", "ignore", "pipe"] });
  let output = "";
  child.stderr!.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const predictUrl = `http://127.0.0.1:${port}/v1/models/fraud:predict`;
  const until = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the FastAPI peer exited with ${child.exitCode}: ${output}`);
    const status = await request(predictUrl, bodies[0], false).then((r) => r.status, () => 0);
    if (status === 200) break;
    if (Date.now() > until) {
      await stopProcess(child);
      throw new Error(`the FastAPI peer did not answer 200 within 60 s (last ${status}): ${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { predictUrl, child, stop: () => stopProcess(child) };
}

/** Same labels and defaulted features, probabilities within float32 rounding. */
function sameAnswer(a: string, b: string): boolean {
  type Answer = { label: string; probabilities: Record<string, number>; defaulted: string[] };
  const x = JSON.parse(a) as Answer;
  const y = JSON.parse(b) as Answer;
  return (
    x.label === y.label &&
    JSON.stringify(x.defaulted) === JSON.stringify(y.defaulted) &&
    Object.keys(x.probabilities).every((k) => Math.abs(x.probabilities[k] - y.probabilities[k]) <= 1e-6)
  );
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);
const verdict = (ok: boolean) => (ok ? "meets goal" : "MISSES goal");

interface Floor {
  latency: { p50: number; p99: number };
  rps: number;
}

interface Measured {
  golden: string[];
  rps: number;
}

/** Latency, throughput and warm RSS of one service process, printed beside the floor. */
async function measureService(title: string, env: NodeJS.ProcessEnv, floor: Floor, n: number, seconds: number): Promise<Measured> {
  const service = await startService(env);
  const predictUrl = `${service.url}/v1/models/fraud:predict`;
  try {
    await waitReady(service.url);
    const golden = await answers(predictUrl);
    const predict = await latency(predictUrl, true, n);
    const load = await throughput(predictUrl, true, seconds);
    const rss = rssMb(service.child.pid!);
    const ratio = predict.p50 / floor.latency.p50;
    const share = load.rps / floor.rps;
    console.log(title);
    console.log(`  latency, 1 connection (µs)   p50 ${fmt(predict.p50)}  p99 ${fmt(predict.p99)}`);
    console.log(`    ratio p50 ${fmt(ratio, 2)}×, p99 ${fmt(predict.p99 / floor.latency.p99, 2)}× (goal p50 ≤ 5×: ${verdict(ratio <= 5)})`);
    console.log(`  throughput, 32 connections   ${fmt(load.rps)} req/s  (errors ${load.errors})`);
    console.log(`    ratio ${fmt(share * 100, 1)}% of the ceiling (goal ≥ 20%: ${verdict(share >= 0.2)})`);
    console.log(`  memory, warm RSS after the load: ${fmt(rss, 1)} MB (goal ≤ 150 MB: ${verdict(rss <= 150)})`);
    return { golden, rps: load.rps };
  } finally {
    await service.stop();
  }
}

/** The FastAPI peer on the same Redis: its answers must match the service's before it is timed. */
async function measurePeer(redisPort: number, service: Measured, n: number, seconds: number): Promise<void> {
  let python: string;
  try {
    python = peerPython();
  } catch (err) {
    // A machine without python3 or PyPI access still gets every other figure.
    console.log(`peer: skipped, its venv could not be set up: ${(err as Error).message.split("\n")[0]}`);
    return;
  }
  const peer = await startPeer(python, redisPort);
  try {
    const golden = await answers(peer.predictUrl);
    const differing = golden.filter((answer, i) => !sameAnswer(answer, service.golden[i])).length;
    if (differing > 0) throw new Error(`the FastAPI peer answered ${differing} of ${bodies.length} golden requests differently from the service`);
    const predict = await latency(peer.predictUrl, true, n);
    const load = await throughput(peer.predictUrl, true, seconds);
    const ratio = service.rps / load.rps;
    console.log("peer: FastAPI + uvicorn + onnxruntime + redis-py, same Redis (same answers to the golden requests)");
    console.log(`  latency, 1 connection (µs)   p50 ${fmt(predict.p50)}  p99 ${fmt(predict.p99)}`);
    console.log(`  throughput, 32 connections   ${fmt(load.rps)} req/s  (errors ${load.errors})`);
    console.log(`    service with Redis features ${fmt(ratio, 2)}× the peer's throughput (goal ≥ 3×: ${verdict(ratio >= 3)})`);
  } finally {
    await peer.stop();
  }
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const withRedis = !process.argv.includes("--embedded-only");
  const withPeer = withRedis && !process.argv.includes("--no-peer");
  const n = quick ? 2000 : 10_000;
  const seconds = quick ? 3 : 8;
  const hello = await startHello();
  let floor: Floor;
  try {
    const helloLatency = await latency(`${hello.url}/`, false, n);
    const ceiling = await throughput(`${hello.url}/`, false, seconds);
    floor = { latency: helloLatency, rps: ceiling.rps };
    console.log(`floor: Fastify hello-world, ${n} requests at 1 connection, ${seconds} s at 32 connections`);
    console.log(`  latency (µs)   p50 ${fmt(helloLatency.p50)}  p99 ${fmt(helloLatency.p99)}`);
    console.log(`  throughput     ${fmt(ceiling.rps)} req/s  (errors ${ceiling.errors})`);
  } finally {
    await hello.stop();
  }
  const embedded = await measureService("predict, embedded store", EMBEDDED, floor, n, seconds);
  if (withRedis) {
    const redis = await redisWithFeatures();
    try {
      console.log(`redis-server on 127.0.0.1:${redis.server.port}, ${redis.summary}`);
      const fromRedis = await measureService("predict, Redis features", redis.env, floor, n, seconds);
      const differing = fromRedis.golden.filter((answer, i) => answer !== embedded.golden[i]).length;
      if (differing > 0) throw new Error(`${differing} of ${bodies.length} golden requests got a different answer with Redis features than with the embedded store`);
      console.log(`  the ${bodies.length} golden requests get the same answers from both stores`);
      if (withPeer) await measurePeer(redis.server.port, fromRedis, n, seconds);
    } finally {
      await redis.server.stop();
    }
  }
  const cold = await coldStart(quick ? 3 : 5);
  agent.destroy();
  console.log(`cold start, median of runs (ms)`);
  console.log(`  node -e 0                        ${fmt(cold.node)}`);
  console.log(`  spawn → first prediction          ${fmt(cold.service)}`);
  console.log(`  ratio ${fmt(cold.service / cold.node, 2)}× (goal ≤ 6×: ${verdict(cold.service / cold.node <= 6)})`);
}

main().catch((err: unknown) => {
  console.error(`benchmark failed: ${(err as Error).message}`);
  process.exit(1);
});
