// The cost model on the blueprint's own choices: capacity from requests per task, active hours,
// front doors, shared services and validation.
import { DEFAULTS } from "../../infra/config";
import { priceOption, tasksFor } from "../../infra/compare/cost-model";
import { loadPrices, mergeOverride, parsePriceTable, PriceTableError } from "../../infra/compare/prices";
import { roundToCent, totalOf } from "../../infra/compare/bill";
import { USAGE_DEFAULTS, workloadProblems, type Platform, type Workload } from "../../infra/compare/workload";

const prices = loadPrices();
const month = { hours: 730 };
const platform: Platform = { ...DEFAULTS, provisionRedis: true, provisionKeyspaces: false };
const workload = (over: Partial<Workload> = {}): Workload => ({ ...USAGE_DEFAULTS, ...DEFAULTS.traffic, ...over });
const item = (lines: { service: string; item: string; usd: number; quantity: number }[], service: string, prefix: string) =>
  lines.find((l) => l.service === service && l.item.startsWith(prefix));

describe("rounding as AWS bills", () => {
  it("rounds each line half-up to the cent and sums the rounded lines", () => {
    expect(roundToCent(0.125)).toBe(0.13);
    expect(roundToCent(0.02775)).toBe(0.03);
    expect(totalOf([{ service: "a", item: "x", quantity: 1, unit: "u", usd: 0.1 }, { service: "a", item: "y", quantity: 1, unit: "u", usd: 0.2 }])).toBe(0.3);
  });
});

describe("container capacity", () => {
  it("runs enough tasks for the load and never fewer than the autoscaling minimum", () => {
    expect(tasksFor(0, 300, 1)).toBe(1);
    expect(tasksFor(300, 300, 1)).toBe(1);
    expect(tasksFor(301, 300, 1)).toBe(2);
    expect(tasksFor(10, 300, 3)).toBe(3);
  });

  it("Fargate task-hours follow the active hours: busy tasks by day, the minimum at night", () => {
    const pl: Platform = { ...platform, fargate: { ...platform.fargate, scaling: { ...platform.fargate.scaling, minCount: 1, maxCount: 10 } } };
    const e = priceOption("fargate", workload({ requestsPerSecond: 900, requestsPerTaskPerSecond: 300, activeHoursPerDay: 12 }), pl, month, prices);
    // 3 tasks × 365 h + 1 task × 365 h = 1460 task-hours of 0.25 vCPU.
    expect(item(e.lines, "Fargate", "vCPU-hours")?.quantity).toBeCloseTo(1460 * 0.25, 6);
    expect(e.notes.join(" ")).toContain("3 task(s)");
  });

  it("says when the traffic needs more tasks than scaling.maxCount allows", () => {
    const e = priceOption("fargate", workload({ requestsPerSecond: 3000, requestsPerTaskPerSecond: 300 }), platform, month, prices);
    expect(e.notes.join(" ")).toMatch(/10 tasks needed but fargate.scaling.maxCount is 4/);
  });

  it("ECS on EC2 packs tasks by CPU and memory and adds instances whole", () => {
    const pl: Platform = { ...platform, ec2: { ...platform.ec2, instanceType: "c7g.large", cpu: 1024, memoryMb: 1024, minInstances: 1, maxInstances: 10, scaling: { ...platform.ec2.scaling, minCount: 1, maxCount: 20 } } };
    // c7g.large: 2 vCPU → 2 tasks of 1024 units; 5 tasks → 3 instances all month.
    const e = priceOption("ec2", workload({ requestsPerSecond: 1500, requestsPerTaskPerSecond: 300 }), pl, month, prices);
    expect(item(e.lines, "EC2", "c7g.large")?.quantity).toBe(3 * 730);
    expect(item(e.lines, "EC2", "c7g.large")?.usd).toBe(roundToCent(3 * 730 * 0.0725));
  });

  it("EKS pays the control plane all month on top of its nodes", () => {
    const e = priceOption("eks", workload({ requestsPerSecond: 1 }), platform, month, prices);
    expect(item(e.lines, "EKS", "cluster hours")?.usd).toBe(73);
    expect(item(e.lines, "EC2", "t4g.medium")?.quantity).toBe(2 * 730);
  });

  it("refuses an instance type the price table does not have, naming the ones it has", () => {
    const pl: Platform = { ...platform, ec2: { ...platform.ec2, instanceType: "x9.huge" } };
    expect(() => priceOption("ec2", workload(), pl, month, prices)).toThrow(/instance type "x9.huge" has no price .*expected one of .*c7g.large/);
  });
});

