import { cheapestChanges, logGrid, rangesAbove, summarizeCrossovers, type CostCurve } from "../../infra/compare/crossover";
import type { Comparison } from "../../infra/compare/comparison";
import { lambdaVersusText } from "../../infra/compare/report";

describe("crossover search", () => {
  const grid = logGrid(0.01, 10_000, 50);

  it("finds where a pay-per-request line crosses a fixed-cost one", () => {
    const curves = { perRequest: (r: number) => 2 * r, fixed: (r: number) => 100 + 0.1 * r };
    const [x] = cheapestChanges(curves, grid);
    expect(x).toMatchObject({ from: "perRequest", to: "fixed" });
    expect(x!.requestsPerSecond).toBeCloseTo(100 / 1.9, 3);
    const [above] = rangesAbove(curves.perRequest, curves.fixed, grid);
    expect(above!.from).toBeCloseTo(100 / 1.9, 3);
    expect(above!.to).toBe(10_000);
  });

  it("reports nothing when one option is cheapest everywhere", () => {
    expect(cheapestChanges({ a: (r) => r, b: (r) => r + 1 }, grid)).toEqual([]);
    expect(rangesAbove((r) => r, (r) => r + 1, grid)).toEqual([]);
  });

  it("finds the step at which a whole task is added", () => {
    const steps = { tasks: (r: number) => 50 * Math.ceil(r / 300), flat: () => 120 };
    const [x] = cheapestChanges(steps, grid);
    expect(x).toMatchObject({ from: "tasks", to: "flat" });
    expect(x!.requestsPerSecond).toBeCloseTo(600, 2);
  });

  it("folds two options trading places into one entry", () => {
    const s = summarizeCrossovers([
      { requestsPerSecond: 1, from: "a", to: "b" },
      { requestsPerSecond: 900, from: "b", to: "c" },
      { requestsPerSecond: 1200, from: "c", to: "b" },
      { requestsPerSecond: 2100, from: "b", to: "c" },
    ]);
    expect(s).toEqual([
      { requestsPerSecond: 1, from: "a", to: "b" },
      { requestsPerSecond: 900, from: "b", to: "c", alternating: { until: 2100, changes: 3 } },
    ]);
  });

  it("spaces the grid on a log scale and keeps both ends exact", () => {
    const g = logGrid(1, 100, 3);
    expect(g[0]).toBe(1);
    expect(g[1]).toBeCloseTo(10, 10);
    expect(g[2]).toBe(100);
  });
});

describe("where one option costs more than another", () => {
  const grid = logGrid(0.01, 5000, 120);
  const range = { minRps: 0.01, maxRps: 5000 };
  const comparison = { range } as Comparison;
  // Dearer at low rates (a per-request price above the other's fixed cost), cheaper above 50 rps.
  const startsDearer: CostCurve = (r) => 100 - r;
  const flat: CostCurve = () => 50;

  it("a curve that starts out dearer and turns cheaper costs more only below the crossing", () => {
    const ranges = rangesAbove(startsDearer, flat, grid);
    expect(ranges).toHaveLength(1);
    expect(ranges[0]!.from).toBe(0.01);
    expect(ranges[0]!.to).toBeCloseTo(50, 3);
  });

  it("the sentence says below N rps, never across the whole range, when the options cross", () => {
    const text = lambdaVersusText({ lambda: "Lambda + ALB (lambda)", other: "X (x)", costsMore: rangesAbove(startsDearer, flat, grid) }, comparison);
    expect(text).toBe("Lambda + ALB (lambda) costs more than X (x) below 50.0 rps, cheaper above");
    expect(text).not.toMatch(/whole range/);
  });

  it("says across the whole range only when it is dearer at every rate, and names each span of a back-and-forth", () => {
    expect(lambdaVersusText({ lambda: "a", other: "b", costsMore: rangesAbove(() => 60, flat, grid) }, comparison)).toBe("a costs more than b across the whole range");
    const bump: CostCurve = (r) => (r > 1 && r < 10 ? 60 : 40);
    const spans = rangesAbove(bump, flat, grid);
    expect(spans).toHaveLength(1);
    expect(lambdaVersusText({ lambda: "a", other: "b", costsMore: spans }, comparison)).toBe("a costs more than b between 1.0 and 10.0 rps");
    expect(lambdaVersusText({ lambda: "a", other: "b", costsMore: [] }, comparison)).toBe("a stays cheaper than b up to 5000 rps");
  });
});
