import { Client } from "cassandra-driver";
import { CassandraStore, keyspacesSettings, tableName } from "../../service/src/features/cassandra";
import { serializeEntityKey } from "../../service/src/features/entity-key";
import { FeatureStoreUnavailableError } from "../../service/src/features/store";
import { decodeValue, encodeValue } from "../../service/src/features/value-proto";
import { onlineLayout } from "../../service/src/features/views";
import type { OfflineRow } from "../../service/src/features/offline";
import { DEFAULTS, ENV, loadConfig } from "../../service/src/config";
import { TEST_CASSANDRA_DC, TEST_CASSANDRA_PORT } from "../setup/servers/cassandra";
import { freePort } from "../setup/servers/redis";
import { onlineRow, PROJECT, REFS, storeQuery, testManifest, VIEW } from "./fixtures";
import { cassandraConfig, RecordingLogger, requiredEnv } from "./stores";

const T0 = Date.UTC(2024, 0, 1);
const KEYSPACE = "feast_store_test";
const manifest = testManifest();
const view = onlineLayout(manifest).views.get(VIEW)!;
const query = storeQuery;
const row = (id: number, n: number, t = T0): OfflineRow => onlineRow(id, n, t, { is_verified: false, home_country: "US" });
const hexKey = (id: number) => serializeEntityKey({ user_id: id }, ["user_id"], { user_id: "int64" }).toString("hex");

describe("CassandraStore against Cassandra", () => {
  const port = Number(requiredEnv(TEST_CASSANDRA_PORT));
  const dc = requiredEnv(TEST_CASSANDRA_DC);
  const logger = new RecordingLogger();
  let store: CassandraStore;
  let raw: Client;
  const table = tableName(KEYSPACE, PROJECT, VIEW);

  beforeAll(async () => {
    raw = new Client({ contactPoints: [`127.0.0.1:${port}`], localDataCenter: dc });
    await raw.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${KEYSPACE} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
    );
    store = await CassandraStore.connect(cassandraConfig(port, dc, KEYSPACE), manifest, { logger });
    await store.createTable(view);
    await store.write(view, [row(201, 1), row(202, 2), row(203, 3)], 0);
  });
  afterAll(async () => {
    await store.close();
    await raw.shutdown();
  });

  it("writes Feast's table: hex entity key, feature name, Value proto, event time", async () => {
    const result = await raw.execute(`SELECT feature_name, value, event_ts FROM ${table} WHERE entity_key = ?`, [hexKey(201)], { prepare: true });
    expect(result.rows.map((r) => r.get("feature_name")).sort()).toEqual(REFS.map((r) => r.feature).sort());
    const count = result.rows.find((r) => r.get("feature_name") === "txn_count_1h")!;
    expect(Buffer.compare(count.get("value"), Buffer.from(encodeValue(1, "int64")))).toBe(0);
    expect((count.get("event_ts") as Date).getTime()).toBe(T0);
  });

  it("reads one entity with every dtype", async () => {
    const [v] = await store.get(query([201]));
    expect(v.values).toEqual([1, 1.5, 1, 0.25, false, "US"]);
    expect(v.statuses).toEqual(REFS.map(() => "PRESENT"));
    expect(v.eventTimestamps[0]?.getTime()).toBe(T0);
  });

  it("reads a batch in request order, with NOT_FOUND for an unknown entity", async () => {
    const vectors = await store.get(query([203, 404, 202]));
    expect(vectors.map((v) => v.values[0])).toEqual([3, null, 2]);
    expect(vectors[1].statuses).toEqual(REFS.map(() => "NOT_FOUND"));
  });

  it("logs a malformed stored value and treats it as missing", async () => {
    await store.write(view, [row(205, 5)], 0);
    await raw.execute(`UPDATE ${table} SET value = ? WHERE entity_key = ? AND feature_name = ?`, [Buffer.from("ffffffff", "hex"), hexKey(205), "amount_sum_24h"], { prepare: true });
    const [v] = await store.get(query([205]));
    expect(v.statuses[1]).toBe("NOT_FOUND");
    expect(v.statuses[0]).toBe("PRESENT");
    expect(logger.warnings.some((w) => w.details.feature === `${VIEW}:amount_sum_24h`)).toBe(true);
  });

  it("reports NULL_VALUE for a stored null and OUTSIDE_MAX_AGE past the TTL", async () => {
    await store.write(view, [{ ...row(206, 6, Date.now() - 7200_000), values: { ...row(206, 6).values, home_country: null } }], 0);
    const [v] = await store.get(query([206], { ttlSeconds: { [VIEW]: 3600 } }));
    expect(v.statuses[5]).toBe("NULL_VALUE");
    expect(v.statuses[0]).toBe("OUTSIDE_MAX_AGE");
    expect(decodeValue(encodeValue(null, "string"), "string")).toBeNull();
  });

  it("rewrites the same bytes and applies a TTL to each cell", async () => {
    const select = `SELECT feature_name, value, event_ts, created_ts, TTL(value) AS ttl FROM ${table} WHERE entity_key = ?`;
    await store.write(view, [row(207, 7)], 0);
    const first = (await raw.execute(select, [hexKey(207)], { prepare: true })).rows.map((r) => [r.get("feature_name"), r.get("value").toString("hex"), r.get("event_ts").getTime()]);
    await store.write(view, [row(207, 7)], 0);
    const second = (await raw.execute(select, [hexKey(207)], { prepare: true })).rows.map((r) => [r.get("feature_name"), r.get("value").toString("hex"), r.get("event_ts").getTime()]);
    expect(second).toEqual(first);
    await store.write(view, [row(208, 8)], 600);
    const ttl = (await raw.execute(select, [hexKey(208)], { prepare: true })).rows[0].get("ttl") as number;
    expect(ttl).toBeGreaterThan(590);
  });

  it("is ready while Cassandra answers", async () => {
    expect(await store.ready()).toBe(true);
  });
});

describe("CassandraStore when Cassandra is down", () => {
  it("fails with FeatureStoreUnavailableError within the deadline and is not ready", async () => {
    const port = await freePort(); // nothing listens there
    const store = await CassandraStore.connect(cassandraConfig(port, "datacenter1", KEYSPACE, { [ENV.featureTimeoutMs]: "100" }), manifest, {
      logger: new RecordingLogger(),
    });
    try {
      const started = Date.now();
      await expect(store.get(query([1]))).rejects.toThrow(FeatureStoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(500);
      expect(await store.ready()).toBe(false);
    } finally {
      await store.close();
    }
  });
});

describe("Keyspaces settings", () => {
  it("fills in the regional endpoint, port 9142, TLS, SigV4 and the region as data center", () => {
    const c = keyspacesSettings(DEFAULTS.cassandra, "eu-west-1");
    expect(c).toMatchObject({ contactPoints: ["cassandra.eu-west-1.amazonaws.com"], port: 9142, tls: true, sigV4: true, localDataCenter: "eu-west-1" });
  });

  it("keeps what the configuration set, and username/password instead of SigV4", () => {
    const config = loadConfig({
      [ENV.cassandraContactPoints]: "vpce.example",
      [ENV.cassandraPort]: "9143",
      [ENV.cassandraUsername]: "svc",
      [ENV.cassandraPassword]: "pw",
    });
    const c = keyspacesSettings(config.cassandra, "us-east-1");
    expect(c).toMatchObject({ contactPoints: ["vpce.example"], port: 9143, sigV4: false, tls: true });
  });

  it("asks for a region when it cannot name the endpoint", () => {
    expect(() => keyspacesSettings(DEFAULTS.cassandra, undefined)).toThrow(/AWS_REGION/);
  });
});
