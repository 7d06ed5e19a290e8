// The online feature stores a model reads: ElastiCache Redis and/or Amazon Keyspaces, in Feast's
// layouts (DESIGN.md), so `feast materialize` and our materializer fill what the service reads.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as random from "@pulumi/random";
import type { Manifest } from "../service/src/model/manifest";
import { featureTableName, type KeyspacesSettings, type RedisSettings } from "./config";

export const REDIS_PORT = 6379;
/** Amazon Keyspaces speaks CQL over TLS on this port only. */
export const KEYSPACES_PORT = 9142;

export interface FeatureStoresArgs {
  manifest: Manifest;
  vpcId: pulumi.Input<string>;
  privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The only security group Redis admits. */
  computeSecurityGroupId: pulumi.Input<string>;
  /** Undefined: no Redis. */
  redis?: RedisSettings;
  /** Undefined: no Keyspaces. */
  keyspaces?: KeyspacesSettings;
  tags?: Record<string, string>;
}

/** A Keyspaces keyspace name (letters, digits, _; starts with a letter; ≤ 48) from a resource name. */
export function keyspaceName(name: string): string {
  const cleaned = name.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  return (/^[a-z]/.test(cleaned) ? cleaned : `ks_${cleaned}`).slice(0, 48);
}

/** Feast's Cassandra online-store table: one row per (entity, feature). */
export const FEAST_TABLE_SCHEMA: aws.types.input.keyspaces.TableSchemaDefinition = {
  columns: [
    { name: "entity_key", type: "text" },
    { name: "feature_name", type: "text" },
    { name: "value", type: "blob" },
    { name: "event_ts", type: "timestamp" },
    { name: "created_ts", type: "timestamp" },
  ],
  partitionKeys: [{ name: "entity_key" }],
  clusteringKeys: [{ name: "feature_name", orderBy: "ASC" }],
};

export class FeatureStores extends pulumi.ComponentResource {
  readonly redisEndpoint?: pulumi.Output<string>;
  readonly redisPort?: number;
  /** Secrets Manager secret holding the Redis auth token (the service reads it at start-up). */
  readonly redisAuthSecretArn?: pulumi.Output<string>;
  readonly redisSecurityGroupId?: pulumi.Output<string>;
  readonly keyspace?: pulumi.Output<string>;
  /** One table per feature view of the manifest. */
  readonly keyspacesTableArns: pulumi.Output<string>[] = [];
  readonly keyspacesTableNames: string[] = [];

  constructor(name: string, args: FeatureStoresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-blueprint:features:FeatureStores", name, {}, opts);
    const parent = { parent: this };
    if (args.redis) {
      const redis = args.redis;
      const securityGroup = new aws.ec2.SecurityGroup(
        `${name}-redis`,
        { vpcId: args.vpcId, description: "Redis: from the compute security group only", tags: args.tags },
        parent,
      );
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-redis-from-compute`,
        {
          securityGroupId: securityGroup.id,
          referencedSecurityGroupId: args.computeSecurityGroupId,
          ipProtocol: "tcp",
          fromPort: REDIS_PORT,
          toPort: REDIS_PORT,
          description: "Redis from the service",
        },
        parent,
      );
      const subnetGroup = new aws.elasticache.SubnetGroup(
        `${name}-redis`,
        { subnetIds: args.privateSubnetIds, description: "Redis in the private subnets", tags: args.tags },
        parent,
      );
      // ElastiCache accepts printable ASCII except / " @ and space; alphanumerics avoid all of them.
      const authToken = new random.RandomPassword(`${name}-redis-auth`, { length: 64, special: false }, parent);
      const secret = new aws.secretsmanager.Secret(
        `${name}-redis-auth`,
        { description: "Redis AUTH token for the inference service", tags: args.tags },
        parent,
      );
      new aws.secretsmanager.SecretVersion(`${name}-redis-auth`, { secretId: secret.id, secretString: authToken.result }, parent);
      const group = new aws.elasticache.ReplicationGroup(
        `${name}-redis`,
        {
          description: "Online features (Feast Redis layout)",
          engine: "redis",
          engineVersion: redis.engineVersion,
          nodeType: redis.nodeType,
          numCacheClusters: 1 + redis.replicas,
          automaticFailoverEnabled: redis.multiAz,
          multiAzEnabled: redis.multiAz,
          port: REDIS_PORT,
          subnetGroupName: subnetGroup.name,
          securityGroupIds: [securityGroup.id],
          transitEncryptionEnabled: true,
          atRestEncryptionEnabled: true,
          authToken: authToken.result,
          tags: args.tags,
        },
        parent,
      );
      this.redisEndpoint = group.primaryEndpointAddress;
      this.redisPort = REDIS_PORT;
      this.redisAuthSecretArn = secret.arn;
      this.redisSecurityGroupId = securityGroup.id;
    }

    if (args.keyspaces) {
      const keyspace = new aws.keyspaces.Keyspace(`${name}-keyspace`, { name: keyspaceName(name), tags: args.tags }, parent);
      for (const view of args.manifest.featureViews) {
        const tableName = featureTableName(args.manifest, view.name);
        const table = new aws.keyspaces.Table(
          `${name}-${tableName}`,
          {
            keyspaceName: keyspace.name,
            tableName,
            schemaDefinition: FEAST_TABLE_SCHEMA,
            // On-demand: pay per read, nothing while idle; the traffic of one model is spiky.
            capacitySpecification: { throughputMode: "PAY_PER_REQUEST" },
            pointInTimeRecovery: { status: args.keyspaces.pointInTimeRecovery ? "ENABLED" : "DISABLED" },
            // `materialize --ttl` writes USING TTL, which Keyspaces refuses on a table without TTL enabled.
            ttl: { status: "ENABLED" },
            tags: args.tags,
          },
          parent,
        );
        this.keyspacesTableArns.push(table.arn);
        this.keyspacesTableNames.push(tableName);
      }
      this.keyspace = keyspace.name;
    }
    this.registerOutputs({ redisEndpoint: this.redisEndpoint, keyspace: this.keyspace });
  }
}
