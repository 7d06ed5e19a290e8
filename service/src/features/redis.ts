// Online features from Redis (or ElastiCache) in Feast's layout: one HMGET per entity and
// view; the reads of concurrent requests go out in one write per event-loop turn. When Redis is
// down, requests fail at once (no offline queue) while ioredis reconnects in the background.
import Redis, { Command, type RedisOptions } from "ioredis";
import type { ServiceConfig } from "../config";
import type { FeatureDtype, Manifest } from "../model/manifest";
import { stderrLogger, type StoreLogger } from "./log";
import type { OfflineRow } from "./offline";
import { featureField, redisKey, timestampField } from "./redis-layout";
import { FeatureStoreUnavailableError, type FeatureQuery, type FeatureStore, type FeatureVector } from "./store";
import { decodeTimestamp, decodeValue, encodeTimestamp, encodeValue } from "./value-proto";
import { maxAgeSeconds, onlineLayout, refsByView, statusOf, viewEntityKey, type OnlineLayout, type OnlineView } from "./views";
import { withDeadline } from "./deadline";
import type { OnlineWriter } from "./writer";

export interface RedisStoreOptions {
  logger?: StoreLogger;
  /** Feast project; defaults to the manifest's. */
  project?: string;
}

/** One HMGET: which view, which entity, and where each answer goes. */
type ViewPlan = Pick<Lookup, "view" | "refs" | "fields">;

interface Lookup {
  entityIndex: number;
  view: OnlineView;
  key: Buffer;
  refs: { feature: string; dtype: FeatureDtype; index: number }[];
  fields: HmgetFields;
}

const CRLF = Buffer.from("\r\n");

/**
 * A view's HMGET fields with their wire form (RESP bulk strings) made once. ioredis encodes every
 * command from its arguments (a header string, a buffer per argument, then a copy into one): the
 * same bytes on every request but the key, and 15-20% of the Redis service's throughput under load
 * (interleaved A/B, 32 connections). ioredis still sends the command, queues it and parses the
 * reply; the test holds these bytes equal to ioredis's own encoding.
 */
export class HmgetFields {
  /** `*<n>\r\n$5\r\nhmget\r\n$`: the header up to the key's length. */
  private readonly head: Buffer;
  /** Every field as `$<len>\r\n<bytes>\r\n`. */
  private readonly tail: Buffer;

  constructor(readonly fields: Buffer[]) {
    this.head = Buffer.from(`*${fields.length + 2}\r\n$5\r\nhmget\r\n$`, "latin1");
    this.tail = Buffer.concat(fields.flatMap((f) => [Buffer.from(`$${f.length}\r\n`, "latin1"), f, CRLF]));
  }

  command(key: Buffer): Command {
    const { head, tail } = this;
    const length = String(key.length);
    const wire = Buffer.allocUnsafe(head.length + length.length + 2 + key.length + 2 + tail.length);
    let at = head.copy(wire);
    at += wire.write(length, at, "latin1");
    at += CRLF.copy(wire, at);
    at += key.copy(wire, at);
    at += CRLF.copy(wire, at);
    tail.copy(wire, at);
    return new PlannedHmget(wire, key, this.fields);
  }
}

/** An HMGET whose wire form is already made (see HmgetFields). */
class PlannedHmget extends Command {
  constructor(
    private readonly wire: Buffer,
    key: Buffer,
    fields: Buffer[],
  ) {
    super("hmget", [key, ...fields], { replyEncoding: null });
  }

  override toWritable(): Buffer {
    return this.wire;
  }
}

export class RedisStore implements FeatureStore, OnlineWriter {
  readonly kind = "redis";
  private readonly layout: OnlineLayout;
  private readonly logger: StoreLogger;
  private readonly fieldCache = new Map<string, Buffer>();
  private readonly plans = new WeakMap<FeatureQuery["refs"], ViewPlan[]>();
  /** The socket corked until this turn's check phase, if any (see hmget). */
  private corked: Redis["stream"] | undefined;

  private constructor(
    private readonly client: Redis,
    manifest: Manifest,
    private readonly timeoutMs: number,
    options: RedisStoreOptions,
  ) {
    this.layout = onlineLayout(manifest, options.project);
    this.logger = options.logger ?? stderrLogger;
  }

