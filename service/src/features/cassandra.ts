// Online features from Apache Cassandra or Amazon Keyspaces in Feast's Cassandra layout:
// table "<keyspace>"."<project>_<view>", one row per (entity_key, feature_name). Prepared
// statements, so the driver knows the partition key and routes each read to a replica.
import * as fs from "node:fs";
import { auth, Client, policies, types, type ClientOptions } from "cassandra-driver";
import { DEFAULTS, type ServiceConfig } from "../config";
import type { Manifest } from "../model/manifest";
import { withDeadline } from "./deadline";
import { stderrLogger, type StoreLogger } from "./log";
import type { OfflineRow } from "./offline";
import { FeatureStoreUnavailableError, type FeatureQuery, type FeatureStore, type FeatureVector } from "./store";
import { decodeValue, encodeValue } from "./value-proto";
import { maxAgeSeconds, onlineLayout, refsByView, statusOf, viewEntityKey, type OnlineLayout, type OnlineView } from "./views";
import type { OnlineWriter } from "./writer";

/** Keyspaces' TLS endpoint port. */
export const KEYSPACES_PORT = 9142;
/** Keyspaces accepts at most this many statements in one batch. */
const MAX_BATCH_STATEMENTS = 30;
/** Reads one request keeps in flight: enough to fill a batch in time, few enough to leave the pool to others. */
const READS_IN_FLIGHT = 64;
/** Entities written concurrently by the materializer. */
const WRITE_CONCURRENCY = 32;

export interface CassandraStoreOptions {
  logger?: StoreLogger;
  project?: string;
  /** "keyspaces" fills in Amazon Keyspaces' endpoint, port, TLS and SigV4 where config left the defaults. */
  flavor?: "cassandra" | "keyspaces";
}

type CassandraConfig = ServiceConfig["cassandra"];

/**
 * Keyspaces' settings where the configuration kept Cassandra's defaults: the regional
 * endpoint, port 9142, TLS, the region as data center, and SigV4 unless a service-specific
 * username and password are set.
 */
export function keyspacesSettings(c: CassandraConfig, region: string | undefined): CassandraConfig {
  const d = DEFAULTS.cassandra;
  const sameContactPoints = c.contactPoints.join(",") === d.contactPoints.join(",");
  if (!region && (sameContactPoints || c.localDataCenter === d.localDataCenter)) {
    throw new Error("Amazon Keyspaces needs AWS_REGION (for its endpoint and data center) or explicit CASSANDRA_CONTACT_POINTS and CASSANDRA_LOCAL_DC");
  }
  return {
    ...c,
    contactPoints: sameContactPoints ? [`cassandra.${region}.amazonaws.com`] : c.contactPoints,
    port: c.port === d.port ? KEYSPACES_PORT : c.port,
    localDataCenter: c.localDataCenter === d.localDataCenter ? (region as string) : c.localDataCenter,
    tls: true,
    sigV4: c.sigV4 || !c.username,
  };
}

/** `"keyspace"."project_view"`, quoted so names keep their case. */
export function tableName(keyspace: string, project: string, view: string): string {
  return `"${keyspace}"."${project}_${view}"`;
}

export class CassandraStore implements FeatureStore, OnlineWriter {
  readonly kind: string;
  private readonly layout: OnlineLayout;
  private readonly logger: StoreLogger;
  private readonly consistency: number;

  private constructor(
    private readonly client: Client,
    private readonly settings: CassandraConfig,
    manifest: Manifest,
    private readonly timeoutMs: number,
    options: CassandraStoreOptions,
  ) {
    this.kind = options.flavor ?? "cassandra";
    this.layout = onlineLayout(manifest, options.project);
    this.logger = options.logger ?? stderrLogger;
    this.consistency = types.consistencies[toDriverConsistency(settings.consistency)];
    // Every request is answered from defaults while no host is up: say so once, when it happens.
    client.on("hostDown", (host: { address: string }) => this.logger.warn({ store: this.kind, host: host.address }, "cassandra host marked down"));
  }

