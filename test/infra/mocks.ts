// Pulumi runtime mocks for the whole program: every resource and invoke the platform and the
// compute targets use gets plausible outputs, and every registration is recorded for assertions.
import type * as pulumi from "@pulumi/pulumi";

export const ACCOUNT_ID = "123456789012";
export const REGION = "us-east-1";

/**
 * One resource the program registered, with the inputs it passed and the state the mock returned,
 * in Pulumi's wire form (plain JSON, secrets as envelopes): read deep paths with `at`/`textAt`.
 */
export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  state: Record<string, unknown>;
  custom: boolean;
}

type PathStep = string | number;

/** The value at a path of keys and indexes, or undefined where the path runs out. */
export function at(value: unknown, ...path: PathStep[]): unknown {
  let v = value;
  for (const step of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PathStep, unknown>)[step];
  }
  return v;
}

/** A string at a path; throws, naming the path, when it is anything else. */
export function textAt(value: unknown, ...path: PathStep[]): string {
  const v = at(value, ...path);
  if (typeof v !== "string") throw new Error(`expected a string at ${path.join(".")}, got ${JSON.stringify(v)}`);
  return v;
}

/** A list at a path (empty when absent); throws when it is anything else. */
export function listAt(value: unknown, ...path: PathStep[]): unknown[] {
  const v = at(value, ...path);
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new Error(`expected a list at ${path.join(".")}, got ${JSON.stringify(v)}`);
  return v;
}

export interface Invoked {
  token: string;
  inputs: Record<string, unknown>;
}

/** Recorder shared by a program run's mocks. */
export interface MockRecord {
  resources: Registered[];
  invokes: Invoked[];
  /** Invoke tokens the mocks do not know (they return `{}`, which usually breaks what reads them). */
  unknownInvokes: string[];
}

