// Picks the online store the configuration names.
import type { ServiceConfig } from "../config";
import type { Manifest } from "../model/manifest";
import type { StoreLogger } from "./log";
import type { FeatureStore } from "./store";

export type { FeatureStore } from "./store";
export { FeatureStoreUnavailableError } from "./store";

/**
 * The store for `config.featureStore`. Redis, Cassandra and DynamoDB stores are returned even when
 * their server is not reachable yet (not ready, reconnecting); the embedded store throws when its
 * file cannot be read.
 */
export async function createFeatureStore(
  config: ServiceConfig,
  manifest: Manifest,
  options: { logger?: StoreLogger } = {},
): Promise<FeatureStore> {
  const project = config.feastProject ?? manifest.project;
  switch (config.featureStore) {
    // Each store's client library is loaded only when chosen: the others would cost tens of MB of RSS.
    case "embedded": {
      const { EmbeddedStore } = await import("./embedded");
      const store = await EmbeddedStore.fromParquet(config.embeddedFeaturesPath, manifest, {
        s3: { region: config.awsRegion, endpoint: config.s3Endpoint, forcePathStyle: config.s3ForcePathStyle },
      });
      if (store.badRows.length > 0) {
        options.logger?.warn(
          { store: "embedded", path: config.embeddedFeaturesPath, badRows: store.badRows.slice(0, 10) },
          `${store.badRows.length} offline rows skipped`,
        );
      }
      return store;
    }
    case "redis": {
      const { RedisStore } = await import("./redis");
      return RedisStore.connect(config, manifest, { logger: options.logger, project });
    }
    case "cassandra":
    case "keyspaces": {
      const { CassandraStore } = await import("./cassandra");
      return CassandraStore.connect(config, manifest, { logger: options.logger, project, flavor: config.featureStore });
    }
    case "dynamodb": {
      const { DynamoDBStore } = await import("./dynamodb");
      return DynamoDBStore.connect(config, manifest, { logger: options.logger, project });
    }
  }
}
