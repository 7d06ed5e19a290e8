// The ECS service both ECS targets run (Fargate and EC2 capacity differ; the service does not):
// an awsvpc task with the compute security group behind an `ip` target group, a container health
// check, circuit-breaker deployments and target-tracking autoscaling on CPU and ALB requests.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ADMIN_PORT, GRPC_PORT, HEALTH_PATH, PORT } from "../../service/src/config";
import { checkTargetGroupName, forwardGrpc, forwardPublicRoutes, grpcTargetGroup, requestCountResourceLabel } from "./alb";
import { environmentEntries, EnvironmentVariable } from "./environment";
import { STARTUP_GRACE_SECONDS } from "./health";
import type { Architecture, ComputeTargetArgs, ServiceScaling } from "./target";

export const CONTAINER_NAME = "service";

/**
 * Liveness from inside the container. Slim images carry no curl; Node is there, and its global
 * fetch is enough.
 */
export function containerHealthCheckCommand(): string[] {
  const url = `http://127.0.0.1:${PORT}${HEALTH_PATH}`;
  return ["CMD", "node", "-e", `fetch("${url}").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`];
}

export interface ContainerDefinitionInput {
  image: string;
  environment: EnvironmentVariable[];
  logGroupName: string;
  region: string;
  /** Also map GRPC_PORT, for the ALB's gRPC target group. */
  grpc?: boolean;
}

/** The one container of the task, as ECS's JSON takes it. */
export function containerDefinition(c: ContainerDefinitionInput): Record<string, unknown> {
  return {
    name: CONTAINER_NAME,
    image: c.image,
    essential: true,
    // The service port (and the gRPC port, when exposed) behind the ALB; the admin port for
    // callers inside the VPC only.
    portMappings: [
      { name: "http", containerPort: PORT, protocol: "tcp" },
      { name: "admin", containerPort: ADMIN_PORT, protocol: "tcp" },
      ...(c.grpc ? [{ name: "grpc", containerPort: GRPC_PORT, protocol: "tcp" }] : []),
    ],
    environment: c.environment,
    healthCheck: {
      command: containerHealthCheckCommand(),
      interval: 15,
      timeout: 5,
      retries: 3,
      startPeriod: STARTUP_GRACE_SECONDS,
    },
    logConfiguration: {
      logDriver: "awslogs",
      options: {
        "awslogs-group": c.logGroupName,
        "awslogs-region": c.region,
        "awslogs-stream-prefix": CONTAINER_NAME,
      },
    },
  };
}

export const ECS_CPU_ARCHITECTURE: Record<Architecture, string> = { x86_64: "X86_64", arm64: "ARM64" };

function serviceAssumeRolePolicy(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
  });
}

export interface EcsServiceArgs {
  compute: ComputeTargetArgs;
  cluster: aws.ecs.Cluster;
  launchType: "FARGATE" | "EC2";
  /** Task reservation: CPU units and MiB. */
  cpu: number;
  memoryMb: number;
  scaling: ServiceScaling;
  capacityProviderStrategies: pulumi.Input<aws.types.input.ecs.ServiceCapacityProviderStrategy>[];
  /** Capacity that must exist before the service can place tasks. */
  dependsOn?: pulumi.Resource[];
}

export interface EcsService {
  targetGroup: aws.lb.TargetGroup;
  grpcTargetGroup: aws.lb.TargetGroup | undefined;
  service: aws.ecs.Service;
  taskDefinition: aws.ecs.TaskDefinition;
  taskRole: aws.iam.Role;
}

