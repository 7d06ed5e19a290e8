// `npm run compare` without the terminal: every stack priced at its traffic profile, the curves of
// cost against request rate, and the rates where the cheapest option changes. Options are compared
// only with options that serve from the same feature store: a compute choice and a feature-store
// choice are different decisions, and mixing them would rank Keyspaces against Redis as if it
// were a compute target.
import * as fs from "node:fs";
import * as path from "node:path";
import { loadManifest, modelPackageDir } from "../model-package";
import { dynamodbItemBytes, onlineViews } from "./dynamodb-items";
import { FEATURE_STORE_LABELS, OPTION_LABELS, type Estimate, type FeatureStoreKind, type PricedOption } from "./bill";
import type { ChartSeries } from "./chart";
import { optionsFor, priceOption } from "./cost-model";
import { cheapestChanges, logGrid, rangesAbove, type CostCurve, type Crossover, type RateRange } from "./crossover";
import { CompareError } from "./errors";
import type { TrafficProfile } from "../config";
import { unconfirmedFigures, type PriceTable } from "./prices";
import type { Stack } from "./stacks";
import type { UsageFile } from "./usage-file";
import { USAGE_DEFAULTS, workloadProblems, type Month, type Workload } from "./workload";

export interface TrafficOverrides {
  requestsPerSecond?: number;
  meanDurationMs?: number;
  peakRequestsPerSecond?: number;
}

export interface StackEstimate {
  stack: string;
  target: Stack["config"]["computeTarget"];
  workload: Workload;
  estimates: Estimate[];
}

/** How one Lambda option fares against another option of the same feature store. */
export interface LambdaVersus {
  lambda: string;
  other: string;
  /** Where the Lambda option costs more; empty when it never does in the range. */
  costsMore: RateRange[];
}

export interface StoreGroup {
  featureStore: FeatureStoreKind;
  title: string;
  /** Curve names (`stack: label`) in this group. */
  options: string[];
  /** Where the cheapest option of the group changes, searched between minRps and maxRps. */
  crossovers: Crossover[];
  lambdaVersus: LambdaVersus[];
}

export interface Comparison {
  /** `unconfirmed`: the figures marked "check" in the price table. */
  prices: { region: string; retrieved: string; asOf: string; unconfirmed: string[] };
  hoursPerMonth: number;
  stacks: StackEstimate[];
  groups: StoreGroup[];
  range: { minRps: number; maxRps: number };
  series: ChartSeries[];
}

/** The workload a stack is priced at: its traffic block, then the usage file, then flags. */
export function workloadFor(stack: Stack, usage: UsageFile | undefined, flags: TrafficOverrides, month: Month): Workload {
  const t = usage?.traffic ?? {};
  const traffic: TrafficProfile & Pick<Workload, "peakRequestsPerSecond"> = { ...stack.config.traffic };
  if (t.meanDurationMs !== undefined) traffic.meanDurationMs = t.meanDurationMs;
  if (t.activeHoursPerDay !== undefined) traffic.activeHoursPerDay = t.activeHoursPerDay;
  if (t.requestsPerTaskPerSecond !== undefined) traffic.requestsPerTaskPerSecond = t.requestsPerTaskPerSecond;
  if (t.requestsPerSecond !== undefined) traffic.requestsPerSecond = t.requestsPerSecond;
  if (t.requestsPerMonth !== undefined) traffic.requestsPerSecond = perSecond(t.requestsPerMonth, traffic.activeHoursPerDay, month);
  if (t.peakRequestsPerSecond !== undefined) traffic.peakRequestsPerSecond = t.peakRequestsPerSecond;
  if (flags.requestsPerSecond !== undefined) traffic.requestsPerSecond = flags.requestsPerSecond;
  if (flags.meanDurationMs !== undefined) traffic.meanDurationMs = flags.meanDurationMs;
  if (flags.peakRequestsPerSecond !== undefined) traffic.peakRequestsPerSecond = flags.peakRequestsPerSecond;
  if (!stack.statesTraffic && usage?.traffic === undefined && flags.requestsPerSecond === undefined) {
    throw new CompareError(`stack "${stack.name}" (${stack.file}) has no traffic profile: add "inference-blueprint:traffic" (requestsPerSecond, meanDurationMs, activeHoursPerDay, requestsPerTaskPerSecond), or pass --rps or --usage`);
  }
  const w: Workload = { ...USAGE_DEFAULTS, ...dynamodbItemsOf(stack), ...usage?.usage, ...traffic };
  const problems = workloadProblems(w, month);
  if (problems.length > 0) throw new CompareError(`stack "${stack.name}": ${problems.join("; ")}`);
  return w;
}

