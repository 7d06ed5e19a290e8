// The one place stack config is read. Everything below `readConfig` is plain functions over plain
// values, so the rules are unit-tested directly and the cost comparison can validate stacks/*.yaml
// without a Pulumi engine.
import * as pulumi from "@pulumi/pulumi";
import type { Manifest } from "../service/src/model/manifest";
import { loadManifest, modelPackageDir } from "./model-package";
import {
  COMPUTE_TARGETS,
  type Architecture,
  type ComputeTargetKind,
  type Ec2Sizing,
  type EksSizing,
  type FargateSizing,
  type LambdaSizing,
  type ServiceScaling,
  type TargetSizing,
} from "./compute/target";

export const PROJECT = "inference-blueprint";
export const ARCHITECTURES = ["x86_64", "arm64"] as const satisfies readonly Architecture[];
export const NAT_STRATEGIES = ["none", "single", "onePerAz"] as const;
export type NatStrategy = (typeof NAT_STRATEGIES)[number];
/** Stores a deployed stack can serve from; self-managed Cassandra is not provisioned here. */
export const DEPLOYED_FEATURE_STORES = ["embedded", "redis", "keyspaces"] as const;
export type DeployedFeatureStore = (typeof DEPLOYED_FEATURE_STORES)[number];

/** Values CloudWatch Logs accepts for retentionInDays (0, "never expire", is refused on purpose). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The ALB's idle timeout; a target that answers slower than this is cut off by the ALB. */
export const ALB_IDLE_TIMEOUT_SECONDS = 60;

/** Fargate's documented task sizes: CPU units → allowed memory (MiB). */
export const FARGATE_TASK_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

/** Amazon Keyspaces table names are at most 48 characters. */
export const KEYSPACES_TABLE_NAME_MAX = 48;

export interface RedisSettings {
  nodeType: string;
  /** Read replicas besides the primary. */
  replicas: number;
  /** Multi-AZ with automatic failover; needs at least one replica. */
  multiAz: boolean;
  engineVersion: string;
}

export interface KeyspacesSettings {
  pointInTimeRecovery: boolean;
}

/** The traffic a stack is sized and priced for (read by the cost comparison). */
export interface TrafficProfile {
  requestsPerSecond: number;
  meanDurationMs: number;
  activeHoursPerDay: number;
  /** What one task/pod/instance of the service sustains; sets how many run. */
  requestsPerTaskPerSecond: number;
}

export interface BlueprintConfig extends TargetSizing {
  computeTarget: ComputeTargetKind;
  architecture: Architecture;
  natStrategy: NatStrategy;
  availabilityZones: number;
  featureStore: DeployedFeatureStore;
  provisionRedis: boolean;
  provisionKeyspaces: boolean;
  redis: RedisSettings;
  keyspaces: KeyspacesSettings;
  modelName: string;
  modelVersion: string;
  certificateArn: string | undefined;
  domainName: string | undefined;
  logRetentionDays: number;
  traffic: TrafficProfile;
}

const scaling = (minCount: number, maxCount: number): ServiceScaling => ({
  minCount,
  maxCount,
  cpuTargetPercent: 60,
  requestsPerTarget: 1000,
});

/**
 * Defaults for every key; Pulumi.yaml declares the same values (a test keeps them equal), and
 * nested objects are merged field by field so a stack may set only what it changes.
 */
export const DEFAULTS: BlueprintConfig = {
  computeTarget: "fargate",
  architecture: "arm64",
  natStrategy: "single",
  availabilityZones: 2,
  featureStore: "redis",
  provisionRedis: false,
  provisionKeyspaces: false,
  redis: { nodeType: "cache.t4g.micro", replicas: 0, multiAz: false, engineVersion: "7.1" },
  keyspaces: { pointInTimeRecovery: false },
  modelName: "fraud",
  modelVersion: "1",
  certificateArn: undefined,
  domainName: undefined,
  logRetentionDays: 30,
  lambda: { memoryMb: 1024, timeoutSeconds: 10, provisionedConcurrency: 0, apiGateway: false },
  fargate: { cpu: 256, memoryMb: 512, spotPercent: 0, scaling: scaling(1, 4) },
  ec2: { instanceType: "t4g.small", minInstances: 1, maxInstances: 3, cpu: 256, memoryMb: 256, scaling: scaling(1, 4) },
  eks: {
    kubernetesVersion: "1.33",
    instanceTypes: ["t4g.medium"],
    minNodes: 1,
    maxNodes: 3,
    desiredNodes: 2,
    cpuMillis: 250,
    memoryMb: 256,
    scaling: scaling(2, 6),
    adminPrincipalArns: [],
  },
  traffic: { requestsPerSecond: 5, meanDurationMs: 15, activeHoursPerDay: 24, requestsPerTaskPerSecond: 300 },
};

