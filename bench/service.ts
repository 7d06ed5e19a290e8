// Service benchmarks, each beside its floor or peer measured in the same run on this machine:
//   latency    predict p50/p99 at 1 connection        vs Fastify hello-world   goal p50 ≤ 3× (embedded), ≤ 4× (Redis)
//   throughput predict req/s at 32 connections         vs hello-world ceiling   goal Redis ≥ 30% of it and ≥ 70% of embedded
//   cold start spawn → first prediction, the server    vs `node -e 0`           goal ≤ 4×
//              and the Lambda entry (init + one event)
//   memory     warm RSS after the load                 —                        goal ≤ 130 MB
//   peers      FastAPI + onnxruntime + redis-py, same Redis, same answers:     goal service ≥ 3× its throughput
//              Feast's own feature server (`feast serve`) on the same Redis: POST /get-online-features
//              at 1 and 16 connections, p50/p99/throughput side by side.
// Latency and throughput are measured with wrk (Debian's, one thread: the cheapest load generator
// here, so the floor is the server's, not the client's) and, beside it, with a Node http client
// (latency) and autocannon (throughput). Goals are judged on the wrk figures: hello-world and both
// services stay up together and are measured in rounds, each round all three back to back, so a
// ratio compares figures taken moments apart; the median and range over rounds are printed.
// Servers under test run on their own core(s) (taskset), the clients and Redis on the last one.
// The service runs as deployed: gRPC off unless a stack routes it (cold start measures both).
// With Redis (a redis-server on a free loopback port, filled from the sample offline file by the
// project's materializer) the peers run too, each in a venv under the OS temp dir made on first use.
// `--embedded-only` skips Redis and the peers, `--no-peer` the peers, `--quick` shortens every run.
// Run: `npm run bench` (builds the service first). Loopback only; every loop is bounded.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as http from "node:http";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import autocannon from "autocannon";
import { ENV, EXAMPLE_MODEL_DIR, IMAGE_NODE_OPTIONS, loadConfig, READY_PATH } from "../service/src/config";
import { formatSummary, materialize } from "../service/src/features/materialize";
import { RedisStore } from "../service/src/features/redis";
import { parseManifest } from "../service/src/model/manifest";
import { GET_ONLINE_FEATURES_PATH } from "../service/src/routes/features";
import { PREDICT_PATH } from "../test/service/fixtures";
import { albEvent } from "../test/service/lambda-events";
import { freePort, startRedis, stopProcess, type RedisServer } from "../test/setup/servers/redis";
import { compareWithFeast } from "./feast-answers";

const GOALS = {
  latencyEmbedded: 3,
  latencyRedis: 4,
  redisShareOfCeiling: 0.3,
  redisShareOfEmbedded: 0.7,
  peerThroughput: 3,
  coldStart: 4,
  rssMb: 130,
};

const root = path.resolve(__dirname, "..");
const serverJs = path.join(root, "service", "dist", "server.js");
const golden = JSON.parse(readFileSync(path.join(root, "models", "fraud", "golden.json"), "utf8")) as {
  cases: { entity: Record<string, number>; request: Record<string, unknown> }[];
};
const manifest = parseManifest(JSON.parse(readFileSync(path.join(EXAMPLE_MODEL_DIR, "manifest.json"), "utf8")));
const bodies = golden.cases.map((c) => JSON.stringify({ entity: c.entity, features: c.request }));
/** Feast's feature-server request for every online feature of the model, one entity per request. */
const onlineFeatures = manifest.features.flatMap((f) => (f.source.kind === "online" ? [`${f.source.view}:${f.source.feature}`] : []));
const featureBodies = golden.cases.map((c) => JSON.stringify({ features: onlineFeatures, entities: { user_id: [c.entity.user_id] } }));
/** How the bench names each of those requests when it reports a difference. */
const featureRequestLabels = golden.cases.map((c) => JSON.stringify(c.entity));
const work = mkdtempSync(path.join(os.tmpdir(), "inference-blueprint-bench-"));

