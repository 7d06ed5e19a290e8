// `npm run compare` and `npm run cost`: price every stack, or one target from flags. Mistakes in
// what the user asked for end in one message and exit code 2, never a stack trace.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { BlueprintConfigError, validateConfig } from "../config";
import { COMPUTE_TARGETS, type ComputeTargetKind } from "../compute/target";
import { renderSvg } from "./chart";
import { compareStacks, workloadFor, type TrafficOverrides } from "./comparison";
import { CostModelError, optionsFor, priceOption } from "./cost-model";
import { CompareError } from "./errors";
import { loadPrices, PriceTableError, type PriceTable } from "./prices";
import { comparisonReport, estimateTable, workloadLine, type ReportFormat } from "./report";
import { readStacks, STACKS_DIR, type Stack } from "./stacks";
import { readUsageFile, type UsageFile } from "./usage-file";
import { DEFAULT_HOURS_PER_MONTH, LIMITS, type Month } from "./workload";

export const DEFAULT_CHART = "cost-vs-rps.svg";

const USAGE = `usage:
  npm run compare [-- --rps N] [--peak-rps N] [--duration-ms N] [--stack NAME ...] [--stacks DIR] [--usage FILE]
                  [--prices FILE] [--hours-per-month N] [--as-of YYYY-MM-DD] [--max-rps N] [--chart PATH | --no-chart]
                  [--detail] [--format text|markdown | --json]
  npm run cost -- <lambda|fargate|ec2|eks> (--rps N | --requests-per-month N | --usage FILE) [--peak-rps N]
                  [--duration-ms N] [--active-hours N] [--per-task-rps N] [--architecture x86_64|arm64]
                  [--memory-mb N] [--cpu N] [--instance-type T] [--spot-percent N] [--provisioned-concurrency N]
                  [--min-count N] [--nat none|single|onePerAz] [--feature-store embedded|redis|keyspaces|dynamodb]
                  [--redis-node T] [--free-tier] [--prices FILE] [--hours-per-month N] [--as-of YYYY-MM-DD]
                  [--format text|markdown | --json]`;

/** A numeric flag, refused when it is not a number in range. */
function numberFlag(name: string, value: string | undefined, min: number, max: number, integer = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new CompareError(`--${name} "${value}": expected ${integer ? "an integer" : "a number"} from ${min} to ${max}`);
  }
  return n;
}

function parse(argv: string[], options: NonNullable<ParseArgsConfig["options"]>) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CompareError(`${(e as Error).message}\n${USAGE}`);
  }
}

const common = {
  rps: { type: "string" },
  "peak-rps": { type: "string" },
  "as-of": { type: "string" },
  format: { type: "string" },
  "duration-ms": { type: "string" },
  usage: { type: "string" },
  prices: { type: "string" },
  "hours-per-month": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The month priced: its length, and the day it is priced as of (today unless --as-of says). */
function month(values: Record<string, unknown>, usage: UsageFile | undefined): Month {
  const asOf = (values["as-of"] as string | undefined) ?? new Date().toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || Number.isNaN(Date.parse(asOf))) throw new CompareError(`--as-of "${asOf}": expected a date YYYY-MM-DD`);
  return { hours: numberFlag("hours-per-month", values["hours-per-month"] as string | undefined, 1, LIMITS.hoursPerMonth) ?? usage?.hoursPerMonth ?? DEFAULT_HOURS_PER_MONTH, asOf };
}

function reportFormat(values: Record<string, unknown>): ReportFormat {
  const f = (values.format as string | undefined) ?? "text";
  if (f !== "text" && f !== "markdown") throw new CompareError(`--format "${f}": expected text or markdown (or --json for the plain objects)`);
  if (values.json && values.format !== undefined) throw new CompareError("pass --format or --json, not both");
  return f;
}

function trafficFlags(values: Record<string, unknown>): TrafficOverrides {
  return {
    requestsPerSecond: numberFlag("rps", values.rps as string | undefined, 0, LIMITS.requestsPerSecond),
    meanDurationMs: numberFlag("duration-ms", values["duration-ms"] as string | undefined, 0.001, LIMITS.meanDurationMs),
    peakRequestsPerSecond: numberFlag("peak-rps", values["peak-rps"] as string | undefined, 0, LIMITS.requestsPerSecond),
  };
}