/**
 * A DynamoDB stack's item size and items per prediction from its model's manifest; nothing (the
 * usage defaults) when the stack has no DynamoDB or its package is not built.
 */
export function dynamodbItemsOf(stack: Stack): Partial<Workload> {
  if (!stack.config.provisionDynamoDB) return {};
  const dir = modelPackageDir(stack.config.modelName, stack.config.modelVersion);
  if (!fs.existsSync(path.join(dir, "manifest.json"))) return {};
  const manifest = loadManifest(dir);
  const views = onlineViews(manifest);
  if (views.length === 0) return { dynamodbItemsPerRequest: 0 };
  return { dynamodbItemBytes: Math.max(...views.map((v) => dynamodbItemBytes(manifest, v))), dynamodbItemsPerRequest: views.length };
}

/** Mean requests per second over the active hours of a month with `requestsPerMonth`. */
export function perSecond(requestsPerMonth: number, activeHoursPerDay: number, month: Month): number {
  const activeSeconds = ((month.hours * activeHoursPerDay) / 24) * 3600;
  if (activeSeconds === 0) throw new CompareError("requestsPerMonth needs activeHoursPerDay above 0");
  return requestsPerMonth / activeSeconds;
}

/** The same workload at another mean rate; a stated peak keeps its ratio to the mean. */
export function atRate(w: Workload, rps: number): Workload {
  const peakRatio = w.peakRequestsPerSecond !== undefined && w.requestsPerSecond > 0 ? w.peakRequestsPerSecond / w.requestsPerSecond : undefined;
  return { ...w, requestsPerSecond: rps, ...(peakRatio !== undefined ? { peakRequestsPerSecond: rps * peakRatio } : {}) };
}

/** One stack's option within its feature-store group, e.g. "ECS Fargate (fargate-prod)". */
export function curveName(stack: string, option: PricedOption): string {
  return `${OPTION_LABELS[option]} (${stack})`;
}

const LAMBDA_OPTIONS: readonly PricedOption[] = ["lambda-alb", "lambda-httpapi"];

