// The serverless fork (stacks/Pulumi.lambda-keyspaces.yaml), the whole program with its real Lambda
// target: features in Amazon Keyspaces in Feast's Cassandra layout, read over TLS with SigV4 by a
// function whose role may select from those tables and nothing else; no Redis anywhere.
import * as path from "node:path";
import { loadConfig, type ServiceConfig } from "../../service/src/config";
import type { Manifest } from "../../service/src/model/manifest";
import { featureTableName } from "../../infra/config";
import { FEAST_TABLE_SCHEMA, KEYSPACES_PORT } from "../../infra/feature-stores";
import { keyspacesTableArn } from "../../infra/runtime-policy";
import { loadManifest } from "../../infra/model-package";
import { ACCOUNT_ID, REGION } from "./mocks";
import { at, ofType, readProjectConfig, runStack, type Registered, type StackRun } from "./harness";

const STACK_FILE = "Pulumi.lambda-keyspaces.yaml";

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: string | string[];
}
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

let run: StackRun;
let manifest: Manifest;
let keyspace: string;
let tables: Registered[];

beforeAll(async () => {
  run = await runStack(STACK_FILE);
  manifest = loadManifest(path.join(run.modelsDir, "fraud", "1"));
  keyspace = String(run.outputs.keyspace);
  tables = ofType(run.resources, "aws:keyspaces/table:Table");
}, 120_000);

test("the stack file chooses Keyspaces for a Lambda target", () => {
  expect(readProjectConfig(STACK_FILE)).toMatchObject({ computeTarget: "lambda", featureStore: "keyspaces" });
  expect(ofType(run.resources, "aws:lambda/function:Function")).toHaveLength(1);
});

test("one keyspace, and one table per feature view of the manifest, named <project>_<view>", () => {
  const keyspaces = ofType(run.resources, "aws:keyspaces/keyspace:Keyspace");
  expect(keyspaces.map((k) => k.inputs.name)).toEqual([keyspace]);
  expect(manifest.featureViews.length).toBeGreaterThan(0);
  expect(tables.map((t) => t.inputs.tableName).sort()).toEqual(
    manifest.featureViews.map((v) => `${manifest.project}_${v.name}`).sort(),
  );
  for (const t of tables) expect(t.inputs.keyspaceName).toBe(keyspace);
});

test("every table has Feast's Cassandra layout: entity_key partition, feature_name clustering, Value blob, timestamps", () => {
  for (const t of tables) {
    const schema = t.inputs.schemaDefinition as Record<string, unknown>;
    expect(schema.columns).toEqual([
      { name: "entity_key", type: "text" },
      { name: "feature_name", type: "text" },
      { name: "value", type: "blob" },
      { name: "event_ts", type: "timestamp" },
      { name: "created_ts", type: "timestamp" },
    ]);
    // PRIMARY KEY ((entity_key), feature_name)
    expect(schema.partitionKeys).toEqual([{ name: "entity_key" }]);
    expect(schema.clusteringKeys).toEqual([{ name: "feature_name", orderBy: "ASC" }]);
    expect(schema).toEqual(FEAST_TABLE_SCHEMA);
  }
});

test("tables are on-demand, with point-in-time recovery as the stack file asks", () => {
  for (const t of tables) {
    expect(t.inputs.capacitySpecification).toEqual({ throughputMode: "PAY_PER_REQUEST" });
    expect(t.inputs.pointInTimeRecovery).toEqual({ status: "ENABLED" });
  }
});

test("the function's runtime policy selects only from those tables, plus the system tables the driver reads", () => {
  const fnRole = ofType(run.resources, "aws:iam/role:Role").find((r) => r.name.endsWith("-fn"));
  const policies = ofType(run.resources, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === fnRole?.state.id);
  expect(policies.length).toBeGreaterThan(0);
  const statements = policies.flatMap((p) => (JSON.parse(String(p.inputs.policy)) as { Statement: Statement[] }).Statement);
  const cassandra = statements.filter((s) => list(s.Action).some((a) => a.startsWith("cassandra:")));
  for (const s of cassandra) expect(list(s.Action)).toEqual(["cassandra:Select"]);
  const scope = { partition: "aws", region: REGION, accountId: ACCOUNT_ID };
  const expectedTables = manifest.featureViews.map((v) => keyspacesTableArn(scope, keyspace, featureTableName(manifest, v.name)));
  expect(cassandra.flatMap((s) => list(s.Resource)).sort()).toEqual(
    [...expectedTables, `arn:aws:cassandra:${REGION}:${ACCOUNT_ID}:/keyspace/system*`].sort(),
  );
  // The ARNs IAM is given are the tables' own.
  expect(tables.map((t) => t.state.arn).sort()).toEqual([...expectedTables].sort());
  // No Redis token to read.
  expect(statements.flatMap((s) => list(s.Action)).filter((a) => a.startsWith("secretsmanager:"))).toEqual([]);
});

test("the function reads Keyspaces over TLS on 9142 with SigV4, per the service's own config parser", () => {
  const variables = at(ofType(run.resources, "aws:lambda/function:Function")[0]?.inputs, "environment", "variables") as Record<string, string>;
  // The Lambda runtime sets AWS_REGION itself.
  const service: ServiceConfig = loadConfig({ ...variables, AWS_REGION: REGION });
  expect(service.featureStore).toBe("keyspaces");
  expect(service.cassandra).toMatchObject({
    contactPoints: [`cassandra.${REGION}.amazonaws.com`],
    port: KEYSPACES_PORT,
    localDataCenter: REGION,
    keyspace,
    tls: true,
    sigV4: true,
  });
  expect(KEYSPACES_PORT).toBe(9142);
  expect(service.feastProject).toBe(manifest.project);
});

test("no Redis: no replication group, subnet group, auth secret or Redis security group", () => {
  const redisTypes = run.resources.filter(
    (r) =>
      r.type.startsWith("aws:elasticache/") ||
      r.type.startsWith("aws:secretsmanager/") ||
      r.type === "random:index/randomPassword:RandomPassword" ||
      (r.type === "aws:ec2/securityGroup:SecurityGroup" && r.name.endsWith("-redis")),
  );
  expect(redisTypes.map((r) => `${r.type} ${r.name}`)).toEqual([]);
  expect(run.outputs.redisEndpoint).toBeUndefined();
});
