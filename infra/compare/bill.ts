// A monthly estimate as AWS bills it: one line per service and usage type, each rounded to the
// cent on its own, and the total summed from the rounded lines (in integer cents, so float noise
// never moves a total).

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
  label: string;
  lines: CostLine[];
  totalUsd: number;
  /** Capacity the estimate assumed (tasks, instances, nodes, concurrency) and caveats. */
  notes: string[];
}

export const PRICED_OPTIONS = ["lambda-alb", "lambda-httpapi", "fargate", "ec2", "eks"] as const;
export type PricedOption = (typeof PRICED_OPTIONS)[number];

export const OPTION_LABELS: Record<PricedOption, string> = {
  "lambda-alb": "Lambda behind the ALB",
  "lambda-httpapi": "Lambda behind API Gateway HTTP API",
  fargate: "ECS on Fargate",
  ec2: "ECS on EC2",
  eks: "EKS",
};

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

export function estimate(option: PricedOption, lines: CostLine[], notes: string[]): Estimate {
  return { option, label: OPTION_LABELS[option], lines, totalUsd: totalOf(lines), notes };
}
