// The compute target registry: one entry per target, each in its own file. Adding a fifth target
// is a new file and one line here (the `satisfies` clause refuses a kind without an entry).
import * as pulumi from "@pulumi/pulumi";
import { Ec2Target } from "./ec2";
import { EksTarget } from "./eks";
import { FargateTarget } from "./fargate";
import { LambdaTarget } from "./lambda";
import type { ComputeTarget, ComputeTargetArgs, ComputeTargetKind, TargetSizing } from "./target";

type TargetFactory<K extends ComputeTargetKind> = (
  name: string,
  args: ComputeTargetArgs,
  sizing: TargetSizing[K],
  opts?: pulumi.ComponentResourceOptions,
) => ComputeTarget;

export const COMPUTE_TARGET_REGISTRY = {
  lambda: (name, args, sizing, opts) => new LambdaTarget(name, args, sizing, opts),
  fargate: (name, args, sizing, opts) => new FargateTarget(name, args, sizing, opts),
  ec2: (name, args, sizing, opts) => new Ec2Target(name, args, sizing, opts),
  eks: (name, args, sizing, opts) => new EksTarget(name, args, sizing, opts),
} satisfies { [K in ComputeTargetKind]: TargetFactory<K> };

/** Builds the stack's one compute target from its own entry of the sizing config. */
export function createComputeTarget<K extends ComputeTargetKind>(
  kind: K,
  name: string,
  args: ComputeTargetArgs,
  sizing: TargetSizing,
  opts?: pulumi.ComponentResourceOptions,
): ComputeTarget {
  const factory = COMPUTE_TARGET_REGISTRY[kind] as TargetFactory<K> | undefined;
  if (!factory) {
    throw new Error(`compute target "${kind}" is unknown; expected one of ${Object.keys(COMPUTE_TARGET_REGISTRY).join(", ")}`);
  }
  return factory(name, args, sizing[kind], opts);
}

export type { ComputeTarget, ComputeTargetArgs, ComputeTargetKind, TargetSizing } from "./target";
export { LambdaTarget, FargateTarget, Ec2Target, EksTarget };
