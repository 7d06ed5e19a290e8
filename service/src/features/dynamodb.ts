// Online features from Amazon DynamoDB in Feast's layout (see dynamodb-layout.ts): one
// BatchGetItem per table and 100 entities, projected to the requested features, with the keys
// DynamoDB leaves unprocessed (throttling, 16 MB responses) retried until the request's deadline.
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ResourceInUseException,
  type AttributeValue,
  type KeysAndAttributes,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import type { ServiceConfig } from "../config";
import type { FeatureDtype, Manifest } from "../model/manifest";
import { withDeadline } from "./deadline";
import { dynamoTableName, ENTITY_ID, entityId, EVENT_TS, EXPIRES_AT, formatEventTs, parseEventTs, VALUES } from "./dynamodb-layout";
import { stderrLogger, type StoreLogger } from "./log";
import type { OfflineRow } from "./offline";
import { FeatureStoreUnavailableError, type FeatureQuery, type FeatureStore, type FeatureVector } from "./store";
import { decodeValue, encodeValue } from "./value-proto";
import { maxAgeSeconds, onlineLayout, refsByView, statusOf, viewEntityKey, type OnlineLayout, type OnlineView } from "./views";
import type { OnlineWriter } from "./writer";

/** DynamoDB's limits: keys per BatchGetItem, put requests per BatchWriteItem. */
export const MAX_GET_KEYS = 100;
export const MAX_WRITE_ITEMS = 25;
/** BatchWriteItem calls the materializer keeps in flight. */
const WRITE_CONCURRENCY = 8;
/** Unprocessed write items: attempts and the first backoff (doubled each time, as AWS advises). */
const WRITE_ATTEMPTS = 10;
const WRITE_BACKOFF_MS = 50;
/** Unprocessed read keys are retried sooner: the request's deadline is tens of milliseconds. */
const READ_BACKOFF_MS = 5;

export interface DynamoDBStoreOptions {
  logger?: StoreLogger;
  project?: string;
  /** A client built elsewhere (tests, benchmarks); by default one from the configuration. */
  client?: DynamoDBClient;
}

type Item = Record<string, AttributeValue>;

/** How one view is read: its table and the projection of exactly the requested features. */
interface ViewPlan {
  view: OnlineView;
  table: string;
  refs: { feature: string; dtype: FeatureDtype; index: number }[];
  projection: Pick<KeysAndAttributes, "ProjectionExpression" | "ExpressionAttributeNames">;
}

export class DynamoDBStore implements FeatureStore, OnlineWriter {
  readonly kind = "dynamodb";
  private readonly layout: OnlineLayout;
  private readonly logger: StoreLogger;
  private readonly plans = new WeakMap<FeatureQuery["refs"], ViewPlan[]>();

  private constructor(
    private readonly client: DynamoDBClient,
    manifest: Manifest,
    private readonly settings: ServiceConfig["dynamodb"],
    private readonly timeoutMs: number,
    options: DynamoDBStoreOptions,
  ) {
    this.layout = onlineLayout(manifest, options.project);
    this.logger = options.logger ?? stderrLogger;
  }

  /** A client on the standard credential chain (env, profile, Lambda/task/instance role, IRSA). */
  static async connect(config: ServiceConfig, manifest: Manifest, options: DynamoDBStoreOptions = {}): Promise<DynamoDBStore> {
    const client = options.client ?? createClient(config);
    return new DynamoDBStore(client, manifest, config.dynamodb, config.featureTimeoutMs, options);
  }

  /** Feast's table name of a view. */
  tableName(view: string): string {
    return dynamoTableName(this.layout.project, view);
  }

  async get(query: FeatureQuery): Promise<FeatureVector[]> {
    const vectors: FeatureVector[] = query.entities.map(() => ({
      values: query.refs.map(() => null),
      statuses: query.refs.map(() => "NOT_FOUND"),
      eventTimestamps: query.refs.map(() => null),
    }));
    const deadline = query.deadline ?? Date.now() + this.timeoutMs;
    const reads: Promise<void>[] = [];
    const abort = new AbortController();
    for (const plan of this.plan(query)) {
      // BatchGetItem refuses duplicate keys: each entity id is read once, for every entity naming it.
      const wanted = new Map<string, number[]>();
      query.entities.forEach((entity, i) => {
        const key = viewEntityKey(this.layout, plan.view, entity);
        if (!key) return;
        const id = entityId(key);
        const indices = wanted.get(id);
        if (indices) indices.push(i);
        else wanted.set(id, [i]);
      });
      const ids = [...wanted.keys()];
      for (let i = 0; i < ids.length; i += MAX_GET_KEYS) {
        const chunk = ids.slice(i, i + MAX_GET_KEYS);
        reads.push(
          this.batchGet(plan, chunk, deadline, abort.signal).then((items) => {
            const now = Date.now();
            for (const item of items) {
              const id = item[ENTITY_ID]?.S;
              for (const entityIndex of (id && wanted.get(id)) || []) this.fill(vectors[entityIndex], plan, item, query, now);
            }
          }),
        );
      }
    }
    if (reads.length === 0) return vectors;
    try {
      await withDeadline(Promise.all(reads), deadline, () => `dynamodb ${this.describe()}`);
    } finally {
      abort.abort(); // stops retries and in-flight calls the deadline gave up on
    }
    return vectors;
  }