const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT_ID}:${resource}`;

type State = Record<string, unknown>;
type Args = pulumi.runtime.MockResourceArgs;

function subnets(kind: string, name: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `subnet-${kind}-${name}-${i}`);
}

/** Outputs a real deployment would compute, per resource type; echoed inputs fill the rest. */
const FABRICATED: Record<string, (a: Args) => State> = {
  "awsx:ec2:Vpc": (a) => {
    const azs = Number(a.inputs.numberOfAvailabilityZones ?? 3);
    return {
      vpcId: `vpc-${a.name}`,
      publicSubnetIds: subnets("public", a.name, azs),
      privateSubnetIds: subnets("private", a.name, azs),
      isolatedSubnetIds: [],
      // Fabricated explicitly: echoing the `natGateways` input would shadow this output.
      natGateways: [],
    };
  },
  "awsx:ecr:Repository": (a) => ({ url: `${ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com/${a.name}` }),
  "awsx:ecr:Image": (a) => ({ imageUri: `${String(a.inputs.repositoryUrl)}@sha256:${"ab".repeat(32)}` }),
  "awsx:lb:ApplicationLoadBalancer": (a) => ({
    loadBalancer: { dnsName: `${a.name}.elb.amazonaws.com`, arn: arn("elasticloadbalancing", `loadbalancer/app/${a.name}`), securityGroups: [`sg-${a.name}`] },
    defaultTargetGroup: { arn: arn("elasticloadbalancing", `targetgroup/${a.name}`) },
  }),
  "awsx:ecs:FargateService": (a) => ({ service: { name: a.name, id: `svc-${a.name}` } }),
  "awsx:ecs:EC2Service": (a) => ({ service: { name: a.name, id: `svc-${a.name}` } }),
  "eks:index:Cluster": (a) => ({
    kubeconfigJson: JSON.stringify({ apiVersion: "v1", clusters: [{ name: a.name }] }),
    kubeconfig: { apiVersion: "v1", clusters: [{ name: a.name }] },
    eksCluster: { name: a.name, arn: arn("eks", `cluster/${a.name}`), vpcConfig: { clusterSecurityGroupId: `sg-${a.name}-cluster` } },
    oidcProviderArn: `arn:aws:iam::${ACCOUNT_ID}:oidc-provider/oidc.eks.${REGION}.amazonaws.com/id/MOCK`,
    oidcProviderUrl: `oidc.eks.${REGION}.amazonaws.com/id/MOCK`,
    oidcIssuer: `oidc.eks.${REGION}.amazonaws.com/id/MOCK`,
    nodeSecurityGroupId: `sg-${a.name}-nodes`,
    clusterSecurityGroupId: `sg-${a.name}-cluster`,
    core: {},
  }),
  "eks:index:ManagedNodeGroup": (a) => ({
    nodeGroup: {
      nodeGroupName: a.name,
      arn: arn("eks", `nodegroup/${a.name}`),
      resources: [{ autoscalingGroups: [{ name: `eks-${a.name}-asg` }] }],
    },
  }),
  "aws:s3/bucket:Bucket": (a) => {
    const bucket = String(a.inputs.bucket ?? `${a.name}-0a1b2c3`);
    return { bucket, arn: `arn:aws:s3:::${bucket}`, bucketRegionalDomainName: `${bucket}.s3.${REGION}.amazonaws.com` };
  },
  "aws:ecr/repository:Repository": (a) => ({
    repositoryUrl: `${ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com/${a.name}`,
    registryId: ACCOUNT_ID,
  }),
  // ELB ARNs in their real shapes: targets and alarms parse them (arnSuffix, listener → ALB).
  "aws:lb/loadBalancer:LoadBalancer": (a) => ({
    arn: arn("elasticloadbalancing", `loadbalancer/app/${a.name}/0123456789abcdef`),
    dnsName: `${a.name}-1234567890.${REGION}.elb.amazonaws.com`,
    arnSuffix: `app/${a.name}/0123456789abcdef`,
    zoneId: "Z35SXDOTRQ7X7K",
  }),
  "aws:lb/listener:Listener": (a) => ({
    arn: `${String(a.inputs.loadBalancerArn).replace(":loadbalancer/", ":listener/")}/${String(a.inputs.port ?? 80).padStart(16, "0")}`,
  }),
  "aws:lb/listenerRule:ListenerRule": (a) => ({
    arn: `${String(a.inputs.listenerArn).replace(":listener/", ":listener-rule/")}/${"0".repeat(15)}1`,
  }),
  "aws:lb/targetGroup:TargetGroup": (a) => ({
    arn: arn("elasticloadbalancing", `targetgroup/${a.name.slice(0, 32)}/0123456789abcdef`),
    arnSuffix: `targetgroup/${a.name.slice(0, 32)}/0123456789abcdef`,
  }),
  "aws:elasticache/replicationGroup:ReplicationGroup": (a) => ({
    primaryEndpointAddress: `master.${a.name}.abcdef.use1.cache.amazonaws.com`,
    readerEndpointAddress: `replica.${a.name}.abcdef.use1.cache.amazonaws.com`,
  }),
  "aws:keyspaces/keyspace:Keyspace": (a) => ({ arn: arn("cassandra", `/keyspace/${String(a.inputs.name)}/`) }),
  "aws:keyspaces/table:Table": (a) => ({
    arn: arn("cassandra", `/keyspace/${String(a.inputs.keyspaceName)}/table/${String(a.inputs.tableName)}`),
  }),
  "aws:cloudwatch/logGroup:LogGroup": (a) => ({ name: a.inputs.name ?? `/mock/${a.name}` }),
  "aws:secretsmanager/secret:Secret": (a) => ({ arn: arn("secretsmanager", `secret:${a.name}-AbCdEf`) }),
  "random:index/randomPassword:RandomPassword": (a) => ({ result: `mock-${a.name}-0123456789abcdef` }),
  "aws:ec2/securityGroup:SecurityGroup": (a) => ({ id: `sg-${a.name}` }),
  "aws:lambda/function:Function": (a) => ({
    invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${arn("lambda", `function:${a.name}`)}/invocations`,
    version: "1",
    qualifiedArn: arn("lambda", `function:${a.name}:1`),
  }),
  "aws:lambda/alias:Alias": (a) => ({ invokeArn: arn("lambda", `function:${a.name}:live`) }),
  "aws:apigatewayv2/api:Api": (a) => ({ apiEndpoint: `https://${a.name}.execute-api.${REGION}.amazonaws.com`, executionArn: arn("execute-api", a.name) }),
  "aws:iam/role:Role": (a) => ({ name: a.inputs.name ?? a.name, arn: `arn:aws:iam::${ACCOUNT_ID}:role/${a.name}` }),
  "aws:iam/policy:Policy": (a) => ({ arn: `arn:aws:iam::${ACCOUNT_ID}:policy/${a.name}` }),
  "aws:iam/instanceProfile:InstanceProfile": (a) => ({ arn: `arn:aws:iam::${ACCOUNT_ID}:instance-profile/${a.name}` }),
  "aws:ecs/cluster:Cluster": (a) => ({ name: a.inputs.name ?? a.name }),
  "aws:autoscaling/group:Group": (a) => ({ name: a.inputs.name ?? a.name }),
  "aws:ec2/launchTemplate:LaunchTemplate": () => ({ latestVersion: 1 }),
};