export async function compareCommand(argv: string[], print: (s: string) => void): Promise<void> {
  const { values, positionals } = parse(argv, {
    ...common,
    stack: { type: "string", multiple: true },
    stacks: { type: "string" },
    "max-rps": { type: "string" },
    chart: { type: "string" },
    "no-chart": { type: "boolean" },
    detail: { type: "boolean" },
  });
  if (values.help) return print(USAGE);
  if (positionals.length > 0) throw new CompareError(`compare takes no positional arguments, got ${positionals.join(" ")}\n${USAGE}`);
  const format = reportFormat(values);
  const usage = values.usage ? readUsageFile(values.usage as string) : undefined;
  const m = month(values, usage);
  const prices = loadPrices(values.prices as string | undefined);
  const stacks = readStacks((values.stacks as string | undefined) ?? STACKS_DIR, values.stack as string[] | undefined);
  const maxRps = numberFlag("max-rps", values["max-rps"] as string | undefined, 1, LIMITS.requestsPerSecond) ?? 5000;
  const comparison = compareStacks(stacks, usage, trafficFlags(values), m, prices, { minRps: Math.min(0.01, maxRps / 10), maxRps, points: 120 });
  const regions = new Set(stacks.map((s) => s.region).filter((r): r is string => r !== undefined && r !== prices.region));
  let chartPath: string | undefined;
  if (!values["no-chart"]) {
    chartPath = path.resolve((values.chart as string | undefined) ?? DEFAULT_CHART);
    const svg = await renderSvg({
      title: "Monthly cost against request rate",
      subtitle: `${prices.region} prices of ${prices.retrieved}, as of ${comparison.prices.asOf}; each stack's sizing, duration and requests per task`,
      series: comparison.series,
      crossovers: comparison.groups.flatMap((g) => g.crossovers.map((x) => ({ ...x, group: g.title.replace(/^Feature store: /, "") }))),
    });
    fs.mkdirSync(path.dirname(chartPath), { recursive: true });
    fs.writeFileSync(chartPath, svg);
  }
  if (values.json) {
    const { series, ...rest } = comparison;
    void series;
    return print(JSON.stringify({ ...rest, chart: chartPath }, null, 2));
  }
  print(comparisonReport(comparison, { format, detail: values.detail === true, chartPath }));
  if (regions.size > 0) print(`\nnote: stacks deploy to ${[...regions].join(", ")} but the prices are ${prices.region}'s; pass --prices <file> for that region`);
}

/** Stack config set from `cost` flags, merged over the usage file's `platform`. */
function platformFromFlags(target: ComputeTargetKind, v: Record<string, unknown>, usage: UsageFile | undefined, prices: PriceTable): Record<string, unknown> {
  const raw: Record<string, unknown> = structuredClone(usage?.platform ?? {});
  raw.computeTarget = target;
  const section = (key: string): Record<string, unknown> => {
    const existing = raw[key];
    const obj = typeof existing === "object" && existing !== null ? (existing as Record<string, unknown>) : {};
    raw[key] = obj;
    return obj;
  };
  const str = (k: string) => v[k] as string | undefined;
  const n = (k: string, min: number, max: number, integer = true) => numberFlag(k, str(k), min, max, integer);
  if (str("architecture")) {
    raw.architecture = str("architecture");
    // validateConfig checks every target's instance types against the architecture; for the
    // targets not being priced, take a type of that architecture from the price table.
    const fitting = Object.entries(prices.ec2.instances).find(([, spec]) => spec.architecture === raw.architecture)?.[0];
    for (const other of ["ec2", "eks"] as const) {
      if (other === target || fitting === undefined) continue;
      const sec = section(other);
      if (other === "ec2" && sec.instanceType === undefined) sec.instanceType = fitting;
      if (other === "eks" && sec.instanceTypes === undefined) sec.instanceTypes = [fitting];
    }
  }
  if (str("nat")) raw.natStrategy = str("nat");
  if (str("feature-store")) raw.featureStore = str("feature-store");
  if (str("redis-node")) section("redis").nodeType = str("redis-node");
  const own = section(target);
  const memory = n("memory-mb", 128, 1_000_000);
  if (memory !== undefined) own.memoryMb = memory;
  const cpu = n("cpu", 1, 1_000_000);
  if (cpu !== undefined) own[target === "eks" ? "cpuMillis" : "cpu"] = cpu;
  if (str("instance-type")) {
    if (target === "ec2") own.instanceType = str("instance-type");
    else if (target === "eks") own.instanceTypes = [str("instance-type")];
    else throw new CompareError(`--instance-type applies to ec2 and eks, not ${target}`);
  }
  const spot = n("spot-percent", 0, 100);
  if (spot !== undefined) own.spotPercent = spot;
  const pc = n("provisioned-concurrency", 0, 100_000);
  if (pc !== undefined) own.provisionedConcurrency = pc;
  const min = n("min-count", 0, 10_000);
  if (min !== undefined) own.scaling = { ...(own.scaling as object | undefined), minCount: min };
  return raw;
}

