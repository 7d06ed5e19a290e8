// The cost model on the blueprint's own choices: capacity from requests per task, active hours,
// front doors, shared services and validation.
import { DEFAULTS } from "../../infra/config";
import { eksPodsPerNode, eksSupport, ecsTasksPerInstance, priceOption, tasksFor } from "../../infra/compare/cost-model";
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
    expect(e.warnings.join(" ")).toMatch(/10 tasks needed but fargate.scaling.maxCount is 4/);
  });

  it("ECS on EC2 packs tasks by CPU and memory and adds instances whole", () => {
    const pl: Platform = { ...platform, ec2: { ...platform.ec2, instanceType: "c7g.large", cpu: 1024, memoryMb: 1024, minInstances: 1, maxInstances: 10, scaling: { ...platform.ec2.scaling, minCount: 1, maxCount: 20 } } };
    // c7g.large: 2 vCPU → 2 tasks of 1024 units; 5 tasks → 3 instances all month.
    const e = priceOption("ec2", workload({ requestsPerSecond: 1500, requestsPerTaskPerSecond: 300 }), pl, month, prices);
    expect(item(e.lines, "EC2", "c7g.large")?.quantity).toBe(3 * 730);
    expect(item(e.lines, "EC2", "c7g.large")?.usd).toBe(roundToCent(3 * 730 * 0.0725));
  });

  it("EKS pays the control plane all month on top of its nodes", () => {
    const e = priceOption("eks", workload({ requestsPerSecond: 1 }), platform, { ...month, asOf: "2026-06-01" }, prices);
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
    expect(item(alb.lines, "ALB", "LCU-hours")?.usd).toBeGreaterThan(0);
    expect(alb.lines.some((l) => l.service === "API Gateway")).toBe(false);
    expect(item(api.lines, "API Gateway", "HTTP API")?.usd).toBe(roundToCent(10 * 3600 * 730 * 1e-6));
  });

  // Defect 2: the program creates the ALB whether or not lambda.apiGateway adds the HTTP API.
  it("behind the HTTP API still pays the ALB's hours ($16.43), which the program always creates, but no LCUs", () => {
    const api = priceOption("lambda-httpapi", workload({ requestsPerSecond: 10 }), platform, month, prices);
    expect(item(api.lines, "ALB", "load balancer hours")?.usd).toBe(16.43);
    expect(item(api.lines, "ALB", "LCU-hours")).toBeUndefined();
    expect(api.notes.join(" ")).toMatch(/creates the ALB with or without the HTTP API/);
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

  // Defect 6: NAT data follows the traffic that crosses it.
  it("NAT data grows with the container logs the traffic writes (awslogs through NAT, no logs endpoint)", () => {
    const nat = (rps: number) => item(priceOption("fargate", workload({ requestsPerSecond: rps }), platform, month, prices).lines, "NAT gateway", "data processed")!.quantity;
    const logsGb = (rps: number) => (rps * 3600 * 730 * USAGE_DEFAULTS.logBytesPerRequest) / 1e9;
    expect(nat(1)).toBeCloseTo(USAGE_DEFAULTS.natGbPerMonth + logsGb(1), 9);
    expect(nat(100)).toBeCloseTo(USAGE_DEFAULTS.natGbPerMonth + logsGb(100), 9);
  });

  it("a Lambda stack on Keyspaces sends every feature read through NAT; on Redis (in the VPC) nothing grows", () => {
    const ks: Platform = { ...platform, featureStore: "keyspaces", provisionKeyspaces: true, provisionRedis: false };
    const w = workload({ requestsPerSecond: 20 });
    const keyspacesGb = (20 * 3600 * 730 * USAGE_DEFAULTS.featureBytesPerRequest) / 1e9;
    const e = priceOption("lambda-alb", w, ks, month, prices);
    expect(item(e.lines, "NAT gateway", "data processed")?.quantity).toBeCloseTo(USAGE_DEFAULTS.natGbPerMonth + keyspacesGb, 9);
    expect(e.notes.join(" ")).toMatch(/GB Keyspaces reads/);
    expect(item(priceOption("lambda-alb", w, platform, month, prices).lines, "NAT gateway", "data processed")?.quantity).toBe(USAGE_DEFAULTS.natGbPerMonth);
  });

  it("an interface endpoint takes its service off NAT and bills its own hours per AZ and GB", () => {
    const w = workload({ requestsPerSecond: 50 });
    const logsGb = (50 * 3600 * 730 * USAGE_DEFAULTS.logBytesPerRequest) / 1e9;
    const e = priceOption("fargate", w, { ...platform, availabilityZones: 2 }, month, prices, ["logs"]);
    expect(item(e.lines, "NAT gateway", "data processed")?.quantity).toBe(USAGE_DEFAULTS.natGbPerMonth);
    expect(item(e.lines, "VPC endpoints", "interface endpoint hours")?.quantity).toBe(2 * 730);
    expect(item(e.lines, "VPC endpoints", "data processed")?.quantity).toBeCloseTo(logsGb, 9);
  });

  it("logs grow with requests", () => {
    const e = priceOption("fargate", workload({ requestsPerSecond: 10, logBytesPerRequest: 1000 }), platform, month, prices);
    expect(item(e.lines, "CloudWatch Logs", "ingestion")?.quantity).toBeCloseTo((10 * 3600 * 730 * 1000) / 1e9, 9);
  });
});