  /** Creates the client and tries to connect; a store that cannot connect yet is returned not ready. */
  static async connect(config: ServiceConfig, manifest: Manifest, options: CassandraStoreOptions = {}): Promise<CassandraStore> {
    const settings = options.flavor === "keyspaces" ? keyspacesSettings(config.cassandra, config.awsRegion) : config.cassandra;
    const client = new Client(clientOptions(settings, config.awsRegion, config.featureTimeoutMs));
    const store = new CassandraStore(client, settings, manifest, config.featureTimeoutMs, options);
    try {
      await client.connect();
    } catch (err) {
      store.logger.warn({ store: store.kind, contactPoints: settings.contactPoints, err: (err as Error).message }, "cassandra not reachable yet");
    }
    return store;
  }

  async get(query: FeatureQuery): Promise<FeatureVector[]> {
    const vectors: FeatureVector[] = query.entities.map(() => ({
      values: query.refs.map(() => null),
      statuses: query.refs.map(() => "NOT_FOUND"),
      eventTimestamps: query.refs.map(() => null),
    }));
    const deadline = query.deadline ?? Date.now() + this.timeoutMs;
    const reads: (() => Promise<void>)[] = [];
    const groups = [...refsByView(query)];
    query.entities.forEach((entity, i) => {
      for (const [viewName, refs] of groups) {
        const view = this.layout.views.get(viewName);
        const key = view && viewEntityKey(this.layout, view, entity);
        if (!view || !key) continue;
        const hexKey = key.toString("hex");
        reads.push(() =>
          this.readEntity(view, hexKey, deadline).then((rows) => {
            const maxAge = maxAgeSeconds(query, view);
            const now = Date.now();
            for (const ref of refs) {
              const row = rows.get(ref.feature);
              if (!row) continue;
              let value;
              try {
                value = row.value ? decodeValue(row.value, ref.dtype) : null;
              } catch (err) {
                this.logger.warn(
                  { store: this.kind, entityKey: hexKey, feature: `${viewName}:${ref.feature}`, err: (err as Error).message },
                  "malformed stored value treated as missing",
                );
                continue;
              }
              vectors[i].values[ref.index] = value;
              vectors[i].statuses[ref.index] = statusOf(value, row.eventTs, maxAge, now);
              vectors[i].eventTimestamps[ref.index] = row.eventTs;
            }
          }),
        );
      }
    });
    // At most READS_IN_FLIGHT reads per request, none started after the deadline: a batch that
    // misses it leaves little queued on the shared connections for the requests behind it.
    let next = 0;
    const worker = async () => {
      while (next < reads.length && Date.now() < deadline) await reads[next++]();
    };
    const workers = Array.from({ length: Math.min(READS_IN_FLIGHT, reads.length) }, worker);
    await withDeadline(Promise.all(workers), deadline, () => `${this.kind} ${this.settings.contactPoints.join(",")}`);
    return vectors;
  }

  private async readEntity(
    view: OnlineView,
    hexKey: string,
    deadline: number,
  ): Promise<Map<string, { value: Buffer | null; eventTs: Date }>> {
    const cql = `SELECT feature_name, value, event_ts FROM ${this.table(view)} WHERE entity_key = ?`;
    let result: types.ResultSet;
    try {
      result = await this.client.execute(cql, [hexKey], {
        prepare: true,
        consistency: this.consistency,
        readTimeout: Math.max(1, deadline - Date.now()),
        isIdempotent: true,
      });
    } catch (err) {
      throw new FeatureStoreUnavailableError(`${this.kind} read of ${this.table(view)}: ${(err as Error).message}`, { cause: err });
    }
    const rows = new Map<string, { value: Buffer | null; eventTs: Date }>();
    for (const row of result.rows) {
      rows.set(row.get("feature_name") as string, {
        value: row.get("value") as Buffer | null,
        eventTs: (row.get("event_ts") as Date | null) ?? new Date(0),
      });
    }
    return rows;
  }

  private table(view: OnlineView): string {
    return tableName(this.settings.keyspace, this.layout.project, view.name);
  }

  /** Feast's table for a view; Keyspaces tables are created by the infrastructure instead. */
  async createTable(view: OnlineView): Promise<void> {
    await this.client.execute(
      `CREATE TABLE IF NOT EXISTS ${this.table(view)} (entity_key TEXT, feature_name TEXT, value BLOB, ` +
        `event_ts TIMESTAMP, created_ts TIMESTAMP, PRIMARY KEY ((entity_key), feature_name))`,
    );
  }

