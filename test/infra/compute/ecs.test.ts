// The two ECS targets under mocks: the shared service shape, then what each adds.
import { HEALTH_PATH, PORT } from "../../../service/src/config";
import { ECS_AMI_PARAMETER, RESERVED_CAPACITY_PROVIDER_PREFIXES, capacityProviderName } from "../../../infra/compute/ec2";
import type { Ec2Sizing, FargateSizing } from "../../../infra/compute/target";
import {
  ALB_ARN_SUFFIX, COMPUTE_SG, ENVIRONMENT, IMAGE_URI, LOG_GROUP, RUNTIME_POLICY_JSON,
  computeArgs, named, ofType, one, runComponent, type ComponentRun,
} from "./component-run";
import { at, textAt } from "../mocks";

const scaling = { minCount: 2, maxCount: 7, cpuTargetPercent: 55, requestsPerTarget: 800 };
const fargateSizing: FargateSizing = { cpu: 512, memoryMb: 2048, spotPercent: 0, scaling };
const ec2Sizing: Ec2Sizing = { instanceType: "c7g.large", minInstances: 1, maxInstances: 5, cpu: 512, memoryMb: 768, scaling };

type Container = {
  name: string; image: string; portMappings: { containerPort: number }[]; environment: { name: string; value: string }[];
  healthCheck: { command: string[] }; logConfiguration: { logDriver: string; options: Record<string, string> };
};
const containerOf = (r: ComponentRun): Container => JSON.parse(textAt(one(r.resources, "aws:ecs/taskDefinition:TaskDefinition").inputs, "containerDefinitions"))[0];

