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

type InstanceSpec = PriceTable["ec2"]["instances"][string];

function instanceSpec(p: PriceTable, type: string): InstanceSpec {
  const spec = p.ec2.instances[type];
  if (!spec) {
    throw new CostModelError(`instance type "${type}" has no price in the ${p.region} table; expected one of ${Object.keys(p.ec2.instances).join(", ")} (add it with --prices)`);
  }
  return spec;
}

export interface Packing {
  perInstance: number;
  /** The resource that runs out first. */
  limitedBy: "CPU" | "memory" | "network interfaces" | "pod IPs";
}

function tightest(limits: [Packing["limitedBy"], number][]): Packing {
  const [limitedBy, perInstance] = limits.reduce((a, b) => (b[1] < a[1] ? b : a));
  return { perInstance: Math.max(0, Math.floor(perInstance)), limitedBy };
}

/**
 * awsvpc tasks one ECS container instance hosts: by CPU units, memory (less the agent's), and
 * network interfaces, one of which is the instance's own (the program does not turn on ENI
 * trunking, so every task takes a whole interface).
 */
export function ecsTasksPerInstance(spec: InstanceSpec, cpu: number, memoryMb: number): Packing {
  return tightest([
    ["CPU", (spec.vcpu * 1024) / cpu],
    ["memory", (spec.memoryMib - ECS_RESERVED_MEMORY_MIB) / memoryMb],
    ["network interfaces", spec.networkInterfaces - 1],
  ]);
}

/** The VPC CNI's pod limit (ENIs × (IPs per ENI − 1) + 2), less the aws-node and kube-proxy DaemonSet pods. */
export const EKS_DAEMONSET_PODS = 2;

export function eksPodsPerNode(spec: InstanceSpec, cpuMillis: number, memoryMb: number): Packing {
  const maxPods = spec.networkInterfaces * (spec.ipv4PerInterface - 1) + 2;
  return tightest([
    ["CPU", (spec.vcpu * 1000 - EKS_NODE_RESERVED_CPU_MILLI) / cpuMillis],
    ["memory", (spec.memoryMib - EKS_NODE_RESERVED_MEMORY_MIB) / memoryMb],
    ["pod IPs", maxPods - EKS_DAEMONSET_PODS],
  ]);
}

// ---- EKS support --------------------------------------------------------------------------

export interface EksSupport {
  extended: boolean;
  /** Undefined when the version is not in the price table's calendar. */
  endOfStandardSupport: string | undefined;
}

/** Whether `version` is past its end of standard support on `asOf` (YYYY-MM-DD). */
export function eksSupport(version: string, asOf: string, p: PriceTable): EksSupport {
  const end = p.eks.kubernetesVersions.endOfStandardSupport[version];
  return { extended: end !== undefined && asOf >= end, endOfStandardSupport: end };
}

// ---- Burstable instances ------------------------------------------------------------------

/**
 * T instances launch in unlimited mode: CPU above the baseline is billed as surplus credits.
 * Credits earned in quiet hours pay for busy hours first (a monthly balance; AWS settles it
 * within 24 h, so traffic concentrated in a few days costs more than this).
 */
function surplusCredits(type: string, spec: InstanceSpec, busyVcpu: number, instanceHours: number, s: Shared, p: PriceTable): { lines: CostLine[]; warnings: string[] } {
  if (spec.baselinePercent === undefined) return { lines: [], warnings: [] };
  const used = busyVcpu * s.activeHours;
  const earned = instanceHours * spec.vcpu * (spec.baselinePercent / 100);
  const surplus = Math.max(0, used - earned);
  if (surplus === 0) return { lines: [], warnings: [] };
  const rate = p.ec2.surplusCreditVcpuHour[spec.architecture];
  const fixed = Object.entries(p.ec2.instances).find(([, t]) => t.baselinePercent === undefined && t.architecture === spec.architecture && t.vcpu >= spec.vcpu)?.[0];
  return {
    lines: [line("EC2", `${type} surplus CPU credits`, surplus, "vCPU-h", atRate(rate, surplus))],
    warnings: [
      `${type} runs above its ${spec.baselinePercent}% CPU baseline: ${Math.round(surplus)} surplus vCPU-hours a month are billed as T unlimited credits${fixed ? `; for steady load a non-burstable type (e.g. ${fixed}) may cost less` : ""}`,
    ],
  };
}