  /**
   * Connects in the background: a store that cannot reach Redis yet is created anyway, is not
   * ready, and starts answering once a reconnect succeeds.
   */
  static async connect(config: ServiceConfig, manifest: Manifest, options: RedisStoreOptions = {}): Promise<RedisStore> {
    const r = config.redis;
    const password = r.authSecretArn ? await fetchAuthToken(r.authSecretArn, config.awsRegion) : r.authToken;
    const redisOptions: RedisOptions = {
      host: r.host,
      port: r.port,
      username: r.username,
      password,
      tls: r.tls ? { servername: r.host } : undefined,
      connectTimeout: r.connectTimeoutMs,
      // Fail fast while disconnected: the caller answers 503 or serves defaults.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // Keep reconnecting, backing off to 2 s, so the store recovers by itself.
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
      lazyConnect: false,
    };
    const client = new Redis(redisOptions);
    const logger = options.logger ?? stderrLogger;
    let lastError = "";
    client.on("error", (err: Error) => {
      // ioredis repeats the same error on every retry; log each new one once.
      if (err.message !== lastError) logger.warn({ store: "redis", host: r.host, port: r.port, err: err.message }, "redis connection error");
      lastError = err.message;
    });
    client.on("ready", () => (lastError = ""));
    return new RedisStore(client, manifest, config.featureTimeoutMs, { ...options, logger });
  }

  async get(query: FeatureQuery): Promise<FeatureVector[]> {
    const vectors: FeatureVector[] = query.entities.map(() => ({
      values: query.refs.map(() => null),
      statuses: query.refs.map(() => "NOT_FOUND"),
      eventTimestamps: query.refs.map(() => null),
    }));
    const lookups = this.lookups(query);
    if (lookups.length === 0) return vectors;
    if (this.client.status !== "ready") {
      throw new FeatureStoreUnavailableError(`redis ${this.describe()} is not connected (${this.client.status})`);
    }
    const deadline = query.deadline ?? Date.now() + this.timeoutMs;
    let replies: (Buffer | null)[][];
    try {
      replies = await withDeadline(Promise.all(lookups.map((l) => this.hmget(l.key, l.fields))), deadline, () => `redis ${this.describe()}`);
    } catch (err) {
      if (err instanceof FeatureStoreUnavailableError) throw err;
      throw new FeatureStoreUnavailableError(`redis ${this.describe()}: ${readFailure(err)}`, { cause: err });
    }
    const now = Date.now();
    lookups.forEach((lookup, i) => this.fill(vectors[lookup.entityIndex], lookup, replies[i], query, now));
    return vectors;
  }

  private lookups(query: FeatureQuery): Lookup[] {
    const lookups: Lookup[] = [];
    const plan = this.plan(query);
    query.entities.forEach((entity, entityIndex) => {
      for (const { view, refs, fields } of plan) {
        const entityKey = viewEntityKey(this.layout, view, entity);
        if (!entityKey) continue;
        lookups.push({ entityIndex, view, key: redisKey(entityKey, this.layout.project), refs, fields });
      }
    });
    return lookups;
  }

  /**
   * The views a query reads and their HMGET fields. The service asks for the same refs array on
   * every request, so this is worked out once per refs array, not once per request.
   */
  private plan(query: FeatureQuery): ViewPlan[] {
    let plan = this.plans.get(query.refs);
    if (!plan) {
      plan = [...refsByView(query)].flatMap(([viewName, refs]) => {
        const view = this.layout.views.get(viewName);
        if (!view) return [];
        return [{ view, refs, fields: new HmgetFields([...refs.map((ref) => this.field(viewName, ref.feature)), timestampField(viewName)]) }];
      });
      this.plans.set(query.refs, plan);
    }
    return plan;
  }

  private field(view: string, feature: string): Buffer {
    const name = `${view}:${feature}`;
    let field = this.fieldCache.get(name);
    if (!field) this.fieldCache.set(name, (field = featureField(view, feature)));
    return field;
  }

  /**
   * One HMGET, sent with ioredis's plain command path (each reply resolves its own request as it
   * arrives). While other commands wait on Redis, the socket is corked until the event loop's check
   * phase, so every concurrent request's read of this turn goes out in one write; when nothing
   * waits, it is written at once, as a lone request gains nothing by waiting for company.
   * (ioredis's auto-pipelining batches the same way but keeps one pipeline in flight at a time:
   * reads arriving meanwhile wait for the whole previous batch's replies.)
   */
  private hmget(key: Buffer, fields: HmgetFields): Promise<(Buffer | null)[]> {
    const command = fields.command(key);
    if (this.client.commandQueue.length > 0) this.corkUntilCheckPhase();
    void this.client.sendCommand(command);
    return command.promise as Promise<(Buffer | null)[]>;
  }

  private corkUntilCheckPhase(): void {
    const stream = this.client.stream;
    if (this.corked === stream) return;
    this.corked = stream;
    stream.cork();
    setImmediate(() => {
      this.corked = undefined;
      stream.uncork();
    });
  }

