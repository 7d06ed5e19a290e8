// The one place stack config is read. Everything below `readConfig` is plain functions over plain
// values, so the rules are unit-tested directly and the cost comparison can validate stacks/*.yaml
// without a Pulumi engine.
import * as pulumi from "@pulumi/pulumi";
import type { Manifest } from "../../service/src/model/manifest";
import { loadManifest, modelPackageDir } from "../model-package";
import { COMPUTE_TARGETS, type Architecture, type ComputeTargetKind, type ServiceScaling, type TargetSizing } from "../compute/target";
import { Fields } from "./fields";
import { readEc2, readEks, readFargate, readLambda } from "./compute";
import {
  DEPLOYED_FEATURE_STORES,
  featureStoreProblems,
  type DeployedFeatureStore,
  type DynamoDBSettings,
  type KeyspacesSettings,
  type RedisSettings,
} from "./features";

import { exposureProblem, grpcProblem, readApiKeyIds, readGrpc, readLoadBalancer, type GrpcSettings, type LoadBalancerSettings } from "./exposure";

export * from "./compute";
export * from "./exposure";
export * from "./features";

export const PROJECT = "inference-blueprint";
export const ARCHITECTURES = ["x86_64", "arm64"] as const satisfies readonly Architecture[];
export const NAT_STRATEGIES = ["none", "single", "onePerAz"] as const;
export type NatStrategy = (typeof NAT_STRATEGIES)[number];

/** Values CloudWatch Logs accepts for retentionInDays (0, "never expire", is refused on purpose). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

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
  provisionDynamoDB: boolean;
  redis: RedisSettings;
  keyspaces: KeyspacesSettings;
  dynamodb: DynamoDBSettings;
  modelName: string;
  modelVersion: string;
  /** Where the ALB listens: inside the VPC only, or on the internet (then with HTTPS and API keys). */
  loadBalancer: LoadBalancerSettings;
  /** Also expose OIP v2 gRPC through the ALB (container targets with HTTPS only). */
  grpc: GrpcSettings;
  certificateArn: string | undefined;
  domainName: string | undefined;
  /** Ids of the generated API keys an internet-facing stack requires (the secret maps id → key). */
  apiKeyIds: string[];
  image: ImageSettings;
  /** Let `pulumi destroy` delete the model bucket with objects uploaded outside Pulumi (dev stacks). */
  modelBucketForceDestroy: boolean;
  logRetentionDays: number;
  traffic: TrafficProfile;
}

