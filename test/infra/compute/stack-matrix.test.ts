// The whole program under mocks for every stack file: each stack builds exactly its own target,
// wired to the platform the same way, and holds the invariants AWS enforces at deploy time.
import { HEALTH_PATH, PORT, READY_PATH } from "../../../service/src/config";
import { ALB_IDLE_TIMEOUT_SECONDS, fargatePairProblem, isGravitonInstanceType, LOG_RETENTION_DAYS } from "../../../infra/config";
import { AUTONAME_SUFFIX_LENGTH, TARGET_GROUP_NAME_LIMIT } from "../../../infra/compute/alb";
import { LAMBDA_RESERVED_VARIABLES } from "../../../infra/compute/environment";
import { SECURITY_GROUP_DESCRIPTION } from "../../../infra/naming";
import type { ComputeTargetKind } from "../../../infra/compute/target";
import * as path from "node:path";
import { REPO_ROOT, at, listAt, ofType, textAt, readProjectConfig, runStack, stackFiles, type Registered, type StackRun } from "../harness";

const COMPONENT: Record<ComputeTargetKind, string> = {
  lambda: "inference-blueprint:compute:LambdaTarget",
  fargate: "inference-blueprint:compute:FargateTarget",
  ec2: "inference-blueprint:compute:Ec2Target",
  eks: "inference-blueprint:compute:EksTarget",
};
const TARGET_TYPE: Record<ComputeTargetKind, string> = { lambda: "lambda", fargate: "ip", ec2: "ip", eks: "instance" };
/** Resource types only one target may create. */
const OWN_TYPES: Record<ComputeTargetKind, string[]> = {
  lambda: ["aws:lambda/function:Function", "aws:lambda/permission:Permission"],
  fargate: [],
  ec2: ["aws:ecs/capacityProvider:CapacityProvider", "aws:autoscaling/group:Group", "aws:ec2/launchTemplate:LaunchTemplate"],
  eks: ["eks:index:Cluster", "eks:index:ManagedNodeGroup", "pulumi:providers:kubernetes", "aws:ec2/launchTemplate:LaunchTemplate"],
};
const ECS_TYPES = ["aws:ecs/cluster:Cluster", "aws:ecs/service:Service", "aws:ecs/taskDefinition:TaskDefinition"];

const kindOf = (stackFile: string) => String(readProjectConfig(stackFile).computeTarget ?? "fargate") as ComputeTargetKind;
const sorted = (o: Record<string, unknown>) => Object.keys(o).sort();

type Policy = { Statement: { Action: string | string[]; Resource: string | string[]; Condition?: unknown }[] };
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

/** The environment the target handed its runtime, in whatever shape that runtime takes. */
function deployedEnvironment(kind: ComputeTargetKind, resources: Registered[]): Record<string, string> {
  const entries = (e: { name: string; value: string }[]) => Object.fromEntries(e.map((x) => [x.name, x.value]));
  switch (kind) {
    case "lambda":
      return at(ofType(resources, "aws:lambda/function:Function")[0]?.inputs, "environment", "variables") as Record<string, string>;
    case "fargate":
    case "ec2":
      return entries(JSON.parse(textAt(ofType(resources, "aws:ecs/taskDefinition:TaskDefinition")[0]?.inputs, "containerDefinitions"))[0].environment);
    case "eks":
      return entries(listAt(ofType(resources, "kubernetes:apps/v1:Deployment")[0]?.inputs, "spec", "template", "spec", "containers", 0, "env") as { name: string; value: string }[]);
  }
}

