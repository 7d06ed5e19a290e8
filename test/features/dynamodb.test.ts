import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { GetItemCommand, PutItemCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { DynamoDBStore, MAX_GET_KEYS, MAX_WRITE_ITEMS } from "../../service/src/features/dynamodb";
import { dynamoTableName, entityId, EXPIRES_AT, formatEventTs } from "../../service/src/features/dynamodb-layout";
import { serializeEntityKey } from "../../service/src/features/entity-key";
import type { OfflineRow } from "../../service/src/features/offline";
import { FeatureStoreUnavailableError } from "../../service/src/features/store";
import { encodeValue } from "../../service/src/features/value-proto";
import { onlineLayout } from "../../service/src/features/views";
import { ENV } from "../../service/src/config";
import { startDynamoDB, TEST_AWS_ENV, TEST_DYNAMODB_ENDPOINT } from "../setup/servers/dynamodb";
import { freePort } from "../setup/servers/free-port";
import { RecordingClient } from "./dynamodb-client";
import { fullRow, onlineRow, REFS, storeQuery, tempDir, testManifest, VIEW, writeOfflineParquet } from "./fixtures";
import { dynamodbConfig, eventually, RecordingLogger, requiredEnv } from "./stores";

Object.assign(process.env, TEST_AWS_ENV);

const T0 = Date.UTC(2024, 0, 1);
const query = storeQuery;
const row = (id: number, n: number, t = T0): OfflineRow => onlineRow(id, n, t, { is_verified: false, home_country: "US" });
const idOf = (id: number) => entityId(serializeEntityKey({ user_id: id }, ["user_id"], { user_id: "int64" }));

/** A store on its own Feast project (so its tables are its own), with every command recorded. */
async function openStore(endpoint: string, project: string, env: Record<string, string> = {}) {
  const manifest = testManifest({ project });
  const recorder = new RecordingClient(endpoint);
  const logger = new RecordingLogger();
  const store = await DynamoDBStore.connect(dynamodbConfig(endpoint, env), manifest, { logger, client: recorder.client });
  const view = onlineLayout(manifest).views.get(VIEW)!;
  await store.createTable(view);
  const table = dynamoTableName(project, VIEW);
  const getItem = async (id: number) => (await recorder.client.send(new GetItemCommand({ TableName: table, Key: { entity_id: { S: idOf(id) } } }))).Item;
  const putItem = (item: Record<string, AttributeValue>) => recorder.client.send(new PutItemCommand({ TableName: table, Item: item }));
  return { store, recorder, logger, view, table, getItem, putItem };
}

describe("DynamoDBStore against a DynamoDB server", () => {
  const endpoint = requiredEnv(TEST_DYNAMODB_ENDPOINT);
  let s: Awaited<ReturnType<typeof openStore>>;

  beforeAll(async () => {
    s = await openStore(endpoint, "store_test");
    await s.store.write(s.view, [row(201, 1), row(202, 2), row(203, 3)], 0);
  });
  afterAll(() => s.store.close());

  it("writes Feast's item: entity_id, event_ts as Python's str(datetime), a map of Value bytes", async () => {
    const item = await s.getItem(201);
    expect(item?.entity_id.S).toBe(idOf(201));
    expect(item?.event_ts.S).toBe("2024-01-01 00:00:00+00:00");
    expect(Object.keys(item?.values.M ?? {}).sort()).toEqual(REFS.map((r) => r.feature).sort());
    expect(Buffer.from(item!.values.M!.txn_count_1h.B!).equals(Buffer.from(encodeValue(1, "int64")))).toBe(true);
    expect(item?.[EXPIRES_AT]).toBeUndefined();
  });

  it("reads one entity with every dtype", async () => {
    const [v] = await s.store.get(query([201]));
    expect(v.values).toEqual([1, 1.5, 1, 0.25, false, "US"]);
    expect(v.statuses).toEqual(REFS.map(() => "PRESENT"));
    expect(v.eventTimestamps[0]?.getTime()).toBe(T0);
  });

  it("reads a batch in request order, with NOT_FOUND for an unknown entity and a repeated one answered twice", async () => {
    const vectors = await s.store.get(query([203, 404, 202, 203]));
    expect(vectors.map((v) => v.values[0])).toEqual([3, null, 2, 3]);
    expect(vectors[1].statuses).toEqual(REFS.map(() => "NOT_FOUND"));
  });

  it("projects only the requested features, eventually consistent by default", async () => {
    s.recorder.sent.length = 0;
    const [v] = await s.store.get({ ...query([202]), refs: [REFS[4], REFS[0]] });
    expect(v.values).toEqual([false, 2]);
    const [call] = s.recorder.commands("BatchGetItemCommand");
    const request = (call.input.RequestItems as Record<string, { ProjectionExpression: string; ExpressionAttributeNames: Record<string, string>; ConsistentRead: boolean }>)[s.table];
    const named = request.ProjectionExpression.split(", ").map((path) => path.split(".").map((p) => request.ExpressionAttributeNames[p]).join("."));
    expect(named.sort()).toEqual(["entity_id", "event_ts", "values.is_verified", "values.txn_count_1h"]);
    expect(request.ConsistentRead).toBe(false);
  });

  it("reads strongly consistent when configured", async () => {
    const strong = await openStore(endpoint, "store_test", { [ENV.dynamodbConsistentReads]: "true" });
    try {
      const [v] = await strong.store.get(query([201]));
      expect(v.values[0]).toBe(1);
      const [call] = strong.recorder.commands("BatchGetItemCommand");
      expect(Object.values(call.input.RequestItems as Record<string, { ConsistentRead: boolean }>)[0].ConsistentRead).toBe(true);
    } finally {
      await strong.store.close();
    }
  });

  it("splits a batch over 100 entities into BatchGetItem calls of at most 100 keys", async () => {
    const ids = Array.from({ length: 250 }, (_, i) => 1000 + i);
    await s.store.write(s.view, ids.map((id) => row(id, id)), 0);
    s.recorder.sent.length = 0;
    const vectors = await s.store.get(query(ids, { deadline: Date.now() + 20_000 })); // moto is slower than DynamoDB
    expect(vectors.map((v) => v.values[0])).toEqual(ids);
    const sizes = s.recorder.commands("BatchGetItemCommand").map((c) => Object.values(c.input.RequestItems as Record<string, { Keys: unknown[] }>)[0].Keys.length);
    expect(sizes.sort((a, b) => b - a)).toEqual([MAX_GET_KEYS, MAX_GET_KEYS, 50]);
  });

  it("retries keys DynamoDB leaves unprocessed (throttling) within the deadline", async () => {
    s.recorder.throttleNext({ reads: 2 }, 1);
    s.recorder.sent.length = 0;
    const vectors = await s.store.get(query([201, 202, 203]));
    expect(vectors.map((v) => v.values[0])).toEqual([1, 2, 3]);
    expect(s.recorder.commands("BatchGetItemCommand")).toHaveLength(3);
  });

  it("retries keys left unprocessed by DynamoDB's 16 MB response limit", async () => {
    // 60 items of ~300 kB each: DynamoDB answers the first ~55 and returns the rest unprocessed.
    const big = "x".repeat(300_000);
    const ids = Array.from({ length: 60 }, (_, i) => 5000 + i);
    await s.store.write(s.view, ids.map((id) => ({ ...row(id, id), values: { ...row(id, id).values, home_country: big } })), 0);
    s.recorder.sent.length = 0;
    const wide = await openStore(endpoint, "store_test", { [ENV.featureTimeoutMs]: "20000" });
    try {
      wide.recorder.sent.length = 0;
      const vectors = await wide.store.get(query(ids));
      expect(vectors.every((v) => v.values[5] === big && v.values[0] !== null)).toBe(true);
      expect(wide.recorder.commands("BatchGetItemCommand").length).toBeGreaterThan(1);
    } finally {
      await wide.store.close();
    }
  }, 60_000);

  it("fails with FeatureStoreUnavailableError when keys stay unprocessed past the deadline", async () => {
    const tight = await openStore(endpoint, "store_test", { [ENV.featureTimeoutMs]: "300" });
    try {
      tight.recorder.throttleNext({ reads: 1000 }, 0);
      const started = Date.now();
      await expect(tight.store.get(query([201]))).rejects.toThrow(FeatureStoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      tight.recorder.throttleNext({}, 0);
      await tight.store.close();
    }
  });

  it("treats a malformed value, a non-binary value and a malformed event time as missing, and logs them", async () => {
    const good = (await s.getItem(201))!;
    await s.putItem({ ...good, entity_id: { S: idOf(205) }, values: { M: { ...good.values.M, amount_sum_24h: { B: Buffer.from("ffffffff", "hex") }, avg_ratio: { S: "0.5" } } } });
    await s.putItem({ ...good, entity_id: { S: idOf(206) }, event_ts: { S: "yesterday" } });
    const [v205, v206] = await s.store.get(query([205, 206]));
    expect(v205.statuses).toEqual(["PRESENT", "NOT_FOUND", "PRESENT", "NOT_FOUND", "PRESENT", "PRESENT"]);
    expect(v206.statuses).toEqual(REFS.map(() => "NOT_FOUND"));
    const attributes = s.logger.warnings.map((w) => w.details.attribute);
    expect(attributes).toEqual(expect.arrayContaining(["values.amount_sum_24h", "values.avg_ratio", "event_ts"]));
  });

  it("reports NULL_VALUE for a stored null (empty bytes, as Feast writes it) and OUTSIDE_MAX_AGE past the TTL", async () => {
    await s.store.write(s.view, [{ ...row(207, 7, Date.now() - 7200_000), values: { ...row(207, 7).values, home_country: null } }], 0);
    expect((await s.getItem(207))?.values.M?.home_country.B).toHaveLength(0);
    const [v] = await s.store.get(query([207], { ttlSeconds: { [VIEW]: 3600 } }));
    expect(v.statuses[5]).toBe("NULL_VALUE");
    expect(v.statuses[0]).toBe("OUTSIDE_MAX_AGE");
  });

  it("reads event times Feast wrote with microseconds, and rewrites the same bytes", async () => {
    const good = (await s.getItem(201))!;
    await s.putItem({ ...good, entity_id: { S: idOf(208) }, event_ts: { S: "2025-11-03 00:01:43.985123+00:00" } });
    const [v] = await s.store.get(query([208]));
    expect(v.eventTimestamps[0]?.toISOString()).toBe("2025-11-03T00:01:43.985Z");
    await s.store.write(s.view, [row(209, 9, T0 + 250)], 0);
    const first = await s.getItem(209);
    await s.store.write(s.view, [row(209, 9, T0 + 250)], 0);
    expect(await s.getItem(209)).toEqual(first);
    expect(first?.event_ts.S).toBe(formatEventTs(new Date(T0 + 250)));
  });

  it("never replaces a newer stored value with an older row", async () => {
    await s.store.write(s.view, [row(210, 2, T0 + 60_000)], 0);
    expect(await s.store.write(s.view, [row(210, 1, T0)], 0)).toBe(0);
    const [v] = await s.store.get(query([210]));
    expect(v.values[0]).toBe(2);
    expect(await s.store.write(s.view, [row(210, 3, T0 + 120_000)], 0)).toBe(1);
    expect((await s.store.get(query([210])))[0].values[0]).toBe(3);
  });

  it("writes in BatchWriteItem calls of at most 25 items, retrying unprocessed ones, with an optional expiry attribute", async () => {
    const ids = Array.from({ length: 60 }, (_, i) => 3000 + i);
    s.recorder.sent.length = 0;
    s.recorder.throttleNext({ writes: 2 }, 5);
    const before = Math.floor(Date.now() / 1000);
    expect(await s.store.write(s.view, ids.map((id) => row(id, id)), 600)).toBe(60);
    const sizes = s.recorder.commands("BatchWriteItemCommand").map((c) => Object.values(c.input.RequestItems as Record<string, unknown[]>)[0].length);
    expect(Math.max(...sizes)).toBe(MAX_WRITE_ITEMS);
    expect(sizes.length).toBe(3 + 2); // two calls throttled, their unprocessed items sent again
    const vectors = await s.store.get(query(ids));
    expect(vectors.map((v) => v.values[0])).toEqual(ids);
    const expires = Number((await s.getItem(3000))?.[EXPIRES_AT]?.N);
    expect(expires).toBeGreaterThanOrEqual(before + 600);
    expect(expires).toBeLessThan(before + 620);
  });

  it("is ready while its tables answer, and not ready when a table is missing", async () => {
    expect(await s.store.ready()).toBe(true);
    const logger = new RecordingLogger();
    const missing = await DynamoDBStore.connect(dynamodbConfig(endpoint), testManifest({ project: "no_tables" }), { logger });
    try {
      expect(await missing.ready()).toBe(false);
      expect(String(logger.warnings[0]?.details.err)).toMatch(/no_tables\.user_stats|not found|ResourceNotFound/i);
    } finally {
      await missing.close();
    }
  });
});

describe("DynamoDBStore when DynamoDB is down", () => {
  it("fails fast with FeatureStoreUnavailableError, is not ready, and recovers once DynamoDB answers", async () => {
    const port = await freePort(); // nothing listens there yet
    const endpoint = `http://127.0.0.1:${port}`;
    const manifest = testManifest({ project: "down_test" });
    const store = await DynamoDBStore.connect(dynamodbConfig(endpoint, { [ENV.featureTimeoutMs]: "100" }), manifest, { logger: new RecordingLogger() });
    try {
      const started = Date.now();
      await expect(store.get(query([1]))).rejects.toThrow(FeatureStoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(500);
      expect(await store.ready()).toBe(false);

      const server = await startDynamoDB({ port });
      try {
        await store.createTable(onlineLayout(manifest).views.get(VIEW)!);
        await store.write(onlineLayout(manifest).views.get(VIEW)!, [row(1, 11)], 0);
        expect(await eventually(() => store.ready(), 5000)).toBe(true);
        const [v] = await store.get(query([1]));
        expect(v.values[0]).toBe(11);
      } finally {
        await server.stop();
      }
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe("npm run materialize -- --store dynamodb", () => {
  const endpoint = requiredEnv(TEST_DYNAMODB_ENDPOINT);
  const cli = path.resolve(__dirname, "../../service/src/features/materialize-cli.ts");
  const run = (args: string[], env: Record<string, string>) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", cli, ...args],
        { env: { ...process.env, TS_NODE_PROJECT: path.resolve(__dirname, "../../tsconfig.json"), ...env }, timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it("creates Feast's table on a local DynamoDB, writes the latest row per entity and prints the summary", async () => {
    const dir = tempDir();
    const manifest = testManifest({ project: "cli_test" });
    const manifestFile = path.join(dir, "manifest.json");
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));
    const file = await writeOfflineParquet(path.join(dir, "cli.parquet"), [fullRow(401, T0, 1), fullRow(401, T0 + 1000, 2), fullRow(402, T0, 3)]);
    const result = await run(["--source", file, "--store", "dynamodb", "--manifest", manifestFile], { [ENV.dynamodbEndpoint]: endpoint });
    expect(result.stdout).toMatch(/3 rows read, 2 entities written, 0 rows skipped/);
    expect(result.code).toBe(0);
    const store = await DynamoDBStore.connect(dynamodbConfig(endpoint), manifest, { logger: new RecordingLogger() });
    try {
      expect((await store.get(query([401, 402]))).map((v) => v.values[0])).toEqual([2, 3]);
    } finally {
      await store.close();
    }
  }, 90_000);

  it("says in one line which endpoint and tables it could not read", async () => {
    const dir = tempDir();
    const manifestFile = path.join(dir, "manifest.json");
    fs.writeFileSync(manifestFile, JSON.stringify(testManifest({ project: "cli_down" })));
    const down = await run(["--source", "x.parquet", "--store", "dynamodb", "--manifest", manifestFile], { [ENV.dynamodbEndpoint]: `http://127.0.0.1:${await freePort()}` });
    expect(down.code).toBe(1);
    // The last line: on Node 20 the AWS SDK itself warns first that it will soon need Node 22.
    expect(down.stderr.trim().split("\n").at(-1)).toMatch(/^materialize: dynamodb at http:\/\/127\.0\.0\.1:\d+ cannot read tables cli_down\.user_stats: .+ \(AWS_REGION, DYNAMODB_ENDPOINT, AWS credentials\)$/);
  }, 90_000);
});