  /** Views, tables and projections of a refs array; the service asks with the same array each time. */
  private plan(query: FeatureQuery): ViewPlan[] {
    let plans = this.plans.get(query.refs);
    if (!plans) {
      plans = [...refsByView(query)].flatMap(([viewName, refs]) => {
        const view = this.layout.views.get(viewName);
        return view ? [{ view, table: this.tableName(viewName), refs, projection: projection(refs.map((r) => r.feature)) }] : [];
      });
      this.plans.set(query.refs, plans);
    }
    return plans;
  }

  private async batchGet(plan: ViewPlan, ids: string[], deadline: number, signal: AbortSignal): Promise<Item[]> {
    const items: Item[] = [];
    let keys: Item[] = ids.map((id) => ({ [ENTITY_ID]: { S: id } }));
    for (let attempt = 0; keys.length > 0; attempt += 1) {
      if (attempt > 0) {
        const wait = Math.min(READ_BACKOFF_MS * 2 ** (attempt - 1), deadline - Date.now());
        if (wait < 0 || signal.aborted) throw new FeatureStoreUnavailableError(`dynamodb ${plan.table}: ${keys.length} keys still unprocessed at the deadline`);
        await new Promise((r) => setTimeout(r, wait));
      }
      let out;
      try {
        out = await this.client.send(
          new BatchGetItemCommand({ RequestItems: { [plan.table]: { Keys: keys, ConsistentRead: this.settings.consistentReads, ...plan.projection } } }),
          { abortSignal: signal },
        );
      } catch (err) {
        throw new FeatureStoreUnavailableError(`dynamodb BatchGetItem on ${plan.table}: ${(err as Error).message}`, { cause: err });
      }
      items.push(...(out.Responses?.[plan.table] ?? []));
      keys = out.UnprocessedKeys?.[plan.table]?.Keys ?? [];
    }
    return items;
  }

  private fill(vector: FeatureVector, plan: ViewPlan, item: Item, query: FeatureQuery, now: number): void {
    const id = item[ENTITY_ID]?.S ?? "";
    const tsText = item[EVENT_TS]?.S;
    const eventTime = tsText === undefined ? undefined : parseEventTs(tsText);
    if (!eventTime) {
      this.malformed(plan, id, EVENT_TS, new Error(`not a datetime: ${JSON.stringify(item[EVENT_TS] ?? null)}`));
      return;
    }
    // A projection that matches no stored feature returns the item without its map.
    const stored = item[VALUES];
    if (stored === undefined) return;
    const values = stored.M;
    if (!values) {
      this.malformed(plan, id, VALUES, new Error("not a map"));
      return;
    }
    const maxAge = maxAgeSeconds(query, plan.view);
    for (const ref of plan.refs) {
      const bytes = values[ref.feature];
      if (bytes === undefined) continue; // not written for this entity: NOT_FOUND
      let value;
      try {
        if (!bytes.B) throw new Error(`not a binary attribute: ${Object.keys(bytes).join(",")}`);
        value = decodeValue(bytes.B, ref.dtype);
      } catch (err) {
        this.malformed(plan, id, `${VALUES}.${ref.feature}`, err);
        continue; // stays NOT_FOUND, so the caller uses the default
      }
      vector.values[ref.index] = value;
      vector.statuses[ref.index] = statusOf(value, eventTime, maxAge, now);
      vector.eventTimestamps[ref.index] = eventTime;
    }
  }

  private malformed(plan: ViewPlan, id: string, attribute: string, err: unknown): void {
    this.logger.warn(
      { store: "dynamodb", table: plan.table, entityId: id, attribute, err: (err as Error).message },
      "malformed stored value treated as missing",
    );
  }