interface Server {
  url: string;
  /** The admin listener (metrics, feature server), when the process has one. */
  adminUrl?: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Where processes run. On a small machine the load generator, Redis and the server under test
 * would otherwise take turns on the same cores, and which process the scheduler favours moved the
 * figures by ±30% from run to run. With taskset, every server under test (hello-world, the
 * service, the Python peers) gets the first cores and everything else (this script, autocannon,
 * wrk, redis-server) the last one, as the clients and Redis would be other machines in production.
 */
const placement = ((): { server: string; rest: string } | undefined => {
  const n = os.availableParallelism();
  if (n < 2 || spawnSync("sh", ["-c", "command -v taskset"]).status !== 0) return undefined;
  return { server: n === 2 ? "0" : `0-${n - 2}`, rest: String(n - 1) };
})();

/** `command args`, on the server cores when pinned (taskset execs it: same pid). */
function spawnServer(command: string, args: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  return placement ? spawn("taskset", ["-c", placement.server, command, ...args], options) : spawn(command, args, options);
}

function startProcess(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Server> {
  const child = spawnServer(process.execPath, args, {
    cwd: root,
    env: { ...process.env, PORT: "0", [ENV.adminPort]: "0", HOST: "127.0.0.1", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening on" line within 60 s: ${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /listening on (http:\/\/[0-9.]+:\d+)( \(admin on (http:\/\/[0-9.]+:\d+)\))?/.exec(output);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        resolve({
          url: m[1],
          adminUrl: m[3],
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
// The deadline is raised so that a slow turn of this shared machine is measured, not answered
// with defaults; the fallbacks counted below must stay 0 for a figure to be a Redis figure.
// gRPC off, as a deployment runs unless its stack routes gRPC (`toEnvironment`); the cold start
// is measured with it on as well.
// V8 runs with the image's options (its fixed young generation), unless this run sets its own.
const SERVICE_NODE_OPTIONS = process.env.NODE_OPTIONS ?? IMAGE_NODE_OPTIONS;
const startService = (env: NodeJS.ProcessEnv) =>
  startProcess([serverJs], { LOG_LEVEL: "info", [ENV.featureTimeoutMs]: "1000", [ENV.grpcPort]: "off", NODE_OPTIONS: SERVICE_NODE_OPTIONS, ...env });
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

/** Every request's answer, to check that two servers answer the same. */
async function answers(url: string, requests: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const body of requests) {
    const { status, text } = await request(url, body, true);
    if (status !== 200) throw new Error(`${url} answered ${status}: ${text}`);
    out.push(text);
  }
  return out;
}

interface Latency {
  p50: number;
  p99: number;
}

interface Load extends Latency {
  rps: number;
  errors: number;
}

/** Sequential requests on one keep-alive connection from Node's http client, timed one by one (µs). */
async function nodeLatency(url: string, requests: string[] | undefined, n: number): Promise<Latency> {
  const samples: number[] = [];
  for (let i = 0; i < n + 500; i++) {
    const t = process.hrtime.bigint();
    const status = await once(url, requests?.[i % requests.length]);
    if (status !== 200) throw new Error(`${url} answered ${status}`);
    if (i >= 500) samples.push(Number(process.hrtime.bigint() - t) / 1000); // the first 500 warm up
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(n * 0.5)], p99: samples[Math.floor(n * 0.99)] };
}

async function autocannonLoad(url: string, requests: string[] | undefined, seconds: number): Promise<{ rps: number; errors: number }> {
  const result = await autocannon({
    url,
    connections: 32,
    duration: seconds,
    method: requests ? "POST" : "GET",
    headers: requests ? { "content-type": "application/json" } : undefined,
    requests: requests?.map((body) => ({ body })),
  });
  return { rps: result.requests.average, errors: result.errors + result.non2xx };
}

// wrk's Lua: POST the bodies of a file in turn (none: GET), and print the summary as one JSON line.
const WRK_SCRIPT = `
local bodies = {}
function init(args)
  if args[1] then
    for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
    wrk.method = "POST"
    wrk.headers["content-type"] = "application/json"
  end
end
local i = 0
function request()
  if #bodies == 0 then return wrk.format() end
  i = i + 1
  return wrk.format(nil, nil, nil, bodies[(i % #bodies) + 1])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"us":%d,"p50":%d,"p99":%d,"errors":%d}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout + e.status))
end
`;

/** wrk from Debian; installed here when missing and we may (root), as .ci/install-test-servers.sh does. */
function wrkBinary(): string {
  const found = spawnSync("sh", ["-c", "command -v wrk"]);
  if (found.status === 0) return found.stdout.toString().trim();
  if (process.getuid?.() === 0) {
    console.log("wrk not found: apt-get install wrk");
    const r = spawnSync("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk"], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    if (r.status === 0) return wrkBinary();
  }
  throw new Error("wrk not found: install it with .ci/install-test-servers.sh (apt-get install wrk)");
}

let wrkPath: string | undefined;
let fileCount = 0;

/** One wrk run (one thread): latency percentiles (µs) and requests per second. */
function wrk(url: string, requests: string[] | undefined, connections: number, seconds: number): Load {
  wrkPath ??= wrkBinary();
  const script = path.join(work, "wrk.lua");
  if (!existsSync(script)) writeFileSync(script, WRK_SCRIPT);
  const args = ["-t1", `-c${connections}`, `-d${seconds}s`, "-s", script, url];
  if (requests) {
    const file = path.join(work, `bodies-${fileCount++}.txt`);
    writeFileSync(file, requests.join("\n") + "\n");
    args.push("--", file);
  }
  const r = spawnSync(wrkPath, args, { timeout: (seconds + 30) * 1000 });
  const line = r.stdout?.toString().split("\n").find((l) => l.startsWith("{"));
  if (r.status !== 0 || !line) throw new Error(`wrk ${args.join(" ")} failed: ${r.error?.message ?? r.stderr.toString()}`);
  const out = JSON.parse(line) as { requests: number; us: number; p50: number; p99: number; errors: number };
  return { p50: out.p50, p99: out.p99, rps: out.requests / (out.us / 1e6), errors: out.errors };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

interface Counters {
  /** Predictions served with the manifest's defaults because the store missed its deadline. */
  fallbacks: number;
  /** Rows predicted. */
  predictions: number;
  /** Time in V8's garbage collections, every kind. */
  gcSeconds: number;
  /** Model runs through the micro-batcher, and the rows they took. */
  modelRuns: number;
  batchedRows: number;
}

/** The service's own counters so far, from its /metrics. */
async function counters(service: Server): Promise<Counters> {
  const { status, text } = await request(`${service.adminUrl ?? service.url}/metrics`, undefined, true);
  if (status !== 200) throw new Error(`/metrics answered ${status}`);
  const sum = (name: string, labels = "") =>
    [...text.matchAll(new RegExp(`^${name}\\{${labels}[^}]*\\} (\\S+)$`, "gm"))].reduce((total, m) => total + Number(m[1]), 0);
  return {
    fallbacks: sum("inference_errors_total", 'kind="store_fallback"'),
    predictions: sum("inference_predictions_total"),
    gcSeconds: sum("nodejs_gc_duration_seconds_sum"),
    modelRuns: sum("inference_model_runs_total"),
    batchedRows: sum("inference_batched_rows_total"),
  };
}

/** A child process started with `spawn`, timed until it prints a line matching `done`, then stopped. */
function timeUntil(args: string[], env: NodeJS.ProcessEnv, done: RegExp): Promise<number> {
  const t = process.hrtime.bigint();
  const child = spawnServer(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let ms: number | undefined;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout!.on("data", (d: Buffer) => {
      output += d.toString();
      if (ms === undefined && done.test(output)) {
        ms = Number(process.hrtime.bigint() - t) / 1e6;
        child.kill("SIGTERM");
      }
    });
    child.stderr!.on("data", (d: Buffer) => (output += d.toString()));
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (ms !== undefined) resolve(ms);
      else reject(new Error(`no ${done} before it exited (${code ?? signal}): ${output}`));
    });
  });
}

/** The Lambda entry as the runtime uses it: imported (init), then one ALB event; prints the status. */
const LAMBDA_SCRIPT = `
const [entry, event] = process.argv.slice(1);
const url = require("node:url").pathToFileURL(entry).href;
import(url).then(async (mod) => {
  const handler = mod.handler ?? mod.default.handler;
  const res = await handler(JSON.parse(event), { awsRequestId: "bench", getRemainingTimeInMillis: () => 30000 });
  console.log("lambda status " + res.statusCode);
  process.exit(0);
});
`;

function lambdaEntry(): string {
  const dist = path.join(root, "service", "dist");
  const esm = path.join(dist, "lambda.mjs");
  return existsSync(esm) ? esm : path.join(dist, "lambda.js");
}

interface ColdStart {
  label: string;
  ms: number;
  /** Judged against the goal (the configurations a deployment runs), or shown beside it. */
  goal: boolean;
}

/**
 * Spawn → first prediction, median of `runs`, for the server and the Lambda entry, with the
 * embedded store and, when `redisEnv` is given, with Redis features (what deployments read).
 */
async function coldStart(runs: number, redisEnv: NodeJS.ProcessEnv | undefined): Promise<{ node: number; rows: ColdStart[] }> {
  const nodeTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    if (placement) spawnSync("taskset", ["-c", placement.server, process.execPath, "-e", "0"]);
    else spawnSync(process.execPath, ["-e", "0"]);
    nodeTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  const server = async (env: NodeJS.ProcessEnv) => {
    const t = process.hrtime.bigint();
    const service = await startService(env);
    const status = await once(`${service.url}${PREDICT_PATH}`, bodies[0]);
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    await service.stop();
    if (status !== 200) throw new Error(`first prediction answered ${status}`);
    return ms;
  };
  const entry = lambdaEntry();
  const lambda = (env: NodeJS.ProcessEnv) =>
    timeUntil(["-e", LAMBDA_SCRIPT, entry, JSON.stringify(albEvent(bodies[0]))], { ...env, AWS_LAMBDA_FUNCTION_NAME: "bench", LOG_LEVEL: "warn", NODE_OPTIONS: SERVICE_NODE_OPTIONS }, /lambda status 200/);
  const name = path.relative(root, entry);
  const cases: { label: string; goal: boolean; run: () => Promise<number> }[] = [
    { label: "server, embedded store", goal: true, run: () => server(EMBEDDED) },
    { label: "server, embedded store, gRPC served (GRPC_PORT set)", goal: false, run: () => server({ ...EMBEDDED, [ENV.grpcPort]: "0" }) },
    ...(redisEnv ? [{ label: "server, Redis features", goal: true, run: () => server(redisEnv) }] : []),
    { label: `Lambda entry (${name}), embedded store: init + first event`, goal: true, run: () => lambda(EMBEDDED) },
    ...(redisEnv ? [{ label: `Lambda entry, Redis features: init + first event`, goal: true, run: () => lambda(redisEnv) }] : []),
  ];
  const times = cases.map((): number[] => []);
  // Interleaved, so a slow spell of the machine lands on every case alike.
  for (let i = 0; i < runs; i++) for (const [j, c] of cases.entries()) times[j].push(await c.run());
  return { node: median(nodeTimes), rows: cases.map((c, j) => ({ label: c.label, ms: median(times[j]), goal: c.goal })) };
}

/** A redis-server on a free loopback port holding the sample offline file, as `npm run materialize` writes it. */
async function redisWithFeatures(): Promise<{ server: RedisServer; env: NodeJS.ProcessEnv; summary: string }> {
  const server = await startRedis();
  const env = { [ENV.featureStore]: "redis", [ENV.redisHost]: "127.0.0.1", [ENV.redisPort]: String(server.port) };
  try {
    const config = loadConfig({ ...process.env, ...env });
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

/** A venv under the OS temp dir with `requirements` installed (pip is quick when they already are). */
function venvPython(name: string, requirements: string): string {
  const venv = path.join(os.tmpdir(), `inference-blueprint-${name}-venv`);
  const python = path.join(venv, "bin", "python");
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.error?.message ?? r.stderr.toString().slice(-2000)}`);
  };
  if (!existsSync(python)) run("python3", ["-m", "venv", venv]);
  run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", path.join(PEER_DIR, requirements)]);
  return python;
}

/** A Python peer on a free loopback port; resolves once `probe` answers 200 there. */
async function startPython(
  what: string,
  python: string,
  args: (port: number) => string[],
  probe: (base: string) => { url: string; body: string },
): Promise<{ base: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawnServer(python, args(port), { stdio: ["ignore", "ignore", "pipe"] });
  let output = "";
  child.stderr!.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const base = `http://127.0.0.1:${port}`;
  const { url, body } = probe(base);
  const until = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}: ${output}`);
    const status = await request(url, body, false).then((r) => r.status, () => 0);
    if (status === 200) break;
    if (Date.now() > until) {
      await stopProcess(child);
      throw new Error(`${what} did not answer 200 within 120 s (last ${status}): ${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { base, stop: () => stopProcess(child) };
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
const pct = (share: number) => `${fmt(share * 100, 1)}%`;
const verdict = (ok: boolean) => (ok ? "meets goal" : "MISSES goal");

/** One target's figures from one round: latency at 1 connection, throughput at 32 (wrk). */
interface Round {
  lat: Load;
  load: Load;
}

interface Target {
  title: string;
  url: string;
  /** Request bodies (POST), or none (GET). */
  bodies: string[] | undefined;
}

/**
 * Latency (wrk, 1 connection) and throughput (wrk, 32 connections) of every target in `rounds`
 * rounds, each round measuring all targets back to back: a ratio is taken between figures
 * measured moments apart, and the spread across rounds is printed beside the median.
 */
function measureRounds(targets: Target[], rounds: number, seconds: number): Round[][] {
  for (const t of targets) wrk(t.url, t.bodies, 32, 2); // warm-up: JIT, pools, heap sizes
  const out = targets.map((): Round[] => []);
  for (let r = 0; r < rounds; r++) {
    targets.forEach((t, i) => out[i].push({ lat: wrk(t.url, t.bodies, 1, Math.max(2, seconds / 2)), load: wrk(t.url, t.bodies, 32, seconds) }));
  }
  return out;
}

/** The median and, over several rounds, the range: "263 (250–301)". */
function spread(xs: number[], show: (x: number) => string = (x) => fmt(x)): string {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 1 ? show(s[0]) : `${show(median(s))} (${show(s[0])}–${show(s[s.length - 1])})`;
}

const perRound = (a: Round[], b: Round[], f: (x: Round, y: Round) => number) => a.map((x, i) => f(x, b[i]));

function printTarget(title: string, rounds: Round[], node: Latency, ac: { rps: number; errors: number }): void {
  const errors = rounds.reduce((n, r) => n + r.lat.errors + r.load.errors, 0);
  console.log(title);
  console.log(
    `  latency, 1 connection (µs)   wrk p50 ${spread(rounds.map((r) => r.lat.p50))}  p99 ${spread(rounds.map((r) => r.lat.p99))}   ` +
      `node client p50 ${fmt(node.p50)}  p99 ${fmt(node.p99)}`,
  );
  console.log(`  throughput, 32 connections   wrk ${spread(rounds.map((r) => r.load.rps))} req/s (errors ${errors})   autocannon ${fmt(ac.rps)} req/s (errors ${ac.errors})`);
}

/** The FastAPI peer on the same Redis: its answers must match the service's before it is timed. */
async function measureFastApiPeer(redisPort: number, service: { golden: string[]; rps: number }, n: number, seconds: number): Promise<void> {
  let python: string;
  try {
    python = venvPython("peer", "requirements.txt");
  } catch (err) {
    // A machine without python3 or PyPI access still gets every other figure.
    console.log(`peer: skipped, its venv could not be set up: ${(err as Error).message.split("\n")[0]}`);
    return;
  }
  const peer = await startPython(
    "the FastAPI peer",
    python,
    (port) => [path.join(PEER_DIR, "fastapi_server.py"), "--model-dir", EXAMPLE_MODEL_DIR, "--port", String(port), "--redis-port", String(redisPort)],
    (base) => ({ url: `${base}${PREDICT_PATH}`, body: bodies[0] }),
  );
  try {
    const predictUrl = `${peer.base}${PREDICT_PATH}`;
    const golden = await answers(predictUrl, bodies);
    const differing = golden.filter((answer, i) => !sameAnswer(answer, service.golden[i])).length;
    if (differing > 0) throw new Error(`the FastAPI peer answered ${differing} of ${bodies.length} golden requests differently from the service`);
    const lat = wrk(predictUrl, bodies, 1, Math.max(2, seconds / 2));
    const node = await nodeLatency(predictUrl, bodies, Math.min(n, 2000));
    const load = wrk(predictUrl, bodies, 32, seconds);
    const ratio = service.rps / load.rps;
    console.log("peer: FastAPI + uvicorn + onnxruntime + redis-py, same Redis (same answers to the golden requests)");
    console.log(`  latency, 1 connection (µs)   wrk p50 ${fmt(lat.p50)}  p99 ${fmt(lat.p99)}   node client p50 ${fmt(node.p50)}  p99 ${fmt(node.p99)}`);
    console.log(`  throughput, 32 connections   wrk ${fmt(load.rps)} req/s  (errors ${load.errors})`);
    console.log(`    service with Redis features (median of its rounds) ${fmt(ratio, 2)}× the peer's throughput (goal ≥ ${GOALS.peerThroughput}×: ${verdict(ratio >= GOALS.peerThroughput)})`);
  } finally {
    await peer.stop();
  }
}

/** POST /get-online-features at 1 and 16 connections (wrk). */
function featureServerLoad(url: string, seconds: number): { one: Load; sixteen: Load } {
  return { one: wrk(url, featureBodies, 1, Math.max(2, seconds / 2)), sixteen: wrk(url, featureBodies, 16, seconds) };
}

/**
 * Feast's own feature server (`feast serve`) on the same Redis, registered from the manifest and
 * never materialized: it reads the rows this project's materializer wrote. Its answers are
 * compared with the service's, feature by feature (feast-answers.ts), before it is timed.
 */
async function measureFeastPeer(redisPort: number, service: { answers: string[]; one: Load; sixteen: Load }, seconds: number): Promise<void> {
  let python: string;
  try {
    python = venvPython("feast", "feast-requirements.txt");
  } catch (err) {
    console.log(`peer: Feast skipped, its venv could not be set up: ${(err as Error).message.split("\n")[0]}`);
    return;
  }
  const repo = mkdtempSync(path.join(work, "feast-repo-"));
  const peer = await startPython(
    "feast serve",
    python,
    (port) => [
      path.join(PEER_DIR, "feast_server.py"),
      "--manifest", path.join(EXAMPLE_MODEL_DIR, "manifest.json"),
      "--parquet", path.join(EXAMPLE_MODEL_DIR, "..", "features.parquet"),
      "--redis-port", String(redisPort),
      "--repo", repo,
      "--port", String(port),
    ],
    (base) => ({ url: `${base}${GET_ONLINE_FEATURES_PATH}`, body: featureBodies[0] }),
  );
  try {
    const url = `${peer.base}${GET_ONLINE_FEATURES_PATH}`;
    const feast = await answers(url, featureBodies);
    const { one, sixteen } = featureServerLoad(url, seconds);
    console.log(`peer: Feast's feature server (feast serve, one worker), same Redis, POST ${GET_ONLINE_FEATURES_PATH}, ${onlineFeatures.length} features of one entity`);
    // Printed, not fatal: a compatibility finding to look into, not a reason to lose the figures.
    for (const line of compareWithFeast(featureRequestLabels, service.answers, feast)) console.log(`  ${line}`);
    for (const [label, s, f] of [["1 connection ", service.one, one], ["16 connections", service.sixteen, sixteen]] as const) {
      console.log(
        `  ${label}  service p50 ${fmt(s.p50)} µs  p99 ${fmt(s.p99)} µs  ${fmt(s.rps)} req/s  |  Feast p50 ${fmt(f.p50)} µs  p99 ${fmt(f.p99)} µs  ${fmt(f.rps)} req/s (errors ${f.errors})`,
      );
      console.log(`    service: p50 ${fmt(f.p50 / s.p50, 2)}× lower, p99 ${fmt(f.p99 / s.p99, 2)}× lower, throughput ${fmt(s.rps / f.rps, 2)}× Feast's`);
    }
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
  console.log(`the service runs with NODE_OPTIONS=${SERVICE_NODE_OPTIONS}${process.env.NODE_OPTIONS === undefined ? " (the image's)" : " (this run's, not the image's)"}`);
  if (placement) {
    // Children (wrk, redis-server) inherit this script's core.
    spawnSync("taskset", ["-pc", placement.rest, String(process.pid)]);
    console.log(`placement (taskset): servers under test on core ${placement.server}; this script, autocannon, wrk and redis-server on core ${placement.rest}`);
  } else {
    console.log("placement: not pinned (taskset missing or one core): load generator, Redis and server share the cores");
  }
  const rounds = quick ? 1 : 3;
  const hello = await startHello();
  const embedded = await startService(EMBEDDED);
  const redis = withRedis ? await redisWithFeatures() : undefined;
  const fromRedis = redis ? await startService(redis.env) : undefined;
  try {
    if (redis) console.log(`redis-server on 127.0.0.1:${redis.server.port}, ${redis.summary}`);
    const services = [embedded, ...(fromRedis ? [fromRedis] : [])];
    await Promise.all(services.map((s) => waitReady(s.url)));
    const predictUrl = (s: Server) => `${s.url}${PREDICT_PATH}`;
    const golden = await Promise.all(services.map((s) => answers(predictUrl(s), bodies)));
    if (golden[1]) {
      const differing = bodies.flatMap((body, i) => (golden[1][i] === golden[0][i] ? [] : [`${body}\n  embedded: ${golden[0][i]}\n  Redis:    ${golden[1][i]}`]));
      if (differing.length > 0) {
        const { fallbacks } = await counters(fromRedis!);
        throw new Error(
          `${differing.length} of ${bodies.length} golden requests got a different answer with Redis features than with the embedded store` +
            ` (${fallbacks} Redis predictions fell back to defaults on the store's deadline):\n${differing.slice(0, 3).join("\n")}`,
        );
      }
    }
    const countersBefore = await Promise.all(services.map(counters));
    const targets: Target[] = [
      { title: "floor: Fastify hello-world", url: `${hello.url}/`, bodies: undefined },
      { title: "predict, embedded store", url: predictUrl(embedded), bodies },
      ...(fromRedis ? [{ title: "predict, Redis features", url: predictUrl(fromRedis), bodies }] : []),
    ];
    const measured = measureRounds(targets, rounds, seconds);
    // A Node client (latency) and autocannon (throughput) once per target, beside wrk's figures.
    const node: Latency[] = [];
    const ac: { rps: number; errors: number }[] = [];
    for (const t of targets) {
      node.push(await nodeLatency(t.url, t.bodies, n));
      ac.push(await autocannonLoad(t.url, t.bodies, seconds));
    }
    const countersAfter = await Promise.all(services.map(counters));
    const rss = services.map((s) => rssMb(s.child.pid!));
    console.log(
      `wrk (1 thread): ${rounds} round${rounds > 1 ? "s" : ""}, each measuring every target back to back (1 connection for ` +
        `${Math.max(2, seconds / 2)} s, 32 for ${seconds} s); figures are the median (range) over rounds, ratios taken within a round`,
    );
    const [floor] = measured;
    printTarget(targets[0].title, floor, node[0], ac[0]);
    const goals = [GOALS.latencyEmbedded, GOALS.latencyRedis];
    services.forEach((_, i) => {
      const own = measured[i + 1];
      printTarget(targets[i + 1].title, own, node[i + 1], ac[i + 1]);
      const latency = perRound(own, floor, (x, y) => x.lat.p50 / y.lat.p50);
      console.log(
        `    wrk p50 vs the floor: ${spread(latency, (x) => `${fmt(x, 2)}×`)}; node client p50 ${fmt(node[i + 1].p50 / node[0].p50, 2)}× ` +
          `(goal wrk p50 ≤ ${goals[i]}×: ${verdict(median(latency) <= goals[i])})`,
      );
      const share = perRound(own, floor, (x, y) => x.load.rps / y.load.rps);
      console.log(`    share of the ceiling: wrk ${spread(share, pct)}, autocannon ${pct(ac[i + 1].rps / ac[0].rps)}`);
      if (i === 1) {
        const ofEmbedded = perRound(own, measured[1], (x, y) => x.load.rps / y.load.rps);
        console.log(`    goal ≥ ${pct(GOALS.redisShareOfCeiling)} of the ceiling: ${verdict(median(share) >= GOALS.redisShareOfCeiling)}`);
        console.log(
          `    share of the embedded store's throughput: wrk ${spread(ofEmbedded, pct)}, autocannon ${pct(ac[2].rps / ac[1].rps)} ` +
            `(goal ≥ ${pct(GOALS.redisShareOfEmbedded)}: ${verdict(median(ofEmbedded) >= GOALS.redisShareOfEmbedded)})`,
        );
      }
      const [before, after] = [countersBefore[i], countersAfter[i]];
      const fallbacks = after.fallbacks - before.fallbacks;
      console.log(`  predictions served with defaults because the store missed its deadline: ${fallbacks}${fallbacks > 0 ? " (NOT a store figure)" : ""}`);
      const gcUs = ((after.gcSeconds - before.gcSeconds) * 1e6) / (after.predictions - before.predictions);
      const rowsPerRun = (after.batchedRows - before.batchedRows) / (after.modelRuns - before.modelRuns);
      console.log(`  garbage collection under the load: ${fmt(gcUs, 1)} µs per prediction; model runs took ${fmt(rowsPerRun, 1)} rows each (every load above)`);
      console.log(`  memory, warm RSS after the load: ${fmt(rss[i], 1)} MB (goal ≤ ${GOALS.rssMb} MB: ${verdict(rss[i] <= GOALS.rssMb)})`);
    });
    if (golden[1]) console.log(`the ${bodies.length} golden requests get the same answers from both stores`);
    if (withPeer && redis && fromRedis) {
      const url = `${fromRedis.adminUrl ?? fromRedis.url}${GET_ONLINE_FEATURES_PATH}`;
      const features = { answers: await answers(url, featureBodies), ...featureServerLoad(url, seconds) };
      await measureFastApiPeer(redis.server.port, { golden: golden[1], rps: median(measured[2].map((r) => r.load.rps)) }, n, seconds);
      await measureFeastPeer(redis.server.port, features, seconds);
    }
    const cold = await coldStart(quick ? 3 : 5, redis?.env);
    console.log(`cold start, spawn → first prediction, median of ${quick ? 3 : 5} runs (ms)`);
    console.log(`  node -e 0${" ".repeat(58)}${fmt(cold.node).padStart(6)}`);
    for (const row of cold.rows) {
      const ratio = row.ms / cold.node;
      const judged = row.goal ? ` (goal ≤ ${GOALS.coldStart}×: ${verdict(ratio <= GOALS.coldStart)})` : "";
      console.log(`  ${row.label.padEnd(65)}${fmt(row.ms).padStart(6)}   ratio ${fmt(ratio, 2)}×${judged}`);
    }
  } finally {
    await Promise.all([hello.stop(), embedded.stop(), fromRedis?.stop()]);
    await redis?.server.stop();
  }
  agent.destroy();
}

main().then(
  () => {
    rmSync(work, { recursive: true, force: true });
    process.exit(0);
  },
  (err: unknown) => {
    console.error(`benchmark failed: ${(err as Error).message}`);
    rmSync(work, { recursive: true, force: true });
    process.exit(1);
  },
);
