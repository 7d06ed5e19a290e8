// `npm run loadtest -- --url <url> | --stack <name> --outputs <file> | --local`: drives the predict
// endpoint with realistic requests at a fixed rate or concurrency and reports latency percentiles,
// throughput and errors; --local also measures the Lambda entry's cold init in-process. The
// throughput of one local process is the figure to use as `traffic.requestsPerTaskPerSecond`.
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import type { Context } from "aws-lambda";
import type * as ConfigModule from "../service/src/config";
import type * as LambdaModule from "../service/src/lambda-handler";
import type * as ServerModule from "../service/src/server";
import { isLoopback, predictRequests, readManifest, type PredictRequest } from "./loadtest-requests";

const MAX_DURATION_S = 120;
const DIST = path.resolve(__dirname, "..", "service", "dist");

class UsageError extends Error {}

const USAGE = `usage: npm run loadtest -- (--url URL | --stack NAME --outputs FILE | --local)
                            [--rate N | --connections N] [--duration S] [--json]`;

export interface LoadResult {
  target: string;
  mode: string;
  durationSeconds: number;
  requests: number;
  requestsPerSecond: number;
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
  /** A second event on the now-warm handler. */
  warmEventMs: number;
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

function albEvent(req: PredictRequest) {
  return {
    requestContext: { elb: { targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/loadtest/0" } },
    httpMethod: req.method,
    path: req.path,
    queryStringParameters: {},
    headers: req.headers,
    body: req.body,
    isBase64Encoded: false,
  };
}

/** Cold init of the Lambda entry in this process: module load, handler creation, first event. */
export async function measureColdStart(requests: PredictRequest[], config: ConfigModule.ServiceConfig): Promise<ColdStart> {
  const t0 = performance.now();
  const lambda = requireDist<typeof LambdaModule>("lambda-handler");
  const t1 = performance.now();
  const handler = await lambda.createLambdaHandler(config);
  const t2 = performance.now();
  const context = { awsRequestId: "loadtest", functionName: "loadtest", getRemainingTimeInMillis: () => 10_000 } as unknown as Context;
  const first = await handler(albEvent(requests[0] as PredictRequest) as never, context);
  const t3 = performance.now();
  if (first.statusCode !== 200) throw new Error(`Lambda entry answered ${first.statusCode} to the first event: ${first.body}`);
  await handler(albEvent(requests[1 % requests.length] as PredictRequest) as never, context);
  const t4 = performance.now();
  return { moduleLoadMs: t1 - t0, initMs: t2 - t1, firstEventMs: t3 - t2, totalMs: t3 - t0, warmEventMs: t4 - t3 };
}

export async function drive(url: string, requests: PredictRequest[], opts: { rate?: number; connections: number; duration: number }): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: opts.connections,
    duration: opts.duration,
    ...(opts.rate !== undefined ? { overallRate: opts.rate } : {}),
    requests: requests.map((r) => ({ method: r.method, path: r.path, headers: r.headers, body: r.body })),
    // The generator runs in its own thread so a local server keeps its event loop to itself.
    workers: 1,
  });
  return {
    target: url,
    mode: opts.rate !== undefined ? `${opts.rate} req/s over ${opts.connections} connections` : `${opts.connections} connections, closed loop`,
    durationSeconds: opts.duration,
    requests: result.requests.total,
    requestsPerSecond: result.requests.average,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, mean: result.latency.average },
    errors: result.errors,
    non2xx: result.non2xx,
    timeouts: result.timeouts,
  };
}

function report(r: LoadResult, cold: ColdStart | undefined, perProcess: boolean): string {
  const f = (n: number) => n.toFixed(1);
  const lines = [
    `target ${r.target}: ${r.mode}, ${r.durationSeconds} s`,
    `  latency ms  p50 ${f(r.latencyMs.p50)}  p90 ${f(r.latencyMs.p90)}  p99 ${f(r.latencyMs.p99)}  max ${f(r.latencyMs.max)}`,
    `  throughput  ${f(r.requestsPerSecond)} req/s (${r.requests} requests)`,
    `  errors      ${r.errors} connection errors, ${r.non2xx} non-2xx, ${r.timeouts} timeouts`,
  ];
  if (perProcess) lines.push(`  one process sustains ${f(r.requestsPerSecond)} req/s: use it as inference-blueprint:traffic.requestsPerTaskPerSecond (with headroom)`);
  if (cold) {
    lines.push(
      `Lambda entry cold init (in-process): ${f(cold.totalMs)} ms = module load ${f(cold.moduleLoadMs)} + model/feature store init ${f(cold.initMs)} + first event ${f(cold.firstEventMs)}; warm event ${f(cold.warmEventMs)} ms`,
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
      },
    });
    const targets = [values.url !== undefined, values.stack !== undefined, values.local === true].filter(Boolean).length;
    if (targets !== 1) throw new UsageError(`choose one target: --url, --stack or --local\n${USAGE}`);
    const rate = num("rate", values.rate, 1, 100_000);
    const connections = num("connections", values.connections, 1, 1000) ?? (rate !== undefined ? Math.min(100, Math.max(1, Math.ceil(rate / 100))) : 10);
    const duration = num("duration", values.duration, 1, MAX_DURATION_S) ?? 10;
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
      if (values.json) console.log(JSON.stringify({ ...result, coldStart: cold, requestsPerTaskPerSecond: values.local ? result.requestsPerSecond : undefined }, null, 2));
      else console.log(report(result, cold, values.local === true));
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
