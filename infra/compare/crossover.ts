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

/** A span of request rates, bounds refined by bisection to a relative width of 1e-6. */
export interface RateRange {
  from: number;
  to: number;
}

/**
 * Every span of the grid where `a` costs more than `b`. A range that starts at the grid's first
 * rate means `a` already costs more there; one that ends at the last rate, that it still does.
 */
export function rangesAbove(a: CostCurve, b: CostCurve, grid: readonly number[]): RateRange[] {
  const above = (rps: number) => a(rps) > b(rps);
  const edge = (lo: number, hi: number, wasAbove: boolean): number => {
    while (hi / lo - 1 > 1e-6) {
      const mid = Math.sqrt(lo * hi);
      if (above(mid) === wasAbove) lo = mid;
      else hi = mid;
    }
    return hi;
  };
  const out: RateRange[] = [];
  let start: number | undefined = above(grid[0] as number) ? (grid[0] as number) : undefined;
  for (let i = 1; i < grid.length; i++) {
    const lo = grid[i - 1] as number;
    const hi = grid[i] as number;
    const now = above(hi);
    if (now === (start !== undefined)) continue;
    const at = edge(lo, hi, start !== undefined);
    if (now) start = at;
    else {
      out.push({ from: start as number, to: at });
      start = undefined;
    }
  }
  if (start !== undefined) out.push({ from: start, to: grid[grid.length - 1] as number });
  return out;
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