  async write(view: OnlineView, rows: OfflineRow[], ttlSeconds: number): Promise<number> {
    const ttl = ttlSeconds > 0 ? ` USING TTL ${Math.floor(ttlSeconds)}` : "";
    const cql = `INSERT INTO ${this.table(view)} (entity_key, feature_name, value, event_ts, created_ts) VALUES (?, ?, ?, ?, ?)${ttl}`;
    const writeOne = async (row: OfflineRow) => {
      const key = viewEntityKey(this.layout, view, row.entity);
      if (!key) throw new Error(`row ${row.rowNumber}: entity ${JSON.stringify(row.entity)} has no valid key`);
      const hexKey = key.toString("hex");
      const statements = [...view.features].map(([feature, dtype]) => ({
        query: cql,
        params: [hexKey, feature, Buffer.from(encodeValue(row.values[feature] ?? null, dtype)), row.eventTimestamp, row.createdTimestamp ?? row.eventTimestamp],
      }));
      // One partition per batch: an unlogged batch is a single write on the replica.
      for (let i = 0; i < statements.length; i += MAX_BATCH_STATEMENTS) {
        await this.client.batch(statements.slice(i, i + MAX_BATCH_STATEMENTS), {
          prepare: true,
          logged: false,
          // Amazon Keyspaces accepts writes only at LOCAL_QUORUM, whatever the service reads at.
          consistency: types.consistencies.localQuorum,
        });
      }
    };
    let next = 0;
    const worker = async () => {
      while (next < rows.length) await writeOne(rows[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, rows.length) }, worker));
    return rows.length;
  }

  async ready(): Promise<boolean> {
    try {
      await withDeadline(
        this.client.execute("SELECT release_version FROM system.local", [], { prepare: true, readTimeout: this.timeoutMs }),
        Date.now() + Math.max(this.timeoutMs, 1000),
        () => `${this.kind} readiness`,
      );
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.client.shutdown();
  }
}

function toDriverConsistency(level: CassandraConfig["consistency"]): keyof typeof types.consistencies {
  const names = { ONE: "one", LOCAL_ONE: "localOne", LOCAL_QUORUM: "localQuorum", QUORUM: "quorum", ALL: "all" } as const;
  return names[level];
}

function clientOptions(c: CassandraConfig, region: string | undefined, timeoutMs: number): ClientOptions {
  const lb = policies.loadBalancing;
  return {
    contactPoints: c.contactPoints,
    localDataCenter: c.localDataCenter,
    protocolOptions: { port: c.port },
    policies: { loadBalancing: new lb.TokenAwarePolicy(new lb.DCAwareRoundRobinPolicy(c.localDataCenter)) },
    socketOptions: {
      connectTimeout: c.connectTimeoutMs,
      // Each read sets its own timeout (what is left of its request's deadline); this is the fallback.
      readTimeout: Math.max(timeoutMs, 1000),
      // A read that misses a 50 ms deadline says nothing about the connection's health: the driver's
      // default (64 timeouts → connection defunct → host DOWN) turned one slow batch into an outage.
      // Dead connections are still found by heartbeats and socket errors.
      defunctReadTimeoutThreshold: Number.MAX_SAFE_INTEGER,
    },
    sslOptions: c.tls
      ? {
          // Keyspaces' certificate chains to Amazon's roots; a CA file pins them explicitly.
          ca: c.caPath ? [fs.readFileSync(c.caPath)] : undefined,
          host: c.contactPoints[0],
          servername: c.contactPoints[0],
          rejectUnauthorized: true,
        }
      : undefined,
    authProvider: c.sigV4
      ? sigV4Provider(region)
      : c.username
        ? new auth.PlainTextAuthProvider(c.username, c.password ?? "")
        : undefined,
  };
}

/** Amazon's SigV4 plugin signs with the AWS credential chain (env, profile, IRSA, task or instance role). */
function sigV4Provider(region: string | undefined): auth.AuthProvider {
  // Required lazily: the plugin pulls in the AWS SDK v2, needed only for Keyspaces.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const plugin = require("aws-sigv4-auth-cassandra-plugin") as {
    SigV4AuthProvider: new (options: { region?: string }) => auth.AuthProvider;
  };
  return new plugin.SigV4AuthProvider({ region });
}
