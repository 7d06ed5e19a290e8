// ECS on an EC2 capacity provider: cheapest per request at steady high load (Graviton, Spot), at
// the price of instances to run. ECS scales the Auto Scaling group to fit the tasks.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createEcsService } from "./ecs-service";
import type { Architecture, ComputeTarget, ComputeTargetArgs, Ec2Sizing } from "./target";

/** AWS's current ECS-optimized Amazon Linux 2023 AMI, per architecture. */
export const ECS_AMI_PARAMETER: Record<Architecture, string> = {
  x86_64: "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
  arm64: "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id",
};

/**
 * The ECS agent's configuration: which cluster to join, and no instance-metadata access from
 * awsvpc tasks, so a task holds its task role and never the instance role.
 */
export function ecsUserData(clusterName: string): string {
  return [
    "#!/bin/bash",
    "cat >> /etc/ecs/ecs.config <<'CONFIG'",
    `ECS_CLUSTER=${clusterName}`,
    "ECS_AWSVPC_BLOCK_IMDS=true",
    "ECS_ENABLE_CONTAINER_METADATA=true",
    "CONFIG",
    "",
  ].join("\n");
}

/** ECS refuses capacity provider names that begin with these (any case). */
export const RESERVED_CAPACITY_PROVIDER_PREFIXES = ["aws", "ecs", "fargate"] as const;

/**
 * The capacity provider's logical name, which Pulumi's autoname begins with: `<name>-capacity`,
 * or `cp-<name>-capacity` when the component's name begins with a prefix ECS reserves (e.g. a
 * stack called `ecs-prod`).
 */
export function capacityProviderName(name: string): string {
  const reserved = RESERVED_CAPACITY_PROVIDER_PREFIXES.some((p) => name.toLowerCase().startsWith(p));
  return reserved ? `cp-${name}-capacity` : `${name}-capacity`;
}

export class Ec2Target extends pulumi.ComponentResource implements ComputeTarget {
  readonly kind = "ec2" as const;
  readonly targetGroupArn: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly serviceName: pulumi.Output<string>;
  readonly autoScalingGroupName: pulumi.Output<string>;

  constructor(name: string, args: ComputeTargetArgs, sizing: Ec2Sizing, opts?: pulumi.ComponentResourceOptions) {
    super("inference-blueprint:compute:Ec2Target", name, {}, opts);
    const parent = { parent: this };

    const cluster = new aws.ecs.Cluster(`${name}-cluster`, { tags: args.tags }, parent);

    // The instances' own identity: join the cluster, pull images, ship agent logs.
    const instanceRole = new aws.iam.Role(
      `${name}-instance`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags: args.tags,
      },
      parent,
    );
    new aws.iam.RolePolicyAttachment(`${name}-instance-ecs`, { role: instanceRole.name, policyArn: aws.iam.ManagedPolicy.AmazonEC2ContainerServiceforEC2Role }, parent);
    const profile = new aws.iam.InstanceProfile(`${name}-instance`, { role: instanceRole.name, tags: args.tags }, parent);

    // Tasks get their own ENIs with the compute security group; the hosts need no ingress at all.
    const hostSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-hosts`,
      {
        vpcId: args.vpcId,
        description: "ECS container instances: outbound only (tasks have their own ENIs)",
        egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], description: "ECS agent, ECR and SSM endpoints" }],
        tags: args.tags,
      },
      parent,
    );

    const ami = aws.ssm.getParameterOutput({ name: ECS_AMI_PARAMETER[args.architecture] }, parent);
    const launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-hosts`,
      {
        imageId: ami.value,
        instanceType: sizing.instanceType,
        iamInstanceProfile: { arn: profile.arn },
        vpcSecurityGroupIds: [hostSecurityGroup.id],
        userData: cluster.name.apply((clusterName) => Buffer.from(ecsUserData(clusterName)).toString("base64")),
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
        monitoring: { enabled: false },
        tagSpecifications: [{ resourceType: "instance", tags: args.tags }],
        updateDefaultVersion: true,
        tags: args.tags,
      },
      parent,
    );

    const asg = new aws.autoscaling.Group(
      `${name}-hosts`,
      {
        vpcZoneIdentifiers: args.privateSubnetIds,
        minSize: sizing.minInstances,
        maxSize: sizing.maxInstances,
        launchTemplate: { id: launchTemplate.id, version: "$Latest" },
        // Managed termination protection: ECS, not the ASG, decides which instance is empty.
        protectFromScaleIn: true,
        healthCheckType: "EC2",
        tags: [{ key: "AmazonECSManaged", value: "true", propagateAtLaunch: true }],
      },
      // Managed scaling owns the desired capacity.
      { parent: this, ignoreChanges: ["desiredCapacity"] },
    );

    const capacityProvider = new aws.ecs.CapacityProvider(
      capacityProviderName(name),
      {
        autoScalingGroupProvider: {
          autoScalingGroupArn: asg.arn,
          managedTerminationProtection: "ENABLED",
          managedDraining: "ENABLED",
          managedScaling: { status: "ENABLED", targetCapacity: 100, minimumScalingStepSize: 1, maximumScalingStepSize: 2 },
        },
        tags: args.tags,
      },
      parent,
    );
    const strategy = [{ capacityProvider: capacityProvider.name, weight: 1, base: 0 }];
    const providers = new aws.ecs.ClusterCapacityProviders(
      `${name}-capacity`,
      { clusterName: cluster.name, capacityProviders: [capacityProvider.name], defaultCapacityProviderStrategies: strategy },
      parent,
    );

    const ecs = createEcsService(
      name,
      {
        compute: args,
        cluster,
        launchType: "EC2",
        cpu: sizing.cpu,
        memoryMb: sizing.memoryMb,
        scaling: sizing.scaling,
        capacityProviderStrategies: strategy,
        dependsOn: [providers],
      },
      this,
    );

    this.targetGroupArn = ecs.targetGroup.arn;
    this.clusterName = cluster.name;
    this.serviceName = ecs.service.name;
    this.autoScalingGroupName = asg.name;
    this.registerOutputs({
      targetGroupArn: this.targetGroupArn,
      clusterName: this.clusterName,
      serviceName: this.serviceName,
      autoScalingGroupName: this.autoScalingGroupName,
    });
  }
}