  /** Feast's table for a view (on-demand); for local servers: on AWS the infrastructure creates them. */
  async createTable(view: OnlineView): Promise<void> {
    try {
      await this.client.send(
        new CreateTableCommand({
          TableName: this.tableName(view.name),
          KeySchema: [{ AttributeName: ENTITY_ID, KeyType: "HASH" }],
          AttributeDefinitions: [{ AttributeName: ENTITY_ID, AttributeType: "S" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err;
    }
  }

  async write(view: OnlineView, rows: OfflineRow[], ttlSeconds: number): Promise<number> {
    const table = this.tableName(view.name);
    const ids = rows.map((row) => {
      const key = viewEntityKey(this.layout, view, row.entity);
      if (!key) throw new Error(`row ${row.rowNumber}: entity ${JSON.stringify(row.entity)} has no valid key`);
      return entityId(key);
    });
    // Like Feast and our other stores: never replace a newer value by an older one.
    const stored = await this.storedEventTimes(table, [...new Set(ids)]);
    const expiresAt = ttlSeconds > 0 ? String(Math.floor(Date.now() / 1000) + Math.floor(ttlSeconds)) : undefined;
    const puts: WriteRequest[] = [];
    rows.forEach((row, i) => {
      if ((stored.get(ids[i]) ?? Number.NEGATIVE_INFINITY) > row.eventTimestamp.getTime()) return;
      const values: Item = {};
      for (const [feature, dtype] of view.features) values[feature] = { B: encodeValue(row.values[feature] ?? null, dtype) };
      const item: Item = { [ENTITY_ID]: { S: ids[i] }, [EVENT_TS]: { S: formatEventTs(row.eventTimestamp) }, [VALUES]: { M: values } };
      if (expiresAt) item[EXPIRES_AT] = { N: expiresAt };
      puts.push({ PutRequest: { Item: item } });
    });
    const chunks: WriteRequest[][] = [];
    for (let i = 0; i < puts.length; i += MAX_WRITE_ITEMS) chunks.push(puts.slice(i, i + MAX_WRITE_ITEMS));
    let next = 0;
    const worker = async () => {
      while (next < chunks.length) await this.batchWrite(table, chunks[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(WRITE_CONCURRENCY, chunks.length) }, worker));
    return puts.length;
  }

  /** Event time of each stored entity id, read consistently so a just-written value counts. */
  private async storedEventTimes(table: string, ids: string[]): Promise<Map<string, number>> {
    const times = new Map<string, number>();
    const names = { "#id": ENTITY_ID, "#ts": EVENT_TS };
    for (let i = 0; i < ids.length; i += MAX_GET_KEYS) {
      let keys: Item[] = ids.slice(i, i + MAX_GET_KEYS).map((id) => ({ [ENTITY_ID]: { S: id } }));
      for (let attempt = 0; keys.length > 0; attempt += 1) {
        if (attempt >= WRITE_ATTEMPTS) throw new Error(`dynamodb ${table}: ${keys.length} keys unprocessed after ${WRITE_ATTEMPTS} attempts`);
        if (attempt > 0) await backoff(attempt);
        const out = await this.client.send(
          new BatchGetItemCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true, ProjectionExpression: "#id, #ts", ExpressionAttributeNames: names } } }),
        );
        for (const item of out.Responses?.[table] ?? []) {
          const time = parseEventTs(item[EVENT_TS]?.S ?? "");
          if (item[ENTITY_ID]?.S && time) times.set(item[ENTITY_ID].S, time.getTime());
        }
        keys = out.UnprocessedKeys?.[table]?.Keys ?? [];
      }
    }
    return times;
  }

  private async batchWrite(table: string, requests: WriteRequest[]): Promise<void> {
    let pending = requests;
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt >= WRITE_ATTEMPTS) throw new Error(`dynamodb ${table}: ${pending.length} items unprocessed after ${WRITE_ATTEMPTS} attempts`);
      if (attempt > 0) await backoff(attempt);
      const out = await this.client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }));
      pending = out.UnprocessedItems?.[table] ?? [];
    }
  }

  /** Ready when every table answers a read: credentials, region, grants and tables all in place. */
  async ready(): Promise<boolean> {
    const tables = [...this.layout.views.keys()].map((v) => this.tableName(v));
    const abort = new AbortController();
    const probe = (table: string) =>
      this.client.send(
        new GetItemCommand({ TableName: table, Key: { [ENTITY_ID]: { S: "readiness-probe" } }, ProjectionExpression: "#id", ExpressionAttributeNames: { "#id": ENTITY_ID } }),
        { abortSignal: abort.signal },
      );
    try {
      await withDeadline(Promise.all(tables.map(probe)), Date.now() + Math.max(this.timeoutMs, 1000), () => "dynamodb readiness");
      return true;
    } catch (err) {
      this.logger.warn({ store: "dynamodb", endpoint: this.describe(), err: (err as Error).message }, "dynamodb not ready");
      return false;
    } finally {
      abort.abort();
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private describe(): string {
    return this.settings.endpoint ?? "regional endpoint";
  }
}

/** The store's client: the configured region and endpoint, connection failures reported quickly. */
export function createClient(config: ServiceConfig): DynamoDBClient {
  return new DynamoDBClient({
    region: config.awsRegion,
    endpoint: config.dynamodb.endpoint,
    // The per-request deadline bounds every call; the SDK's own retries (throttling) happen inside it.
    requestHandler: { connectionTimeout: Math.max(config.featureTimeoutMs, 1000), requestTimeout: Math.max(config.featureTimeoutMs, 5000) },
  });
}

/** `#v.#f0, #v.#f1, …` with entity_id and event_ts: names go through placeholders (VALUES is a reserved word). */
export function projection(features: string[]): ViewPlan["projection"] {
  const names: Record<string, string> = { "#id": ENTITY_ID, "#ts": EVENT_TS, "#v": VALUES };
  const paths = features.map((feature, i) => {
    names[`#f${i}`] = feature;
    return `#v.#f${i}`;
  });
  return { ProjectionExpression: ["#id", "#ts", ...paths].join(", "), ExpressionAttributeNames: names };
}

function backoff(attempt: number): Promise<void> {
  const ms = Math.min(WRITE_BACKOFF_MS * 2 ** (attempt - 1), 5000);
  return new Promise((r) => setTimeout(r, ms * (0.5 + Math.random() / 2)));
}
