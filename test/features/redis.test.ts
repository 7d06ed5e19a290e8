import Redis, { Command } from "ioredis";
import { Socket } from "node:net";
import { HmgetFields, RedisStore } from "../../service/src/features/redis";
import { featureField, redisKey, timestampField } from "../../service/src/features/redis-layout";
import { serializeEntityKey } from "../../service/src/features/entity-key";
import { FeatureStoreUnavailableError } from "../../service/src/features/store";
import { decodeTimestamp, decodeValue, encodeValue } from "../../service/src/features/value-proto";
import { onlineLayout } from "../../service/src/features/views";
import type { OfflineRow } from "../../service/src/features/offline";
import { startRedis } from "../setup/servers/redis";
import { TEST_REDIS_PORT } from "../setup/servers/redis";
import { onlineRow, PROJECT, REFS, storeQuery, testManifest, VIEW } from "./fixtures";
import { eventually, RecordingLogger, redisConfig, requiredEnv } from "./stores";

const T0 = Date.UTC(2024, 0, 1);
const manifest = testManifest();
const view = onlineLayout(manifest).views.get(VIEW)!;
const query = storeQuery;
const row = (id: number, n: number, t = T0): OfflineRow => onlineRow(id, n, t, { is_verified: true, home_country: "FR" });
const keyOf = (id: number) => redisKey(serializeEntityKey({ user_id: id }, ["user_id"], { user_id: "int64" }), PROJECT);

describe("HmgetFields", () => {
  it("makes the bytes ioredis makes for the same HMGET, whatever the key's and fields' lengths", () => {
    const fields = [Buffer.from([0, 13, 10, 255]), Buffer.alloc(0), Buffer.from("_ts:user_stats"), Buffer.alloc(300, 7)];
    for (const length of [1, 9, 10, 99, 100, 1000]) {
      const key = Buffer.alloc(length, length % 251);
      const ours = new HmgetFields(fields).command(key);
      const theirs = new Command("hmget", [key, ...fields], { replyEncoding: null });
      expect(Buffer.compare(ours.toWritable({}) as Buffer, theirs.toWritable({}) as Buffer)).toBe(0);
      expect(ours.args).toEqual(theirs.args);
    }
  });
});

describe("RedisStore against redis-server", () => {
  const port = Number(requiredEnv(TEST_REDIS_PORT));
  let store: RedisStore;
  let raw: Redis;
  const logger = new RecordingLogger();

  beforeAll(async () => {
    store = await RedisStore.connect(redisConfig(port), manifest, { logger });
    raw = new Redis({ port, host: "127.0.0.1" });
    await eventually(() => store.ready(), 5000);
    await store.write(view, [row(101, 1), row(102, 2), row(103, 3)], 0);
  });
  afterAll(async () => {
    await store.close();
    raw.disconnect();
  });

  it("writes Feast's layout: murmur3 fields holding Value protos and a _ts:<view> Timestamp", async () => {
    const fields = (await raw.hkeysBuffer(keyOf(101))).map((f) => f.toString("hex")).sort();
    const expected = [...REFS.map((r) => featureField(VIEW, r.feature)), timestampField(VIEW)].map((f) => f.toString("hex")).sort();
    expect(fields).toEqual(expected);
    const values = await raw.hmgetBuffer(keyOf(101), featureField(VIEW, "txn_count_1h"), featureField(VIEW, "home_country"), timestampField(VIEW));
    expect(Buffer.compare(values[0]!, Buffer.from(encodeValue(1, "int64")))).toBe(0);
    expect(decodeValue(values[1]!, "string")).toBe("FR");
    expect(decodeTimestamp(values[2]!).getTime()).toBe(T0);
  });

  it("reads one entity with every dtype", async () => {
    const [v] = await store.get(query([101]));
    expect(v.values).toEqual([1, 1.5, 1, 0.25, true, "FR"]);
    expect(v.statuses).toEqual(REFS.map(() => "PRESENT"));
    expect(v.eventTimestamps.map((t) => t?.getTime())).toEqual(REFS.map(() => T0));
  });

  it("writes a lone read at once, and the reads issued while others wait in one write at the turn's end", async () => {
    // Each socket write (one syscall): how many commands it carried.
    const writes: number[] = [];
    const socket = Socket.prototype as Required<Socket>;
    const { _write: write, _writev: writev } = socket;
    const one = jest.spyOn(socket, "_write").mockImplementation(function (this: Socket, chunk, encoding, callback) {
      writes.push(1);
      write.call(this, chunk, encoding, callback);
    });
    const many = jest.spyOn(socket, "_writev").mockImplementation(function (this: Socket, chunks, callback) {
      writes.push(chunks.length);
      writev.call(this, chunks, callback);
    });
    try {
      // Nothing waits on Redis: the HMGET is on the wire before get() yields.
      const lone = store.get(query([101]));
      expect(writes).toEqual([1]);
      expect((await lone)[0].values[0]).toBe(1);
      // Three concurrent reads: the first goes at once, the other two together once the turn's I/O is handled.
      writes.length = 0;
      const concurrent = [101, 102, 103].map((id) => store.get(query([id])));
      expect(writes).toEqual([1]);
      expect((await Promise.all(concurrent)).map(([v]) => v.values[0])).toEqual([1, 2, 3]);
      expect(writes).toEqual([1, 2]);
    } finally {
      one.mockRestore();
      many.mockRestore();
    }
  });

  it("reads a batch in request order, with NOT_FOUND for an unknown entity", async () => {
    const vectors = await store.get(query([103, 999, "102"]));
    expect(vectors.map((v) => v.values[0])).toEqual([3, null, 2]);
    expect(vectors[1].statuses).toEqual(REFS.map(() => "NOT_FOUND"));
    expect(vectors[1].eventTimestamps).toEqual(REFS.map(() => null));
  });

  it("reports NULL_VALUE for a stored null and OUTSIDE_MAX_AGE past the TTL", async () => {
    await store.write(view, [{ ...row(104, 4, Date.now() - 7200_000), values: { ...row(104, 4).values, amount_sum_24h: null } }], 0);
    const [v] = await store.get(query([104], { ttlSeconds: { [VIEW]: 3600 } }));
    expect(v.statuses[1]).toBe("NULL_VALUE");
    expect(v.statuses[0]).toBe("OUTSIDE_MAX_AGE");
    expect(v.values[0]).toBe(4);
  });

  it("logs a malformed stored value and treats it as missing, keeping the other features", async () => {
    await store.write(view, [row(105, 5)], 0);
    await raw.hset(keyOf(105), featureField(VIEW, "amount_sum_24h"), Buffer.from("ffffffff", "hex"));
    await raw.hset(keyOf(105), featureField(VIEW, "home_country"), Buffer.from(encodeValue(7, "int64")));
    const [v] = await store.get(query([105]));
    expect(v.statuses).toEqual(["PRESENT", "NOT_FOUND", "PRESENT", "PRESENT", "PRESENT", "NOT_FOUND"]);
    expect(v.values[1]).toBeNull();
    const messages = logger.warnings.filter((w) => w.message.includes("malformed")).map((w) => w.details.field);
    expect(messages).toEqual(expect.arrayContaining([`${VIEW}:amount_sum_24h`, `${VIEW}:home_country`]));
  });

  it("never replaces a newer value by an older one, and rewriting leaves the same bytes", async () => {
    await store.write(view, [row(106, 6, T0 + 1000)], 0);
    const before = await raw.hgetallBuffer(keyOf(106));
    expect(await store.write(view, [row(106, 1, T0)], 0)).toBe(0);
    expect(await store.write(view, [row(106, 6, T0 + 1000)], 0)).toBe(1);
    expect(await raw.hgetallBuffer(keyOf(106))).toEqual(before);
  });

  it("sets EXPIRE on the hash when a TTL is given", async () => {
    await store.write(view, [row(107, 7)], 600);
    const ttl = await raw.ttl(keyOf(107));
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
  });
});