/** Every key the project namespace accepts. */
export const CONFIG_KEYS: readonly string[] = Object.keys(DEFAULTS);

export class BlueprintConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid ${PROJECT} stack config:\n  - ${problems.join("\n  - ")}`);
    this.name = "BlueprintConfigError";
  }
}

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

type Raw = Record<string, unknown>;

/** Reads typed fields off one config object, collecting problems instead of stopping at the first. */
class Fields {
  constructor(
    private readonly problems: string[],
    private readonly prefix: string,
    private readonly raw: Raw,
    allowed: readonly string[],
  ) {
    for (const key of Object.keys(raw)) {
      if (!allowed.includes(key)) {
        problems.push(`${this.at(key)}: unknown key; expected one of ${allowed.join(", ")}`);
      }
    }
  }

  private at(key: string): string {
    return this.prefix ? `${this.prefix}.${key}` : key;
  }

  problem(key: string, message: string): void {
    this.problems.push(`${this.at(key)}: ${message}`);
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
    this.problem(key, `${JSON.stringify(v)} is not one of ${allowed.join(", ")}`);
    return fallback;
  }

  string(key: string, fallback: string, pattern?: RegExp, expected?: string): string {
    const v = this.optionalString(key, pattern, expected);
    return v ?? fallback;
  }

  optionalString(key: string, pattern?: RegExp, expected?: string): string | undefined {
    const v = this.raw[key];
    if (v === undefined || v === null || v === "") return undefined;
    // YAML and `pulumi config set` turn `1` into a number; a version "1" is still meant.
    const s = typeof v === "number" && Number.isFinite(v) ? String(v) : v;
    if (typeof s !== "string") {
      this.problem(key, `expected a string, got ${JSON.stringify(v)}`);
      return undefined;
    }
    if (pattern && !pattern.test(s)) {
      this.problem(key, `${JSON.stringify(s)} is not ${expected ?? `a match for ${pattern}`}`);
      return undefined;
    }
    return s;
  }

  number(key: string, fallback: number, min: number, max: number, integer = true): number {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
    const kind = integer ? "an integer" : "a number";
    if (typeof n !== "number" || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
      this.problem(key, `${JSON.stringify(v)} is not ${kind} from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === "boolean") return v;
    if (v === "true" || v === "false") return v === "true";
    this.problem(key, `expected true or false, got ${JSON.stringify(v)}`);
    return fallback;
  }

  stringList(key: string, fallback: string[], pattern: RegExp, expected: string, allowEmpty = false): string[] {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (!Array.isArray(v) || (v.length === 0 && !allowEmpty)) {
      this.problem(key, `expected a ${allowEmpty ? "" : "non-empty "}list of ${expected}, got ${JSON.stringify(v)}`);
      return fallback;
    }
    const bad = v.filter((s) => typeof s !== "string" || !pattern.test(s));
    if (bad.length > 0) {
      this.problem(key, `${bad.map((b) => JSON.stringify(b)).join(", ")} is not ${expected}`);
      return fallback;
    }
    return v as string[];
  }

  object(key: string, allowed: readonly string[]): Fields {
    const v = this.raw[key];
    if (v === undefined || v === null) return new Fields(this.problems, this.at(key), {}, allowed);
    if (typeof v !== "object" || Array.isArray(v)) {
      this.problem(key, `expected an object with ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
      return new Fields(this.problems, this.at(key), {}, allowed);
    }
    return new Fields(this.problems, this.at(key), v as Raw, allowed);
  }
}

const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

/** Graviton families carry a `g` after the generation digit (t4g, m7g, c7gn, r8gd) or are a1. */
export function isGravitonInstanceType(instanceType: string): boolean {
  const family = instanceType.split(".")[0] ?? "";
  return family === "a1" || /^[a-z]+\d+[a-z-]*g/.test(family);
}

function readScaling(f: Fields, d: ServiceScaling): ServiceScaling {
  const s = f.object("scaling", Object.keys(d));
  const out: ServiceScaling = {
    minCount: s.number("minCount", d.minCount, 0, 1000),
    maxCount: s.number("maxCount", d.maxCount, 1, 1000),
    cpuTargetPercent: s.number("cpuTargetPercent", d.cpuTargetPercent, 1, 100),
    requestsPerTarget: s.number("requestsPerTarget", d.requestsPerTarget, 1, 1_000_000),
  };
  if (out.minCount > out.maxCount) {
    s.problem("minCount", `${out.minCount} is above maxCount ${out.maxCount}; autoscaling needs minCount ≤ maxCount`);
  }
  return out;
}

function readLambda(f: Fields): LambdaSizing {
  const d = DEFAULTS.lambda;
  const l = f.object("lambda", ["memoryMb", "timeoutSeconds", "reservedConcurrency", "provisionedConcurrency", "apiGateway"]);
  const out: LambdaSizing = {
    memoryMb: l.number("memoryMb", d.memoryMb, 128, 10240),
    timeoutSeconds: l.number("timeoutSeconds", d.timeoutSeconds, 1, 900),
    provisionedConcurrency: l.number("provisionedConcurrency", d.provisionedConcurrency, 0, 10_000),
    apiGateway: l.boolean("apiGateway", d.apiGateway),
  };
  const reserved = l.number("reservedConcurrency", -1, 0, 10_000);
  if (reserved >= 0) out.reservedConcurrency = reserved;
  if (out.timeoutSeconds >= ALB_IDLE_TIMEOUT_SECONDS) {
    l.problem(
      "timeoutSeconds",
      `${out.timeoutSeconds} s is not below the ALB idle timeout (${ALB_IDLE_TIMEOUT_SECONDS} s): the ALB would cut the request first; use at most ${ALB_IDLE_TIMEOUT_SECONDS - 1}`,
    );
  }
  if (out.reservedConcurrency !== undefined && out.provisionedConcurrency > out.reservedConcurrency) {
    l.problem(
      "provisionedConcurrency",
      `${out.provisionedConcurrency} exceeds reservedConcurrency ${out.reservedConcurrency}; Lambda refuses more provisioned than reserved`,
    );
  }
  return out;
}

/** Why a Fargate pair is invalid, listing the valid ones; undefined when valid. */
export function fargatePairProblem(cpu: number, memoryMb: number): string | undefined {
  const allowed = FARGATE_TASK_SIZES[cpu];
  if (!allowed) {
    return `cpu ${cpu} is not a Fargate task size; expected one of ${Object.keys(FARGATE_TASK_SIZES).join(", ")}`;
  }
  if (!allowed.includes(memoryMb)) {
    return `cpu ${cpu} with memoryMb ${memoryMb} is not a valid Fargate pair; with cpu ${cpu} memoryMb must be one of ${allowed.join(", ")}`;
  }
  return undefined;
}

/** Why a Spot share cannot run on the architecture; undefined when it can. */
export function fargateSpotProblem(spotPercent: number, architecture: Architecture): string | undefined {
  if (spotPercent === 0 || architecture !== "arm64") return undefined;
  return `${spotPercent} % of tasks on Fargate Spot, but Fargate Spot does not run ARM64 (Graviton) tasks and the image is arm64; set fargate.spotPercent to 0, or architecture to x86_64 to use Spot`;
}

function readFargate(f: Fields, architecture: Architecture | undefined): FargateSizing {
  const d = DEFAULTS.fargate;
  const g = f.object("fargate", Object.keys(d));
  const out: FargateSizing = {
    cpu: g.number("cpu", d.cpu, 1, 16384),
    memoryMb: g.number("memoryMb", d.memoryMb, 1, 122880),
    spotPercent: g.number("spotPercent", d.spotPercent, 0, 100),
    scaling: readScaling(g, d.scaling),
  };
  const pair = fargatePairProblem(out.cpu, out.memoryMb);
  if (pair) g.problem("cpu", pair);
  const spot = architecture && fargateSpotProblem(out.spotPercent, architecture);
  if (spot) g.problem("spotPercent", spot);
  return out;
}

function architectureProblem(types: string[], architecture: Architecture): string | undefined {
  const wrong = types.filter((t) => isGravitonInstanceType(t) !== (architecture === "arm64"));
  if (wrong.length === 0) return undefined;
  return `${wrong.join(", ")} cannot run the ${architecture} image; choose ${architecture === "arm64" ? "Graviton (e.g. t4g, m7g)" : "x86 (e.g. t3, m7i)"} instance types or change architecture`;
}

function readEc2(f: Fields, architecture: Architecture | undefined): Ec2Sizing {
  const d = DEFAULTS.ec2;
  const e = f.object("ec2", Object.keys(d));
  const out: Ec2Sizing = {
    instanceType: e.string("instanceType", d.instanceType, INSTANCE_TYPE, "an EC2 instance type like t4g.small"),
    minInstances: e.number("minInstances", d.minInstances, 0, 1000),
    maxInstances: e.number("maxInstances", d.maxInstances, 1, 1000),
    cpu: e.number("cpu", d.cpu, 128, 192 * 1024),
    memoryMb: e.number("memoryMb", d.memoryMb, 6, 24 * 1024 * 1024),
    scaling: readScaling(e, d.scaling),
  };
  if (out.minInstances > out.maxInstances) {
    e.problem("minInstances", `${out.minInstances} is above maxInstances ${out.maxInstances}`);
  }
  const arch = architecture && architectureProblem([out.instanceType], architecture);
  if (arch) e.problem("instanceType", arch);
  return out;
}

/** An IAM role or user: what an EKS access entry accepts as its principal. */
const ACCESS_ENTRY_PRINCIPAL = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;
const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/.+$/;

/** Access entries take IAM roles and users only, each once; an STS session is named by its role. */
function readAdminPrincipalArns(k: Fields, fallback: string[]): string[] {
  const raw = k.stringList("adminPrincipalArns", fallback, /^\S+$/, "an IAM role or user ARN", true);
  const problems: string[] = [];
  for (const arn of raw) {
    const session = ASSUMED_ROLE.exec(arn);
    if (session) {
      problems.push(`${arn} is an STS session, which EKS access entries refuse; use its role, arn:${session[1]}:iam::${session[2]}:role/${session[3]}`);
    } else if (!ACCESS_ENTRY_PRINCIPAL.test(arn)) {
      problems.push(`${arn} is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name> or …:user/<name>)`);
    }
  }
  const repeated = raw.filter((arn, i) => raw.indexOf(arn) !== i);
  if (repeated.length > 0) problems.push(`${[...new Set(repeated)].join(", ")} listed more than once; EKS allows one access entry per principal`);
  for (const p of problems) k.problem("adminPrincipalArns", p);
  return problems.length > 0 ? fallback : raw;
}

function readEks(f: Fields, architecture: Architecture | undefined): EksSizing {
  const d = DEFAULTS.eks;
  const k = f.object("eks", Object.keys(d));
  const out: EksSizing = {
    kubernetesVersion: k.string("kubernetesVersion", d.kubernetesVersion, /^1\.\d+$/, "a Kubernetes minor version like 1.33"),
    instanceTypes: k.stringList("instanceTypes", d.instanceTypes, INSTANCE_TYPE, "an EC2 instance type like t4g.medium"),
    minNodes: k.number("minNodes", d.minNodes, 0, 450),
    maxNodes: k.number("maxNodes", d.maxNodes, 1, 450),
    desiredNodes: k.number("desiredNodes", d.desiredNodes, 0, 450),
    cpuMillis: k.number("cpuMillis", d.cpuMillis, 10, 192_000),
    memoryMb: k.number("memoryMb", d.memoryMb, 16, 24 * 1024 * 1024),
    scaling: readScaling(k, d.scaling),
    adminPrincipalArns: readAdminPrincipalArns(k, d.adminPrincipalArns ?? []),
  };
  if (!(out.minNodes <= out.desiredNodes && out.desiredNodes <= out.maxNodes)) {
    k.problem("desiredNodes", `expected minNodes ≤ desiredNodes ≤ maxNodes, got ${out.minNodes} ≤ ${out.desiredNodes} ≤ ${out.maxNodes}`);
  }
  const arch = architecture && architectureProblem(out.instanceTypes, architecture);
  if (arch) k.problem("instanceTypes", arch);
  return out;
}

function readTraffic(f: Fields): TrafficProfile {
  const d = DEFAULTS.traffic;
  const t = f.object("traffic", Object.keys(d));
  const out: TrafficProfile = {
    requestsPerSecond: t.number("requestsPerSecond", d.requestsPerSecond, 0, 1e7, false),
    meanDurationMs: t.number("meanDurationMs", d.meanDurationMs, 0, 900_000, false),
    activeHoursPerDay: t.number("activeHoursPerDay", d.activeHoursPerDay, 0, 24, false),
    requestsPerTaskPerSecond: t.number("requestsPerTaskPerSecond", d.requestsPerTaskPerSecond, 0, 1e7, false),
  };
  if (out.requestsPerTaskPerSecond === 0) {
    t.problem("requestsPerTaskPerSecond", "must be above 0: it divides the request rate into tasks");
  }
  return out;
}

/** Keyspaces table of one feature view, in Feast's Cassandra layout: `<project>_<view>`. */
export function featureTableName(manifest: Pick<Manifest, "project">, view: string): string {
  return `${manifest.project}_${view}`;
}

/** Problems between the chosen feature store and what the model's manifest reads. */
export function featureStoreProblems(
  config: Pick<BlueprintConfig, "featureStore" | "modelName" | "modelVersion">,
  manifest: Manifest,
): string[] {
  const problems: string[] = [];
  if (manifest.name !== config.modelName || manifest.version !== config.modelVersion) {
    problems.push(
      `modelName/modelVersion: the manifest at models/${config.modelName}/${config.modelVersion}/ names ${manifest.name}/${manifest.version}; the folder and the manifest must agree`,
    );
  }
  const onlineViews = [
    ...new Set(manifest.features.flatMap((f) => (f.source.kind === "online" ? [f.source.view] : []))),
  ];
  if (onlineViews.length > 0 && config.featureStore === "embedded") {
    problems.push(
      `featureStore: "embedded" reads an offline Parquet file from the service's disk, which a deployed stack does not ship, but model ${manifest.name} reads online features from ${onlineViews.join(", ")}; choose redis or keyspaces and materialize the features into it`,
    );
  }
  if (onlineViews.length === 0 && config.featureStore !== "embedded") {
    problems.push(
      `featureStore: model ${manifest.name} reads no online features, so ${config.featureStore} would be provisioned and never read; choose embedded`,
    );
  }
  if (config.featureStore === "keyspaces") {
    for (const view of manifest.featureViews) {
      const table = featureTableName(manifest, view.name);
      if (table.length > KEYSPACES_TABLE_NAME_MAX) {
        problems.push(
          `featureStore: Keyspaces table "${table}" (project_view) is ${table.length} characters, over Keyspaces' ${KEYSPACES_TABLE_NAME_MAX}; shorten the manifest's project or view name`,
        );
      }
    }
  }
  return problems;
}