// ---- Network ------------------------------------------------------------------------------

/** Services an interface endpoint can take off the NAT gateway. */
export type InterfaceService = "logs" | "cassandra";

/**
 * The VPC endpoints the program creates (infra/network.ts): S3 through a gateway endpoint (free,
 * so model downloads never cross NAT) and no interface endpoints, so CloudWatch Logs from the
 * containers and Keyspaces go through NAT.
 */
export const PROGRAM_ENDPOINTS: readonly InterfaceService[] = [];

// ---- DynamoDB -------------------------------------------------------------------------------

/**
 * Reads the service makes: eventually consistent, as infra/index.ts configures the DynamoDB store
 * (the stack config has no consistency setting).
 */
export const PROGRAM_DYNAMODB_CONSISTENT_READS = false;
/** Bytes DynamoDB adds to each item for indexing when it measures storage. */
export const DYNAMODB_ITEM_OVERHEAD_BYTES = 100;
const READ_UNIT_BYTES = 4096;
const WRITE_UNIT_BYTES = 1024;

export interface DynamoDBUsage {
  /** Predictions that read features (one BatchGetItem each). */
  requests: number;
  /** Bytes of each item one prediction reads (one per feature view). */
  items: readonly number[];
  entities: number;
  refreshesPerMonth: number;
  pointInTimeRecovery: boolean;
  consistentReads: boolean;
}

/**
 * On-demand DynamoDB: BatchGetItem bills each item on its own, rounded up to 4 KB (half a unit
 * eventually consistent); materialization writes every entity's items once per refresh, rounded
 * up to 1 KB; storage is the items plus 100 bytes each, and PITR bills the same size.
 */
export function dynamodbLines(u: DynamoDBUsage, p: PriceTable): CostLine[] {
  const d = p.dynamodb;
  const perRead = u.consistentReads ? 1 : 0.5;
  const readUnits = u.items.reduce((sum, bytes) => sum + Math.ceil(bytes / READ_UNIT_BYTES) * perRead, 0);
  const writeUnits = u.items.reduce((sum, bytes) => sum + Math.ceil(bytes / WRITE_UNIT_BYTES), 0);
  const reads = u.requests * readUnits;
  const writes = u.entities * u.refreshesPerMonth * writeUnits;
  const storedGb = (u.entities * u.items.reduce((sum, bytes) => sum + bytes + DYNAMODB_ITEM_OVERHEAD_BYTES, 0)) / 1e9;
  const consistency = u.consistentReads ? "strongly consistent" : "eventually consistent";
  const lines = [
    line("DynamoDB", `read request units (${consistency})`, reads, "RRU", atRate(d.readRequestUnits, reads)),
    line("DynamoDB", "write request units (materialization)", writes, "WRU", atRate(d.writeRequestUnits, writes)),
    line("DynamoDB", "storage", storedGb, "GB-mo", atRate(d.storageGbMonth, storedGb)),
  ];
  if (u.pointInTimeRecovery) lines.push(line("DynamoDB", "point-in-time recovery", storedGb, "GB-mo", atRate(d.pointInTimeRecoveryGbMonth, storedGb)));
  return lines;
}

// ---- One option -----------------------------------------------------------------------------

interface Shared {
  month: Month;
  activeHours: number;
  requests: number;
}

/** CloudWatch alarms the program creates (infra/observability.ts: ALB 5xx, target 5xx, p99). */
export const PROGRAM_ALARMS = 3;

interface PlatformContext {
  /** Whether clients reach the stack over the internet (public IPv4, data transfer out). */
  publicFrontDoor: "alb" | "httpapi" | "none";
  /** Whether the service's logs leave the compute through the VPC (ECS awslogs) and reach CloudWatch. */
  containerLogs: "vpc" | "lambda" | "none";
  endpoints: readonly InterfaceService[];
}