describe.each(stackFiles())("stack %s", (stackFile) => {
  const kind = kindOf(stackFile);
  const config = readProjectConfig(stackFile);
  let run: StackRun;
  let contract: Record<string, string>;
  beforeAll(async () => {
    // The environment the platform builds with the service's `toEnvironment`, as handed to the target.
    const fake = await runStack(stackFile, { fakeComputeTarget: true });
    contract = fake.computeTarget?.args.environment as Record<string, string>;
    // The harness's fake stays registered with jest until taken away.
    jest.dontMock(path.join(REPO_ROOT, "infra", "compute"));
    run = await runStack(stackFile);
  }, 120_000);
  const r = () => run.resources;
  const compSg = () => `sg-${run.stack}-compute`;
  const albSg = () => `sg-${run.stack}-alb`;

  it(`builds the ${kind} target and no other`, () => {
    expect(Object.values(COMPONENT).filter((t) => ofType(r(), t).length > 0)).toEqual([COMPONENT[kind]]);
    const others = (Object.keys(OWN_TYPES) as ComputeTargetKind[]).filter((k) => k !== kind).flatMap((k) => OWN_TYPES[k]);
    const foreign = others.filter((t) => !OWN_TYPES[kind].includes(t) && ofType(r(), t).length > 0);
    expect(foreign).toEqual([]);
    const ecs = ECS_TYPES.filter((t) => ofType(r(), t).length > 0);
    expect(ecs).toEqual(kind === "fargate" || kind === "ec2" ? ECS_TYPES : []);
    expect(r().some((x) => x.type.startsWith("kubernetes:"))).toBe(kind === "eks");
    for (const t of OWN_TYPES[kind]) expect(ofType(r(), t).length).toBeGreaterThan(0);
  });

  it(`registers one target group of type ${TARGET_TYPE[kind]}, health-checked on the service's health path, behind the serving listener`, () => {
    const groups = ofType(r(), "aws:lb/targetGroup:TargetGroup");
    expect(groups).toHaveLength(1);
    const tg = groups[0] as Registered;
    expect(tg.inputs.targetType).toBe(TARGET_TYPE[kind]);
    expect(at(tg.inputs, "healthCheck", "path")).toBe(HEALTH_PATH);
    const listeners = ofType(r(), "aws:lb/listener:Listener");
    const serving = listeners.find((l) => at(l.inputs, "defaultActions", 0, "type") === "fixed-response");
    const rules = ofType(r(), "aws:lb/listenerRule:ListenerRule");
    expect(rules).toHaveLength(1);
    expect(rules[0]?.inputs.listenerArn).toBe(serving?.state.arn);
    expect(at(rules[0]?.inputs, "actions", 0)).toEqual({ type: "forward", targetGroupArn: tg.state.arn });
  });

  it("hands the service the environment contract built by the service's config module", () => {
    expect(Object.keys(contract).length).toBeGreaterThan(0);
    const deployed = deployedEnvironment(kind, r());
    if (kind === "lambda") {
      const reserved = new Set<string>(LAMBDA_RESERVED_VARIABLES);
      expect(sorted(deployed)).toEqual(sorted(contract).filter((k) => !reserved.has(k)));
      expect(sorted(deployed).filter((k) => reserved.has(k))).toEqual([]);
    } else {
      expect(deployed).toEqual(contract);
    }
    for (const [k, v] of Object.entries(deployed)) expect(contract[k]).toBe(v);
  });

  it("checks health on the service's paths and port", () => {
    if (kind === "fargate" || kind === "ec2") {
      const container = JSON.parse(textAt(ofType(r(), "aws:ecs/taskDefinition:TaskDefinition")[0]?.inputs, "containerDefinitions"))[0];
      expect(container.healthCheck.command.join(" ")).toContain(`:${PORT}${HEALTH_PATH}`);
      expect(container.portMappings[0].containerPort).toBe(PORT);
    }
    if (kind === "eks") {
      const c = at(ofType(r(), "kubernetes:apps/v1:Deployment")[0]?.inputs, "spec", "template", "spec", "containers", 0);
      expect([at(c, "livenessProbe", "httpGet"), at(c, "readinessProbe", "httpGet")]).toEqual([{ path: HEALTH_PATH, port: PORT }, { path: READY_PATH, port: PORT }]);
    }
  });

  it("scopes IAM to the model prefix and the service's own resources", () => {
    const modelUri = String(run.outputs.modelUri);
    const [, bucket, prefix] = /^s3:\/\/([^/]+)\/(.*)$/.exec(modelUri) ?? [];
    expect(bucket).toBeTruthy();
    const documents = [
      ...ofType(r(), "aws:iam/rolePolicy:RolePolicy").map((p) => p.inputs.policy),
      ...ofType(r(), "aws:iam/policy:Policy").map((p) => p.inputs.policy),
    ].map((p) => JSON.parse(textAt(p)) as Policy);
    expect(documents.length).toBeGreaterThan(0);
    for (const statement of documents.flatMap((d) => d.Statement)) {
      const actions = list(statement.Action);
      const resources = list(statement.Resource);
      for (const action of actions) expect(action).not.toMatch(/^(s3|cassandra|secretsmanager|iam):\*$|^\*$/);
      if (actions.some((a) => a.startsWith("s3:"))) {
        expect(actions.every((a) => a === "s3:GetObject" || a === "s3:ListBucket")).toBe(true);
        for (const res of resources) expect([`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/${prefix}*`]).toContain(res);
      }
      if (actions.some((a) => a.startsWith("cassandra:"))) {
        for (const res of resources) expect(res).toMatch(/:\/keyspace\/[^/*]+\/table\/[^/*]+$|:\/keyspace\/system\*$/);
      }
      if (resources.includes("*")) {
        // Only what AWS cannot scope: ENI management for functions in a VPC.
        for (const action of actions) expect(action).toMatch(/^ec2:(Create|Describe|Delete)NetworkInterfaces?$|^ec2:DescribeSubnets$|^ec2:(Assign|Unassign)PrivateIpAddresses$/);
      }
    }
  });

  it("lets only the ALB's security group reach the compute security group", () => {
    const ingress = ofType(r(), "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((x) => x.inputs.securityGroupId === compSg());
    expect(ingress.length).toBeGreaterThan(0);
    for (const rule of ingress) {
      expect(rule.inputs.referencedSecurityGroupId).toBe(albSg());
      expect(rule.inputs.cidrIpv4).toBeUndefined();
    }
    // Security groups the target creates admit nothing.
    for (const sg of ofType(r(), "aws:ec2/securityGroup:SecurityGroup").filter((s) => ![compSg(), albSg()].includes(textAt(s.state, "id")))) {
      const inbound = ofType(r(), "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((x) => x.inputs.securityGroupId === sg.state.id);
      for (const rule of inbound) expect(rule.inputs.referencedSecurityGroupId).toBe(compSg());
      expect(sg.inputs.ingress ?? []).toEqual([]);
    }
  });

  it("scales ECS services on CPU and on the ALB's requests per target", () => {
    if (kind !== "fargate" && kind !== "ec2") return;
    const metrics = ofType(r(), "aws:appautoscaling/policy:Policy").map((p) => at(p.inputs, "targetTrackingScalingPolicyConfiguration", "predefinedMetricSpecification"));
    expect(metrics.map((m) => at(m, "predefinedMetricType")).sort()).toEqual(["ALBRequestCountPerTarget", "ECSServiceAverageCPUUtilization"]);
    const tg = ofType(r(), "aws:lb/targetGroup:TargetGroup")[0];
    const alb = ofType(r(), "aws:lb/loadBalancer:LoadBalancer")[0];
    expect(at(metrics.find((m) => at(m, "predefinedMetricType") === "ALBRequestCountPerTarget"), "resourceLabel")).toBe(`${alb?.state.arnSuffix}/${tg?.state.arnSuffix}`);
  });

  it("runs the service with the compute security group, in the private subnets", () => {
    const privateSubnets = (ofType(r(), "awsx:ec2:Vpc")[0]?.state.privateSubnetIds ?? []) as string[];
    expect(privateSubnets.length).toBeGreaterThanOrEqual(2);
    if (kind === "lambda") {
      expect(ofType(r(), "aws:lambda/function:Function")[0]?.inputs.vpcConfig).toEqual({ subnetIds: privateSubnets, securityGroupIds: [compSg()] });
    } else if (kind === "eks") {
      expect(ofType(r(), "eks:index:ManagedNodeGroup")[0]?.inputs.subnetIds).toEqual(privateSubnets);
      const lt = ofType(r(), "aws:ec2/launchTemplate:LaunchTemplate")[0];
      expect(lt?.inputs.vpcSecurityGroupIds).toContain(compSg());
    } else {
      expect(ofType(r(), "aws:ecs/service:Service")[0]?.inputs.networkConfiguration).toEqual({ subnets: privateSubnets, securityGroups: [compSg()], assignPublicIp: false });
    }
  });

  it("describes security groups and their rules only in the characters EC2 accepts", () => {
    const descriptions = [
      ...ofType(r(), "aws:ec2/securityGroup:SecurityGroup").flatMap((sg) => [
        sg.inputs.description,
        ...[...listAt(sg.inputs, "ingress"), ...listAt(sg.inputs, "egress")].map((rule) => at(rule, "description")),
      ]),
      ...ofType(r(), "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((rule) => rule.inputs.description),
      ...ofType(r(), "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").map((rule) => rule.inputs.description),
    ].filter((d) => d !== undefined).map((d) => textAt(d));
    expect(descriptions.length).toBeGreaterThan(0);
    expect(descriptions.filter((d) => !SECURITY_GROUP_DESCRIPTION.test(d))).toEqual([]);
  });

  it("holds the deploy-time invariants AWS enforces", () => {
    for (const tg of ofType(r(), "aws:lb/targetGroup:TargetGroup")) {
      expect(String(tg.inputs.name ?? tg.name).length + (tg.inputs.name ? 0 : AUTONAME_SUFFIX_LENGTH)).toBeLessThanOrEqual(TARGET_GROUP_NAME_LIMIT);
    }
    for (const lg of ofType(r(), "aws:cloudwatch/logGroup:LogGroup")) {
      expect(LOG_RETENTION_DAYS as readonly number[]).toContain(lg.inputs.retentionInDays);
    }
    const arm = (config.architecture ?? "arm64") === "arm64";
    if (kind === "lambda") {
      const fn = ofType(r(), "aws:lambda/function:Function")[0]?.inputs;
      expect(fn.memorySize).toBeGreaterThanOrEqual(128);
      expect(fn.memorySize).toBeLessThanOrEqual(10240);
      expect(fn.timeout).toBeLessThan(ALB_IDLE_TIMEOUT_SECONDS);
      expect(fn.architectures).toEqual([arm ? "arm64" : "x86_64"]);
    }
    if (kind === "fargate" || kind === "ec2") {
      const td = ofType(r(), "aws:ecs/taskDefinition:TaskDefinition")[0]?.inputs;
      expect(at(td, "runtimePlatform", "cpuArchitecture")).toBe(arm ? "ARM64" : "X86_64");
      if (kind === "fargate") {
        expect(fargatePairProblem(Number(td.cpu), Number(td.memory))).toBeUndefined();
      }
    }
    if (kind === "ec2") {
      expect(isGravitonInstanceType(textAt(ofType(r(), "aws:ec2/launchTemplate:LaunchTemplate")[0]?.inputs, "instanceType"))).toBe(arm);
    }
    if (kind === "eks") {
      const ng = ofType(r(), "eks:index:ManagedNodeGroup")[0]?.inputs;
      expect(ng.amiType).toBe(arm ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD");
      for (const t of ng.instanceTypes as string[]) expect(isGravitonInstanceType(t)).toBe(arm);
    }
  });
});

it("every target stack file exists", () => {
  expect(stackFiles().map(kindOf).filter((k, i, all) => all.indexOf(k) === i).sort()).toEqual(["ec2", "eks", "fargate", "lambda"]);
});