export function compareStacks(
  stacks: Stack[],
  usage: UsageFile | undefined,
  flags: TrafficOverrides,
  month: Month,
  prices: PriceTable,
  range = { minRps: 0.01, maxRps: 5000, points: 120 },
): Comparison {
  const priced = stacks.map((stack) => {
    const workload = workloadFor(stack, usage, flags, month);
    const estimates = optionsFor(stack.config.computeTarget).map((o) => priceOption(o, workload, stack.config, month, prices));
    return { stack, workload, estimates };
  });

  // One curve per stack and option; the step costs (whole tasks) are kept as the chart's steps.
  const curves = new Map<string, { label: string; curve: CostCurve; featureStore: FeatureStoreKind; option: PricedOption; stack: Stack; workload: Workload }>();
  for (const { stack, workload, estimates } of priced) {
    for (const e of estimates) {
      curves.set(`${curveName(stack.name, e.option)} · ${e.featureStore}`, {
        label: curveName(stack.name, e.option),
        curve: (rps: number) => priceOption(e.option, atRate(workload, rps), stack.config, month, prices).totalUsd,
        featureStore: e.featureStore,
        option: e.option,
        stack,
        workload,
      });
    }
  }
  const grid = logGrid(range.minRps, range.maxRps, range.points);
  const stores = [...new Set([...curves.values()].map((c) => c.featureStore))];
  const groups: StoreGroup[] = stores.map((featureStore) => {
    const members = [...curves.values()].filter((c) => c.featureStore === featureStore).map((c) => [c.label, c] as const);
    const groupCurves = Object.fromEntries(members.map(([name, c]) => [name, c.curve]));
    const lambdaVersus: LambdaVersus[] = [];
    for (const [lambda, l] of members) {
      if (l.option !== "lambda-alb") continue;
      for (const [other, o] of members) {
        if (LAMBDA_OPTIONS.includes(o.option)) continue;
        lambdaVersus.push({ lambda, other, costsMore: rangesAbove(l.curve, o.curve, grid) });
      }
    }
    return {
      featureStore,
      title: `Feature store: ${FEATURE_STORE_LABELS[featureStore]}`,
      options: members.map(([name]) => name),
      crossovers: members.length > 1 ? cheapestChanges(groupCurves, grid) : [],
      lambdaVersus,
    };
  });

  const series: ChartSeries[] = [...curves.values()].map((c) => ({
    name: `${OPTION_LABELS[c.option]} · ${FEATURE_STORE_LABELS[c.featureStore]} (${c.stack.name})`,
    featureStore: c.featureStore,
    points: chartPoints(c.curve, range.minRps, range.maxRps),
    capacityLimit: capacityLimit(c.option, c.stack, c.workload),
  }));
  return {
    prices: { region: prices.region, retrieved: prices.retrieved, asOf: month.asOf ?? prices.retrieved, unconfirmed: unconfirmedFigures(prices) },
    hoursPerMonth: month.hours,
    stacks: priced.map(({ stack, workload, estimates }) => ({ stack: stack.name, target: stack.config.computeTarget, workload, estimates })),
    groups,
    range: { minRps: range.minRps, maxRps: range.maxRps },
    series,
  };
}

/**
 * Points for a step curve: a log grid plus, at every step in cost (a task, instance or node added
 * whole), the rates just before and at the step, so the chart draws steps and not slopes between
 * samples. Each interval is narrowed to its steepest part; a rise that survives a 1e-5 relative
 * width is a step, not the per-request slope.
 */
function chartPoints(curve: CostCurve, minRps: number, maxRps: number): { requestsPerSecond: number; usd: number }[] {
  const grid = logGrid(minRps, maxRps, 200);
  const points = [{ requestsPerSecond: grid[0] as number, usd: curve(grid[0] as number) }];
  for (const rps of grid.slice(1)) {
    const prev = points[points.length - 1] as { requestsPerSecond: number; usd: number };
    let lo = prev.requestsPerSecond;
    let hi = rps;
    while (hi / lo - 1 > 1e-5) {
      const mid = Math.sqrt(lo * hi);
      const cm = curve(mid);
      if (cm - curve(lo) >= curve(hi) - cm) hi = mid;
      else lo = mid;
    }
    const [atLo, atHi] = [curve(lo), curve(hi)];
    if (atHi - atLo > 0.5) points.push({ requestsPerSecond: lo, usd: atLo }, { requestsPerSecond: hi, usd: atHi });
    points.push({ requestsPerSecond: rps, usd: curve(rps) });
  }
  return points;
}

/** The rate above which a container option needs more tasks than its autoscaling maximum allows. */
function capacityLimit(option: PricedOption, stack: Stack, w: Workload): { requestsPerSecond: number; setting: string } | undefined {
  const peakRatio = w.peakRequestsPerSecond !== undefined && w.requestsPerSecond > 0 ? w.peakRequestsPerSecond / w.requestsPerSecond : 1;
  const c = stack.config;
  const max = option === "fargate" ? c.fargate.scaling.maxCount : option === "ec2" ? c.ec2.scaling.maxCount : option === "eks" ? c.eks.scaling.maxCount : undefined;
  if (max === undefined) return undefined;
  return { requestsPerSecond: (max * w.requestsPerTaskPerSecond) / peakRatio, setting: `${option}.scaling.maxCount ${max}` };
}
