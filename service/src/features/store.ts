// The online feature store seen by the service: given entity keys and feature references,
// the latest value of each feature with Feast's per-feature status.
import type { FeatureDtype } from "../model/manifest";

/** A feature as Feast names it: `<view>:<feature>`. */
export interface FeatureRef {
  view: string;
  feature: string;
  /** How the value is stored (the Value proto's type); stores use it to decode. */
  dtype: FeatureDtype;
}

/** Join key name → value, e.g. `{ user_id: 1002 }`. Values are typed by the manifest's entities. */
export type EntityKey = Record<string, string | number>;

export type FeatureValue = number | string | boolean | null;

/** Feast's FieldStatus names. */
export type FeatureStatus = "PRESENT" | "NULL_VALUE" | "NOT_FOUND" | "OUTSIDE_MAX_AGE";

/** One entity's features, aligned with the requested refs. */
export interface FeatureVector {
  values: FeatureValue[];
  statuses: FeatureStatus[];
  /** Event time of each value, null when not found. */
  eventTimestamps: (Date | null)[];
}

export interface FeatureQuery {
  /** Join keys as declared by the manifest (name and dtype), in any order. */
  entityKeyTypes: Record<string, "int32" | "int64" | "string">;
  entities: EntityKey[];
  refs: FeatureRef[];
  /** Max age per view in seconds (0 = no limit); older values come back OUTSIDE_MAX_AGE. */
  ttlSeconds?: Record<string, number>;
  /** Absolute deadline (ms since epoch): past it, reject with FeatureStoreUnavailableError. */
  deadline?: number;
}

/** The store cannot answer now (down, slow, timed out): the request fails with 503 or falls back. */
export class FeatureStoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "FeatureStoreUnavailableError";
  }
}

export interface FeatureStore {
  readonly kind: string;
  /** One vector per entity, in order. Never throws for a missing entity: statuses say NOT_FOUND. */
  get(query: FeatureQuery): Promise<FeatureVector[]>;
  /** Readiness: resolves true when the store answers now. Never throws. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