describe.each([
  ["fargate", () => runComponent((c) => new c.FargateTarget("svc", computeArgs(), fargateSizing)), "FARGATE"],
  ["ec2", () => runComponent((c) => new c.Ec2Target("svc", computeArgs(), ec2Sizing)), "EC2"],
] as const)("%s target: the ECS service", (_kind, build, launchType) => {
  let r: ComponentRun;
  beforeAll(async () => {
    r = await build();
  });

  it("defines an awsvpc task of the sized reservation on the image's architecture", () => {
    const td = one(r.resources, "aws:ecs/taskDefinition:TaskDefinition").inputs;
    expect(td).toMatchObject({ networkMode: "awsvpc", requiresCompatibilities: [launchType], cpu: "512" });
    expect(td.memory).toBe(String(launchType === "FARGATE" ? 2048 : 768));
    expect(td.runtimePlatform).toEqual({ operatingSystemFamily: "LINUX", cpuArchitecture: "ARM64" });
  });

  it("runs the image on the service port with the service's environment, sorted", () => {
    const c = containerOf(r);
    expect(c.image).toBe(IMAGE_URI);
    expect(c.portMappings).toEqual([{ containerPort: PORT, protocol: "tcp" }]);
    expect(c.environment).toEqual(Object.keys(ENVIRONMENT).sort().map((name) => ({ name, value: ENVIRONMENT[name] })));
  });

  it("checks the container's liveness path with Node (no curl in the image) and logs to the platform's group", () => {
    const c = containerOf(r);
    expect(c.healthCheck.command.slice(0, 3)).toEqual(["CMD", "node", "-e"]);
    expect(c.healthCheck.command[3]).toContain(`:${PORT}${HEALTH_PATH}`);
    expect(c.logConfiguration.logDriver).toBe("awslogs");
    expect(c.logConfiguration.options["awslogs-group"]).toBe(LOG_GROUP);
    expect(c.logConfiguration.options["awslogs-region"]).toBe("us-east-1");
  });

  it("gives the task role the runtime policy only", () => {
    const taskRole = named(r.resources, "aws:iam/role:Role", "svc-task");
    const td = one(r.resources, "aws:ecs/taskDefinition:TaskDefinition").inputs;
    expect(td.taskRoleArn).toBe(taskRole.state.arn);
    const onTaskRole = ofType(r.resources, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === taskRole.state.id);
    expect(onTaskRole.map((p) => p.inputs.policy)).toEqual([RUNTIME_POLICY_JSON]);
    const attached = ofType(r.resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((p) => p.inputs.role === taskRole.state.name);
    expect(attached).toHaveLength(0);
    expect(named(r.resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "svc-exec-policy").inputs.policyArn).toMatch(/AmazonECSTaskExecutionRolePolicy$/);
  });

  it("runs in the private subnets with the compute security group behind an `ip` target group on the liveness path", () => {
    const svc = one(r.resources, "aws:ecs/service:Service").inputs;
    expect(svc.networkConfiguration).toEqual({ subnets: ["subnet-private-a", "subnet-private-b"], securityGroups: [COMPUTE_SG], assignPublicIp: false });
    const tg = one(r.resources, "aws:lb/targetGroup:TargetGroup");
    expect(tg.inputs).toMatchObject({ targetType: "ip", port: PORT, protocol: "HTTP" });
    expect(at(tg.inputs, "healthCheck", "path")).toBe(HEALTH_PATH);
    expect(svc.loadBalancers).toEqual([{ targetGroupArn: tg.state.arn, containerName: "service", containerPort: PORT }]);
  });

  it("rolls back a failing deployment and starts at the minimum count", () => {
    const svc = one(r.resources, "aws:ecs/service:Service").inputs;
    expect(svc.deploymentCircuitBreaker).toEqual({ enable: true, rollback: true });
    expect(svc.desiredCount).toBe(2);
    expect(svc.healthCheckGracePeriodSeconds).toBeGreaterThan(0);
  });

  it("scales between min and max on CPU and on ALB requests per target", () => {
    const target = one(r.resources, "aws:appautoscaling/target:Target").inputs;
    expect(target).toMatchObject({ minCapacity: 2, maxCapacity: 7, serviceNamespace: "ecs", scalableDimension: "ecs:service:DesiredCount" });
    expect(target.resourceId).toMatch(/^service\/.+\/.+$/);
    const policies = ofType(r.resources, "aws:appautoscaling/policy:Policy").map((p) => p.inputs.targetTrackingScalingPolicyConfiguration);
    const byMetric = Object.fromEntries(policies.map((p) => [textAt(p, "predefinedMetricSpecification", "predefinedMetricType"), p]));
    expect(at(byMetric.ECSServiceAverageCPUUtilization, "targetValue")).toBe(55);
    expect(at(byMetric.ALBRequestCountPerTarget, "targetValue")).toBe(800);
    const tg = one(r.resources, "aws:lb/targetGroup:TargetGroup");
    expect(at(byMetric.ALBRequestCountPerTarget, "predefinedMetricSpecification", "resourceLabel")).toBe(`${ALB_ARN_SUFFIX}/${tg.state.arnSuffix}`);
  });
});

describe("fargate target: capacity", () => {
  it("spreads tasks over FARGATE and FARGATE_SPOT from spotPercent on x86", async () => {
    const r = await runComponent((c) => new c.FargateTarget("svc", computeArgs({ architecture: "x86_64" }), { ...fargateSizing, spotPercent: 70 }));
    const strategy = one(r.resources, "aws:ecs/service:Service").inputs.capacityProviderStrategies;
    expect(strategy).toEqual([
      { capacityProvider: "FARGATE", weight: 30, base: 1 },
      { capacityProvider: "FARGATE_SPOT", weight: 70 },
    ]);
    expect(one(r.resources, "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").inputs.capacityProviders).toEqual(["FARGATE", "FARGATE_SPOT"]);
    expect(at(one(r.resources, "aws:ecs/taskDefinition:TaskDefinition").inputs, "runtimePlatform", "cpuArchitecture")).toBe("X86_64");
  });

  it("runs ARM64 tasks on Fargate Spot too (platform 1.4.0+)", async () => {
    const r = await runComponent((c) => new c.FargateTarget("svc", computeArgs(), { ...fargateSizing, spotPercent: 50 }));
    expect(one(r.resources, "aws:ecs/service:Service").inputs.capacityProviderStrategies).toEqual([
      { capacityProvider: "FARGATE", weight: 50, base: 1 },
      { capacityProvider: "FARGATE_SPOT", weight: 50 },
    ]);
    expect(at(one(r.resources, "aws:ecs/taskDefinition:TaskDefinition").inputs, "runtimePlatform", "cpuArchitecture")).toBe("ARM64");
  });

  it("refuses a CPU/memory pair Fargate does not offer, listing the valid memory", async () => {
    await expect(runComponent((c) => new c.FargateTarget("svc", computeArgs(), { ...fargateSizing, cpu: 256, memoryMb: 4096 }))).rejects.toThrow(/memoryMb must be one of 512, 1024, 2048/);
  });

  it("refuses a component name whose target group name would pass AWS's 32 characters", async () => {
    await expect(runComponent((c) => new c.FargateTarget("a-very-long-stack-name-x", computeArgs(), fargateSizing))).rejects.toThrow(/32/);
  });
});

describe("ec2 target: the capacity provider", () => {
  let r: ComponentRun;
  beforeAll(async () => {
    r = await runComponent((c) => new c.Ec2Target("svc", computeArgs(), ec2Sizing));
  });

  it("launches the ECS-optimized AL2023 arm64 AMI from SSM at the sized instance type", () => {
    const lt = one(r.resources, "aws:ec2/launchTemplate:LaunchTemplate").inputs;
    expect(lt.instanceType).toBe("c7g.large");
    expect(lt.imageId).toBe("ami-0123456789abcdef0");
    expect(at(lt, "metadataOptions", "httpTokens")).toBe("required");
    const ssm = r.invokes.filter((i) => i.token === "aws:ssm/getParameter:getParameter").map((i) => i.inputs.name);
    expect(ssm).toEqual([ECS_AMI_PARAMETER.arm64]);
    expect(ECS_AMI_PARAMETER.arm64).toBe("/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id");
  });

  it("joins the instances to the cluster through user data", () => {
    const lt = one(r.resources, "aws:ec2/launchTemplate:LaunchTemplate").inputs;
    const cluster = one(r.resources, "aws:ecs/cluster:Cluster");
    const userData = Buffer.from(textAt(lt, "userData"), "base64").toString("utf8");
    expect(userData).toContain(`ECS_CLUSTER=${cluster.state.name}\n`);
    expect(at(lt, "iamInstanceProfile", "arn")).toBe(one(r.resources, "aws:iam/instanceProfile:InstanceProfile").state.arn);
  });

  it("keeps the instances unreachable: their security group has no ingress", () => {
    const hosts = one(r.resources, "aws:ec2/securityGroup:SecurityGroup");
    expect(hosts.inputs.ingress ?? []).toEqual([]);
    expect(one(r.resources, "aws:ec2/launchTemplate:LaunchTemplate").inputs.vpcSecurityGroupIds).toEqual([hosts.state.id]);
  });

  it("puts the Auto Scaling group in the private subnets, scale-in protected and tagged for ECS", () => {
    const asg = one(r.resources, "aws:autoscaling/group:Group").inputs;
    expect(asg).toMatchObject({ vpcZoneIdentifiers: ["subnet-private-a", "subnet-private-b"], minSize: 1, maxSize: 5, protectFromScaleIn: true });
    expect(asg.tags).toContainEqual(expect.objectContaining({ key: "AmazonECSManaged", propagateAtLaunch: true }));
  });

  it("lets ECS scale the group and protect busy instances", () => {
    const cp = one(r.resources, "aws:ecs/capacityProvider:CapacityProvider");
    const provider = cp.inputs.autoScalingGroupProvider;
    expect(provider).toMatchObject({
      autoScalingGroupArn: one(r.resources, "aws:autoscaling/group:Group").state.arn,
      managedTerminationProtection: "ENABLED",
      managedScaling: { status: "ENABLED" },
    });
    expect(one(r.resources, "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").inputs.capacityProviders).toEqual([cp.state.name]);
    expect(one(r.resources, "aws:ecs/service:Service").inputs.capacityProviderStrategies).toEqual([{ capacityProvider: cp.state.name, weight: 1, base: 0 }]);
  });
});

describe("ec2 target: a capacity provider name ECS accepts", () => {
  it("keeps <name>-capacity, and prefixes names ECS reserves (aws, ecs, fargate)", () => {
    expect(capacityProviderName("svc")).toBe("svc-capacity");
    expect(capacityProviderName("ec2")).toBe("ec2-capacity");
    expect(["ecs-prod", "fargate-ec2", "AWSome"].map(capacityProviderName)).toEqual(["cp-ecs-prod-capacity", "cp-fargate-ec2-capacity", "cp-AWSome-capacity"]);
  });
  it("a stack called ecs-prod registers a capacity provider whose (auto)name begins with no reserved prefix", async () => {
    const r = await runComponent((c) => new c.Ec2Target("ecs-prod", computeArgs(), ec2Sizing));
    const cp = one(r.resources, "aws:ecs/capacityProvider:CapacityProvider");
    for (const prefix of RESERVED_CAPACITY_PROVIDER_PREFIXES) expect(cp.name.toLowerCase().startsWith(prefix)).toBe(false);
    expect(one(r.resources, "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").inputs.capacityProviders).toEqual([cp.state.name]);
  });
});
