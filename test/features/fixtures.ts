import type { OfflineRow } from "../../service/src/features/offline";
// Small model manifests and offline Parquet files the feature-store tests build for themselves.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ParquetSchema, ParquetWriter } from "@dsnp/parquetjs";
import { parseManifest, type Manifest } from "../../service/src/model/manifest";

export const PROJECT = "fraud_test";
export const VIEW = "user_stats";

/** user_stats features with one of each stored dtype. */
export const FEATURES = [
  { name: "txn_count_1h", dtype: "int64", default: 0 },
  { name: "amount_sum_24h", dtype: "float64", default: 0 },
  { name: "account_age_days", dtype: "int32", default: 0 },
  { name: "avg_ratio", dtype: "float32", default: 1 },
  { name: "is_verified", dtype: "bool", default: false },
  { name: "home_country", dtype: "string", default: "US" },
] as const;

export function testManifest(options: { ttlSeconds?: number; project?: string } = {}): Manifest {
  const features = FEATURES.map((f) => ({
    name: f.name,
    source: { kind: "online", view: VIEW, feature: f.name },
    dtype: f.dtype,
    default: f.default,
    encoding: f.dtype === "string" ? { kind: "one_hot", categories: ["US", "FR"] } : { kind: "identity" },
  }));
  const width = features.reduce((n, f) => n + (f.encoding.kind === "one_hot" ? 2 : 1), 0) + 1;
  return parseManifest({
    schemaVersion: 1,
    name: "fraud",
    version: "1",
    artifact: { path: "model.onnx", sha256: "0".repeat(64) },
    project: options.project ?? PROJECT,
    entities: [{ name: "user_id", dtype: "int64" }],
    featureViews: [{ name: VIEW, entities: ["user_id"], ttlSeconds: options.ttlSeconds ?? 0 }],
    features: [
      ...features,
      { name: "amount", source: { kind: "request", field: "amount" }, dtype: "float64", default: null, encoding: { kind: "identity" } },
    ],
    onStoreUnavailable: "fail",
    input: { name: "input", dtype: "float32", shape: [-1, width] },
    outputs: [{ name: "probabilities", dtype: "float32", shape: [-1, 2] }],
    postprocess: { kind: "classification", probabilities: "probabilities", labels: ["legit", "fraud"] },
  });
}

/** A row as written to the offline file; `user_id` may be null or a feature mistyped, to make bad rows. */
export interface FixtureRow {
  user_id: bigint | null;
  event_timestamp: Date | null;
  created_timestamp?: Date;
  txn_count_1h?: bigint | null;
  amount_sum_24h?: number | null;
  account_age_days?: number | null;
  avg_ratio?: number | null;
  is_verified?: boolean | null;
  home_country?: string | null;
}

export function tempDir(prefix = "features-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes rows in Feast's offline shape; every column optional so bad rows can be written. */
export async function writeOfflineParquet(file: string, rows: FixtureRow[]): Promise<string> {
  const schema = new ParquetSchema({
    user_id: { type: "INT64", optional: true },
    event_timestamp: { type: "TIMESTAMP_MILLIS", optional: true },
    created_timestamp: { type: "TIMESTAMP_MILLIS", optional: true },
    txn_count_1h: { type: "INT64", optional: true },
    amount_sum_24h: { type: "DOUBLE", optional: true },
    account_age_days: { type: "INT32", optional: true },
    avg_ratio: { type: "FLOAT", optional: true },
    is_verified: { type: "BOOLEAN", optional: true },
    home_country: { type: "UTF8", optional: true },
  });
  const writer = await ParquetWriter.openFile(schema, file);
  for (const row of rows) await writer.appendRow(row as unknown as Record<string, unknown>);
  await writer.close();
  return file;
}

/** A complete row for user `id` at time `t` (ms), values derived from `n`. */
export function fullRow(id: number, t: number, n: number): FixtureRow {
  return {
    user_id: BigInt(id),
    event_timestamp: new Date(t),
    created_timestamp: new Date(t + 1000),
    txn_count_1h: BigInt(n),
    amount_sum_24h: n * 10.5,
    account_age_days: n * 3,
    avg_ratio: 0.5,
    is_verified: n % 2 === 0,
    home_country: n % 2 === 0 ? "FR" : "US",
  };
}

export const REFS = FEATURES.map((f) => ({ view: VIEW, feature: f.name, dtype: f.dtype }));

/** A store query for these user ids over every fixture feature. */
export const storeQuery = (ids: (number | string)[], extra = {}) => ({
  entityKeyTypes: { user_id: "int64" as const },
  entities: ids.map((user_id) => ({ user_id })),
  refs: REFS,
  ...extra,
});

/** One online row of the fixture view for user `id`, values derived from `n`. */
export function onlineRow(id: number, n: number, t: number, flags: { is_verified: boolean; home_country: string }): OfflineRow {
  return {
    view: VIEW,
    rowNumber: id,
    entity: { user_id: id },
    eventTimestamp: new Date(t),
    createdTimestamp: null,
    values: { txn_count_1h: n, amount_sum_24h: n * 1.5, account_age_days: n, avg_ratio: 0.25, ...flags },
  };
}