export interface ImageSettings {
  /** Images the registry keeps, newest first: what a rollback can go back to. */
  keepImages: number;
  /** Tag the image with this release (e.g. a git tag) instead of its content hash. */
  releaseTag: string | undefined;
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
  provisionDynamoDB: false,
  redis: { nodeType: "cache.t4g.micro", replicas: 0, multiAz: false, engineVersion: "7.1" },
  keyspaces: { pointInTimeRecovery: false },
  dynamodb: { pointInTimeRecovery: true },
  modelName: "fraud",
  modelVersion: "1",
  loadBalancer: { scheme: "internal" },
  grpc: { enabled: false },
  certificateArn: undefined,
  domainName: undefined,
  apiKeyIds: ["default"],
  image: { keepImages: 10, releaseTag: undefined },
  modelBucketForceDestroy: false,
  logRetentionDays: 30,
  lambda: { memoryMb: 1024, timeoutSeconds: 10, provisionedConcurrency: 0, apiGateway: false, vpc: true },
  fargate: { cpu: 256, memoryMb: 512, spotPercent: 0, scaling: scaling(1, 4) },
  ec2: { instanceType: "t4g.small", minInstances: 1, maxInstances: 3, cpu: 256, memoryMb: 256, scaling: scaling(1, 4) },
  eks: {
    kubernetesVersion: "1.35",
    instanceTypes: ["t4g.medium"],
    minNodes: 1,
    maxNodes: 3,
    desiredNodes: 2,
    cpuMillis: 250,
    memoryMb: 256,
    scaling: scaling(2, 6),
    adminPrincipalArns: [],
    endpointPublicAccess: true,
    publicAccessCidrs: ["0.0.0.0/0"],
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

/** ECR tags: letters, digits, `_ . -`, at most 128, not starting with `.` or `-`. */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

function readImage(f: Fields, d: ImageSettings): ImageSettings {
  const i = f.object("image", ["keepImages", "releaseTag"]);
  return {
    // ECR lifecycle rules count up to 10000 images.
    keepImages: i.number("keepImages", d.keepImages, 1, 10_000),
    releaseTag: i.optionalString("releaseTag", IMAGE_TAG, "an image tag (letters, digits, _ . -; at most 128)"),
  };
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
  const dynamodbFields = f.object("dynamodb", Object.keys(d.dynamodb));
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
    provisionDynamoDB: featureStore === "dynamodb" || f.boolean("provisionDynamoDB", false),
    redis,
    keyspaces: { pointInTimeRecovery: keyspacesFields.boolean("pointInTimeRecovery", d.keyspaces.pointInTimeRecovery) },
    dynamodb: { pointInTimeRecovery: dynamodbFields.boolean("pointInTimeRecovery", d.dynamodb.pointInTimeRecovery) },
    modelName: f.string("modelName", d.modelName, /^[a-z0-9][a-z0-9_-]*$/, "a model name (lowercase letters, digits, - and _)"),
    modelVersion: f.string("modelVersion", d.modelVersion, /^[A-Za-z0-9._-]+$/, "a model version (letters, digits, . - _)"),
    loadBalancer: readLoadBalancer(f, d.loadBalancer),
    grpc: readGrpc(f, d.grpc),
    certificateArn: f.optionalString("certificateArn", /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/, "an ACM certificate ARN"),
    domainName: f.optionalString("domainName", /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "a DNS name like ml.example.com"),
    apiKeyIds: readApiKeyIds(f, d.apiKeyIds),
    image: readImage(f, d.image),
    modelBucketForceDestroy: f.boolean("modelBucketForceDestroy", d.modelBucketForceDestroy),
    logRetentionDays: f.number("logRetentionDays", d.logRetentionDays, 1, 3653),
    lambda: readLambda(f, d.lambda),
    fargate: readFargate(f, d.fargate),
    // Capacity must run the image only for the target that is deployed.
    ec2: readEc2(f, d.ec2, computeTarget === "ec2" ? architecture : undefined),
    eks: readEks(f, d.eks, computeTarget === "eks" ? architecture : undefined),
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
  const exposure = exposureProblem(config.loadBalancer.scheme, config.certificateArn);
  if (exposure) f.problem("loadBalancer", exposure);
  const grpc = grpcProblem(config.grpc, config.computeTarget, config.certificateArn);
  if (grpc) f.problem("grpc", grpc);
  if (config.domainName && !config.certificateArn) {
    f.problem("domainName", `serving ${config.domainName} needs HTTPS: request an ACM certificate for it and set certificateArn (this blueprint does not issue certificates)`);
  }
  if (config.natStrategy === "none" && !(config.computeTarget === "lambda" && !config.provisionRedis && !config.provisionKeyspaces)) {
    f.problem(
      "natStrategy",
      `"none" leaves the private subnets without a route to ECR, CloudWatch Logs, Secrets Manager and Keyspaces (only S3 has a gateway endpoint); it fits only lambda with no Redis or Keyspaces. Use "single" (one NAT) or "onePerAz" (production)`,
    );
  }
  if (!config.lambda.vpc && config.provisionRedis) {
    f.problem("lambda", "vpc: false puts the function outside the VPC, where it cannot reach Redis; keep vpc: true or choose featureStore dynamodb or keyspaces");
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
