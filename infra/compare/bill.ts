// A monthly estimate as AWS bills it: one line per service and usage type, each rounded to the
// cent on its own, and the total summed from the rounded lines (in integer cents, so float noise
// never moves a total).
import type { DeployedFeatureStore } from "../config";

export interface CostLine {
  /** The AWS service as it appears on the bill: "Lambda", "Fargate", "ALB", ... */
  service: string;
  /** The usage type: "requests", "vCPU-hours", "LCU-hours", ... */
  item: string;
  quantity: number;
  unit: string;
  /** Rounded to the cent. */
  usd: number;
}

export interface Estimate {
  /** Which priced option this is: lambda-alb, lambda-httpapi, fargate, ec2, eks. */
  option: PricedOption;
  /** The feature store the option serves from: options are compared within one store only. */
  featureStore: FeatureStoreKind;
  /** Compute, front door and feature store, e.g. "Lambda + ALB · Keyspaces". */
  label: string;
  lines: CostLine[];
  totalUsd: number;
  /** Capacity the estimate assumed (tasks, instances, nodes, concurrency) and caveats. */
  notes: string[];
  /** What a reader must act on or know before trusting the total (extended support, a cap hit, CPU credits). */
  warnings: string[];
}

export const PRICED_OPTIONS = ["lambda-alb", "lambda-httpapi", "fargate", "ec2", "eks"] as const;
export type PricedOption = (typeof PRICED_OPTIONS)[number];

/** Compute and front door; the program always creates the ALB, the HTTP API only adds a door. */
export const OPTION_LABELS: Record<PricedOption, string> = {
  "lambda-alb": "Lambda + ALB",
  "lambda-httpapi": "Lambda + HTTP API (ALB idle)",
  fargate: "ECS Fargate",
  ec2: "ECS on EC2",
  eks: "EKS",
};

export type FeatureStoreKind = DeployedFeatureStore;

export const FEATURE_STORE_LABELS: Record<FeatureStoreKind, string> = {
  embedded: "embedded features",
  redis: "Redis",
  keyspaces: "Keyspaces",
  dynamodb: "DynamoDB",
};

export function optionLabel(option: PricedOption, featureStore: FeatureStoreKind): string {
  return `${OPTION_LABELS[option]} · ${FEATURE_STORE_LABELS[featureStore]}`;
}

/** Half-up to the cent; the epsilon keeps 0.125 from landing on 0.12 through binary noise. */
export function roundToCent(usd: number): number {
  return Math.round((usd + Number.EPSILON) * 100) / 100;
}

export function line(service: string, item: string, quantity: number, unit: string, usd: number): CostLine {
  return { service, item, quantity, unit, usd: roundToCent(usd) };
}

export function totalOf(lines: readonly CostLine[]): number {
  const cents = lines.reduce((sum, l) => sum + Math.round(l.usd * 100), 0);
  return cents / 100;
}

export function estimate(option: PricedOption, featureStore: FeatureStoreKind, lines: CostLine[], notes: string[], warnings: string[]): Estimate {
  return { option, featureStore, label: optionLabel(option, featureStore), lines, totalUsd: totalOf(lines), notes, warnings };
}