export function costCommand(argv: string[], print: (s: string) => void): void {
  const { values, positionals } = parse(argv, {
    ...common,
    "requests-per-month": { type: "string" },
    "active-hours": { type: "string" },
    "per-task-rps": { type: "string" },
    architecture: { type: "string" },
    "memory-mb": { type: "string" },
    cpu: { type: "string" },
    "instance-type": { type: "string" },
    "spot-percent": { type: "string" },
    "provisioned-concurrency": { type: "string" },
    "min-count": { type: "string" },
    nat: { type: "string" },
    "feature-store": { type: "string" },
    "redis-node": { type: "string" },
    "free-tier": { type: "boolean" },
  });
  if (values.help) return print(USAGE);
  const [target, ...extra] = positionals;
  if (target === undefined) throw new CompareError(`cost: name a target, one of ${COMPUTE_TARGETS.join(", ")}\n${USAGE}`);
  if (!(COMPUTE_TARGETS as readonly string[]).includes(target)) throw new CompareError(`unknown target "${target}": expected one of ${COMPUTE_TARGETS.join(", ")}`);
  if (extra.length > 0) throw new CompareError(`cost takes one target, got also ${extra.join(" ")}`);
  const kind = target as ComputeTargetKind;
  const format = reportFormat(values);
  const usage = values.usage ? readUsageFile(values.usage as string) : undefined;
  const m = month(values, usage);
  const prices = loadPrices(values.prices as string | undefined);
  let config;
  try {
    config = validateConfig(platformFromFlags(kind, values, usage, prices));
  } catch (e) {
    if (e instanceof BlueprintConfigError) throw new CompareError(`cost ${kind}:\n  - ${e.problems.join("\n  - ")}`);
    throw e;
  }
  const flags = trafficFlags(values);
  const perMonth = numberFlag("requests-per-month", values["requests-per-month"] as string | undefined, 0, 1e13);
  if (perMonth !== undefined && flags.requestsPerSecond !== undefined) throw new CompareError("pass --rps or --requests-per-month, not both");
  const activeHours = numberFlag("active-hours", values["active-hours"] as string | undefined, 0, 24);
  const perTask = numberFlag("per-task-rps", values["per-task-rps"] as string | undefined, 0.001, LIMITS.requestsPerTaskPerSecond);
  const traffic = { ...config.traffic };
  if (usage?.traffic?.activeHoursPerDay !== undefined) traffic.activeHoursPerDay = usage.traffic.activeHoursPerDay;
  if (activeHours !== undefined) traffic.activeHoursPerDay = activeHours;
  if (perTask !== undefined) traffic.requestsPerTaskPerSecond = perTask;
  const mergedUsage: UsageFile = {
    ...usage,
    traffic: { ...usage?.traffic, ...(activeHours !== undefined ? { activeHoursPerDay: activeHours } : {}), ...(perTask !== undefined ? { requestsPerTaskPerSecond: perTask } : {}) },
    usage: { ...usage?.usage, ...(values["free-tier"] ? { lambdaFreeTier: true } : {}) },
  };
  if (perMonth !== undefined) {
    mergedUsage.traffic = { ...mergedUsage.traffic, requestsPerMonth: perMonth };
    delete mergedUsage.traffic.requestsPerSecond;
  }
  const statesTraffic = flags.requestsPerSecond !== undefined || perMonth !== undefined || usage?.traffic?.requestsPerSecond !== undefined || usage?.traffic?.requestsPerMonth !== undefined;
  if (!statesTraffic) throw new CompareError(`cost ${kind}: missing traffic profile: pass --rps N or --requests-per-month N, or a --usage file with traffic`);
  const stack: Stack = { name: "flags", file: "(command line)", config: { ...config, traffic }, region: undefined, statesTraffic: true };
  const workload = workloadFor(stack, mergedUsage, flags, m);
  const estimates = optionsFor(kind).map((o) => priceOption(o, workload, config, m, prices));
  if (values.json) {
    return print(JSON.stringify({ prices: { region: prices.region, retrieved: prices.retrieved, asOf: m.asOf }, hoursPerMonth: m.hours, workload, estimates }, null, 2));
  }
  print(`${kind}: ${workloadLine(workload)}; ${prices.region} prices of ${prices.retrieved}, ${m.hours}-hour month, as of ${m.asOf}\n`);
  print(estimates.map((e) => estimateTable(e, format)).join("\n\n"));
}

/** Runs a command; returns the exit code (2 for anything the user can fix). */
export async function main(argv: string[], print = (s: string) => console.log(s), printError = (s: string) => console.error(s)): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "compare") await compareCommand(rest, print);
    else if (command === "cost") costCommand(rest, print);
    else throw new CompareError(`unknown command "${command ?? ""}": expected compare or cost\n${USAGE}`);
    return 0;
  } catch (e) {
    if (e instanceof CompareError || e instanceof CostModelError || e instanceof PriceTableError) {
      printError(`error: ${e.message}`);
      return 2;
    }
    printError(`internal error: ${(e as Error).message ?? String(e)} (please report it)`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
