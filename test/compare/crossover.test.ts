import { cheapestChanges, firstRateAbove, logGrid, summarizeCrossovers } from "../../infra/compare/crossover";

describe("crossover search", () => {
  const grid = logGrid(0.01, 10_000, 50);

  it("finds where a pay-per-request line crosses a fixed-cost one", () => {
    const curves = { perRequest: (r: number) => 2 * r, fixed: (r: number) => 100 + 0.1 * r };
    const [x] = cheapestChanges(curves, grid);
    expect(x).toMatchObject({ from: "perRequest", to: "fixed" });
    expect(x!.requestsPerSecond).toBeCloseTo(100 / 1.9, 3);
    expect(firstRateAbove(curves.perRequest, curves.fixed, grid)).toBeCloseTo(100 / 1.9, 3);
  });

  it("reports nothing when one option is cheapest everywhere", () => {
    expect(cheapestChanges({ a: (r) => r, b: (r) => r + 1 }, grid)).toEqual([]);
    expect(firstRateAbove((r) => r, (r) => r + 1, grid)).toBeUndefined();
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
