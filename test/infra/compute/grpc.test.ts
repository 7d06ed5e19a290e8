// OIP v2 gRPC through the ALB (stack config grpc.enabled): the container targets add a GRPC target
// group on GRPC_PORT health-checked with grpc.health.v1, a rule for the OIP v2 service's path on
// the HTTPS listener, and the port on the task or pod; the platform lets the ALB reach that port.
// Off, none of it exists; Lambda and a listener without a certificate refuse it.
import { GRPC_PORT, PORT } from "../../../service/src/config";
import { HEALTH_CHECK_PATH, INFERENCE_SERVICE_PATH_PATTERN } from "../../../service/src/grpc/names";
import type { EksSizing, Ec2Sizing, FargateSizing, LambdaSizing } from "../../../infra/compute/target";
import { at, ofType, runStack, type Registered } from "../harness";
import { LISTENER_ARN, computeArgs, named, one, runComponent, type ComponentRun } from "./component-run";

const scaling = { minCount: 1, maxCount: 2, cpuTargetPercent: 60, requestsPerTarget: 1000 };
const fargateSizing: FargateSizing = { cpu: 256, memoryMb: 512, spotPercent: 0, scaling };
const ec2Sizing: Ec2Sizing = { instanceType: "t4g.small", minInstances: 1, maxInstances: 2, cpu: 256, memoryMb: 256, scaling };
const eksSizing: EksSizing = {
  kubernetesVersion: "1.33", instanceTypes: ["t4g.medium"], minNodes: 1, maxNodes: 2, desiredNodes: 1, cpuMillis: 250, memoryMb: 256, scaling,
  adminPrincipalArns: [], endpointPublicAccess: false, publicAccessCidrs: [],
};
const lambdaSizing: LambdaSizing = { memoryMb: 1024, timeoutSeconds: 10, provisionedConcurrency: 0, apiGateway: false, vpc: true };

const grpcGroupOf = (r: ComponentRun): Registered => named(r.resources, "aws:lb/targetGroup:TargetGroup", "svc-grpc");
const portMappingsOf = (r: ComponentRun): { name: string; containerPort: number }[] =>
  JSON.parse(String(one(r.resources, "aws:ecs/taskDefinition:TaskDefinition").inputs.containerDefinitions))[0].portMappings;

function expectGrpcGroupAndRule(r: ComponentRun): Registered {
  const group = grpcGroupOf(r);
  expect(group.inputs).toMatchObject({ targetType: "ip", port: GRPC_PORT, protocol: "HTTP", protocolVersion: "GRPC" });
  expect(at(group.inputs, "healthCheck")).toMatchObject({ path: HEALTH_CHECK_PATH, matcher: "0" });
  const rules = ofType(r.resources, "aws:lb/listenerRule:ListenerRule");
  const grpcRule = rules.find((rule) => at(rule.inputs, "actions", 0, "targetGroupArn") === group.state.arn);
  expect(grpcRule?.inputs.listenerArn).toBe(LISTENER_ARN);
  expect(at(grpcRule?.inputs, "conditions", 0, "pathPattern", "values")).toEqual([INFERENCE_SERVICE_PATH_PATTERN]);
  // Two rules on one listener need two priorities.
  expect(new Set(rules.map((rule) => rule.inputs.priority)).size).toBe(rules.length);
  return group;
}

describe.each([
  ["fargate", (grpc: boolean) => runComponent((c) => new c.FargateTarget("svc", computeArgs({ grpc }), fargateSizing))],
  ["ec2", (grpc: boolean) => runComponent((c) => new c.Ec2Target("svc", computeArgs({ grpc }), ec2Sizing))],
] as const)("%s target with gRPC", (_kind, build) => {
  let on: ComponentRun;
  let off: ComponentRun;
  beforeAll(async () => {
    [on, off] = [await build(true), await build(false)];
  });

  it("registers the task's GRPC_PORT in a GRPC target group behind the OIP v2 path rule", () => {
    const group = expectGrpcGroupAndRule(on);
    expect(portMappingsOf(on)).toContainEqual({ name: "grpc", containerPort: GRPC_PORT, protocol: "tcp" });
    const svc = one(on.resources, "aws:ecs/service:Service").inputs;
    expect(svc.loadBalancers).toContainEqual({ targetGroupArn: group.state.arn, containerName: "service", containerPort: GRPC_PORT });
    expect(svc.loadBalancers).toHaveLength(2);
  });

  it("adds nothing for gRPC when it is off", () => {
    expect(ofType(off.resources, "aws:lb/targetGroup:TargetGroup").map((g) => g.inputs.port)).toEqual([PORT]);
    expect(ofType(off.resources, "aws:lb/listenerRule:ListenerRule")).toHaveLength(1);
    expect(portMappingsOf(off).map((m) => m.containerPort)).not.toContain(GRPC_PORT);
  });
});

describe("eks target with gRPC", () => {
  let r: ComponentRun;
  beforeAll(async () => {
    r = await runComponent((c) => new c.EksTarget("svc", computeArgs({ grpc: true }), eksSizing));
  });

  it("binds the Service's grpc port to a GRPC target group behind the OIP v2 path rule", () => {
    const group = expectGrpcGroupAndRule(r);
    const bindings = ofType(r.resources, "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding").map((b) => at(b.inputs, "spec"));
    expect(bindings).toContainEqual({ targetGroupARN: group.state.arn, targetType: "ip", serviceRef: { name: "inference-service", port: GRPC_PORT } });
    const service = one(r.resources, "kubernetes:core/v1:Service").inputs;
    expect(at(service, "spec", "ports")).toContainEqual({ name: "grpc", protocol: "TCP", port: GRPC_PORT, targetPort: GRPC_PORT });
    const container = at(one(r.resources, "kubernetes:apps/v1:Deployment").inputs, "spec", "template", "spec", "containers", 0) as { ports: unknown[] };
    expect(container.ports).toContainEqual({ name: "grpc", containerPort: GRPC_PORT });
  });
});

it("Lambda refuses gRPC, saying why", async () => {
  await expect(runComponent((c) => new c.LambdaTarget("svc", computeArgs({ grpc: true }), lambdaSizing))).rejects.toThrow(/Lambda cannot serve gRPC/);
});

describe("the platform with grpc.enabled", () => {
  const grpcIngress = (resources: Registered[]) =>
    ofType(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((rule) => rule.inputs.fromPort === GRPC_PORT);

  it("passes grpc to the target and lets only the ALB reach GRPC_PORT on the compute security group", async () => {
    const run = await runStack("Pulumi.fargate-prod.yaml", { fakeComputeTarget: true, overrides: { grpc: { enabled: true } } });
    expect(run.computeTarget?.args.grpc).toBe(true);
    const sgs = ofType(run.resources, "aws:ec2/securityGroup:SecurityGroup");
    const albSg = sgs.find((g) => g.name.endsWith("-alb"))!;
    const computeSg = sgs.find((g) => g.name.endsWith("-compute"))!;
    expect(grpcIngress(run.resources).map((rule) => rule.inputs)).toEqual([
      expect.objectContaining({ securityGroupId: computeSg.state.id, referencedSecurityGroupId: albSg.state.id, toPort: GRPC_PORT, ipProtocol: "tcp" }),
    ]);
  });

  it("opens nothing for gRPC when it is off", async () => {
    const run = await runStack("Pulumi.fargate-prod.yaml", { fakeComputeTarget: true });
    expect(run.computeTarget?.args.grpc).toBe(false);
    expect(grpcIngress(run.resources)).toEqual([]);
  });
});
