// Where the cheapest option changes as traffic grows. Costs are step functions of the request rate
// (a task is added whole), so the search samples a log-spaced grid and then bisects each interval
// in which the cheapest option changed, down to a relative width of 1e-6.

export type CostCurve = (requestsPerSecond: number) => number;

export interface Crossover {
  /** The first rate (to the search's precision) at which `to` is cheaper than `from`. */
  requestsPerSecond: number;
  from: string;
  to: string;
}

/** `n` rates spaced evenly on a log scale from `min` to `max` inclusive. */
export function logGrid(min: number, max: number, n: number): number[] {
  if (!(min > 0) || !(max > min) || n < 2) throw new RangeError(`logGrid: expected 0 < min < max and n ≥ 2, got ${min}, ${max}, ${n}`);
  const a = Math.log(min);
  const b = Math.log(max);
  return Array.from({ length: n }, (_, i) => (i === 0 ? min : i === n - 1 ? max : Math.exp(a + ((b - a) * i) / (n - 1))));
}

/** The cheapest curve at a rate; ties go to the option listed first. */
export function cheapestAt(curves: Record<string, CostCurve>, rps: number): string {
  let best = "";
  let bestCost = Number.POSITIVE_INFINITY;
  for (const [name, curve] of Object.entries(curves)) {
    const c = curve(rps);
    if (c < bestCost) {
      best = name;
      bestCost = c;
    }
  }
  return best;
}

export function cheapestChanges(curves: Record<string, CostCurve>, grid: readonly number[]): Crossover[] {
  const out: Crossover[] = [];
  let prevRps = grid[0] as number;
  let prev = cheapestAt(curves, prevRps);
  for (const rps of grid.slice(1)) {
    const now = cheapestAt(curves, rps);
    if (now !== prev) {
      let lo = prevRps;
      let hi = rps;
      while (hi / lo - 1 > 1e-6) {
        const mid = Math.sqrt(lo * hi);
        if (cheapestAt(curves, mid) === prev) lo = mid;
        else hi = mid;
      }
      out.push({ requestsPerSecond: hi, from: prev, to: cheapestAt(curves, hi) });
      prev = now;
    }
    prevRps = rps;
  }
  return out;
}

/** The first rate on the grid (refined) at which `a` costs more than `b`; undefined if never. */
export function firstRateAbove(a: CostCurve, b: CostCurve, grid: readonly number[]): number | undefined {
  let prevRps: number | undefined;
  for (const rps of grid) {
    if (a(rps) > b(rps)) {
      if (prevRps === undefined) return rps;
      let lo = prevRps;
      let hi = rps;
      while (hi / lo - 1 > 1e-6) {
        const mid = Math.sqrt(lo * hi);
        if (a(mid) > b(mid)) hi = mid;
        else lo = mid;
      }
      return hi;
    }
    prevRps = rps;
  }
  return undefined;
}

export interface CrossoverSummary extends Crossover {
  /** When two options keep trading places (each adds capacity in steps): the last change and how many. */
  alternating?: { until: number; changes: number };
}

/** Folds runs of two options trading places back and forth into one entry. */
export function summarizeCrossovers(crossovers: readonly Crossover[]): CrossoverSummary[] {
  const out: CrossoverSummary[] = [];
  for (const c of crossovers) {
    const last = out[out.length - 1];
    const samePair = last && ((last.from === c.to && last.to === c.from) || (last.from === c.from && last.to === c.to));
    if (last && samePair) {
      last.alternating = { until: c.requestsPerSecond, changes: (last.alternating?.changes ?? 1) + 1 };
    } else {
      out.push({ ...c });
    }
  }
  return out;
}
