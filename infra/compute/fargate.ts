// ECS on Fargate: managed workers, nothing to patch; the default for most teams.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { fargatePairProblem } from "../config";
import { createEcsService } from "./ecs-service";
import type { ComputeTarget, ComputeTargetArgs, FargateSizing } from "./target";

/**
 * FARGATE and FARGATE_SPOT weights for a Spot share (Spot runs ARM64 and X86_64 tasks on platform 1.4.0+). Unless everything is Spot, the first task is
 * always on-demand (base 1), so a Spot reclaim never takes the service to zero.
 */
export function fargateCapacityStrategy(spotPercent: number): aws.types.input.ecs.ServiceCapacityProviderStrategy[] {
  if (!Number.isInteger(spotPercent) || spotPercent < 0 || spotPercent > 100) {
    throw new Error(`fargate spotPercent ${spotPercent}: expected an integer from 0 to 100`);
  }
  if (spotPercent === 0) return [{ capacityProvider: "FARGATE", weight: 1 }];
  if (spotPercent === 100) return [{ capacityProvider: "FARGATE_SPOT", weight: 1 }];
  return [
    { capacityProvider: "FARGATE", weight: 100 - spotPercent, base: 1 },
    { capacityProvider: "FARGATE_SPOT", weight: spotPercent },
  ];
}

export class FargateTarget extends pulumi.ComponentResource implements ComputeTarget {
  readonly kind = "fargate" as const;
  readonly targetGroupArn: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly serviceName: pulumi.Output<string>;

  constructor(name: string, args: ComputeTargetArgs, sizing: FargateSizing, opts?: pulumi.ComponentResourceOptions) {
    super("inference-blueprint:compute:FargateTarget", name, {}, opts);
    // Stack config already refuses a bad pair; a component built by other code must too.
    const pair = fargatePairProblem(sizing.cpu, sizing.memoryMb);
    if (pair) throw new Error(`fargate: ${pair}`);
    const strategy = fargateCapacityStrategy(sizing.spotPercent);

    const cluster = new aws.ecs.Cluster(`${name}-cluster`, { tags: args.tags }, { parent: this });
    const providers = new aws.ecs.ClusterCapacityProviders(
      `${name}-capacity`,
      { clusterName: cluster.name, capacityProviders: ["FARGATE", "FARGATE_SPOT"], defaultCapacityProviderStrategies: strategy },
      { parent: this },
    );

    const ecs = createEcsService(
      name,
      {
        compute: args,
        cluster,
        launchType: "FARGATE",
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
    this.registerOutputs({ targetGroupArn: this.targetGroupArn, clusterName: this.clusterName, serviceName: this.serviceName });
  }
}