  private fill(vector: FeatureVector, lookup: Lookup, reply: (Buffer | null)[], query: FeatureQuery, now: number): void {
    const tsBytes = reply[reply.length - 1];
    if (reply.every((b) => b === null)) return; // entity not in the store: NOT_FOUND
    let eventTime = new Date(0); // Feast reads a missing _ts field as the epoch
    if (tsBytes) {
      try {
        eventTime = decodeTimestamp(tsBytes);
      } catch (err) {
        this.malformed(lookup, `_ts:${lookup.view.name}`, err);
        return;
      }
    }
    const maxAge = maxAgeSeconds(query, lookup.view);
    lookup.refs.forEach((ref, i) => {
      let value;
      try {
        value = decodeValue(reply[i] ?? Buffer.alloc(0), ref.dtype);
      } catch (err) {
        this.malformed(lookup, `${lookup.view.name}:${ref.feature}`, err);
        return; // stays NOT_FOUND, so the caller uses the default
      }
      vector.values[ref.index] = value;
      vector.statuses[ref.index] = statusOf(value, eventTime, maxAge, now);
      vector.eventTimestamps[ref.index] = eventTime;
    });
  }

  private malformed(lookup: Lookup, what: string, err: unknown): void {
    this.logger.warn(
      { store: "redis", key: lookup.key.toString("hex"), field: what, err: (err as Error).message },
      "malformed stored value treated as missing",
    );
  }

  async write(view: OnlineView, rows: OfflineRow[], ttlSeconds: number): Promise<number> {
    const keys = rows.map((row) => {
      const entityKey = viewEntityKey(this.layout, view, row.entity);
      if (!entityKey) throw new Error(`row ${row.rowNumber}: entity ${JSON.stringify(row.entity)} has no valid key`);
      return redisKey(entityKey, this.layout.project);
    });
    const tsField = timestampField(view.name);
    // Like Feast: never replace a newer value by an older one.
    const current = this.client.pipeline();
    for (const key of keys) current.hgetBuffer(key, tsField);
    const stored = (await current.exec()) ?? [];
    const pipeline = this.client.pipeline();
    let written = 0;
    rows.forEach((row, i) => {
      const [err, bytes] = stored[i] ?? [null, null];
      if (err) throw err;
      if (bytes && safeTime(bytes as Buffer) > row.eventTimestamp.getTime()) return;
      const hash = new Map<Buffer, Buffer>();
      for (const [feature, dtype] of view.features) {
        hash.set(this.field(view.name, feature), Buffer.from(encodeValue(row.values[feature] ?? null, dtype)));
      }
      hash.set(tsField, Buffer.from(encodeTimestamp(row.eventTimestamp)));
      pipeline.hset(keys[i], hash);
      if (ttlSeconds > 0) pipeline.expire(keys[i], ttlSeconds);
      written += 1;
    });
    for (const [err] of (await pipeline.exec()) ?? []) if (err) throw err;
    return written;
  }

  async ready(): Promise<boolean> {
    if (this.client.status !== "ready") return false;
    try {
      await withDeadline(this.client.ping(), Date.now() + this.timeoutMs, () => "redis ping");
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  private describe(): string {
    return `${this.client.options.host}:${this.client.options.port}`;
  }
}

/**
 * What went wrong with a read. ioredis fails the commands of a connection that closed under them
 * (maxRetriesPerRequest is 0) with a text naming that option, not what happened.
 */
function readFailure(err: unknown): string {
  const error = err as Error;
  return error.name === "MaxRetriesPerRequestError" ? "the connection closed before Redis answered" : error.message;
}

function safeTime(bytes: Buffer): number {
  try {
    return decodeTimestamp(bytes).getTime();
  } catch {
    return Number.NEGATIVE_INFINITY;
  }
}

/** The ElastiCache auth token from Secrets Manager: the secret string, or its `authToken`/`token`/`password` field. */
async function fetchAuthToken(secretArn: string, region: string | undefined): Promise<string> {
  // Loaded only when a secret is configured.
  const { GetSecretValueCommand, SecretsManagerClient } = await import("@aws-sdk/client-secrets-manager");
  const client = new SecretsManagerClient({ region });
  try {
    const secret = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    const text = secret.SecretString;
    if (!text) throw new Error("the secret has no SecretString");
    if (text.trimStart().startsWith("{")) {
      const json = JSON.parse(text) as Record<string, unknown>;
      const token = json.authToken ?? json.token ?? json.password;
      if (typeof token !== "string") throw new Error('the secret is JSON without a string "authToken", "token" or "password"');
      return token;
    }
    return text;
  } catch (err) {
    throw new FeatureStoreUnavailableError(`redis auth token from ${secretArn}: ${(err as Error).message}`, { cause: err });
  } finally {
    client.destroy();
  }
}
