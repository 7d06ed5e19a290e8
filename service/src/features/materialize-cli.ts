// npm run materialize -- --source <parquet path|s3://…> --store <redis|keyspaces|cassandra|dynamodb>
//   [--manifest path] [--ttl seconds] [--batch-size n]
// Connection settings come from the service's environment variables (see config.ts).
import * as fs from "node:fs";
import { fileURLToPath } from "node:url";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { SingleBar, Presets } from "cli-progress";
import { loadConfig, type ServiceConfig } from "../config";
import { parseManifest, type Manifest } from "../model/manifest";
import { CassandraStore } from "./cassandra";
import { DynamoDBStore } from "./dynamodb";
import { DEFAULT_BATCH_SIZE, formatSummary, materialize } from "./materialize";
import { RedisStore } from "./redis";
import { onlineLayout } from "./views";
import type { OnlineWriter } from "./writer";

const STORES = ["redis", "keyspaces", "cassandra", "dynamodb"] as const;
type StoreName = (typeof STORES)[number];
const USAGE =
  "usage: npm run materialize -- --source <parquet path|s3://bucket/key> --store <redis|keyspaces|cassandra|dynamodb> " +
  "[--manifest path/to/manifest.json] [--ttl seconds] [--batch-size n]";

class UsageError extends Error {}

function positiveInt(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} "${value}": expected an integer ≥ ${min}`);
  return n;
}

function manifestPath(explicit: string | undefined, config: ServiceConfig): string {
  if (explicit) return explicit;
  if (config.modelUri.startsWith("file://")) return path.join(fileURLToPath(config.modelUri), "manifest.json");
  throw new UsageError(`MODEL_URI "${config.modelUri}" is not a local folder: pass --manifest path/to/manifest.json`);
}

function readManifest(file: string): Manifest {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`manifest "${file}" cannot be read: ${(err as Error).message}`);
  }
  try {
    return parseManifest(JSON.parse(text));
  } catch (err) {
    throw new UsageError(`manifest "${file}": ${(err as Error).message}`);
  }
}

async function openWriter(store: StoreName, config: ServiceConfig, manifest: Manifest): Promise<OnlineWriter> {
  const project = config.feastProject ?? manifest.project;
  const waitMs = Math.max(config.redis.connectTimeoutMs, config.cassandra.connectTimeoutMs) + 2000;
  const settings = { ...config, featureTimeoutMs: Math.max(config.featureTimeoutMs, 10_000) };
  if (store === "redis") {
    const redis = await RedisStore.connect(settings, manifest, { project, logger: quietLogger });
    if (!(await waitReady(() => redis.ready(), waitMs))) {
      await redis.close();
      throw new UsageError(`redis at ${config.redis.host}:${config.redis.port} is not reachable (REDIS_HOST, REDIS_PORT, REDIS_TLS)`);
    }
    return redis;
  }
  if (store === "dynamodb") return openDynamoDB(settings, manifest, project, waitMs);
  const cassandra = await CassandraStore.connect(settings, manifest, { project, logger: quietLogger, flavor: store });
  if (!(await waitReady(() => cassandra.ready(), waitMs))) {
    await cassandra.close();
    throw new UsageError(`${store} at ${config.cassandra.contactPoints.join(",")} is not reachable (CASSANDRA_CONTACT_POINTS, CASSANDRA_PORT)`);
  }
  if (store === "cassandra") {
    // Keyspaces tables come from the infrastructure; a plain Cassandra gets Feast's tables here.
    for (const view of onlineLayout(manifest, project).views.values()) await cassandra.createTable(view);
  }
  return cassandra;
}

async function openDynamoDB(config: ServiceConfig, manifest: Manifest, project: string, waitMs: number): Promise<OnlineWriter> {
  const dynamodb = await DynamoDBStore.connect(config, manifest, { project, logger: quietLogger });
  try {
    // On AWS the infrastructure owns the tables; a local DynamoDB (endpoint override) gets Feast's here.
    if (config.dynamodb.endpoint) for (const view of onlineLayout(manifest, project).views.values()) await dynamodb.createTable(view);
    if (!(await waitReady(() => dynamodb.ready(), waitMs))) throw new Error("no answer");
  } catch (err) {
    await dynamodb.close();
    const where = config.dynamodb.endpoint ?? `region ${config.awsRegion ?? "(none: set AWS_REGION)"}`;
    throw new UsageError(
      `dynamodb at ${where} cannot read tables ${[...onlineLayout(manifest, project).views.keys()].map((v) => dynamodb.tableName(v)).join(", ")}: ` +
        `${(err as Error).message} (AWS_REGION, DYNAMODB_ENDPOINT, AWS credentials)`,
    );
  }
  return dynamodb;
}

/** Connection retries are expected while waiting; only the final verdict is printed. */
const quietLogger = { warn: () => undefined };

async function waitReady(ready: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await ready()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      source: { type: "string" },
      store: { type: "string" },
      manifest: { type: "string" },
      ttl: { type: "string" },
      "batch-size": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.source) throw new UsageError(`--source is required\n${USAGE}`);
  if (!values.store || !(STORES as readonly string[]).includes(values.store)) {
    throw new UsageError(`--store "${values.store ?? ""}": expected one of ${STORES.join(", ")}\n${USAGE}`);
  }
  const store = values.store as StoreName;
  const ttlSeconds = positiveInt("ttl", values.ttl, 0, 0);
  const batchSize = positiveInt("batch-size", values["batch-size"], DEFAULT_BATCH_SIZE, 1);
  const config = loadConfig();
  const manifest = readManifest(manifestPath(values.manifest, config));

  const writer = await openWriter(store, config, manifest);
  const bar = process.stderr.isTTY ? new SingleBar({ format: "writing {bar} {value}/{total} entities", stream: process.stderr }, Presets.shades_classic) : undefined;
  try {
    const summary = await materialize({
      source: values.source,
      manifest,
      writer,
      ttlSeconds,
      batchSize,
      project: config.feastProject,
      s3: { region: config.awsRegion, endpoint: config.s3Endpoint, forcePathStyle: config.s3ForcePathStyle },
      onBadRow: (row) => process.stderr.write(`row ${row.rowNumber} skipped: ${row.problem}\n`),
      onProgress: (done, total) => {
        if (!bar) return;
        if (done === 0) bar.start(total, 0);
        else bar.update(done);
      },
    });
    bar?.stop();
    if (summary.missingViews.length > 0) {
      process.stderr.write(`not in ${values.source}: feature views ${summary.missingViews.join(", ")}\n`);
    }
    process.stdout.write(`${formatSummary(summary)}\n`);
    return 0;
  } finally {
    bar?.stop();
    await writer.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      // One clear line for the operator; never a stack trace.
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`materialize: ${message}\n`);
      process.exit(1);
    },
  );
}
