// The smallest serverless stack (stacks/Pulumi.lambda-dynamodb.yaml), the whole program with its
// real Lambda target: features in DynamoDB in Feast's layout, read by a function outside the VPC
// whose role may only GetItem/BatchGetItem those tables; no NAT, no Redis, no Keyspaces.
import * as path from "node:path";
import { loadConfig } from "../../service/src/config";
import { dynamoTableName, ENTITY_ID, EXPIRES_AT } from "../../service/src/features/dynamodb-layout";
import type { Manifest } from "../../service/src/model/manifest";
import { loadManifest } from "../../infra/model-package";
import { REGION } from "./mocks";
import { at, ofType, readProjectConfig, runStack, type Registered, type StackRun } from "./harness";

const STACK_FILE = "Pulumi.lambda-dynamodb.yaml";

interface Statement {
  Action: string | string[];
  Resource: string | string[];
}
const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

let run: StackRun;
let manifest: Manifest;
let tables: Registered[];

beforeAll(async () => {
  run = await runStack(STACK_FILE);
  manifest = loadManifest(path.join(run.modelsDir, "fraud", "1"));
  tables = ofType(run.resources, "aws:dynamodb/table:Table");
}, 120_000);

test("the stack file chooses DynamoDB for a Lambda target outside the VPC, with no NAT", () => {
  expect(readProjectConfig(STACK_FILE)).toMatchObject({ computeTarget: "lambda", featureStore: "dynamodb", natStrategy: "none", lambda: { vpc: false } });
  const [fn] = ofType(run.resources, "aws:lambda/function:Function");
  expect(fn).toBeDefined();
  expect(fn.inputs.vpcConfig).toBeUndefined();
  expect(ofType(run.resources, "aws:ec2/natGateway:NatGateway")).toEqual([]);
});

test("one on-demand, encrypted table per feature view in Feast's layout, with PITR and TTL on expires_at", () => {
  expect(manifest.featureViews.length).toBeGreaterThan(0);
  expect(tables.map((t) => t.inputs.name).sort()).toEqual(manifest.featureViews.map((v) => dynamoTableName(manifest.project, v.name)).sort());
  for (const t of tables) {
    expect(t.inputs).toMatchObject({
      hashKey: ENTITY_ID,
      attributes: [{ name: ENTITY_ID, type: "S" }],
      billingMode: "PAY_PER_REQUEST",
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      ttl: { attributeName: EXPIRES_AT, enabled: true },
    });
    expect(t.inputs.rangeKey).toBeUndefined();
  }
});

test("the function's runtime policy may only GetItem/BatchGetItem those tables", () => {
  const fnRole = ofType(run.resources, "aws:iam/role:Role").find((r) => r.name.endsWith("-fn"));
  const policies = ofType(run.resources, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.inputs.role === fnRole?.state.id);
  const statements = policies.flatMap((p) => (JSON.parse(String(p.inputs.policy)) as { Statement: Statement[] }).Statement);
  const dynamodb = statements.filter((s) => list(s.Action).some((a) => a.startsWith("dynamodb:")));
  expect(dynamodb.flatMap((s) => list(s.Action)).sort()).toEqual(["dynamodb:BatchGetItem", "dynamodb:GetItem"]);
  expect(dynamodb.flatMap((s) => list(s.Resource)).sort()).toEqual(tables.map((t) => String(t.state.arn)).sort());
  expect(statements.flatMap((s) => list(s.Action)).filter((a) => a.startsWith("cassandra:") || a.startsWith("secretsmanager:"))).toEqual([]);
});

test("the function reads DynamoDB per the service's own config parser, eventually consistent", () => {
  const variables = at(ofType(run.resources, "aws:lambda/function:Function")[0]?.inputs, "environment", "variables") as Record<string, string>;
  const service = loadConfig({ ...variables, AWS_REGION: REGION });
  expect(service.featureStore).toBe("dynamodb");
  expect(service.dynamodb).toEqual({ endpoint: undefined, consistentReads: false });
  expect(service.feastProject).toBe(manifest.project);
});

test("a DynamoDB gateway endpoint on the private route tables, and no Redis or Keyspaces", () => {
  const endpoints = ofType(run.resources, "aws:ec2/vpcEndpoint:VpcEndpoint").map((e) => e.inputs.serviceName);
  expect(endpoints).toContain(`com.amazonaws.${REGION}.dynamodb`);
  const others = run.resources.filter((r) => r.type.startsWith("aws:elasticache/") || r.type.startsWith("aws:keyspaces/"));
  expect(others.map((r) => r.type)).toEqual([]);
});
