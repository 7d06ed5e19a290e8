// `npm run loadtest -- --url <url> | --stack <name> --outputs <file> | --local`: drives the predict
// endpoint with realistic requests at a fixed rate or concurrency and reports latency percentiles
// (microsecond resolution), throughput and errors; --local also measures the Lambda entry's cold
// init and warm duration in-process. With --local, --json prints (and --usage-out writes) a usage
// file `npm run compare -- --usage` reads: the measured throughput scaled to one task's vCPU share
// as `traffic.requestsPerTaskPerSecond`, the warm Lambda duration as `traffic.meanDurationMs`.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import type autocannon from "autocannon";
import { DEFAULTS as PLATFORM_DEFAULTS } from "../infra/config";
import type { UsageFile } from "../infra/compare/usage-file";
import type { Context } from "aws-lambda";
import type * as ConfigModule from "../service/src/config";
import type * as LambdaModule from "../service/src/lambda-handler";
import type * as ServerModule from "../service/src/server";
import { albEvent } from "../test/service/lambda-events";
import { isLoopback, predictRequests, readManifest, type PredictRequest } from "./loadtest-requests";

const MAX_DURATION_S = 120;
const DIST = path.resolve(__dirname, "..", "service", "dist");

class UsageError extends Error {}

const USAGE = `usage: npm run loadtest -- (--url URL | --stack NAME --outputs FILE | --local)
                            [--rate N | --connections N] [--duration S] [--json]
                            [--usage-out FILE] [--task-vcpu N]    (--local: a usage file for npm run compare)`;

/** Warm events through the Lambda entry whose mean is the Lambda duration (billed per ms). */
const LAMBDA_WARM_EVENTS = 50;

export interface LoadResult {
  target: string;
  mode: string;
  durationSeconds: number;
  requests: number;
  requestsPerSecond: number;
  /** From a microsecond histogram of the 2xx responses, in fractional milliseconds. */
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  errors: number;
  non2xx: number;
  timeouts: number;
}

export interface ColdStart {
  /** require() of the built Lambda entry and everything it imports. */
  moduleLoadMs: number;
  /** createLambdaHandler: model and feature store loaded. */
  initMs: number;
  /** The first event answered, after init. */
  firstEventMs: number;
  totalMs: number;
  /** Mean of the warm events after the first: the duration Lambda bills per request. */
  warmEventMs: number;
  warmEvents: number;
}

function num(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} "${v}": expected a number from ${min} to ${max}`);
  return n;
}

/** The URL a deployed stack exposes, from `pulumi stack output --json` saved to a file. */
export function stackUrl(stack: string, outputsFile: string | undefined): string {
  if (!outputsFile) {
    throw new UsageError(
      `--stack ${stack} needs the stack's URL, and there is no Pulumi CLI here to ask: run \`pulumi stack output --json --stack ${stack} > ${stack}-outputs.json\` where Pulumi is installed and pass --outputs ${stack}-outputs.json (or pass --url)`,
    );
  }
  let outputs: unknown;
  try {
    outputs = JSON.parse(fs.readFileSync(outputsFile, "utf8"));
  } catch (e) {
    throw new UsageError(`--outputs ${outputsFile}: expected the JSON of \`pulumi stack output --json\` (${(e as Error).message})`);
  }
  const url = (outputs as { url?: unknown } | null)?.url;
  if (typeof url !== "string") throw new UsageError(`--outputs ${outputsFile} has no "url" output; expected the stack's \`url\` export`);
  return url;
}