function platformLines(w: Workload, pl: Platform, s: Shared, ctx: PlatformContext, p: PriceTable): { lines: CostLine[]; notes: string[] } {
  const lines: CostLine[] = [];
  const notes: string[] = [];
  const hours = s.month.hours;
  const logGb = ctx.containerLogs === "none" ? 0 : (s.requests * w.logBytesPerRequest) / 1e9;
  const featureGb = (s.requests * w.featureBytesPerRequest) / 1e9;
  const gateways = pl.natStrategy === "none" ? 0 : pl.natStrategy === "single" ? 1 : pl.availabilityZones;

  // Through NAT: what has no endpoint. An interface endpoint bills its hours in every AZ and its GB.
  const viaEndpoint = (service: InterfaceService) => ctx.endpoints.includes(service);
  const natParts: [string, number][] = [["image pulls and AWS APIs", w.natGbPerMonth]];
  const endpointParts: [string, number][] = [];
  if (ctx.containerLogs === "vpc") (viaEndpoint("logs") ? endpointParts : natParts).push(["container logs to CloudWatch", logGb]);
  if (pl.featureStore === "keyspaces") (viaEndpoint("cassandra") ? endpointParts : natParts).push(["Keyspaces reads", featureGb]);
  if (gateways > 0) {
    const natHours = gateways * hours;
    const natGb = natParts.reduce((sum, [, gb]) => sum + gb, 0);
    lines.push(line("NAT gateway", "hours", natHours, "h", atRate(p.nat.hour, natHours)));
    lines.push(line("NAT gateway", "data processed", natGb, "GB", atRate(p.nat.gbProcessed, natGb)));
    notes.push(`NAT data: ${natParts.map(([what, gb]) => `${formatGb(gb)} GB ${what}`).join(" + ")}`);
  }
  if (ctx.endpoints.length > 0) {
    const endpointHours = ctx.endpoints.length * pl.availabilityZones * hours;
    const endpointGb = endpointParts.reduce((sum, [, gb]) => sum + gb, 0);
    lines.push(line("VPC endpoints", `interface endpoint hours (${ctx.endpoints.join(", ")})`, endpointHours, "h", atRate(p.vpc.interfaceEndpointHour, endpointHours)));
    lines.push(line("VPC endpoints", "data processed", endpointGb, "GB", atRate(p.vpc.interfaceEndpointGb, endpointGb)));
  }
  // Every public IPv4 address bills by the hour: one per AZ for an internet-facing ALB, one per NAT gateway.
  const albAddresses = pl.loadBalancer.scheme === "internet-facing" ? pl.availabilityZones : 0;
  const addresses = albAddresses + gateways;
  if (addresses > 0) {
    const ipHours = addresses * hours;
    const what = [albAddresses > 0 ? `${albAddresses} ALB` : "", gateways > 0 ? `${gateways} NAT` : ""].filter(Boolean).join(", ");
    lines.push(line("VPC", `public IPv4 addresses (${what})`, ipHours, "h", atRate(p.vpc.publicIpv4Hour, ipHours)));
  }

  if (pl.provisionRedis) {
    const node = p.elasticache.nodes[pl.redis.nodeType];
    if (!node) {
      throw new CostModelError(`ElastiCache node type "${pl.redis.nodeType}" has no price in the ${p.region} table; expected one of ${Object.keys(p.elasticache.nodes).join(", ")}`);
    }
    const nodeHours = (1 + pl.redis.replicas) * hours;
    lines.push(line("ElastiCache", `${pl.redis.nodeType} node-hours`, nodeHours, "h", nodeHours * node.usdPerHour));
    // The service reads the primary, which sits in one AZ; compute spread over the AZs reaches it
    // from the others, and AWS bills cross-AZ bytes on both sides.
    if (pl.featureStore === "redis") {
      const crossGb = featureGb * ((pl.availabilityZones - 1) / pl.availabilityZones);
      lines.push(line("Data transfer", "cross-AZ to the Redis primary", crossGb, "GB", 2 * atRate(p.dataTransfer.crossAz, crossGb)));
    }
    lines.push(line("Secrets Manager", "Redis auth token secret", 1, "secret-mo", atRate(p.secretsManager.secretMonth, 1)));
  }
  if (pl.provisionKeyspaces) {
    const k = p.keyspaces;
    const reads = pl.featureStore === "keyspaces" ? s.requests * w.keyspacesReadUnitsPerRequest : 0;
    lines.push(line("Keyspaces", "read request units", reads, "RRU", atRate(k.readRequestUnits, reads)));
    lines.push(line("Keyspaces", "write request units", w.keyspacesWriteUnitsPerMonth, "WRU", atRate(k.writeRequestUnits, w.keyspacesWriteUnitsPerMonth)));
    lines.push(line("Keyspaces", "storage", w.keyspacesStorageGb, "GB-mo", atRate(k.storageGbMonth, w.keyspacesStorageGb)));
    if (pl.keyspaces.pointInTimeRecovery) {
      lines.push(line("Keyspaces", "point-in-time recovery", w.keyspacesStorageGb, "GB-mo", atRate(k.pointInTimeRecoveryGbMonth, w.keyspacesStorageGb)));
    }
  }
  if (pl.provisionDynamoDB) {
    const items = Array.from({ length: Math.round(w.dynamodbItemsPerRequest) }, () => w.dynamodbItemBytes);
    lines.push(
      ...dynamodbLines(
        {
          requests: pl.featureStore === "dynamodb" ? s.requests : 0,
          items,
          entities: w.dynamodbEntities,
          refreshesPerMonth: w.dynamodbRefreshesPerMonth,
          pointInTimeRecovery: pl.dynamodb.pointInTimeRecovery,
          consistentReads: PROGRAM_DYNAMODB_CONSISTENT_READS,
        },
        p,
      ),
    );
    notes.push(`DynamoDB: ${items.length} item(s) of ~${w.dynamodbItemBytes} B per prediction, ${w.dynamodbEntities} entities refreshed ${w.dynamodbRefreshesPerMonth}× a month`);
  }
  lines.push(line("S3", "model storage", w.modelStorageGb, "GB-mo", atRate(p.s3.storageGbMonth, w.modelStorageGb)));
  lines.push(line("S3", "GET requests", w.s3GetsPerMonth, "requests", atRate(p.s3.getRequests, w.s3GetsPerMonth)));
  lines.push(line("S3", "PUT requests", w.s3PutsPerMonth, "requests", atRate(p.s3.putRequests, w.s3PutsPerMonth)));
  lines.push(line("ECR", "image storage", w.imageStorageGb, "GB-mo", atRate(p.ecr.storageGbMonth, w.imageStorageGb)));
  // AWS bills log data in GB of 10^9 bytes, like the other data lines here.
  if (ctx.containerLogs !== "none") lines.push(line("CloudWatch Logs", "ingestion", logGb, "GB", atRate(p.cloudwatchLogs.ingestionGb, logGb)));
  else notes.push("no CloudWatch Logs ingestion: the program ships no pod logs off the nodes");
  lines.push(line("CloudWatch", `alarms (${PROGRAM_ALARMS})`, PROGRAM_ALARMS, "alarm-mo", atRate(p.cloudwatchAlarms.standardAlarmMonth, PROGRAM_ALARMS)));
  // Responses leave AWS only through a public front door: the first 100 GB a month are free per account (when applied).
  if (ctx.publicFrontDoor === "none") {
    notes.push("internal ALB: callers are inside the VPC, so no data transfer out to the internet and no public IPv4 for the ALB");
    return { lines, notes };
  }
  const outGb = (s.requests * w.responseBytes) / 1e9;
  const out = p.dataTransfer.outToInternet;
  const freeGb = out.tiers[0]?.usd === 0 ? (out.tiers[0].upTo ?? 0) : 0;
  const outUsd = w.dataTransferFreeTier ? atTiers(out, outGb) : atTiers(out, outGb + freeGb) - atTiers(out, freeGb);
  lines.push(line("Data transfer", `out to the internet${w.dataTransferFreeTier ? ` (first ${freeGb} GB free)` : ""}`, outGb, "GB", outUsd));
  return { lines, notes };
}