describe("Lambda front doors", () => {
  it("behind the ALB pays ALB hours and LCUs at the Lambda-target byte allowance; behind the HTTP API pays per request", () => {
    const w = workload({ requestsPerSecond: 10 });
    const alb = priceOption("lambda-alb", w, platform, month, prices);
    const api = priceOption("lambda-httpapi", w, platform, month, prices);
    expect(item(alb.lines, "ALB", "load balancer hours")?.usd).toBe(roundToCent(730 * 0.0225));
    expect(alb.lines.some((l) => l.service === "API Gateway")).toBe(false);
    expect(item(api.lines, "API Gateway", "HTTP API")?.usd).toBe(roundToCent(10 * 3600 * 730 * 1e-6));
    expect(api.lines.some((l) => l.service === "ALB")).toBe(false);
  });

  it("provisioned concurrency is billed all month and turns off the free tier", () => {
    const pl: Platform = { ...platform, lambda: { ...platform.lambda, provisionedConcurrency: 2 } };
    const e = priceOption("lambda-alb", workload({ requestsPerSecond: 1, lambdaFreeTier: true }), pl, month, prices);
    expect(item(e.lines, "Lambda", "provisioned concurrency")?.quantity).toBe(2 * 1 * 730 * 3600);
    expect(e.notes.join(" ")).toMatch(/free tier not applied/);
  });
});

describe("shared services", () => {
  it("prices one NAT gateway for single, one per AZ for onePerAz, none for none", () => {
    const nat = (natStrategy: Platform["natStrategy"]) =>
      item(priceOption("fargate", workload(), { ...platform, natStrategy, availabilityZones: 3 }, month, prices).lines, "NAT gateway", "hours")?.quantity;
    expect(nat("single")).toBe(730);
    expect(nat("onePerAz")).toBe(3 * 730);
    expect(nat("none")).toBeUndefined();
  });

  it("prices Redis nodes only when provisioned, primary plus replicas", () => {
    const withReplica: Platform = { ...platform, redis: { ...platform.redis, replicas: 1 } };
    expect(item(priceOption("fargate", workload(), withReplica, month, prices).lines, "ElastiCache", "cache.t4g.micro")?.usd).toBe(roundToCent(2 * 730 * 0.016));
    expect(item(priceOption("fargate", workload(), { ...platform, provisionRedis: false }, month, prices).lines, "ElastiCache", "")).toBeUndefined();
  });

  it("reads Keyspaces per prediction only when it is the serving store", () => {
    const ks: Platform = { ...platform, featureStore: "keyspaces", provisionKeyspaces: true, provisionRedis: false };
    const e = priceOption("fargate", workload({ requestsPerSecond: 10 }), ks, month, prices);
    expect(item(e.lines, "Keyspaces", "read request units")?.quantity).toBe(10 * 3600 * 730);
  });

  it("logs grow with requests", () => {
    const e = priceOption("fargate", workload({ requestsPerSecond: 10, logBytesPerRequest: 1000 }), platform, month, prices);
    expect(item(e.lines, "CloudWatch Logs", "ingestion")?.quantity).toBeCloseTo((10 * 3600 * 730 * 1000) / 1e9, 9);
  });
});

describe("workload validation", () => {
  it("names negative and absurd values", () => {
    const problems = workloadProblems(workload({ requestsPerSecond: -1, meanDurationMs: 0, activeHoursPerDay: 30 }), { hours: 730 });
    expect(problems.join("\n")).toMatch(/requestsPerSecond -1/);
    expect(problems.join("\n")).toMatch(/meanDurationMs 0/);
    expect(problems.join("\n")).toMatch(/activeHoursPerDay 30/);
    expect(workloadProblems(workload({ requestsPerSecond: 2e9 }), { hours: 730 }).join()).toMatch(/requestsPerSecond 2000000000/);
  });
});

describe("price table", () => {
  it("names the source of every figure and the date they were taken", () => {
    expect(prices.retrieved).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const sources: string[] = [];
    const walk = (v: unknown) => {
      if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if ("usd" in o || "amount" in o || "tiers" in o || "instances" in o || "nodes" in o) {
          sources.push(String(o.source));
          if ("tiers" in o) return;
        }
        Object.values(o).forEach(walk);
      }
    };
    walk(prices);
    expect(sources.length).toBeGreaterThan(25);
    for (const s of sources) expect(s).toMatch(/^https:\/\/aws\.amazon\.com\//);
  });

  it("an override replaces figures and keeps the rest; a broken one is refused with its path", () => {
    const merged = parsePriceTable(mergeOverride(JSON.parse(JSON.stringify(prices)), { region: "eu-west-1", retrieved: "2026-11-25", nat: { hour: { usd: 0.048 } } }), "test");
    expect(merged.nat.hour.usd).toBe(0.048);
    expect(merged.nat.hour.source).toBe(prices.nat.hour.source);
    expect(() => parsePriceTable(mergeOverride(JSON.parse(JSON.stringify(prices)), { nat: { hour: { usd: -1 } } }), "bad.json")).toThrow(PriceTableError);
    expect(() => parsePriceTable(mergeOverride(JSON.parse(JSON.stringify(prices)), { nat: { hour: { usd: -1 } } }), "bad.json")).toThrow(/\/nat\/hour\/usd/);
  });
});