// Defect 7: the bill items teams are surprised by.
describe("the items that surprise teams", () => {
  const internetFacing: Platform = { ...platform, loadBalancer: { scheme: "internet-facing" } };

  it("public IPv4: one address per AZ for an internet-facing ALB and one per NAT gateway, $0.005 an hour each", () => {
    const e = priceOption("fargate", workload(), { ...internetFacing, availabilityZones: 2, natStrategy: "single" }, month, prices);
    expect(item(e.lines, "VPC", "public IPv4")?.quantity).toBe(3 * 730);
    expect(item(e.lines, "VPC", "public IPv4")?.usd).toBe(10.95);
    const perAz = priceOption("fargate", workload(), { ...internetFacing, availabilityZones: 3, natStrategy: "onePerAz" }, month, prices);
    expect(item(perAz.lines, "VPC", "public IPv4")?.quantity).toBe(6 * 730);
    // An internal ALB has private addresses only: the NAT gateway's is left.
    const internal = priceOption("fargate", workload(), { ...platform, loadBalancer: { scheme: "internal" }, availabilityZones: 2, natStrategy: "single" }, month, prices);
    expect(item(internal.lines, "VPC", "public IPv4")?.item).toBe("public IPv4 addresses (1 NAT)");
  });

  it("EBS root volumes of ECS instances and EKS nodes", () => {
    const ec2 = priceOption("ec2", workload({ requestsPerSecond: 1 }), platform, month, prices);
    expect(item(ec2.lines, "EBS", "root volumes")?.quantity).toBeCloseTo(1 * 30, 9);
    expect(item(ec2.lines, "EBS", "root volumes")?.usd).toBe(2.4);
    const eks = priceOption("eks", workload({ requestsPerSecond: 1 }), platform, month, prices);
    expect(item(eks.lines, "EBS", "root volumes")?.quantity).toBeCloseTo(2 * 20, 9);
  });

  it("T instances bill surplus CPU credits when packed tasks run above the baseline, and say so", () => {
    // 2 tasks of 1 vCPU each fully busy on one t4g.small (2 vCPU, 20% baseline): 2 − 0.4 = 1.6 surplus vCPU.
    const pl: Platform = { ...platform, ec2: { ...platform.ec2, instanceType: "t4g.small", cpu: 1024, memoryMb: 512, minInstances: 1, maxInstances: 3, scaling: { ...platform.ec2.scaling, minCount: 1, maxCount: 4 } } };
    const e = priceOption("ec2", workload({ requestsPerSecond: 600, requestsPerTaskPerSecond: 300 }), pl, month, prices);
    expect(item(e.lines, "EC2", "t4g.small surplus CPU credits")?.quantity).toBeCloseTo(1.6 * 730, 6);
    expect(item(e.lines, "EC2", "t4g.small surplus CPU credits")?.usd).toBe(roundToCent(1.6 * 730 * 0.04));
    expect(e.warnings.join(" ")).toMatch(/above its 20% CPU baseline.*non-burstable type/);
    // A light load stays under the baseline: no credits.
    const light = priceOption("ec2", workload({ requestsPerSecond: 5, requestsPerTaskPerSecond: 300 }), pl, month, prices);
    expect(item(light.lines, "EC2", "t4g.small surplus")).toBeUndefined();
  });

  it("Keyspaces point-in-time recovery when the stack enables it", () => {
    const ks: Platform = { ...platform, featureStore: "keyspaces", provisionKeyspaces: true, provisionRedis: false };
    const w = workload({ keyspacesStorageGb: 10 });
    expect(item(priceOption("lambda-alb", w, ks, month, prices).lines, "Keyspaces", "point-in-time")).toBeUndefined();
    const pitr = priceOption("lambda-alb", w, { ...ks, keyspaces: { pointInTimeRecovery: true } }, month, prices);
    expect(item(pitr.lines, "Keyspaces", "point-in-time recovery")?.usd).toBe(2);
  });

  it("the Redis auth secret and the three CloudWatch alarms", () => {
    const e = priceOption("fargate", workload(), platform, month, prices);
    expect(item(e.lines, "Secrets Manager", "Redis auth token")?.usd).toBe(0.4);
    expect(item(e.lines, "CloudWatch", "alarms")?.usd).toBe(0.3);
    expect(item(priceOption("fargate", workload(), { ...platform, provisionRedis: false, featureStore: "embedded" }, month, prices).lines, "Secrets Manager", "")).toBeUndefined();
  });

  it("data transfer out beyond the free 100 GB", () => {
    // 100 rps × 1 KB responses = 262.8 GB a month: 162.8 GB billed at $0.09.
    const e = priceOption("fargate", workload({ requestsPerSecond: 100, responseBytes: 1000 }), internetFacing, month, prices);
    expect(item(e.lines, "Data transfer", "out to the internet")?.quantity).toBeCloseTo(262.8, 6);
    expect(item(e.lines, "Data transfer", "out to the internet")?.usd).toBe(roundToCent(162.8 * 0.09));
    const noFree = priceOption("fargate", workload({ requestsPerSecond: 100, responseBytes: 1000, dataTransferFreeTier: false }), internetFacing, month, prices);
    expect(item(noFree.lines, "Data transfer", "out to the internet")?.usd).toBe(roundToCent(262.8 * 0.09));
    // Internal ALB: callers in the VPC; the HTTP API, though, is public.
    const internal: Platform = { ...platform, loadBalancer: { scheme: "internal" } };
    expect(item(priceOption("fargate", workload({ requestsPerSecond: 100 }), internal, month, prices).lines, "Data transfer", "out to the internet")).toBeUndefined();
    expect(item(priceOption("lambda-httpapi", workload({ requestsPerSecond: 100 }), internal, month, prices).lines, "Data transfer", "out to the internet")).toBeDefined();
  });

  it("cross-AZ traffic to the single Redis primary, billed both ways", () => {
    // 2 AZs: half of the feature reads cross; 10 rps × 1000 B = 26.28 GB, 13.14 GB cross, $0.01 each way.
    const e = priceOption("fargate", workload({ requestsPerSecond: 10 }), { ...platform, availabilityZones: 2 }, month, prices);
    expect(item(e.lines, "Data transfer", "cross-AZ")?.quantity).toBeCloseTo(13.14, 6);
    expect(item(e.lines, "Data transfer", "cross-AZ")?.usd).toBe(roundToCent(13.14 * 0.02));
  });

  it("every new figure names its page in the price table", () => {
    for (const rate of [prices.vpc.publicIpv4Hour, prices.ebs.gp3GbMonth, prices.keyspaces.pointInTimeRecoveryGbMonth, prices.secretsManager.secretMonth, prices.cloudwatchAlarms.standardAlarmMonth, prices.dataTransfer.crossAz, prices.ec2.surplusCreditVcpuHour.arm64]) {
      expect(rate.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
    }
  });
});

// Defect 3: awsvpc tasks each take a network interface; the program enables no ENI trunking.
describe("ECS on EC2 packing by network interfaces", () => {
  it("puts 2 awsvpc tasks on a t4g.small (3 interfaces, one the host's), not 7 by CPU and memory", () => {
    const packing = ecsTasksPerInstance(prices.ec2.instances["t4g.small"]!, 256, 256);
    expect(packing).toEqual({ perInstance: 2, limitedBy: "network interfaces" });
  });

  it("npm run cost -- ec2 --rps 2000 on the defaults needs 4 instances for 7 tasks, and says why", () => {
    const e = priceOption("ec2", workload({ requestsPerSecond: 2000 }), platform, month, prices);
    expect(item(e.lines, "EC2", "t4g.small instance-hours")?.quantity).toBe(4 * 730);
    expect(e.notes.join(" ")).toMatch(/7 task\(s\), 2 per t4g.small \(limited by network interfaces\)/);
    expect(e.warnings.join(" ")).toMatch(/4 instances needed but ec2.maxInstances is 3/);
  });

  it("the ENI limit of every priced instance type comes from the table with its source", () => {
    expect(prices.ec2.networkInterfacesSource).toMatch(/AvailableIpPerENI/);
    for (const spec of Object.values(prices.ec2.instances)) expect(spec.networkInterfaces).toBeGreaterThanOrEqual(2);
    expect(eksPodsPerNode(prices.ec2.instances["t4g.medium"]!, 10, 16)).toEqual({ perInstance: 15, limitedBy: "pod IPs" });
  });
});

// Defect 4: the control plane's price depends on the Kubernetes version's support phase.
describe("EKS standard and extended support", () => {
  const eks = (asOf: string, kubernetesVersion = "1.33") =>
    priceOption("eks", workload({ requestsPerSecond: 1 }), { ...platform, eks: { ...platform.eks, kubernetesVersion } }, { ...month, asOf }, prices);

  it("1.33 is standard support ($0.10/h) until 2026-07-29, extended ($0.60/h) from then, with a warning", () => {
    expect(item(eks("2026-07-28").lines, "EKS", "cluster hours")?.usd).toBe(73);
    expect(eks("2026-07-28").warnings).toEqual([]);
    const late = eks("2026-11-30");
    expect(item(late.lines, "EKS", "cluster hours (Kubernetes 1.33, extended support)")?.usd).toBe(438);
    expect(late.warnings.join(" ")).toMatch(/Kubernetes 1.33 left standard support on 2026-07-29/);
  });

  it("a version missing from the calendar is priced at standard support with a warning to check it", () => {
    expect(eks("2026-11-30", "1.40").warnings.join(" ")).toMatch(/1.40 is not in the price table's EKS calendar/);
    expect(eksSupport("1.34", "2026-11-30", prices)).toEqual({ extended: false, endOfStandardSupport: "2026-12-02" });
  });
});

// Defect 5: Fargate Spot runs ARM64 tasks (platform 1.4.0+); Spot takes its share at the Spot discount.
describe("Fargate Spot on ARM", () => {
  it("prices arm64 Spot task-hours at the arm64 rates less the Spot discount", () => {
    const pl: Platform = { ...platform, architecture: "arm64", fargate: { ...platform.fargate, spotPercent: 50 } };
    const e = priceOption("fargate", workload({ requestsPerSecond: 1 }), pl, month, prices);
    const hours = 730 * 0.5 * 0.25;
    expect(item(e.lines, "Fargate", "vCPU-hours (Spot) (arm64)")?.usd).toBe(roundToCent(hours * 0.03238 * (1 - prices.fargate.spotDiscount.amount)));
    expect(e.notes.join(" ")).toMatch(/50% of task-hours on Fargate Spot \(arm64\)/);
    expect(prices.fargate.spotDiscount.unit).toMatch(/arm64/);
  });
});

// Spiky traffic: capacity for the peak, per-request items at the mean.
describe("peak traffic", () => {
  it("containers keep capacity for the peak while requests are billed at the mean", () => {
    const mean = priceOption("fargate", workload({ requestsPerSecond: 300, requestsPerTaskPerSecond: 300 }), platform, month, prices);
    const spiky = priceOption("fargate", workload({ requestsPerSecond: 300, peakRequestsPerSecond: 900, requestsPerTaskPerSecond: 300 }), platform, month, prices);
    expect(mean.notes.join(" ")).toMatch(/1 task\(s\)/);
    expect(spiky.notes.join(" ")).toMatch(/3 task\(s\) of .* \(sized for the 900 rps peak\)/);
    expect(item(spiky.lines, "CloudWatch Logs", "ingestion")?.quantity).toBe(item(mean.lines, "CloudWatch Logs", "ingestion")?.quantity);
  });

  it("refuses a peak below the mean", () => {
    expect(workloadProblems(workload({ requestsPerSecond: 10, peakRequestsPerSecond: 5 }), month).join()).toMatch(/peakRequestsPerSecond 5: expected at least the mean/);
  });
});

// Defect 8: options say which compute, front door and feature store they are.
describe("labels", () => {
  it("name the compute, the front door and the feature store", () => {
    const ks: Platform = { ...platform, featureStore: "keyspaces", provisionKeyspaces: true, provisionRedis: false };
    expect(priceOption("lambda-alb", workload(), ks, month, prices)).toMatchObject({ label: "Lambda + ALB · Keyspaces", featureStore: "keyspaces" });
    expect(priceOption("fargate", workload(), platform, month, prices)).toMatchObject({ label: "ECS Fargate · Redis", featureStore: "redis" });
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
    for (const s of sources) expect(s).toMatch(/^https:\/\/(docs\.)?aws\.amazon\.com\//);
  });

  it("an override replaces figures and keeps the rest; a broken one is refused with its path", () => {
    const merged = parsePriceTable(mergeOverride(JSON.parse(JSON.stringify(prices)), { region: "eu-west-1", retrieved: "2026-11-25", nat: { hour: { usd: 0.048 } } }), "test");
    expect(merged.nat.hour.usd).toBe(0.048);
    expect(merged.nat.hour.source).toBe(prices.nat.hour.source);
    expect(() => parsePriceTable(mergeOverride(JSON.parse(JSON.stringify(prices)), { nat: { hour: { usd: -1 } } }), "bad.json")).toThrow(PriceTableError);
    expect(() => parsePriceTable(mergeOverride(JSON.parse(JSON.stringify(prices)), { nat: { hour: { usd: -1 } } }), "bad.json")).toThrow(/\/nat\/hour\/usd/);
  });
});
