// Service benchmarks, each beside its floor measured in the same run on this machine:
//   latency   predict p50/p99 at 1 connection      vs Fastify hello-world   goal ≤ 5×
//   throughput predict req/s under load             vs hello-world ceiling   goal ≥ 20%
//   cold start spawn → first prediction             vs `node -e 0`          goal ≤ 6×
//   memory    warm RSS after the load               —                        goal ≤ 150 MB
// Run: `npm run bench` (builds the service first). Loopback only; every loop is bounded.
// FEATURE_STORE and its settings pass through to the service (default: the embedded store).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as http from "node:http";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import autocannon from "autocannon";

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

const startService = (env: NodeJS.ProcessEnv = {}) => startProcess([serverJs], { LOG_LEVEL: "info", ...env });
const startHello = () => startProcess(["-r", "ts-node/register/transpile-only", path.join(__dirname, "hello-server.ts")]);

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function once(url: string, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: body ? "POST" : "GET", agent, headers: body ? { "content-type": "application/json" } : {} },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
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
    const server = await startService();
    const status = await once(`${server.url}/v1/models/fraud:predict`, bodies[0]);
    serviceTimes.push(Number(process.hrtime.bigint() - t) / 1e6);
    await server.stop();
    if (status !== 200) throw new Error(`first prediction answered ${status}`);
  }
  return { node: median(nodeTimes), service: median(serviceTimes) };
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);
const verdict = (ok: boolean) => (ok ? "meets goal" : "MISSES goal");

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const n = quick ? 2000 : 10_000;
  const seconds = quick ? 3 : 8;
  const hello = await startHello();
  const service = await startService();
  const predictUrl = `${service.url}/v1/models/fraud:predict`;
  try {
    const floor = await latency(`${hello.url}/`, false, n);
    const predict = await latency(predictUrl, true, n);
    console.log(`latency, 1 connection, ${n} requests (µs)`);
    console.log(`  hello-world   p50 ${fmt(floor.p50)}  p99 ${fmt(floor.p99)}`);
    console.log(`  predict       p50 ${fmt(predict.p50)}  p99 ${fmt(predict.p99)}`);
    const ratio = predict.p50 / floor.p50;
    console.log(`  ratio p50 ${fmt(ratio, 2)}×, p99 ${fmt(predict.p99 / floor.p99, 2)}× (goal p50 ≤ 5×: ${verdict(ratio <= 5)})`);

    const ceiling = await throughput(`${hello.url}/`, false, seconds);
    const load = await throughput(predictUrl, true, seconds);
    console.log(`throughput, 32 connections, ${seconds} s (req/s)`);
    console.log(`  hello-world   ${fmt(ceiling.rps)}  (errors ${ceiling.errors})`);
    console.log(`  predict       ${fmt(load.rps)}  (errors ${load.errors})`);
    const share = load.rps / ceiling.rps;
    console.log(`  ratio ${fmt(share * 100, 1)}% of the ceiling (goal ≥ 20%: ${verdict(share >= 0.2)})`);

    const rss = rssMb(service.child.pid!);
    console.log(`memory, warm RSS after the load: ${fmt(rss, 1)} MB (goal ≤ 150 MB: ${verdict(rss <= 150)})`);
  } finally {
    await hello.stop();
    await service.stop();
    agent.destroy();
  }
  const cold = await coldStart(quick ? 3 : 5);
  console.log(`cold start, median of runs (ms)`);
  console.log(`  node -e 0                        ${fmt(cold.node)}`);
  console.log(`  spawn → first prediction          ${fmt(cold.service)}`);
  console.log(`  ratio ${fmt(cold.service / cold.node, 2)}× (goal ≤ 6×: ${verdict(cold.service / cold.node <= 6)})`);
}

main().catch((err: unknown) => {
  console.error(`benchmark failed: ${(err as Error).message}`);
  process.exit(1);
});