/**
 * Validates the project's stack config (keys without the `inference-blueprint:` prefix, values
 * already parsed from YAML/JSON) and fills defaults. With the model's manifest, also checks the
 * feature store against what the model reads; with the stack's region (`aws:region`), that the
 * certificate is in it. Throws one BlueprintConfigError listing every problem.
 */
export function validateConfig(raw: Record<string, unknown>, manifest?: Manifest, region?: string): BlueprintConfig {
  const problems: string[] = [];
  const f = new Fields(problems, "", raw, CONFIG_KEYS);
  const d = DEFAULTS;

  const computeTarget = f.oneOf("computeTarget", COMPUTE_TARGETS, d.computeTarget);
  const architecture = f.oneOf("architecture", ARCHITECTURES, d.architecture);
  const featureStore = f.oneOf("featureStore", DEPLOYED_FEATURE_STORES, d.featureStore);
  const redisFields = f.object("redis", Object.keys(d.redis));
  const redis: RedisSettings = {
    nodeType: redisFields.string("nodeType", d.redis.nodeType, /^cache\.[a-z0-9]+\.[a-z0-9]+$/, "an ElastiCache node type like cache.t4g.micro"),
    replicas: redisFields.number("replicas", d.redis.replicas, 0, 5),
    multiAz: redisFields.boolean("multiAz", d.redis.multiAz),
    engineVersion: redisFields.string("engineVersion", d.redis.engineVersion, /^\d+(\.\d+)?$/, "a Redis engine version like 7.1"),
  };
  if (redis.multiAz && redis.replicas < 1) {
    redisFields.problem("multiAz", "multi-AZ failover needs a replica to fail over to; set replicas to 1 or more");
  }
  const keyspacesFields = f.object("keyspaces", Object.keys(d.keyspaces));
  const config: BlueprintConfig = {
    computeTarget,
    architecture,
    natStrategy: f.oneOf("natStrategy", NAT_STRATEGIES, d.natStrategy),
    availabilityZones: f.number("availabilityZones", d.availabilityZones, 2, 3),
    featureStore,
    // The store the service reads is always provisioned; these add the other one (e.g. to
    // materialize into it before switching), since Pulumi fills an unset key with its default.
    provisionRedis: featureStore === "redis" || f.boolean("provisionRedis", false),
    provisionKeyspaces: featureStore === "keyspaces" || f.boolean("provisionKeyspaces", false),
    redis,
    keyspaces: { pointInTimeRecovery: keyspacesFields.boolean("pointInTimeRecovery", d.keyspaces.pointInTimeRecovery) },
    modelName: f.string("modelName", d.modelName, /^[a-z0-9][a-z0-9_-]*$/, "a model name (lowercase letters, digits, - and _)"),
    modelVersion: f.string("modelVersion", d.modelVersion, /^[A-Za-z0-9._-]+$/, "a model version (letters, digits, . - _)"),
    certificateArn: f.optionalString("certificateArn", /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/, "an ACM certificate ARN"),
    domainName: f.optionalString("domainName", /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "a DNS name like ml.example.com"),
    logRetentionDays: f.number("logRetentionDays", d.logRetentionDays, 1, 3653),
    lambda: readLambda(f),
    // Capacity must run the image only for the target that is deployed.
    fargate: readFargate(f, computeTarget === "fargate" ? architecture : undefined),
    ec2: readEc2(f, computeTarget === "ec2" ? architecture : undefined),
    eks: readEks(f, computeTarget === "eks" ? architecture : undefined),
    traffic: readTraffic(f),
  };
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(config.logRetentionDays)) {
    f.problem("logRetentionDays", `${config.logRetentionDays} is not a CloudWatch retention; expected one of ${LOG_RETENTION_DAYS.join(", ")}`);
  }
  const certificateRegion = config.certificateArn?.split(":")[3];
  if (region && certificateRegion && certificateRegion !== region) {
    f.problem(
      "certificateArn",
      `the certificate is in ${certificateRegion}, but the stack's ALB is in ${region} (aws:region) and can use only certificates of its own region; request or import the certificate in ACM in ${region}`,
    );
  }
  if (config.domainName && !config.certificateArn) {
    f.problem("domainName", `serving ${config.domainName} needs HTTPS: request an ACM certificate for it and set certificateArn (this blueprint does not issue certificates)`);
  }
  if (config.natStrategy === "none" && !(config.computeTarget === "lambda" && !config.provisionRedis && !config.provisionKeyspaces)) {
    f.problem(
      "natStrategy",
      `"none" leaves the private subnets without a route to ECR, CloudWatch Logs, Secrets Manager and Keyspaces (only S3 has a gateway endpoint); it fits only lambda with no Redis or Keyspaces. Use "single" (one NAT) or "onePerAz" (production)`,
    );
  }
  if (manifest) problems.push(...featureStoreProblems(config, manifest));
  if (problems.length > 0) throw new BlueprintConfigError(problems);
  return config;
}

/** Config values arrive as strings; objects, numbers and booleans are JSON. */
function parseValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** The project namespace of the running stack's config, parsed. */
export function rawStackConfig(): Record<string, unknown> {
  const namespace = new pulumi.Config().name;
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (key.startsWith(`${namespace}:`)) raw[key.slice(namespace.length + 1)] = parseValue(value);
  }
  return raw;
}

/** The stack's AWS region (`aws:region`), which the provider and the service's AWS_REGION share. */
export function readRegion(): string {
  const region = new pulumi.Config("aws").get("region");
  if (!region) throw new Error("aws:region is not set; set it in the stack file (e.g. aws:region: us-east-1)");
  return region;
}

/** Reads the stack's config once, validated against the model package it deploys and the stack's region. */
export function readConfig(region: string = readRegion()): BlueprintConfig {
  const raw = rawStackConfig();
  const shape = validateConfig(raw, undefined, region);
  return validateConfig(raw, loadManifest(modelPackageDir(shape.modelName, shape.modelVersion)), region);
}
