// Feast itself (PyPI, the `feast` peer) against the test DynamoDB: the service reads what Feast's
// DynamoDB online store writes, as is, and computes the same layout (entity_id, event_ts).
import { execFile } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DEFAULTS, ENV, loadConfig } from "../../service/src/config";
import { entityId, formatEventTs } from "../../service/src/features/dynamodb-layout";
import { EmbeddedStore } from "../../service/src/features/embedded";
import { serializeEntityKey } from "../../service/src/features/entity-key";
import { createFeatureStore } from "../../service/src/features";
import type { FeatureStore } from "../../service/src/features/store";
import { ServiceMetrics } from "../../service/src/metrics";
import { Predictor } from "../../service/src/predictor";
import { peerPython } from "../setup/peers";
import { TEST_AWS_ENV, TEST_DYNAMODB_ENDPOINT } from "../setup/servers/dynamodb";
import { examplePackage, golden, testConfig } from "../service/fixtures";
import { tempDir } from "./fixtures";
import { requiredEnv } from "./stores";

const run = promisify(execFile);
const SCRIPT = path.join(__dirname, "..", "peers", "feast_dynamodb.py");
// The store finds credentials through the SDK's standard chain, here its environment step.
Object.assign(process.env, TEST_AWS_ENV);
const env = { ...process.env };

interface FeastAnswer {
  ids: string[];
  times: string[];
  offline: string;
}

/** Runs the peer: Feast computes entity ids and event_ts strings, then materializes `keep` into DynamoDB. */
async function feast(args: string[], input: string): Promise<FeastAnswer> {
  const child = run(peerPython("feast"), [SCRIPT, ...args], { env, maxBuffer: 16 * 1024 * 1024, timeout: 400_000 });
  child.child.stdin?.end(input);
  const { stdout } = await child;
  return JSON.parse(stdout) as FeastAnswer;
}

const KEY_IDS = [0, 1, 1002, -5, 2 ** 40 + 7, Number.MAX_SAFE_INTEGER];
const TIMES = [Date.UTC(2025, 10, 3, 0, 1, 43, 985), Date.UTC(2025, 10, 3, 0, 1, 43), Date.UTC(1999, 11, 31, 23, 59, 59, 1)].map((t) => new Date(t));

describe("Feast's DynamoDB online store, run by Feast itself against the test DynamoDB", () => {
  const endpoint = requiredEnv(TEST_DYNAMODB_ENDPOINT);
  const project = "feast_materialized";
  let answer: FeastAnswer;
  let dynamo: FeatureStore;
  let embedded: EmbeddedStore;

  beforeAll(async () => {
    // Only the golden cases' users: Feast's import and materialization are slow on a shared machine.
    const keep = golden.cases.map((c) => c.entity);
    const pkg = await examplePackage();
    answer = await feast(
      [
        "--manifest", path.join(fileURLToPath(DEFAULTS.modelUri), "manifest.json"),
        "--parquet", DEFAULTS.embeddedFeaturesPath,
        "--endpoint", endpoint,
        "--repo", tempDir("feast-repo-"),
        "--project", project,
        "--keep", JSON.stringify(keep),
      ],
      JSON.stringify({ keys: KEY_IDS.map((user_id) => ({ user_id })), times: TIMES.map((t) => t.toISOString()) }),
    );
    const config = loadConfig({ ...TEST_AWS_ENV, [ENV.featureStore]: "dynamodb", [ENV.dynamodbEndpoint]: endpoint, [ENV.feastProject]: project, [ENV.featureTimeoutMs]: "5000" });
    dynamo = await createFeatureStore(config, pkg.manifest);
    embedded = await EmbeddedStore.fromParquet(answer.offline, pkg.manifest);
  }, 420_000);
  afterAll(async () => {
    await dynamo?.close();
    await embedded?.close();
  });

  it("holds the same values, statuses and event times as the embedded store loaded from the same offline file", async () => {
    const pkg = await examplePackage();
    const refs = pkg.manifest.features.flatMap((f) => (f.source.kind === "online" ? [{ view: f.source.view, feature: f.source.feature, dtype: f.dtype }] : []));
    const query = { entityKeyTypes: { user_id: "int64" as const }, entities: golden.cases.map((c) => c.entity), refs };
    const [fromFeast, fromFile] = [await dynamo.get(query), await embedded.get(query)];
    expect(fromFeast.filter((v) => v.statuses.includes("PRESENT")).length).toBeGreaterThan(10);
    expect(fromFeast).toEqual(fromFile);
  });

  it("computes entity_id as Feast does (MurmurHash3 x64_128 of the v3 entity key) and event_ts as Feast writes it", () => {
    expect(KEY_IDS.map((user_id) => entityId(serializeEntityKey({ user_id }, ["user_id"], { user_id: "int64" })))).toEqual(answer.ids);
    expect(TIMES.map(formatEventTs)).toEqual(answer.times);
  });

  it("gives the embedded store's predictions for every golden case", async () => {
    const pkg = await examplePackage();
    const metrics = () => new ServiceMetrics({ defaultMetrics: false });
    const instances = golden.cases.map((c) => ({ entity: c.entity, features: c.request }));
    // A generous deadline: the test DynamoDB is slower than DynamoDB, and a timeout would fall back to defaults.
    const config = testConfig({ featureTimeoutMs: 5000 });
    const [overFeast, overFile] = [await Predictor.create(pkg, dynamo, metrics(), config), await Predictor.create(pkg, embedded, metrics(), config)];
    const [fromFeast, fromFile] = [await overFeast.predict(instances), await overFile.predict(instances)];
    await Promise.all([overFeast.close(), overFile.close()]);
    expect(fromFeast.map((p) => p.defaulted)).toEqual(fromFile.map((p) => p.defaulted));
    fromFeast.forEach((p, i) => {
      expect({ name: golden.cases[i].name, label: p.label }).toEqual({ name: golden.cases[i].name, label: fromFile[i].label });
      for (const label of pkg.manifest.postprocess.labels) {
        expect(Math.abs(p.probabilities[label] - fromFile[i].probabilities[label])).toBeLessThanOrEqual(golden.tolerance);
      }
    });
  });
});
