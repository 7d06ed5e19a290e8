import { execFile } from "node:child_process";
import * as path from "node:path";
import Redis from "ioredis";
import { ENV } from "../../service/src/config";
import { serializeEntityKey } from "../../service/src/features/entity-key";
import { formatSummary, materialize } from "../../service/src/features/materialize";
import { RedisStore } from "../../service/src/features/redis";
import { redisKey } from "../../service/src/features/redis-layout";
import { TEST_REDIS_PORT } from "../setup/servers/redis";
import { fullRow, REFS, tempDir, testManifest, writeOfflineParquet } from "./fixtures";
import { eventually, redisConfig, requiredEnv } from "./stores";
import * as fs from "node:fs";

const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3600_000;

describe("materialize into Redis", () => {
  const port = Number(requiredEnv(TEST_REDIS_PORT));
  // Its own project, so these keys never meet the other test files' keys.
  const manifest = testManifest({ project: "materialize_test" });
  const dir = tempDir();
  let store: RedisStore;
  let raw: Redis;
  const keyOf = (id: number) => redisKey(serializeEntityKey({ user_id: id }, ["user_id"], { user_id: "int64" }), "materialize_test");
  const q = (ids: number[]) => ({ entityKeyTypes: { user_id: "int64" as const }, entities: ids.map((user_id) => ({ user_id })), refs: REFS });

  beforeAll(async () => {
    store = await RedisStore.connect(redisConfig(port), manifest);
    raw = new Redis({ port, host: "127.0.0.1" });
    await eventually(() => store.ready(), 5000);
  });
  afterAll(async () => {
    await store.close();
    raw.disconnect();
  });

  it("writes the latest row per entity, skips bad rows by number, and sums up", async () => {
    const file = await writeOfflineParquet(path.join(dir, "m1.parquet"), [
      fullRow(301, T0, 1),
      fullRow(302, T0, 2),
      fullRow(301, T0 + HOUR, 5), // newer: wins
      { ...fullRow(303, T0, 3), event_timestamp: null }, // row 4: bad
      fullRow(302, T0 - HOUR, 9), // older: loses
      { ...fullRow(304, T0, 4), user_id: null }, // row 6: bad
    ]);
    const bad: number[] = [];
    const summary = await materialize({ source: file, manifest, writer: store, batchSize: 1, onBadRow: (r) => bad.push(r.rowNumber) });
    expect(bad).toEqual([4, 6]);
    expect(summary).toMatchObject({ rowsRead: 6, entitiesWritten: 2, rowsSkipped: 2, views: ["user_stats"] });
    expect(formatSummary(summary)).toMatch(/6 rows read, 2 entities written, 2 rows skipped/);
    const [a, b, c] = await store.get(q([301, 302, 303]));
    expect(a.values[0]).toBe(5);
    expect(b.values[0]).toBe(2);
    expect(c.statuses[0]).toBe("NOT_FOUND");
  });

  it("is idempotent: a second run leaves the same bytes", async () => {
    const file = await writeOfflineParquet(path.join(dir, "m2.parquet"), [fullRow(311, T0, 1), fullRow(312, T0, 2)]);
    await materialize({ source: file, manifest, writer: store });
    const dump = async () => Promise.all([311, 312].map(async (id) => (await raw.dumpBuffer(keyOf(id)))?.toString("hex")));
    const first = await dump();
    expect(first.every(Boolean)).toBe(true);
    const again = await materialize({ source: file, manifest, writer: store });
    expect(await dump()).toEqual(first);
    expect(again.entitiesWritten).toBe(2);
  });

  it("sets the TTL it is given", async () => {
    const file = await writeOfflineParquet(path.join(dir, "m3.parquet"), [fullRow(321, T0, 1)]);
    await materialize({ source: file, manifest, writer: store, ttlSeconds: 120 });
    expect(await raw.ttl(keyOf(321))).toBeGreaterThan(100);
  });
});

describe("materialize CLI", () => {
  const port = requiredEnv(TEST_REDIS_PORT);
  const dir = tempDir();
  const cli = path.resolve(__dirname, "../../service/src/features/materialize-cli.ts");
  const run = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ["-r", "ts-node/register/transpile-only", cli, ...args],
        { env: { ...process.env, TS_NODE_PROJECT: path.resolve(__dirname, "../../tsconfig.json"), ...env }, timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it("materializes a file and prints the summary line and each bad row", async () => {
    const manifestFile = path.join(dir, "manifest.json");
    fs.writeFileSync(manifestFile, JSON.stringify(testManifest()));
    const file = await writeOfflineParquet(path.join(dir, "cli.parquet"), [fullRow(331, T0, 1), { ...fullRow(332, T0, 2), user_id: null }]);
    const result = await run(["--source", file, "--store", "redis", "--manifest", manifestFile], { [ENV.redisPort]: port });
    expect(result.stderr).toContain("row 2 skipped: join key user_id (missing) is not a int64");
    expect(result.stdout).toMatch(/2 rows read, 1 entities written, 1 rows skipped/);
    expect(result.code).toBe(0);
  });

  it("reports a wrong argument or an unreachable store in one line, without a stack trace", async () => {
    const bad = await run(["--source", "x.parquet", "--store", "mongo"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split("\n")[0]).toBe('materialize: --store "mongo": expected one of redis, keyspaces, cassandra, dynamodb');
    expect(bad.stderr).not.toMatch(/\n\s+at /);

    const manifestFile = path.join(dir, "manifest.json");
    const down = await run(["--source", "x.parquet", "--store", "redis", "--manifest", manifestFile], {
      [ENV.redisPort]: "1",
      [ENV.redisConnectTimeoutMs]: "200",
    });
    expect(down.code).toBe(1);
    expect(down.stderr.trim()).toBe("materialize: redis at 127.0.0.1:1 is not reachable (REDIS_HOST, REDIS_PORT, REDIS_TLS)");
  });
});
