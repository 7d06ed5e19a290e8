// The compute target registry: one entry per target, each in its own file.
// (Placeholder until the targets land: every kind refuses with a clear message.)
import * as pulumi from "@pulumi/pulumi";
import type { ComputeTarget, ComputeTargetArgs, ComputeTargetKind, TargetSizing } from "./target";

export function createComputeTarget(
  kind: ComputeTargetKind,
  name: string,
  args: ComputeTargetArgs,
  sizing: TargetSizing,
  opts?: pulumi.ComponentResourceOptions,
): ComputeTarget {
  void name; void args; void sizing; void opts;
  throw new Error(`compute target "${kind}" is not implemented yet`);
}
