// Builds one compute target under the platform's Pulumi mocks, from hand-made ComputeTargetArgs,
// in a fresh module registry and runtime, and returns what it registered.
import * as path from "node:path";
import type * as pulumiType from "@pulumi/pulumi";
import { toEnvironment } from "../../../service/src/config";
import { runtimePolicy } from "../../../infra/runtime-policy";
import type { ComputeTarget, ComputeTargetArgs } from "../../../infra/compute/target";
import { ACCOUNT_ID, REGION, createMocks, type MockRecord, type Registered } from "../mocks";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
export const BUCKET_ARN = "arn:aws:s3:::test-models";
export const MODEL_PREFIX = "models/fraud/1/";
export const COMPUTE_SG = "sg-compute";
export const ALB_SG = "sg-alb";
export const LOG_GROUP = "/inference-blueprint/test/service";
export const ALB_ARN_SUFFIX = "app/test-alb/0123456789abcdef";
export const LISTENER_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT_ID}:listener/${ALB_ARN_SUFFIX}/fedcba9876543210`;
export const IMAGE_URI = `${ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com/test-repo@sha256:${"cd".repeat(32)}`;
export const REDIS_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:redis-auth-AbCdEf`;

/** What the service's config module builds for a Redis-backed deployment. */
export const ENVIRONMENT = toEnvironment({
  modelUri: `s3://test-models/${MODEL_PREFIX}`,
  featureStore: "redis",
  awsRegion: REGION,
  feastProject: "fraud",
  redis: { host: "master.redis.example.cache.amazonaws.com", port: 6379, tls: true, authSecretArn: REDIS_SECRET_ARN },
});

export const RUNTIME_POLICY_JSON = JSON.stringify(
  runtimePolicy({
    partition: "aws",
    region: REGION,
    accountId: ACCOUNT_ID,
    bucketArn: BUCKET_ARN,
    modelPrefix: MODEL_PREFIX,
    keyspacesTables: [],
    redisSecretArn: REDIS_SECRET_ARN,
  }),
);

export function computeArgs(overrides: Partial<ComputeTargetArgs> = {}): ComputeTargetArgs {
  return {
    imageUri: IMAGE_URI,
    architecture: "arm64",
    environment: ENVIRONMENT,
    vpcId: "vpc-test",
    privateSubnetIds: ["subnet-private-a", "subnet-private-b"],
    computeSecurityGroupId: COMPUTE_SG,
    albSecurityGroupId: ALB_SG,
    listenerArn: LISTENER_ARN,
    runtimePolicyJson: RUNTIME_POLICY_JSON,
    logGroupName: LOG_GROUP,
    logRetentionDays: 30,
    tags: { project: "inference-blueprint", stack: "test" },
    ...overrides,
  };
}

type ComputeModule = typeof import("../../../infra/compute");

export interface ComponentRun {
  resources: Registered[];
  invokes: MockRecord["invokes"];
  /** The component's own outputs, resolved. */
  outputs: Record<string, unknown>;
}

/** Runs `build` against a fresh copy of infra/compute under mocks. */
export async function runComponent(build: (compute: ComputeModule) => ComputeTarget): Promise<ComponentRun> {
  const record: MockRecord = { resources: [], invokes: [], unknownInvokes: [] };
  let pulumi!: typeof pulumiType;
  let target!: ComputeTarget;
  delete (globalThis as { globalStore?: unknown }).globalStore;
  jest.isolateModules(() => {
    pulumi = require("@pulumi/pulumi") as typeof pulumiType;
    pulumi.runtime.setAllConfig({ "aws:region": REGION }, []);
    void pulumi.runtime.setMocks(createMocks(record), "inference-blueprint", "test", false);
    const compute = require(path.join(REPO_ROOT, "infra", "compute")) as ComputeModule;
    target = build(compute);
  });
  const outputs: Record<string, unknown> = {};
  const read = (o: pulumiType.Output<unknown> | undefined) =>
    o === undefined ? Promise.resolve(undefined) : new Promise<unknown>((done) => o.apply(done));
  outputs.targetGroupArn = await read(target.targetGroupArn);
  outputs.apiEndpoint = await read(target.apiEndpoint);
  outputs.urn = await read(target.urn);
  await pulumi.runtime.disconnect();
  if (record.unknownInvokes.length > 0) throw new Error(`unmocked invokes: ${record.unknownInvokes.join(", ")}`);
  return { resources: record.resources, invokes: record.invokes, outputs };
}

export function ofType(resources: Registered[], type: string): Registered[] {
  return resources.filter((r) => r.type === type);
}

/** Exactly one resource of `type`; fails the test otherwise. */
export function one(resources: Registered[], type: string): Registered {
  const found = ofType(resources, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
  return found[0] as Registered;
}

export function named(resources: Registered[], type: string, name: string): Registered {
  const found = resources.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`no ${type} named ${name}; have ${ofType(resources, type).map((r) => r.name).join(", ")}`);
  return found;
}
