// Monthly cost of serving a workload on each compute target. Pure functions over the price table:
// the low-level ones take monthly quantities (so AWS's worked examples can be checked as stated),
// `priceOption` turns a workload and a stack's choices into those quantities.
import type { Architecture } from "../compute/target";
import { estimate, line, type CostLine, type Estimate, type PricedOption } from "./bill";
import { atRate, atTiers, type PriceTable } from "./prices";
import type { Month, Platform, Workload } from "./workload";

const SECONDS_PER_HOUR = 3600;
const MIB_PER_GB = 1024;
/** Memory the ECS agent and OS keep on an ECS-optimized instance (what ECS does not offer to tasks). */
export const ECS_RESERVED_MEMORY_MIB = 256;
/** Kubelet/system reservations plus the aws-node and kube-proxy DaemonSets on each node (approximate). */
export const EKS_NODE_RESERVED_CPU_MILLI = 200;
export const EKS_NODE_RESERVED_MEMORY_MIB = 800;

export class CostModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CostModelError";
  }
}

// ---- Lambda ---------------------------------------------------------------------------------

export interface LambdaUsage {
  requests: number;
  durationMs: number;
  memoryMb: number;
  architecture: Architecture;
  freeTier: boolean;
  provisionedConcurrency: number;
  /** How long provisioned concurrency stays configured in the month. */
  provisionedSeconds: number;
  /** The seconds over which the requests arrive (sets the concurrency they need). */
  activeSeconds: number;
}

export function lambdaCompute(u: LambdaUsage, p: PriceTable): { lines: CostLine[]; notes: string[] } {
  const lp = p.lambda;
  // Lambda bills duration rounded up to the millisecond.
  const seconds = Math.ceil(u.durationMs) / 1000;
  const memoryGb = u.memoryMb / MIB_PER_GB;
  const gbSeconds = u.requests * seconds * memoryGb;
  const lines: CostLine[] = [];
  const notes: string[] = [];
  const concurrency = u.activeSeconds > 0 ? (u.requests * seconds) / u.activeSeconds : 0;
  notes.push(`mean concurrency ${concurrency.toFixed(2)} at ${u.memoryMb} MB`);

  let onDemandGbSeconds = gbSeconds;
  if (u.provisionedConcurrency > 0) {
    // Requests beyond the provisioned environments spill over to on-demand pricing.
    const share = concurrency === 0 ? 1 : Math.min(1, u.provisionedConcurrency / concurrency);
    const provisionedGbs = u.provisionedConcurrency * memoryGb * u.provisionedSeconds;
    const onProvisioned = gbSeconds * share;
    onDemandGbSeconds = gbSeconds - onProvisioned;
    lines.push(line("Lambda", "provisioned concurrency", provisionedGbs, "GB-s", atRate(lp.provisionedConcurrency[u.architecture], provisionedGbs)));
    lines.push(line("Lambda", "duration on provisioned concurrency", onProvisioned, "GB-s", atRate(lp.provisionedDuration[u.architecture], onProvisioned)));
  }
  // AWS: the free tier does not apply to functions with provisioned concurrency.
  const free = u.freeTier && u.provisionedConcurrency === 0;
  if (u.freeTier && !free) notes.push("free tier not applied: it does not cover functions with provisioned concurrency");
  const billableGbs = Math.max(0, onDemandGbSeconds - (free ? lp.freeTier.gbSeconds.amount : 0));
  const billableRequests = Math.max(0, u.requests - (free ? lp.freeTier.requests.amount : 0));
  if (u.provisionedConcurrency === 0 || onDemandGbSeconds > 0) {
    lines.push(line("Lambda", `duration (${u.architecture})`, billableGbs, "GB-s", atTiers(lp.duration[u.architecture], billableGbs)));
  }
  lines.push(line("Lambda", "requests", billableRequests, "requests", atRate(lp.requests, billableRequests)));
  return { lines, notes };
}

// ---- Fargate --------------------------------------------------------------------------------

export interface FargateUsage {
  taskHours: number;
  vcpu: number;
  memoryGb: number;
  architecture: Architecture;
  /** Share of task-hours on Fargate Spot, 0–1. */
  spotShare: number;
  ephemeralGb: number;
}