export function createEcsService(name: string, args: EcsServiceArgs, parent: pulumi.Resource): EcsService {
  const c = args.compute;
  const opts = { parent };

  // The runtime identity: the platform's least-privilege policy and nothing else.
  const taskRole = new aws.iam.Role(`${name}-task`, { assumeRolePolicy: serviceAssumeRolePolicy("ecs-tasks.amazonaws.com"), tags: c.tags }, opts);
  new aws.iam.RolePolicy(`${name}-task-runtime`, { role: taskRole.id, policy: c.runtimePolicyJson }, opts);

  // ECS's own identity for pulling the image and writing logs.
  const executionRole = new aws.iam.Role(`${name}-exec`, { assumeRolePolicy: serviceAssumeRolePolicy("ecs-tasks.amazonaws.com"), tags: c.tags }, opts);
  new aws.iam.RolePolicyAttachment(`${name}-exec-policy`, { role: executionRole.name, policyArn: aws.iam.ManagedPolicy.AmazonECSTaskExecutionRolePolicy }, opts);

  const region = aws.getRegionOutput({}, opts).region;
  const containerDefinitions = pulumi
    .all([c.imageUri, environmentEntries(c.environment), c.logGroupName, region])
    .apply(([image, environment, logGroupName, r]) =>
      JSON.stringify([containerDefinition({ image, environment, logGroupName, region: r, grpc: c.grpc })]),
    );

  const taskDefinition = new aws.ecs.TaskDefinition(
    `${name}-task`,
    {
      family: name,
      networkMode: "awsvpc",
      requiresCompatibilities: [args.launchType],
      cpu: String(args.cpu),
      memory: String(args.memoryMb),
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: ECS_CPU_ARCHITECTURE[c.architecture] },
      executionRoleArn: executionRole.arn,
      taskRoleArn: taskRole.arn,
      containerDefinitions,
      tags: c.tags,
    },
    opts,
  );

  // Liveness, not readiness: ECS replaces targets the ALB marks unhealthy, and a feature-store
  // outage (which fails readiness) must not turn into every task being killed and restarted.
  const tgName = `${name}-tg`;
  checkTargetGroupName(tgName);
  const targetGroup = new aws.lb.TargetGroup(
    tgName,
    {
      vpcId: c.vpcId,
      targetType: "ip",
      port: PORT,
      protocol: "HTTP",
      deregistrationDelay: 30,
      healthCheck: { path: HEALTH_PATH, port: "traffic-port", matcher: "200", interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
      tags: c.tags,
    },
    opts,
  );
  const rule = forwardPublicRoutes(`${name}-rule`, c.listenerArn, targetGroup.arn, c.tags, opts);
  const grpcGroup = c.grpc ? grpcTargetGroup(`${name}-grpc`, { vpcId: c.vpcId, targetType: "ip", tags: c.tags }, opts) : undefined;
  const grpcRule = grpcGroup ? forwardGrpc(`${name}-grpc-rule`, c.listenerArn, grpcGroup.arn, c.tags, opts) : undefined;

  const service = new aws.ecs.Service(
    `${name}-service`,
    {
      cluster: args.cluster.arn,
      taskDefinition: taskDefinition.arn,
      desiredCount: args.scaling.minCount,
      capacityProviderStrategies: args.capacityProviderStrategies,
      networkConfiguration: { subnets: c.privateSubnetIds, securityGroups: [c.computeSecurityGroupId], assignPublicIp: false },
      loadBalancers: [
        { targetGroupArn: targetGroup.arn, containerName: CONTAINER_NAME, containerPort: PORT },
        ...(grpcGroup ? [{ targetGroupArn: grpcGroup.arn, containerName: CONTAINER_NAME, containerPort: GRPC_PORT }] : []),
      ],
      healthCheckGracePeriodSeconds: STARTUP_GRACE_SECONDS,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      propagateTags: "SERVICE",
      tags: c.tags,
    },
    // The target group must be behind a listener before a service can use it; autoscaling owns the count.
    { parent, dependsOn: [rule, ...(grpcRule ? [grpcRule] : []), ...(args.dependsOn ?? [])], ignoreChanges: ["desiredCount"] },
  );

  const scalingTarget = new aws.appautoscaling.Target(
    `${name}-scaling`,
    {
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: pulumi.interpolate`service/${args.cluster.name}/${service.name}`,
      minCapacity: args.scaling.minCount,
      maxCapacity: args.scaling.maxCount,
    },
    opts,
  );
  const track = (policyName: string, targetValue: number, metric: aws.types.input.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification) =>
    new aws.appautoscaling.Policy(
      `${name}-${policyName}`,
      {
        policyType: "TargetTrackingScaling",
        serviceNamespace: scalingTarget.serviceNamespace,
        scalableDimension: scalingTarget.scalableDimension,
        resourceId: scalingTarget.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          targetValue,
          predefinedMetricSpecification: metric,
          scaleOutCooldown: 60,
          scaleInCooldown: 300,
        },
      },
      opts,
    );
  track("cpu", args.scaling.cpuTargetPercent, { predefinedMetricType: "ECSServiceAverageCPUUtilization" });
  track("requests", args.scaling.requestsPerTarget, {
    predefinedMetricType: "ALBRequestCountPerTarget",
    resourceLabel: requestCountResourceLabel(c, targetGroup.arnSuffix),
  });

  return { targetGroup, grpcTargetGroup: grpcGroup, service, taskDefinition, taskRole };
}