/** The state a mocked resource reports: inputs, the always-needed arn/id/name, then fabricated outputs. */
function stateOf(a: Args): { id: string; state: State } {
  const fabricated = FABRICATED[a.type]?.(a) ?? {};
  const id = String(fabricated.id ?? `${a.name}-id`);
  const service = a.type.split(":")[1]?.split("/")[0] ?? "mock";
  const state: State = {
    ...a.inputs,
    arn: arn(service, `${a.type.split(":").pop()?.toLowerCase()}/${a.name}`),
    name: a.inputs.name ?? a.name,
    ...fabricated,
    id,
  };
  return { id, state };
}

/** `aws.iam.getPolicyDocument` inputs → the JSON IAM would see. */
function policyJson(inputs: Record<string, unknown>): string {
  type In = { sid?: string; effect?: string; actions?: string[]; resources?: string[]; principals?: { type: string; identifiers: string[] }[]; conditions?: { test: string; variable: string; values: string[] }[] };
  const statements = (inputs.statements as In[] | undefined) ?? [];
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => ({
      ...(s.sid ? { Sid: s.sid } : {}),
      Effect: s.effect ?? "Allow",
      ...(s.actions ? { Action: s.actions } : {}),
      ...(s.resources ? { Resource: s.resources } : {}),
      ...(s.principals ? { Principal: Object.fromEntries(s.principals.map((p) => [p.type, p.identifiers])) } : {}),
      ...(s.conditions
        ? { Condition: Object.fromEntries(s.conditions.map((c) => [c.test, { [c.variable]: c.values }])) }
        : {}),
    })),
  });
}

const INVOKES: Record<string, (inputs: Record<string, unknown>) => Record<string, unknown>> = {
  "aws:index/getRegion:getRegion": () => ({ region: REGION, name: REGION, id: REGION }),
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({ accountId: ACCOUNT_ID, arn: `arn:aws:iam::${ACCOUNT_ID}:user/mock`, userId: "MOCK", id: ACCOUNT_ID }),
  "aws:index/getPartition:getPartition": () => ({ partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" }),
  "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
    names: [`${REGION}a`, `${REGION}b`, `${REGION}c`],
    zoneIds: ["use1-az1", "use1-az2", "use1-az4"],
  }),
  "aws:ec2/getRouteTables:getRouteTables": (inputs) => {
    const filters = (inputs.filters as { name: string; values: string[] }[] | undefined) ?? [];
    const subnetIds = filters.find((f) => f.name === "association.subnet-id")?.values ?? [];
    return { ids: subnetIds.map((s) => `rtb-${s}`), vpcId: inputs.vpcId, id: "rtbs" };
  },
  "aws:ec2/getAmi:getAmi": () => ({ id: "ami-0123456789abcdef0", imageId: "ami-0123456789abcdef0", architecture: "arm64" }),
  "aws:ssm/getParameter:getParameter": (inputs) => ({ name: inputs.name, value: "ami-0123456789abcdef0", type: "String", id: String(inputs.name) }),
  "aws:iam/getPolicyDocument:getPolicyDocument": (inputs) => ({ json: policyJson(inputs), id: "policy" }),
};

/** Mocks that record into `record`; pass to `pulumi.runtime.setMocks`. */
export function createMocks(record: MockRecord): pulumi.runtime.Mocks {
  return {
    newResource(args: Args): { id: string; state: State } {
      const { id, state } = stateOf(args);
      record.resources.push({ type: args.type, name: args.name, inputs: args.inputs, state, custom: args.custom ?? false });
      return { id, state };
    },
    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
      record.invokes.push({ token: args.token, inputs: args.inputs });
      const invoke = INVOKES[args.token];
      if (!invoke) {
        record.unknownInvokes.push(args.token);
        return {};
      }
      return invoke(args.inputs);
    },
  };
}