describe("RedisStore when Redis is slow or down", () => {
  it("fails the reads in flight at once when the connection drops, corked ones included, saying so, and reconnects", async () => {
    const server = await startRedis();
    const store = await RedisStore.connect(redisConfig(server.port), manifest, { logger: new RecordingLogger() });
    const admin = new Redis({ port: server.port, host: "127.0.0.1" });
    try {
      expect(await eventually(() => store.ready(), 5000)).toBe(true);
      await store.write(view, [row(1, 1)], 0);
      const outcomes: string[] = [];
      for (let round = 0; round < 5; round++) {
        expect(await eventually(() => store.ready(), 5000)).toBe(true);
        const started = Date.now();
        // The first read is written at once, the other three wait corked for the turn's end; the
        // kill, on another connection, is written before them.
        const reads = [1, 1, 1, 1].map((id) => store.get(query([id], { deadline: Date.now() + 5000 })));
        void admin.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
        const settled = await Promise.allSettled(reads);
        expect(Date.now() - started).toBeLessThan(1000); // not at the 5 s deadline
        for (const s of settled) {
          if (s.status === "rejected") {
            expect(s.reason).toBeInstanceOf(FeatureStoreUnavailableError);
            expect((s.reason as Error).message).toBe(`redis 127.0.0.1:${server.port}: the connection closed before Redis answered`);
          }
          else expect(s.value[0].values[0]).toBe(1);
          outcomes.push(s.status);
        }
      }
      expect(outcomes).toContain("rejected");
      expect(await eventually(() => store.ready(), 5000)).toBe(true);
      expect((await store.get(query([1])))[0].values[0]).toBe(1);
    } finally {
      admin.disconnect();
      await store.close();
      await server.stop();
    }
  });

  it("rejects past the deadline, fails fast while down, and recovers by itself", async () => {
    let server = await startRedis();
    const logger = new RecordingLogger();
    const store = await RedisStore.connect(redisConfig(server.port), manifest, { logger });
    const admin = new Redis({ port: server.port, host: "127.0.0.1" });
    try {
      expect(await eventually(() => store.ready(), 5000)).toBe(true);
      await store.write(view, [row(1, 1)], 0);

      // Slow: the server stops answering clients for 400 ms.
      await admin.call("CLIENT", "PAUSE", "400", "ALL");
      let started = Date.now();
      await expect(store.get(query([1], { deadline: Date.now() + 50 }))).rejects.toThrow(FeatureStoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(200);
      await new Promise((r) => setTimeout(r, 450));
      expect((await store.get(query([1])))[0].values[0]).toBe(1);

      // Down: the process is gone.
      await server.stop();
      expect(await eventually(async () => !(await store.ready()), 3000)).toBe(true);
      started = Date.now();
      await expect(store.get(query([1]))).rejects.toThrow(FeatureStoreUnavailableError);
      expect(Date.now() - started).toBeLessThan(50);

      // Back on the same port: readiness returns without any call from us.
      server = await startRedis({ port: server.port });
      expect(await eventually(() => store.ready(), 10_000)).toBe(true);
      const [v] = await store.get(query([1]));
      expect(v.statuses[0]).toBe("NOT_FOUND"); // the new server starts empty (no persistence)
      await store.write(view, [row(1, 9)], 0);
      expect((await store.get(query([1])))[0].values[0]).toBe(9);
    } finally {
      admin.disconnect();
      await store.close();
      await server.stop();
    }
  });
});
