// DynamoDB on the bill: read request units derived from the item size Feast's layout stores,
// materialization writes, storage and point-in-time recovery, and the lambda-dynamodb stack
// priced with them.
import * as path from "node:path";
import { compareStacks, workloadFor } from "../../infra/compare/comparison";
import { dynamodbItemBytes, onlineViews } from "../../infra/compare/dynamodb-items";
import { dynamodbLines, priceOption } from "../../infra/compare/cost-model";
import { loadPrices } from "../../infra/compare/prices";
import { readStack, STACKS_DIR } from "../../infra/compare/stacks";
import { loadManifest, REPO_ROOT } from "../../infra/model-package";

const prices = loadPrices();
const month = { hours: 730 };
const stack = readStack(STACKS_DIR, "lambda-dynamodb");
const manifest = loadManifest(path.join(REPO_ROOT, "models", "fraud", "1"));
const dynamo = (lines: { service: string; item: string; quantity: number; usd: number }[], prefix: string) =>
  lines.find((l) => l.service === "DynamoDB" && l.item.startsWith(prefix));

describe("DynamoDB item size from the manifest's online features", () => {
  it("counts one item per feature view the model reads online", () => {
    expect(onlineViews(manifest)).toEqual(["user_stats"]);
  });

  it("sizes an item as entity_id, event_ts and the map of serialized values", () => {
    const bytes = dynamodbItemBytes(manifest, "user_stats");
    // entity_id (9 + 32 hex) + event_ts (8 + 32) + values (6 + 3) at least; far under one 4 KB read unit.
    expect(bytes).toBeGreaterThan(9 + 32 + 8 + 32 + 6 + 3);
    expect(bytes).toBeLessThan(1024);
    // Each more feature makes the item larger.
    const more = { ...manifest, features: [...manifest.features, { ...manifest.features[0]!, name: "extra_feature", source: { kind: "online" as const, view: "user_stats", feature: "extra_feature" } }] };
    expect(dynamodbItemBytes(more, "user_stats")).toBeGreaterThan(bytes);
  });
});

describe("DynamoDB request units and storage", () => {
  const usage = { requests: 1_000_000, items: [100], entities: 10_000, refreshesPerMonth: 30, pointInTimeRecovery: false, consistentReads: false };

  it("eventually consistent reads cost half a read unit per 4 KB of each item; strongly consistent a whole one", () => {
    const eventual = dynamodbLines(usage, prices);
    expect(dynamo(eventual, "read request units")?.quantity).toBe(500_000);
    const strong = dynamodbLines({ ...usage, consistentReads: true }, prices);
    expect(dynamo(strong, "read request units")?.quantity).toBe(1_000_000);
    const big = dynamodbLines({ ...usage, items: [4097, 100] }, prices);
    // 4097 B rounds up to 8 KB (1 RRU eventually consistent) plus 0.5 for the small item.
    expect(dynamo(big, "read request units")?.quantity).toBe(1_500_000);
  });

  it("materialization writes one unit per KB of each item, per entity and refresh", () => {
    const lines = dynamodbLines({ ...usage, items: [100, 1500] }, prices);
    expect(dynamo(lines, "write request units")?.quantity).toBe(10_000 * 30 * (1 + 2));
  });

  it("stores every entity's items with 100 bytes of index overhead each; PITR bills the same size when on", () => {
    const lines = dynamodbLines(usage, prices);
    expect(dynamo(lines, "storage")?.quantity).toBeCloseTo((10_000 * 200) / 1e9, 12);
    expect(dynamo(lines, "point-in-time recovery")).toBeUndefined();
    const pitr = dynamodbLines({ ...usage, pointInTimeRecovery: true }, prices);
    expect(dynamo(pitr, "point-in-time recovery")?.quantity).toBeCloseTo((10_000 * 200) / 1e9, 12);
  });

  it("prices the units at the table's on-demand rates", () => {
    const lines = dynamodbLines({ ...usage, requests: 100_000_000 }, prices);
    expect(dynamo(lines, "read request units")?.usd).toBeCloseTo((50_000_000 / 1e6) * prices.dynamodb.readRequestUnits.usd, 2);
  });
});

describe("the lambda-dynamodb stack on the bill", () => {
  const comparison = compareStacks([stack], undefined, {}, month, prices, { minRps: 1, maxRps: 100, points: 4 });
  const workload = comparison.stacks[0]!.workload;

  it("has a DynamoDB read line that grows with the request rate", () => {
    const at = (rps: number) => priceOption("lambda-alb", { ...workload, requestsPerSecond: rps }, stack.config, month, prices);
    const low = dynamo(at(5).lines, "read request units");
    const high = dynamo(at(50).lines, "read request units");
    expect(low?.usd).toBeGreaterThan(0);
    expect(high?.quantity).toBeCloseTo((low?.quantity ?? 0) * 10, 6);
  });

  it("bills storage, materialization writes and PITR (the stack turns it on)", () => {
    const lines = comparison.stacks[0]!.estimates[0]!.lines;
    expect(dynamo(lines, "write request units")?.quantity).toBeGreaterThan(0);
    expect(dynamo(lines, "storage")?.quantity).toBeGreaterThan(0);
    expect(dynamo(lines, "point-in-time recovery")).toBeDefined();
  });
});

describe("DynamoDB usage of a stack", () => {
  it("takes the item size and items per prediction from the stack's model manifest", () => {
    const w = workloadFor(stack, undefined, {}, month);
    expect(w.dynamodbItemBytes).toBe(dynamodbItemBytes(manifest, "user_stats"));
    expect(w.dynamodbItemsPerRequest).toBe(1);
  });

  it("lets a usage file override the derived size: a 5000 B item costs a whole read unit per prediction", () => {
    const w = workloadFor(stack, { usage: { dynamodbItemBytes: 5000 } }, { requestsPerSecond: 1 }, month);
    const e = priceOption("lambda-alb", w, stack.config, month, prices);
    expect(dynamo(e.lines, "read request units")?.quantity).toBeCloseTo(3600 * 730, 6);
  });
});
