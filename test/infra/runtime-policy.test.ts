// The runtime policy document, built by a pure function: exactly the model prefix, the feature
// tables and the Redis secret, nothing else.
import { keyspacesTableArn, runtimePolicy, type RuntimePolicyScope } from "../../infra/runtime-policy";

const scope: RuntimePolicyScope = {
  partition: "aws",
  region: "eu-west-1",
  accountId: "111122223333",
  bucketArn: "arn:aws:s3:::models-bucket",
  modelPrefix: "models/fraud/3/",
  keyspacesTables: [],
};

test("without feature stores: read the model version, list only its prefix", () => {
  expect(runtimePolicy(scope)).toEqual({
    Version: "2012-10-17",
    Statement: [
      { Sid: "ReadModelVersion", Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::models-bucket/models/fraud/3/*"] },
      {
        Sid: "ListModelVersion",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: ["arn:aws:s3:::models-bucket"],
        Condition: { StringLike: { "s3:prefix": ["models/fraud/3/*"] } },
      },
    ],
  });
});

test("with Redis: GetSecretValue on that one secret", () => {
  const secret = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis-auth-AbCdEf";
  const doc = runtimePolicy({ ...scope, redisSecretArn: secret });
  expect(doc.Statement.at(-1)).toEqual({ Sid: "ReadRedisAuthToken", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [secret] });
});

test("with Keyspaces: Select on exactly the named tables, plus the system tables the driver reads", () => {
  const doc = runtimePolicy({ ...scope, keyspace: "prod", keyspacesTables: ["fraud_user_stats", "fraud_user_risk"] });
  expect(doc.Statement.slice(2)).toEqual([
    {
      Sid: "ReadFeatureTables",
      Effect: "Allow",
      Action: ["cassandra:Select"],
      Resource: [
        "arn:aws:cassandra:eu-west-1:111122223333:/keyspace/prod/table/fraud_user_stats",
        "arn:aws:cassandra:eu-west-1:111122223333:/keyspace/prod/table/fraud_user_risk",
      ],
    },
    { Sid: "ReadKeyspacesSystemTables", Effect: "Allow", Action: ["cassandra:Select"], Resource: ["arn:aws:cassandra:eu-west-1:111122223333:/keyspace/system*"] },
  ]);
});

test("no statement grants a wildcard action, writes, or a resource outside the scope", () => {
  const doc = runtimePolicy({ ...scope, keyspace: "prod", keyspacesTables: ["t"], redisSecretArn: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:x" });
  const actions = doc.Statement.flatMap((s) => s.Action);
  expect(actions.every((a) => ["s3:GetObject", "s3:ListBucket", "cassandra:Select", "secretsmanager:GetSecretValue"].includes(a))).toBe(true);
  expect(doc.Statement.flatMap((s) => s.Resource).some((r) => r === "*" || r === "arn:aws:s3:::models-bucket/*")).toBe(false);
  expect(doc.Statement.every((s) => s.Effect === "Allow")).toBe(true);
});

test("table ARNs use the partition (GovCloud, China)", () => {
  expect(keyspacesTableArn({ partition: "aws-us-gov", region: "us-gov-west-1", accountId: "1" }, "k", "t")).toBe(
    "arn:aws-us-gov:cassandra:us-gov-west-1:1:/keyspace/k/table/t",
  );
});