function formatGb(gb: number): string {
  return gb >= 10 ? gb.toFixed(0) : gb >= 0.1 ? gb.toFixed(1) : gb.toPrecision(2);
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

function capWarning(kind: string, needed: number, max: number, setting: string): string[] {
  return needed > max ? [`${needed} ${kind} needed but ${setting} is ${max}: raise it, or the traffic is not served (priced as needed)`] : [];
}

function rootVolumes(kind: "ecs" | "eks", instanceHours: number, s: Shared, p: PriceTable): CostLine {
  const gbMonths = (instanceHours / s.month.hours) * p.ebs.rootVolumeGb[kind].amount;
  return line("EBS", `root volumes (${p.ebs.rootVolumeGb[kind].amount} GB gp3 each)`, gbMonths, "GB-mo", atRate(p.ebs.gp3GbMonth, gbMonths));
}

/** Prices one option for a workload on a stack's platform choices, as the program deploys it. */
export function priceOption(
  option: PricedOption,
  w: Workload,
  pl: Platform,
  month: Month,
  p: PriceTable,
  endpoints: readonly InterfaceService[] = PROGRAM_ENDPOINTS,
): Estimate {
  const activeHours = (month.hours * w.activeHoursPerDay) / 24;
  const s: Shared = { month, activeHours, requests: w.requestsPerSecond * SECONDS_PER_HOUR * activeHours };
  const notes: string[] = [];
  const warnings: string[] = [];
  // Containers keep capacity for the peak; the bill's per-request lines follow the mean.
  const capacityRps = Math.max(w.peakRequestsPerSecond ?? w.requestsPerSecond, w.requestsPerSecond);
  const peakNote = capacityRps > w.requestsPerSecond ? ` (sized for the ${formatRps(capacityRps)} rps peak)` : "";
  let compute: CostLine[];
  let front: CostLine[];
  let containerLogs: PlatformContext["containerLogs"] = "vpc";
  let publicFrontDoor: PlatformContext["publicFrontDoor"] = pl.loadBalancer.scheme === "internet-facing" ? "alb" : "none";

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
    if (capacityRps > w.requestsPerSecond) notes.push(`peak concurrency ${((capacityRps * Math.ceil(w.meanDurationMs)) / 1000).toFixed(2)} at ${formatRps(capacityRps)} rps`);
    containerLogs = "lambda";
    if (option === "lambda-alb") {
      front = albFor(w, s, true, p);
    } else {
      // The program creates the ALB whether or not the HTTP API is on; traffic through the API leaves it idle.
      front = [albLines(month.hours, 0, p)[0] as CostLine, ...httpApiLines(s.requests, w.requestBytes, p)];
      publicFrontDoor = "httpapi";
      notes.push("ALB hours included: the program creates the ALB with or without the HTTP API (lambda.apiGateway: true adds the API beside it)");
    }
  } else if (option === "fargate") {
    const f = pl.fargate;
    const active = tasksFor(capacityRps, w.requestsPerTaskPerSecond, f.scaling.minCount);
    notes.push(`${active} task(s) of ${f.cpu / 1024} vCPU / ${f.memoryMb} MiB while active${peakNote}, ${f.scaling.minCount} otherwise`);
    warnings.push(...capWarning("tasks", active, f.scaling.maxCount, "fargate.scaling.maxCount"));
    if (f.spotPercent > 0) notes.push(`${f.spotPercent}% of task-hours on Fargate Spot (${pl.architecture}), ${Math.round(p.fargate.spotDiscount.amount * 100)}% off on-demand`);
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
    const packing = ecsTasksPerInstance(spec, e.cpu, e.memoryMb);
    if (packing.perInstance < 1) throw new CostModelError(`ec2: a task of ${e.cpu} CPU units / ${e.memoryMb} MiB does not fit on ${e.instanceType} (${spec.vcpu} vCPU, ${spec.memoryMib} MiB)`);
    const tasks = tasksFor(capacityRps, w.requestsPerTaskPerSecond, e.scaling.minCount);
    const active = Math.max(e.minInstances, Math.ceil(tasks / packing.perInstance));
    const idle = Math.max(e.minInstances, Math.ceil(e.scaling.minCount / packing.perInstance));
    notes.push(`${tasks} task(s)${peakNote}, ${packing.perInstance} per ${e.instanceType} (limited by ${packing.limitedBy}): ${active} instance(s) while active, ${idle} otherwise`);
    if (packing.limitedBy === "network interfaces") {
      notes.push(`${e.instanceType} has ${spec.networkInterfaces} network interfaces, one the instance's own; each awsvpc task takes one (the program does not enable ENI trunking)`);
    }
    warnings.push(...capWarning("tasks", tasks, e.scaling.maxCount, "ec2.scaling.maxCount"), ...capWarning("instances", active, e.maxInstances, "ec2.maxInstances"));
    const hours = unitHours(active, idle, s);
    const busyVcpu = Math.min(w.requestsPerSecond / w.requestsPerTaskPerSecond, tasks) * (e.cpu / 1024);
    const credits = surplusCredits(e.instanceType, spec, busyVcpu, hours, s, p);
    warnings.push(...credits.warnings);
    compute = [line("EC2", `${e.instanceType} instance-hours`, hours, "h", hours * spec.usdPerHour), ...credits.lines, rootVolumes("ecs", hours, s, p)];
    front = albFor(w, s, false, p);
  } else {
    const k = pl.eks;
    const type = k.instanceTypes[0] as string;
    const spec = instanceSpec(p, type);
    const packing = eksPodsPerNode(spec, k.cpuMillis, k.memoryMb);
    if (packing.perInstance < 1) throw new CostModelError(`eks: a pod of ${k.cpuMillis}m / ${k.memoryMb} MiB does not fit on ${type} after system reservations`);
    const pods = tasksFor(capacityRps, w.requestsPerTaskPerSecond, k.scaling.minCount);
    const active = Math.max(k.desiredNodes, k.minNodes, Math.ceil(pods / packing.perInstance));
    const idle = Math.max(k.desiredNodes, k.minNodes, Math.ceil(k.scaling.minCount / packing.perInstance));
    notes.push(`${pods} pod(s)${peakNote}, ${packing.perInstance} per ${type} (limited by ${packing.limitedBy}): ${active} node(s) while active, ${idle} otherwise`);
    warnings.push(...capWarning("pods", pods, k.scaling.maxCount, "eks.scaling.maxCount"), ...capWarning("nodes", active, k.maxNodes, "eks.maxNodes"));
    const hours = unitHours(active, idle, s);
    const asOf = month.asOf ?? p.retrieved;
    const support = eksSupport(k.kubernetesVersion, asOf, p);
    let cluster: CostLine;
    if (support.extended) {
      cluster = line("EKS", `cluster hours (Kubernetes ${k.kubernetesVersion}, extended support)`, month.hours, "h", atRate(p.eks.extendedSupportClusterHour, month.hours));
      warnings.push(
        `Kubernetes ${k.kubernetesVersion} left standard support on ${support.endOfStandardSupport}: the control plane bills the extended-support rate ($${p.eks.extendedSupportClusterHour.usd.toFixed(2)}/h instead of $${p.eks.clusterHour.usd.toFixed(2)}/h) until eks.kubernetesVersion is upgraded`,
      );
    } else {
      cluster = line("EKS", `cluster hours (Kubernetes ${k.kubernetesVersion}, standard support)`, month.hours, "h", atRate(p.eks.clusterHour, month.hours));
      if (support.endOfStandardSupport === undefined) {
        warnings.push(`Kubernetes ${k.kubernetesVersion} is not in the price table's EKS calendar: priced at the standard-support rate; check its end of standard support`);
      } else {
        notes.push(`Kubernetes ${k.kubernetesVersion} in standard support until ${support.endOfStandardSupport}`);
      }
    }
    const busyVcpu = Math.min(w.requestsPerSecond / w.requestsPerTaskPerSecond, pods) * (k.cpuMillis / 1000);
    const credits = surplusCredits(type, spec, busyVcpu, hours, s, p);
    warnings.push(...credits.warnings);
    compute = [cluster, line("EC2", `${type} node-hours`, hours, "h", hours * spec.usdPerHour), ...credits.lines, rootVolumes("eks", hours, s, p)];
    front = albFor(w, s, false, p);
    containerLogs = "none";
  }
  const platform = platformLines(w, pl, s, { containerLogs, endpoints, publicFrontDoor }, p);
  notes.push(...platform.notes);
  return estimate(option, pl.featureStore, [...compute, ...front, ...platform.lines], notes, warnings);
}

function formatRps(rps: number): string {
  return rps >= 100 ? rps.toFixed(0) : rps >= 1 ? rps.toFixed(1) : rps.toPrecision(2);
}

/** Every option this stack's target can be priced as (Lambda has two front doors). */
export function optionsFor(target: "lambda" | "fargate" | "ec2" | "eks"): PricedOption[] {
  return target === "lambda" ? ["lambda-alb", "lambda-httpapi"] : [target];
}
