// The write path (materializer) against a real Cassandra: Amazon Keyspaces accepts writes only at
// LOCAL_QUORUM, so writes use it whatever consistency the service reads at.
import { Client, types } from "cassandra-driver";
import { ENV } from "../../service/src/config";
import { CassandraStore, tableName } from "../../service/src/features/cassandra";
import { onlineLayout } from "../../service/src/features/views";
import { TEST_CASSANDRA_DC, TEST_CASSANDRA_PORT } from "../setup/servers/cassandra";
import { onlineRow, PROJECT, testManifest, VIEW } from "./fixtures";
import { cassandraConfig, requiredEnv } from "./stores";

const T0 = Date.UTC(2024, 0, 1);
// Three replicas on a one-node cluster: ONE is reachable, a quorum (2 of 3) never is.
const KEYSPACE = "feast_write_quorum_test";
const manifest = testManifest();
const view = onlineLayout(manifest).views.get(VIEW)!;

describe("Cassandra writes", () => {
  const port = Number(requiredEnv(TEST_CASSANDRA_PORT));
  const dc = requiredEnv(TEST_CASSANDRA_DC);
  let raw: Client;
  let store: CassandraStore;

  beforeAll(async () => {
    raw = new Client({ contactPoints: [`127.0.0.1:${port}`], localDataCenter: dc });
    await raw.execute(
      `CREATE KEYSPACE IF NOT EXISTS ${KEYSPACE} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}`,
    );
    // The service reads at ONE here (stacks read Keyspaces at LOCAL_ONE); a generous timeout, so
    // a slow shared machine cannot pass for a refused quorum.
    store = await CassandraStore.connect(cassandraConfig(port, dc, KEYSPACE, { [ENV.featureTimeoutMs]: "15000" }), manifest);
    await store.createTable(view);
  });
  afterAll(async () => {
    await store.close();
    await raw.shutdown();
  });

  it("ask for LOCAL_QUORUM even when reads are configured at ONE", async () => {
    // Cassandra answers Unavailable: "… at consistency LOCAL_QUORUM (2 required but only 1 alive)".
    await expect(store.write(view, [onlineRow(901, 1, T0, { is_verified: true, home_country: "FR" })], 0)).rejects.toThrow(
      /LOCAL_QUORUM/,
    );
    // The same row written at ONE would have been accepted: the refusal is the quorum, not the row.
    await raw.execute(
      `INSERT INTO ${tableName(KEYSPACE, PROJECT, VIEW)} (entity_key, feature_name) VALUES (?, ?)`,
      ["probe", "probe"],
      { prepare: true, consistency: types.consistencies.one },
    );
  });
});
