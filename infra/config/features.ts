// Stack config of the online feature stores, and the rules between the chosen store and what
// the model's manifest reads.
import type { Manifest } from "../../service/src/model/manifest";

/** Stores a deployed stack can serve from; self-managed Cassandra is not provisioned here. */
export const DEPLOYED_FEATURE_STORES = ["embedded", "redis", "keyspaces"] as const;
export type DeployedFeatureStore = (typeof DEPLOYED_FEATURE_STORES)[number];

/** Amazon Keyspaces table names are at most 48 characters. */
export const KEYSPACES_TABLE_NAME_MAX = 48;

export interface RedisSettings {
  nodeType: string;
  /** Read replicas besides the primary. */
  replicas: number;
  /** Multi-AZ with automatic failover; needs at least one replica. */
  multiAz: boolean;
  engineVersion: string;
}

export interface KeyspacesSettings {
  pointInTimeRecovery: boolean;
}

/** Keyspaces table of one feature view, in Feast's Cassandra layout: `<project>_<view>`. */
export function featureTableName(manifest: Pick<Manifest, "project">, view: string): string {
  return `${manifest.project}_${view}`;
}

/** Problems between the chosen feature store and what the model's manifest reads. */
export function featureStoreProblems(
  config: { featureStore: DeployedFeatureStore; modelName: string; modelVersion: string },
  manifest: Manifest,
): string[] {
  const problems: string[] = [];
  if (manifest.name !== config.modelName || manifest.version !== config.modelVersion) {
    problems.push(
      `modelName/modelVersion: the manifest at models/${config.modelName}/${config.modelVersion}/ names ${manifest.name}/${manifest.version}; the folder and the manifest must agree`,
    );
  }
  const onlineViews = [
    ...new Set(manifest.features.flatMap((f) => (f.source.kind === "online" ? [f.source.view] : []))),
  ];
  if (onlineViews.length > 0 && config.featureStore === "embedded") {
    problems.push(
      `featureStore: "embedded" reads an offline Parquet file from the service's disk, which a deployed stack does not ship, but model ${manifest.name} reads online features from ${onlineViews.join(", ")}; choose redis or keyspaces and materialize the features into it`,
    );
  }
  if (onlineViews.length === 0 && config.featureStore !== "embedded") {
    problems.push(
      `featureStore: model ${manifest.name} reads no online features, so ${config.featureStore} would be provisioned and never read; choose embedded`,
    );
  }
  if (config.featureStore === "keyspaces") {
    for (const view of manifest.featureViews) {
      const table = featureTableName(manifest, view.name);
      if (table.length > KEYSPACES_TABLE_NAME_MAX) {
        problems.push(
          `featureStore: Keyspaces table "${table}" (project_view) is ${table.length} characters, over Keyspaces' ${KEYSPACES_TABLE_NAME_MAX}; shorten the manifest's project or view name`,
        );
      }
    }
  }
  return problems;
}
