// AWS's published worked examples, reproduced to the cent from the price table.
import { totalOf } from "../../infra/compare/bill";
import { albLcus, albLines, fargateCompute, lambdaCompute } from "../../infra/compare/cost-model";
import { loadPrices, type PriceTable } from "../../infra/compare/prices";

const prices = loadPrices();
const byItem = (lines: { item: string; usd: number }[]) => Object.fromEntries(lines.map((l) => [l.item, l.usd]));

describe("Lambda pricing page examples (us-east-1)", () => {
  it("3 M requests of 120 ms at 1536 MB on x86 with the free tier: $2.33 compute + $0.40 requests = $2.73", () => {
    const { lines } = lambdaCompute(
      { requests: 3_000_000, durationMs: 120, memoryMb: 1536, architecture: "x86_64", freeTier: true, provisionedConcurrency: 0, provisionedSeconds: 0, activeSeconds: 30 * 86400 },
      prices,
    );
    expect(byItem(lines)).toEqual({ "duration (x86_64)": 2.33, requests: 0.4 });
    expect(totalOf(lines)).toBe(2.73);
  });

  it("30 M requests of 200 ms at 128 MB with the free tier: $5.83 compute + $5.80 requests = $11.63", () => {
    const { lines } = lambdaCompute(
      { requests: 30_000_000, durationMs: 200, memoryMb: 128, architecture: "x86_64", freeTier: true, provisionedConcurrency: 0, provisionedSeconds: 0, activeSeconds: 30 * 86400 },
      prices,
    );
    expect(byItem(lines)).toEqual({ "duration (x86_64)": 5.83, requests: 5.8 });
    expect(totalOf(lines)).toBe(11.63);
  });

  it("3 M requests of 1 s at 512 MB: $18.34 + $0.40 = $18.74 at the $0.00001667/GB-s the example quotes", () => {
    // The page's example rounds the GB-second price to $0.00001667; the table holds the billed $0.0000166667.
    const quoted: PriceTable = structuredClone(prices);
    quoted.lambda.duration.x86_64.tiers[0]!.usd = 0.00001667;
    const { lines } = lambdaCompute(
      { requests: 3_000_000, durationMs: 1000, memoryMb: 512, architecture: "x86_64", freeTier: true, provisionedConcurrency: 0, provisionedSeconds: 0, activeSeconds: 30 * 86400 },
      quoted,
    );
    expect(totalOf(lines)).toBe(18.74);
    // At the billed price the same usage is a cent less, which is why the table keeps the full figure.
    const billed = lambdaCompute(
      { requests: 3_000_000, durationMs: 1000, memoryMb: 512, architecture: "x86_64", freeTier: true, provisionedConcurrency: 0, provisionedSeconds: 0, activeSeconds: 30 * 86400 },
      prices,
    );
    expect(totalOf(billed.lines)).toBe(18.73);
  });

  it("provisioned concurrency 1000 at 1024 MB for 2 hours, 1.2 M requests of 1 s: $30.00 + $11.67 + $0.24 = $41.91", () => {
    const { lines } = lambdaCompute(
      { requests: 1_200_000, durationMs: 1000, memoryMb: 1024, architecture: "x86_64", freeTier: true, provisionedConcurrency: 1000, provisionedSeconds: 7200, activeSeconds: 7200 },
      prices,
    );
    expect(byItem(lines)).toEqual({
      "provisioned concurrency": 30.0,
      "duration on provisioned concurrency": 11.67,
      requests: 0.24,
    });
    expect(totalOf(lines)).toBe(41.91);
  });
});

describe("Fargate pricing page example (us-east-1)", () => {
  it("5 tasks × 10 min/day × 30 days, 1 vCPU, 2 GB, x86, 30 GB ephemeral: $1.01 + $0.22 + $0.03 = $1.26", () => {
    const taskHours = (5 * 10 * 30) / 60;
    const lines = fargateCompute({ taskHours, vcpu: 1, memoryGb: 2, architecture: "x86_64", spotShare: 0, ephemeralGb: 30 }, prices);
    expect(lines.map((l) => l.usd)).toEqual([1.01, 0.22, 0.03]);
    expect(totalOf(lines)).toBe(1.26);
  });
});

describe("Elastic Load Balancing pricing page, Application Load Balancer example (us-east-1)", () => {
  // 1 new connection/s lasting 2 minutes, 5 requests/s, 300 KB/s processed, 60 rules; 30-day month.
  const lcu = albLcus(
    { newConnectionsPerSecond: 1, activeConnectionsPerMinute: 120, processedGbPerHour: (300_000 * 3600) / 1e9, requestsPerSecond: 5, rules: 60, lambdaTarget: false },
    prices,
  );

  it("bills the largest of the four dimensions: processed bytes, 1.08 LCU", () => {
    expect(lcu.dimensions.newConnections).toBeCloseTo(0.04, 10);
    expect(lcu.dimensions.activeConnections).toBeCloseTo(0.04, 10);
    expect(lcu.dimensions.ruleEvaluations).toBeCloseTo(0.25, 10);
    expect(lcu.lcus).toBeCloseTo(1.08, 10);
  });

  it("720 hours: $16.20 hourly charge + $6.22 LCU charge = $22.42", () => {
    const lines = albLines(720, lcu.lcus * 720, prices);
    expect(lines.map((l) => l.usd)).toEqual([16.2, 6.22]);
    expect(totalOf(lines)).toBe(22.42);
  });

  it("a Lambda target uses 0.4 GB per LCU for processed bytes", () => {
    const lambda = albLcus({ newConnectionsPerSecond: 0, activeConnectionsPerMinute: 0, processedGbPerHour: 1.08, requestsPerSecond: 0, rules: 1, lambdaTarget: true }, prices);
    expect(lambda.lcus).toBeCloseTo(2.7, 10);
  });
});
