// `npm run compare` without the terminal: every stack priced at its traffic profile, the curves of
// cost against request rate, and the rates where the cheapest option changes.
import type { Estimate, PricedOption } from "./bill";
import type { ChartSeries } from "./chart";
import { optionsFor, priceOption } from "./cost-model";
import { cheapestChanges, firstRateAbove, logGrid, type CostCurve, type Crossover } from "./crossover";
import { CompareError } from "./errors";
import type { PriceTable } from "./prices";
import type { Stack } from "./stacks";
import type { UsageFile } from "./usage-file";
import { USAGE_DEFAULTS, workloadProblems, type Month, type Workload } from "./workload";

export interface TrafficOverrides {
  requestsPerSecond?: number;
  meanDurationMs?: number;
}

export interface StackEstimate {
  stack: string;
  target: Stack["config"]["computeTarget"];
  workload: Workload;
  estimates: Estimate[];
}

export interface Comparison {
  prices: { region: string; retrieved: string };
  hoursPerMonth: number;
  stacks: StackEstimate[];
  /** Where the cheapest option changes, searched between minRps and maxRps. */
  crossovers: Crossover[];
  /** For each container option: the rate above which Lambda (behind the ALB) costs more. */
  lambdaLosesTo: { option: string; requestsPerSecond: number | undefined }[];
  range: { minRps: number; maxRps: number };
  series: ChartSeries[];
}

/** The workload a stack is priced at: its traffic block, then the usage file, then flags. */
export function workloadFor(stack: Stack, usage: UsageFile | undefined, flags: TrafficOverrides, month: Month): Workload {
  const t = usage?.traffic ?? {};
  const traffic = { ...stack.config.traffic };
  if (t.meanDurationMs !== undefined) traffic.meanDurationMs = t.meanDurationMs;
  if (t.activeHoursPerDay !== undefined) traffic.activeHoursPerDay = t.activeHoursPerDay;
  if (t.requestsPerTaskPerSecond !== undefined) traffic.requestsPerTaskPerSecond = t.requestsPerTaskPerSecond;
  if (t.requestsPerSecond !== undefined) traffic.requestsPerSecond = t.requestsPerSecond;
  if (t.requestsPerMonth !== undefined) traffic.requestsPerSecond = perSecond(t.requestsPerMonth, traffic.activeHoursPerDay, month);
  if (flags.requestsPerSecond !== undefined) traffic.requestsPerSecond = flags.requestsPerSecond;
  if (flags.meanDurationMs !== undefined) traffic.meanDurationMs = flags.meanDurationMs;
  if (!stack.statesTraffic && usage?.traffic === undefined && flags.requestsPerSecond === undefined) {
    throw new CompareError(`stack "${stack.name}" (${stack.file}) has no traffic profile: add "inference-blueprint:traffic" (requestsPerSecond, meanDurationMs, activeHoursPerDay, requestsPerTaskPerSecond), or pass --rps or --usage`);
  }
  const w: Workload = { ...USAGE_DEFAULTS, ...usage?.usage, ...traffic };
  const problems = workloadProblems(w, month);
  if (problems.length > 0) throw new CompareError(`stack "${stack.name}": ${problems.join("; ")}`);
  return w;
}

/** Mean requests per second over the active hours of a month with `requestsPerMonth`. */
export function perSecond(requestsPerMonth: number, activeHoursPerDay: number, month: Month): number {
  const activeSeconds = ((month.hours * activeHoursPerDay) / 24) * 3600;
  if (activeSeconds === 0) throw new CompareError("requestsPerMonth needs activeHoursPerDay above 0");
  return requestsPerMonth / activeSeconds;
}

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

  // One curve per option; the first stack of a target stands for it.
  const curves: Record<string, CostCurve> = {};
  const byOption = new Map<PricedOption, string>();
  for (const { stack, workload, estimates } of priced) {
    for (const e of estimates) {
      const name = priced.filter((p) => p.stack.config.computeTarget === stack.config.computeTarget).length > 1 ? `${e.label} (${stack.name})` : e.label;
      if (curves[name]) continue;
      curves[name] = (rps: number) => priceOption(e.option, { ...workload, requestsPerSecond: rps }, stack.config, month, prices).totalUsd;
      if (!byOption.has(e.option)) byOption.set(e.option, name);
    }
  }
  const grid = logGrid(range.minRps, range.maxRps, range.points);
  const crossovers = cheapestChanges(curves, grid);
  const lambdaName = byOption.get("lambda-alb");
  const lambdaLosesTo = lambdaName
    ? (["fargate", "ec2", "eks", "lambda-httpapi"] as const)
        .filter((o) => byOption.has(o))
        .map((o) => {
          const other = byOption.get(o) as string;
          return { option: other, requestsPerSecond: firstRateAbove(curves[lambdaName] as CostCurve, curves[other] as CostCurve, grid) };
        })
    : [];
  const chartGrid = logGrid(range.minRps, range.maxRps, 60);
  const series = Object.entries(curves).map(([name, curve]) => ({
    name,
    points: chartGrid.map((rps) => ({ requestsPerSecond: rps, usd: curve(rps) })),
  }));
  return {
    prices: { region: prices.region, retrieved: prices.retrieved },
    hoursPerMonth: month.hours,
    stacks: priced.map(({ stack, workload, estimates }) => ({ stack: stack.name, target: stack.config.computeTarget, workload, estimates })),
    crossovers,
    lambdaLosesTo,
    range: { minRps: range.minRps, maxRps: range.maxRps },
    series,
  };
}
