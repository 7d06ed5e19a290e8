// One interface, four implementations: every compute target receives the same platform outputs
// and registers the service behind the one ALB, so every stack exposes the same URL contract.
import * as pulumi from "@pulumi/pulumi";

export const COMPUTE_TARGETS = ["lambda", "fargate", "ec2", "eks"] as const;
export type ComputeTargetKind = (typeof COMPUTE_TARGETS)[number];

/** CPU architecture of the image and of whatever runs it. */
export type Architecture = "x86_64" | "arm64";

/** Service autoscaling shared by the container targets. */
export interface ServiceScaling {
  minCount: number;
  maxCount: number;
  /** Target tracking on average CPU, percent. */
  cpuTargetPercent: number;
  /** Target tracking on ALB requests per target per minute. */
  requestsPerTarget: number;
}

export interface LambdaSizing {
  memoryMb: number;
  timeoutSeconds: number;
  /** Unset: the account's unreserved pool. */
  reservedConcurrency?: number;
  /** On the `live` alias; 0 = none. */
  provisionedConcurrency: number;
  /** Also expose the function through an API Gateway HTTP API (no fixed monthly cost). */
  apiGateway: boolean;
}

export interface FargateSizing {
  /** CPU units (256 = 0.25 vCPU); a valid Fargate pair with memoryMb. */
  cpu: number;
  memoryMb: number;
  /** Share of tasks on Fargate Spot, 0–100. */
  spotPercent: number;
  scaling: ServiceScaling;
}

export interface Ec2Sizing {
  instanceType: string;
  minInstances: number;
  maxInstances: number;
  /** Task reservation: CPU units and MiB. */
  cpu: number;
  memoryMb: number;
  scaling: ServiceScaling;
}

export interface EksSizing {
  kubernetesVersion: string;
  instanceTypes: string[];
  minNodes: number;
  maxNodes: number;
  desiredNodes: number;
  /** Pod requests/limits: CPU in millicores, memory in MiB. */
  cpuMillis: number;
  memoryMb: number;
  scaling: ServiceScaling;
  /** IAM principals given cluster-admin access entries (the deploying identity always has one). */
  adminPrincipalArns?: string[];
  /** The Kubernetes API on the internet (from publicAccessCidrs only); off: reachable inside the VPC only. */
  endpointPublicAccess?: boolean;
  publicAccessCidrs?: string[];
}

/** Every target's sizing as read from stack config; a target reads its own entry. */
export interface TargetSizing {
  lambda: LambdaSizing;
  fargate: FargateSizing;
  ec2: Ec2Sizing;
  eks: EksSizing;
}

/** What the platform hands every target. */
export interface ComputeTargetArgs {
  /** Image reference (`repo@sha256:…`), the same image for every target. */
  imageUri: pulumi.Input<string>;
  architecture: Architecture;
  /** Built by the service's config module (`toEnvironment`): the one environment contract. */
  environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
  vpcId: pulumi.Input<string>;
  privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Created by the platform: ingress from the ALB on the service port; Redis admits only it. */
  computeSecurityGroupId: pulumi.Input<string>;
  albSecurityGroupId: pulumi.Input<string>;
  /** The listener that serves traffic (HTTPS when configured); the target adds a forward rule. */
  listenerArn: pulumi.Input<string>;
  /**
   * The ALB's ARN suffix (`app/<name>/<id>`), for the ALBRequestCountPerTarget scaling metric.
   * Unset: derived from `listenerArn`.
   */
  loadBalancerArnSuffix?: pulumi.Input<string>;
  /** Least-privilege runtime policy (model prefix read, Keyspaces tables, the Redis secret), JSON. */
  runtimePolicyJson: pulumi.Input<string>;
  /** The service's CloudWatch log group (created by the platform with its retention). */
  logGroupName: pulumi.Input<string>;
  logRetentionDays: number;
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface ComputeTarget extends pulumi.ComponentResource {
  readonly kind: ComputeTargetKind;
  /** The ALB target group this target registered (type lambda, ip or instance). */
  readonly targetGroupArn: pulumi.Output<string>;
  /** Extra front door, when the target has one (Lambda's HTTP API). */
  readonly apiEndpoint?: pulumi.Output<string>;
}
