// What the running service may do in AWS, and nothing more: read its model version, read its
// feature tables, read the Redis auth token and the API keys. Every target attaches this one document.

export interface RuntimePolicyScope {
  partition: string;
  region: string;
  accountId: string;
  bucketArn: string;
  /** The model version's prefix, `models/<name>/<version>/`. */
  modelPrefix: string;
  keyspace?: string;
  keyspacesTables: string[];
  redisSecretArn?: string;
  /** The service's API keys (internet-facing stacks). */
  apiKeysSecretArn?: string;
  /** DynamoDB feature tables the service reads (GetItem/BatchGetItem only). */
  dynamodbTableArns?: string[];
}

interface Statement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string[]>>;
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: Statement[];
}

/** ARN of a Keyspaces table (the resource form IAM uses for `cassandra:*`). */
export function keyspacesTableArn(s: Pick<RuntimePolicyScope, "partition" | "region" | "accountId">, keyspace: string, table: string): string {
  return `arn:${s.partition}:cassandra:${s.region}:${s.accountId}:/keyspace/${keyspace}/table/${table}`;
}

/** The least-privilege runtime policy of the service. */
export function runtimePolicy(s: RuntimePolicyScope): PolicyDocument {
  const statements: Statement[] = [
    { Sid: "ReadModelVersion", Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${s.bucketArn}/${s.modelPrefix}*`] },
    {
      Sid: "ListModelVersion",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [s.bucketArn],
      Condition: { StringLike: { "s3:prefix": [`${s.modelPrefix}*`] } },
    },
  ];
  if (s.keyspace && s.keyspacesTables.length > 0) {
    statements.push({
      Sid: "ReadFeatureTables",
      Effect: "Allow",
      Action: ["cassandra:Select"],
      Resource: s.keyspacesTables.map((t) => keyspacesTableArn(s, s.keyspace as string, t)),
    });
    // The Cassandra driver reads system.local/system.peers and the schema tables to connect.
    statements.push({
      Sid: "ReadKeyspacesSystemTables",
      Effect: "Allow",
      Action: ["cassandra:Select"],
      Resource: [`arn:${s.partition}:cassandra:${s.region}:${s.accountId}:/keyspace/system*`],
    });
  }
  if (s.dynamodbTableArns && s.dynamodbTableArns.length > 0) {
    statements.push({ Sid: "ReadDynamoDBFeatureTables", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:BatchGetItem"], Resource: s.dynamodbTableArns });
  }
  if (s.redisSecretArn) {
    statements.push({ Sid: "ReadRedisAuthToken", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [s.redisSecretArn] });
  }
  if (s.apiKeysSecretArn) {
    statements.push({ Sid: "ReadApiKeys", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [s.apiKeysSecretArn] });
  }
  return { Version: "2012-10-17", Statement: statements };
}