export function fargateCompute(u: FargateUsage, p: PriceTable): CostLine[] {
  const fp = p.fargate;
  const rates = fp[u.architecture];
  const spotFactor = 1 - fp.spotDiscount.amount;
  const lines: CostLine[] = [];
  const onDemandHours = u.taskHours * (1 - u.spotShare);
  const spotHours = u.taskHours * u.spotShare;
  for (const [kind, hours, factor] of [["", onDemandHours, 1], [" (Spot)", spotHours, spotFactor]] as const) {
    if (hours === 0 && kind !== "") continue;
    const vcpuHours = hours * u.vcpu;
    const gbHours = hours * u.memoryGb;
    lines.push(line("Fargate", `vCPU-hours${kind} (${u.architecture})`, vcpuHours, "vCPU-h", atRate(rates.vcpuHour, vcpuHours) * factor));
    lines.push(line("Fargate", `GB-hours${kind} (${u.architecture})`, gbHours, "GB-h", atRate(rates.gbHour, gbHours) * factor));
  }
  const extraGb = Math.max(0, u.ephemeralGb - fp.ephemeralStorageFree.amount);
  if (extraGb > 0) {
    const gbHours = extraGb * u.taskHours;
    lines.push(line("Fargate", "ephemeral storage", gbHours, "GB-h", atRate(fp.ephemeralStorageGbHour, gbHours)));
  }
  return lines;
}

// ---- ALB and API Gateway --------------------------------------------------------------------

export interface AlbTraffic {
  newConnectionsPerSecond: number;
  activeConnectionsPerMinute: number;
  processedGbPerHour: number;
  requestsPerSecond: number;
  rules: number;
  lambdaTarget: boolean;
}

/** LCUs one hour of this traffic uses per dimension, and the billed one (the largest). */
export function albLcus(t: AlbTraffic, p: PriceTable): { dimensions: Record<string, number>; lcus: number } {
  const c = p.alb.lcu;
  const dimensions = {
    newConnections: t.newConnectionsPerSecond / c.newConnectionsPerSecond,
    activeConnections: t.activeConnectionsPerMinute / c.activeConnectionsPerMinute,
    processedBytes: t.processedGbPerHour / (t.lambdaTarget ? c.processedGbPerHourLambda : c.processedGbPerHour),
    ruleEvaluations: (t.requestsPerSecond * Math.max(0, t.rules - c.freeRules)) / c.ruleEvaluationsPerSecond,
  };
  return { dimensions, lcus: Math.max(...Object.values(dimensions)) };
}

export function albLines(hours: number, lcuHours: number, p: PriceTable): CostLine[] {
  return [
    line("ALB", "load balancer hours", hours, "h", atRate(p.alb.hour, hours)),
    line("ALB", "LCU-hours", lcuHours, "LCU-h", atRate(p.alb.lcuHour, lcuHours)),
  ];
}

export function httpApiLines(requests: number, requestBytes: number, p: PriceTable): CostLine[] {
  const api = p.apiGatewayHttp;
  // HTTP APIs meter each request in 512 KB increments.
  const metered = requests * Math.max(1, Math.ceil(requestBytes / (api.meteringIncrementKb * 1024)));
  return [line("API Gateway", "HTTP API requests", metered, "requests", atTiers(api.requests, metered))];
}

// ---- Capacity -------------------------------------------------------------------------------

/** Tasks (or pods) the traffic needs: enough for the load, never below the autoscaling floor. */
export function tasksFor(rps: number, perTask: number, minCount: number): number {
  return Math.max(minCount, Math.ceil(rps / perTask - 1e-9));
}

function instanceSpec(p: PriceTable, type: string) {
  const spec = p.ec2.instances[type];
  if (!spec) {
    throw new CostModelError(`instance type "${type}" has no price in the ${p.region} table; expected one of ${Object.keys(p.ec2.instances).join(", ")} (add it with --prices)`);
  }
  return spec;
}

// ---- One option -----------------------------------------------------------------------------

interface Shared {
  month: Month;
  activeHours: number;
  requests: number;
}

