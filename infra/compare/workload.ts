// What the cost model prices: the traffic (from a stack's `traffic` block, flags or a usage file)
// plus the usage a stack file does not say (payload sizes, log volume, storage), each with a
// stated default, and the stack's deployment choices.
import type { BlueprintConfig, TrafficProfile } from "../config";

export interface Workload extends TrafficProfile {
  /**
   * The highest rate the active hours see (spiky traffic): containers keep capacity for it, since
   * autoscaling adds tasks in minutes. Unset: the mean.
   */
  peakRequestsPerSecond?: number;
  /** Mean HTTP request size including headers, bytes. */
  requestBytes: number;
  /** Mean HTTP response size including headers, bytes. */
  responseBytes: number;
  /** Keep-alive: requests a client sends per connection it opens. */
  requestsPerConnection: number;
  /** How long a client connection stays open, seconds (ALB active connections). */
  connectionSeconds: number;
  /** Listener rules evaluated per request (the first 10 are free). */
  listenerRules: number;
  /** CloudWatch Logs bytes written per request (request + response log lines). */
  logBytesPerRequest: number;
  /**
   * Traffic through the NAT gateway(s) per month that does not grow with requests: image pulls,
   * AWS API calls. Container logs and Keyspaces reads are added from the traffic.
   */
  natGbPerMonth: number;
  /** Feature store bytes per prediction, both directions (Redis or Keyspaces; NAT, cross-AZ). */
  featureBytesPerRequest: number;
  modelStorageGb: number;
  imageStorageGb: number;
  s3GetsPerMonth: number;
  s3PutsPerMonth: number;
  /** Keyspaces read request units per prediction (one partition read ≤ 4 KB at LOCAL_QUORUM = 1). */
  keyspacesReadUnitsPerRequest: number;
  /** Materialization writes per month (one unit per row ≤ 1 KB). */
  keyspacesWriteUnitsPerMonth: number;
  keyspacesStorageGb: number;
  /**
   * Bytes of one DynamoDB item (one entity in one feature view, Feast's layout). Derived from the
   * stack's model manifest (dynamodb-items.ts, the largest view's item) when its package is there.
   */
  dynamodbItemBytes: number;
  /** Items one prediction reads in its BatchGetItem: one per feature view (from the manifest). */
  dynamodbItemsPerRequest: number;
  /** Entities stored (items per view): sets storage and materialization writes. */
  dynamodbEntities: number;
  /** Materialization runs a month, each writing every entity's items (30: daily). */
  dynamodbRefreshesPerMonth: number;
  /** Fargate task ephemeral storage, GB (20 are included). */
  fargateEphemeralGb: number;
  /** Apply Lambda's monthly free tier (shared by every function in the account). */
  lambdaFreeTier: boolean;
  /** Apply the first 100 GB of data transfer out to the internet free each month (per account). */
  dataTransferFreeTier: boolean;
}

/** Usage defaults for what a stack does not state; a usage file or flags override any of them. */
export const USAGE_DEFAULTS: Omit<Workload, keyof TrafficProfile> = {
  requestBytes: 400,
  responseBytes: 300,
  requestsPerConnection: 100,
  connectionSeconds: 60,
  listenerRules: 1,
  logBytesPerRequest: 500,
  natGbPerMonth: 5,
  featureBytesPerRequest: 1000,
  modelStorageGb: 0.01,
  imageStorageGb: 0.4,
  s3GetsPerMonth: 1000,
  s3PutsPerMonth: 20,
  keyspacesReadUnitsPerRequest: 1,
  keyspacesWriteUnitsPerMonth: 1_000_000,
  keyspacesStorageGb: 1,
  dynamodbItemBytes: 1000,
  dynamodbItemsPerRequest: 1,
  dynamodbEntities: 100_000,
  dynamodbRefreshesPerMonth: 30,
  fargateEphemeralGb: 20,
  lambdaFreeTier: false,
  dataTransferFreeTier: true,
};

/** The deployment choices that change the bill, as a stack's validated config states them. */
export type Platform = Pick<
  BlueprintConfig,
  | "architecture"
  | "natStrategy"
  | "availabilityZones"
  | "featureStore"
  | "provisionRedis"
  | "provisionKeyspaces"
  | "redis"
  | "keyspaces"
  | "provisionDynamoDB"
  | "dynamodb"
  | "loadBalancer"
  | "lambda"
  | "fargate"
  | "ec2"
  | "eks"
>;

/** AWS's calculator month (8760 h / 12); AWS's own worked examples often use 30 × 24 = 720. */
export const DEFAULT_HOURS_PER_MONTH = 730;

export interface Month {
  hours: number;
  /**
   * The day the month is priced as of (YYYY-MM-DD): decides whether an EKS version is in standard
   * or extended support. Unset: the price table's retrieval date.
   */
  asOf?: string;
}

/** Bounds that catch typos (a 10⁹ rps profile) before they become a plausible-looking bill. */
export const LIMITS = {
  requestsPerSecond: 1_000_000,
  meanDurationMs: 900_000,
  activeHoursPerDay: 24,
  requestsPerTaskPerSecond: 1_000_000,
  hoursPerMonth: 744,
} as const;

/** Every problem with a workload, in words a user can act on; empty when it can be priced. */
export function workloadProblems(w: Workload, month: Month): string[] {
  const problems: string[] = [];
  const check = (name: string, v: number, min: number, max: number, minExclusive = false) => {
    if (!Number.isFinite(v) || v < min || (minExclusive && v === min) || v > max) {
      problems.push(`${name} ${v}: expected a number ${minExclusive ? "above" : "from"} ${min}${minExclusive ? " and up" : ""} to ${max}`);
    }
  };
  check("requestsPerSecond", w.requestsPerSecond, 0, LIMITS.requestsPerSecond);
  check("meanDurationMs", w.meanDurationMs, 0, LIMITS.meanDurationMs, true);
  check("activeHoursPerDay", w.activeHoursPerDay, 0, LIMITS.activeHoursPerDay);
  check("requestsPerTaskPerSecond", w.requestsPerTaskPerSecond, 0, LIMITS.requestsPerTaskPerSecond, true);
  check("hoursPerMonth", month.hours, 0, LIMITS.hoursPerMonth, true);
  for (const key of Object.keys(USAGE_DEFAULTS) as (keyof typeof USAGE_DEFAULTS)[]) {
    const v = w[key];
    if (typeof v === "number") check(key, v, 0, 1e12);
  }
  if (w.peakRequestsPerSecond !== undefined) {
    check("peakRequestsPerSecond", w.peakRequestsPerSecond, 0, LIMITS.requestsPerSecond);
    if (w.peakRequestsPerSecond < w.requestsPerSecond) {
      problems.push(`peakRequestsPerSecond ${w.peakRequestsPerSecond}: expected at least the mean requestsPerSecond ${w.requestsPerSecond}`);
    }
  }
  if (w.requestsPerConnection < 1) problems.push(`requestsPerConnection ${w.requestsPerConnection}: expected 1 or more`);
  return problems;
}