function requireDist<T>(module: string): T {
  const file = path.join(DIST, `${module}.js`);
  if (!fs.existsSync(file)) throw new UsageError(`${file} is missing: run \`npm run build\` (npm run loadtest does it first)`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as T;
}

const albEventOf = (req: PredictRequest) => albEvent(req.body, { method: req.method, path: req.path, headers: req.headers });

/** Cold init of the Lambda entry in this process: module load, handler creation, first event. */
export async function measureColdStart(
  requests: PredictRequest[],
  config: ConfigModule.ServiceConfig,
  loadLambda: () => Pick<typeof LambdaModule, "createLambdaHandler"> = () => requireDist<typeof LambdaModule>("lambda-handler"),
): Promise<ColdStart> {
  const t0 = performance.now();
  const lambda = loadLambda();
  const t1 = performance.now();
  const handler = await lambda.createLambdaHandler(config);
  const t2 = performance.now();
  const context = { awsRequestId: "loadtest", functionName: "loadtest", getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
  const first = await handler(albEventOf(requests[0] as PredictRequest), context);
  const t3 = performance.now();
  if (first.statusCode !== 200) throw new Error(`Lambda entry answered ${first.statusCode} to the first event: ${first.body}`);
  for (let i = 1; i <= LAMBDA_WARM_EVENTS; i++) await handler(albEventOf(requests[i % requests.length] as PredictRequest), context);
  const t4 = performance.now();
  await handler.close(); // its store client would otherwise keep the process alive
  return { moduleLoadMs: t1 - t0, initMs: t2 - t1, firstEventMs: t3 - t2, totalMs: t3 - t0, warmEventMs: (t4 - t3) / LAMBDA_WARM_EVENTS, warmEvents: LAMBDA_WARM_EVENTS };
}

/**
 * The load generator runs in its own thread (so a local server keeps its event loop to itself) and
 * records every 2xx latency in microseconds: autocannon's own histogram keeps whole milliseconds,
 * which reads "0.0" for a sub-millisecond service.
 */
const GENERATOR = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHistogram, performance } = require("node:perf_hooks");
const autocannon = require(workerData.autocannon);
// Inside a worker thread autocannon hands back its raw, unaggregated result: count here.
const us = createHistogram();
let responses = 0;
let non2xx = 0;
const started = performance.now();
const instance = autocannon(workerData.options, (error, result) => {
  if (error) return parentPort.postMessage({ error: String(error.message || error) });
  const seconds = (performance.now() - started) / 1000;
  parentPort.postMessage({
    result: { requestsPerSecond: responses / seconds, total: responses, errors: result.errors, non2xx, timeouts: result.timeouts },
    us: us.count === 0 ? null : { p50: us.percentile(50), p90: us.percentile(90), p99: us.percentile(99), max: us.max, mean: us.mean },
  });
});
instance.on("response", (_client, statusCode, _bytes, ms) => {
  responses++;
  if (statusCode >= 200 && statusCode < 300) us.record(Math.max(1, Math.round(ms * 1000)));
  else non2xx++;
});
`;

interface GeneratorReply {
  error?: string;
  result?: { requestsPerSecond: number; total: number; errors: number; non2xx: number; timeouts: number };
  us?: { p50: number; p90: number; p99: number; max: number; mean: number } | null;
}

export async function drive(url: string, requests: PredictRequest[], opts: { rate?: number; connections: number; duration: number }): Promise<LoadResult> {
  const options: autocannon.Options = {
    url,
    connections: opts.connections,
    duration: opts.duration,
    ...(opts.rate !== undefined ? { overallRate: opts.rate } : {}),
    requests: requests.map((r) => ({ method: r.method, path: r.path, headers: r.headers, body: r.body })),
  };
  const worker = new Worker(GENERATOR, { eval: true, workerData: { autocannon: require.resolve("autocannon"), options } });
  const reply = await new Promise<GeneratorReply>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  }).finally(() => worker.terminate());
  if (reply.error || !reply.result) throw new Error(`load generator failed: ${reply.error ?? "no result"}`);
  const ms = (us: number) => us / 1000;
  const l = reply.us;
  return {
    target: url,
    mode: opts.rate !== undefined ? `${opts.rate} req/s over ${opts.connections} connections` : `${opts.connections} connections, closed loop`,
    durationSeconds: opts.duration,
    requests: reply.result.total,
    requestsPerSecond: reply.result.requestsPerSecond,
    latencyMs: l ? { p50: ms(l.p50), p90: ms(l.p90), p99: ms(l.p99), max: ms(l.max), mean: ms(l.mean) } : { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 },
    errors: reply.result.errors,
    non2xx: reply.result.non2xx,
    timeouts: reply.result.timeouts,
  };
}

/** How the measured throughput becomes one task's: by the task's share of the measuring machine's cores. */
export interface TaskScaling {
  taskVcpu: number;
  machineCores: number;
}

/**
 * The usage file a local run yields. One process on a machine with `machineCores` cores may use
 * more than one core (event loop, onnxruntime's threads), so its throughput is scaled by the
 * task's vCPU over those cores: a conservative per-task figure.
 */
export function usageFromLoadtest(r: LoadResult, cold: ColdStart | undefined, scaling: TaskScaling): UsageFile {
  const share = Math.min(1, scaling.taskVcpu / scaling.machineCores);
  const perTask = Number((r.requestsPerSecond * share).toFixed(2));
  const usage: UsageFile = {
    measured: {
      tool: "npm run loadtest -- --local",
      target: r.target,
      mode: r.mode,
      durationSeconds: r.durationSeconds,
      requests: r.requests,
      requestsPerSecond: r.requestsPerSecond,
      latencyMs: r.latencyMs,
      errors: r.errors,
      non2xx: r.non2xx,
      timeouts: r.timeouts,
      coldStart: cold,
      scaling: `requestsPerTaskPerSecond = ${r.requestsPerSecond.toFixed(1)} req/s measured × (${scaling.taskVcpu} task vCPU / ${scaling.machineCores} cores) = ${perTask}`,
    },
  };
  if (perTask > 0) usage.traffic = { requestsPerTaskPerSecond: perTask };
  if (cold && cold.warmEventMs > 0) usage.traffic = { ...usage.traffic, meanDurationMs: Number(cold.warmEventMs.toFixed(3)) };
  return usage;
}

export function report(r: LoadResult, cold: ColdStart | undefined, usage: UsageFile | undefined): string {
  const f = (n: number) => n.toFixed(1);
  const lat = (n: number) => n.toFixed(3);
  const lines = [
    `target ${r.target}: ${r.mode}, ${r.durationSeconds} s`,
    `  latency ms  p50 ${lat(r.latencyMs.p50)}  p90 ${lat(r.latencyMs.p90)}  p99 ${lat(r.latencyMs.p99)}  max ${lat(r.latencyMs.max)}  mean ${lat(r.latencyMs.mean)}`,
    `  throughput  ${f(r.requestsPerSecond)} req/s (${r.requests} requests)`,
    `  errors      ${r.errors} connection errors, ${r.non2xx} non-2xx, ${r.timeouts} timeouts`,
  ];
  if (cold) {
    lines.push(
      `Lambda entry cold init (in-process): ${f(cold.totalMs)} ms = module load ${f(cold.moduleLoadMs)} + model/feature store init ${f(cold.initMs)} + first event ${f(cold.firstEventMs)}; warm event ${lat(cold.warmEventMs)} ms (mean of ${cold.warmEvents})`,
    );
  }
  if (usage?.traffic) {
    lines.push(
      `For npm run compare (--usage-out FILE writes it): requestsPerTaskPerSecond ${usage.traffic.requestsPerTaskPerSecond} (${String(usage.measured?.scaling)}), meanDurationMs ${usage.traffic.meanDurationMs} (the warm Lambda event)`,
    );
  }
  return lines.join("\n");
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        url: { type: "string" },
        stack: { type: "string" },
        outputs: { type: "string" },
        local: { type: "boolean" },
        rate: { type: "string" },
        connections: { type: "string" },
        duration: { type: "string" },
        json: { type: "boolean" },
        "usage-out": { type: "string" },
        "task-vcpu": { type: "string" },
      },
    });
    const targets = [values.url !== undefined, values.stack !== undefined, values.local === true].filter(Boolean).length;
    if (targets !== 1) throw new UsageError(`choose one target: --url, --stack or --local\n${USAGE}`);
    const rate = num("rate", values.rate, 1, 100_000);
    const connections = num("connections", values.connections, 1, 1000) ?? (rate !== undefined ? Math.min(100, Math.max(1, Math.ceil(rate / 100))) : 10);
    const duration = num("duration", values.duration, 1, MAX_DURATION_S) ?? 10;
    const taskVcpu = num("task-vcpu", values["task-vcpu"], 0.125, 192) ?? PLATFORM_DEFAULTS.fargate.cpu / 1024;
    if (values["usage-out"] !== undefined && !values.local) throw new UsageError(`--usage-out needs --local: only a local run measures one process\n${USAGE}`);
    const manifest = readManifest();
    const requests = predictRequests(manifest);

    let url: string | undefined = values.url ?? (values.stack !== undefined ? stackUrl(values.stack, values.outputs) : undefined);
    let cold: ColdStart | undefined;
    let server: ServerModule.RunningServer | undefined;
    if (values.local) {
      const { loadConfig } = requireDist<typeof ConfigModule>("config");
      // The embedded defaults, whatever this shell's environment says.
      const config = { ...loadConfig({}), host: "127.0.0.1", port: 0, logLevel: "silent" as const };
      cold = await measureColdStart(requests, config);
      server = await requireDist<typeof ServerModule>("server").startServer(config);
      url = server.url;
    }
    const target = new URL(url as string);
    if (!isLoopback(target)) {
      throw new UsageError(`${target.host} is not a loopback address: this load test only drives 127.0.0.0/8, localhost or ::1 from here; run it where the stack's URL is yours to load`);
    }
    try {
      const result = await drive(target.origin, requests, { rate, connections, duration });
      // Always a valid usage file; only a local run states the per-task traffic figures.
      const usage = values.local ? usageFromLoadtest(result, cold, { taskVcpu, machineCores: os.availableParallelism() }) : { measured: { ...result } };
      if (values["usage-out"]) fs.writeFileSync(values["usage-out"], `${JSON.stringify(usage, null, 2)}\n`);
      if (values.json) console.log(JSON.stringify(usage, null, 2));
      else console.log(report(result, cold, values.local ? usage : undefined));
      return result.requestsPerSecond > 0 ? 0 : 1;
    } finally {
      await server?.close();
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`error: ${(e as Error).message}`);
      return 2;
    }
    console.error(`error: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