function sharedServices(w: Workload, pl: Platform, s: Shared, p: PriceTable): CostLine[] {
  const lines: CostLine[] = [];
  const gateways = pl.natStrategy === "none" ? 0 : pl.natStrategy === "single" ? 1 : pl.availabilityZones;
  if (gateways > 0) {
    const hours = gateways * s.month.hours;
    lines.push(line("NAT gateway", "hours", hours, "h", atRate(p.nat.hour, hours)));
    lines.push(line("NAT gateway", "data processed", w.natGbPerMonth, "GB", atRate(p.nat.gbProcessed, w.natGbPerMonth)));
  }
  if (pl.provisionRedis) {
    const node = p.elasticache.nodes[pl.redis.nodeType];
    if (!node) {
      throw new CostModelError(`ElastiCache node type "${pl.redis.nodeType}" has no price in the ${p.region} table; expected one of ${Object.keys(p.elasticache.nodes).join(", ")}`);
    }
    const nodeHours = (1 + pl.redis.replicas) * s.month.hours;
    lines.push(line("ElastiCache", `${pl.redis.nodeType} node-hours`, nodeHours, "h", nodeHours * node.usdPerHour));
  }
  if (pl.provisionKeyspaces) {
    const k = p.keyspaces;
    const reads = pl.featureStore === "keyspaces" ? s.requests * w.keyspacesReadUnitsPerRequest : 0;
    lines.push(line("Keyspaces", "read request units", reads, "RRU", atRate(k.readRequestUnits, reads)));
    lines.push(line("Keyspaces", "write request units", w.keyspacesWriteUnitsPerMonth, "WRU", atRate(k.writeRequestUnits, w.keyspacesWriteUnitsPerMonth)));
    lines.push(line("Keyspaces", "storage", w.keyspacesStorageGb, "GB-mo", atRate(k.storageGbMonth, w.keyspacesStorageGb)));
  }
  lines.push(line("S3", "model storage", w.modelStorageGb, "GB-mo", atRate(p.s3.storageGbMonth, w.modelStorageGb)));
  lines.push(line("S3", "GET requests", w.s3GetsPerMonth, "requests", atRate(p.s3.getRequests, w.s3GetsPerMonth)));
  lines.push(line("S3", "PUT requests", w.s3PutsPerMonth, "requests", atRate(p.s3.putRequests, w.s3PutsPerMonth)));
  lines.push(line("ECR", "image storage", w.imageStorageGb, "GB-mo", atRate(p.ecr.storageGbMonth, w.imageStorageGb)));
  // AWS bills log data in GB of 10^9 bytes, like the other data lines here.
  const logGb = (s.requests * w.logBytesPerRequest) / 1e9;
  lines.push(line("CloudWatch Logs", "ingestion", logGb, "GB", atRate(p.cloudwatchLogs.ingestionGb, logGb)));
  return lines;
}

function albFor(w: Workload, s: Shared, lambdaTarget: boolean, p: PriceTable): CostLine[] {
  const newConnections = w.requestsPerSecond / w.requestsPerConnection;
  const { lcus } = albLcus(
    {
      newConnectionsPerSecond: newConnections,
      activeConnectionsPerMinute: newConnections * w.connectionSeconds,
      processedGbPerHour: (w.requestsPerSecond * (w.requestBytes + w.responseBytes) * SECONDS_PER_HOUR) / 1e9,
      requestsPerSecond: w.requestsPerSecond,
      rules: w.listenerRules,
      lambdaTarget,
    },
    p,
  );
  return albLines(s.month.hours, lcus * s.activeHours, p);
}

/** Hours of capacity when `active` units run in the busy hours and `idle` units the rest. */
function unitHours(active: number, idle: number, s: Shared): number {
  return active * s.activeHours + idle * (s.month.hours - s.activeHours);
}

function capNote(kind: string, needed: number, max: number, setting: string): string[] {
  return needed > max ? [`${needed} ${kind} needed but ${setting} is ${max}: raise it, or the traffic is not served`] : [];
}

/** Prices one option for a workload on a stack's platform choices. */
export function priceOption(option: PricedOption, w: Workload, pl: Platform, month: Month, p: PriceTable): Estimate {
  const activeHours = (month.hours * w.activeHoursPerDay) / 24;
  const s: Shared = { month, activeHours, requests: w.requestsPerSecond * SECONDS_PER_HOUR * activeHours };
  const shared = sharedServices(w, pl, s, p);
  const notes: string[] = [];
  let compute: CostLine[];
  let front: CostLine[];

  if (option === "lambda-alb" || option === "lambda-httpapi") {
    const r = lambdaCompute(
      {
        requests: s.requests,
        durationMs: w.meanDurationMs,
        memoryMb: pl.lambda.memoryMb,
        architecture: pl.architecture,
        freeTier: w.lambdaFreeTier,
        provisionedConcurrency: pl.lambda.provisionedConcurrency,
        provisionedSeconds: month.hours * SECONDS_PER_HOUR,
        activeSeconds: activeHours * SECONDS_PER_HOUR,
      },
      p,
    );
    compute = r.lines;
    notes.push(...r.notes);
    front = option === "lambda-alb" ? albFor(w, s, true, p) : httpApiLines(s.requests, w.requestBytes, p);
  } else if (option === "fargate") {
    const f = pl.fargate;
    const active = tasksFor(w.requestsPerSecond, w.requestsPerTaskPerSecond, f.scaling.minCount);
    notes.push(`${active} task(s) of ${f.cpu / 1024} vCPU / ${f.memoryMb} MiB while active, ${f.scaling.minCount} otherwise`);
    notes.push(...capNote("tasks", active, f.scaling.maxCount, "fargate.scaling.maxCount"));
    compute = fargateCompute(
      {
        taskHours: unitHours(active, f.scaling.minCount, s),
        vcpu: f.cpu / 1024,
        memoryGb: f.memoryMb / MIB_PER_GB,
        architecture: pl.architecture,
        spotShare: f.spotPercent / 100,
        ephemeralGb: w.fargateEphemeralGb,
      },
      p,
    );
    front = albFor(w, s, false, p);
  } else if (option === "ec2") {
    const e = pl.ec2;
    const spec = instanceSpec(p, e.instanceType);
    const perInstance = Math.min(Math.floor((spec.vcpu * 1024) / e.cpu), Math.floor((spec.memoryMib - ECS_RESERVED_MEMORY_MIB) / e.memoryMb));
    if (perInstance < 1) throw new CostModelError(`ec2: a task of ${e.cpu} CPU units / ${e.memoryMb} MiB does not fit on ${e.instanceType} (${spec.vcpu} vCPU, ${spec.memoryMib} MiB)`);
    const tasks = tasksFor(w.requestsPerSecond, w.requestsPerTaskPerSecond, e.scaling.minCount);
    const active = Math.max(e.minInstances, Math.ceil(tasks / perInstance));
    const idle = Math.max(e.minInstances, Math.ceil(e.scaling.minCount / perInstance));
    notes.push(`${tasks} task(s), ${perInstance} per ${e.instanceType}: ${active} instance(s) while active, ${idle} otherwise`);
    notes.push(...capNote("tasks", tasks, e.scaling.maxCount, "ec2.scaling.maxCount"), ...capNote("instances", active, e.maxInstances, "ec2.maxInstances"));
    const hours = unitHours(active, idle, s);
    compute = [line("EC2", `${e.instanceType} instance-hours`, hours, "h", hours * spec.usdPerHour)];
    front = albFor(w, s, false, p);
  } else {
    const k = pl.eks;
    const type = k.instanceTypes[0] as string;
    const spec = instanceSpec(p, type);
    const perNode = Math.min(
      Math.floor((spec.vcpu * 1000 - EKS_NODE_RESERVED_CPU_MILLI) / k.cpuMillis),
      Math.floor((spec.memoryMib - EKS_NODE_RESERVED_MEMORY_MIB) / k.memoryMb),
    );
    if (perNode < 1) throw new CostModelError(`eks: a pod of ${k.cpuMillis}m / ${k.memoryMb} MiB does not fit on ${type} after system reservations`);
    const pods = tasksFor(w.requestsPerSecond, w.requestsPerTaskPerSecond, k.scaling.minCount);
    const active = Math.max(k.desiredNodes, k.minNodes, Math.ceil(pods / perNode));
    const idle = Math.max(k.desiredNodes, k.minNodes, Math.ceil(k.scaling.minCount / perNode));
    notes.push(`${pods} pod(s), ${perNode} per ${type}: ${active} node(s) while active, ${idle} otherwise`);
    notes.push(...capNote("pods", pods, k.scaling.maxCount, "eks.scaling.maxCount"), ...capNote("nodes", active, k.maxNodes, "eks.maxNodes"));
    const hours = unitHours(active, idle, s);
    compute = [
      line("EKS", "cluster hours", month.hours, "h", atRate(p.eks.clusterHour, month.hours)),
      line("EC2", `${type} node-hours`, hours, "h", hours * spec.usdPerHour),
    ];
    front = albFor(w, s, false, p);
  }
  return estimate(option, [...compute, ...front, ...shared], notes);
}

/** Every option this stack's target can be priced as (Lambda has two front doors). */
export function optionsFor(target: "lambda" | "fargate" | "ec2" | "eks"): PricedOption[] {
  return target === "lambda" ? ["lambda-alb", "lambda-httpapi"] : [target];
}
