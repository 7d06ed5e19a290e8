// Security properties AWS would not check for us, asserted on what the program registers.
import { HEALTH_PATH, PORT } from "../../service/src/config";
import { ALB_NAME_MAX, AUTONAME_SUFFIX_LENGTH, targetGroupHealthCheck } from "../../infra/load-balancer";
import * as path from "node:path";
import { loadManifest } from "../../infra/model-package";
import { featureTableName } from "../../infra/config";
import { at, listAt, ofType, runStack, textAt, type Registered, type StackRun } from "./harness";

/** Pulumi's wire form of a secret: the value wrapped under the secret signature. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
function secretValue(x: unknown): unknown {
  expect(x).toEqual(expect.objectContaining({ "4dabf18193072939515e22adb298388d": SECRET_SIG }));
  return (x as { value: unknown }).value;
}

type Rule = Registered["inputs"];

let dev: StackRun;
let prod: StackRun;
let keyspaces: StackRun;

beforeAll(async () => {
  dev = await runStack("Pulumi.fargate.yaml", { fakeComputeTarget: true });
  prod = await runStack("Pulumi.fargate-prod.yaml", { fakeComputeTarget: true });
  keyspaces = await runStack("Pulumi.lambda.yaml", {
    fakeComputeTarget: true,
    overrides: { featureStore: "keyspaces", keyspaces: { pointInTimeRecovery: true }, modelBucketForceDestroy: true },
  });
}, 180_000);

const one = (run: StackRun, type: string): Registered => {
  const found = ofType(run.resources, type);
  expect(found).toHaveLength(1);
  return found[0] as Registered;
};
const sgId = (run: StackRun, suffix: string): string => {
  const sg = run.resources.find((r) => r.type === "aws:ec2/securityGroup:SecurityGroup" && r.name.endsWith(suffix));
  expect(sg).toBeDefined();
  return String(sg?.state.id);
};
const ingress = (run: StackRun): Rule[] => ofType(run.resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").map((r) => r.inputs);

describe("model bucket", () => {
  test("blocks every kind of public access", () => {
    expect(one(dev, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
  });
  test("is encrypted by default and versioned, with old versions expiring", () => {
    const sse = one(dev, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs;
    expect(at(sse, "rules", 0, "applyServerSideEncryptionByDefault", "sseAlgorithm")).toBe("AES256");
    expect(at(one(dev, "aws:s3/bucketVersioning:BucketVersioning").inputs, "versioningConfiguration", "status")).toBe("Enabled");
    const lifecycle = one(dev, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs;
    expect(at(lifecycle, "rules", 0, "noncurrentVersionExpiration", "noncurrentDays")).toBeGreaterThan(0);
  });
  test("refuses requests without TLS", () => {
    const policy = JSON.parse(textAt(one(dev, "aws:s3/bucketPolicy:BucketPolicy").inputs, "policy"));
    const bucketArn = String(one(dev, "aws:s3/bucket:Bucket").state.arn);
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    ]);
  });
  test("survives `pulumi destroy` while it holds objects, unless the stack opts into forceDestroy", () => {
    expect(one(dev, "aws:s3/bucket:Bucket").inputs.forceDestroy).toBe(false);
    expect(one(prod, "aws:s3/bucket:Bucket").inputs.forceDestroy).toBe(false);
    expect(one(keyspaces, "aws:s3/bucket:Bucket").inputs.forceDestroy).toBe(true);
  });
  test("holds every file of the model package under the version prefix", () => {
    const keys = ofType(dev.resources, "aws:s3/bucketObjectv2:BucketObjectv2").map((o) => o.inputs.key).sort();
    expect(keys).toContain("models/fraud/1/manifest.json");
    expect(keys).toContain("models/fraud/1/model.onnx");
  });
});

describe("Redis", () => {
  test("encrypts in transit and at rest and requires the generated auth token", () => {
    const rg = one(dev, "aws:elasticache/replicationGroup:ReplicationGroup").inputs;
    expect(rg).toMatchObject({ transitEncryptionEnabled: true, atRestEncryptionEnabled: true, engine: "redis", port: 6379 });
    expect(secretValue(rg.authToken)).toBe(one(dev, "random:index/randomPassword:RandomPassword").state.result);
  });
  test("keeps the token in Secrets Manager and hands the service only its ARN", () => {
    const version = one(dev, "aws:secretsmanager/secretVersion:SecretVersion").inputs;
    const token = String(one(dev, "random:index/randomPassword:RandomPassword").state.result);
    expect(secretValue(version.secretString)).toBe(token);
    const env = dev.computeTarget?.args.environment as Record<string, string>;
    expect(Object.values(env)).not.toContain(token);
    expect(env.REDIS_AUTH_SECRET_ARN).toBe(one(dev, "aws:secretsmanager/secret:Secret").state.arn);
  });
  test("admits only the compute security group, on 6379", () => {
    const redisSg = sgId(dev, "-redis");
    const rules = ingress(dev).filter((r) => r.securityGroupId === redisSg);
    expect(rules).toEqual([expect.objectContaining({ referencedSecurityGroupId: sgId(dev, "-compute"), fromPort: 6379, toPort: 6379, ipProtocol: "tcp" })]);
    expect(rules[0]?.cidrIpv4).toBeUndefined();
    expect(one(dev, "aws:elasticache/replicationGroup:ReplicationGroup").inputs.securityGroupIds).toEqual([redisSg]);
  });
  test("the production stack is multi-AZ with a replica", () => {
    expect(one(prod, "aws:elasticache/replicationGroup:ReplicationGroup").inputs).toMatchObject({
      multiAzEnabled: true,
      automaticFailoverEnabled: true,
      numCacheClusters: 2,
    });
  });
});

describe("network exposure", () => {
  test.each([["dev", () => dev], ["prod", () => prod]])("%s: nothing but 80/443 is open to the internet", (_, run) => {
    const open = ingress(run()).filter((r) => r.cidrIpv4 === "0.0.0.0/0" || r.cidrIpv6 === "::/0");
    expect(open.map((r) => [r.fromPort, r.toPort]).sort()).toEqual([[443, 443], [80, 80]]);
    for (const sg of ofType(run().resources, "aws:ec2/securityGroup:SecurityGroup")) {
      expect(sg.inputs.ingress ?? []).toEqual([]);
    }
  });
  test("compute admits only the ALB, on the service port", () => {
    const rules = ingress(dev).filter((r) => r.securityGroupId === sgId(dev, "-compute"));
    expect(rules).toEqual([expect.objectContaining({ referencedSecurityGroupId: sgId(dev, "-alb"), fromPort: PORT, toPort: PORT })]);
  });
  test("the ALB is internet-facing in the public subnets of at least 2 AZs, in its own group", () => {
    const alb = one(dev, "aws:lb/loadBalancer:LoadBalancer").inputs;
    expect(alb.internal).toBe(false);
    expect(listAt(alb, "subnets").length).toBeGreaterThanOrEqual(2);
    expect(listAt(alb, "subnets").every((s) => textAt(s).includes("public"))).toBe(true);
    expect(alb.securityGroups).toEqual([sgId(dev, "-alb")]);
    expect(one(prod, "aws:lb/loadBalancer:LoadBalancer").inputs.subnets).toHaveLength(3);
  });
  test("ALB and target group names fit AWS's 32 characters with Pulumi's suffix", () => {
    for (const run of [dev, prod]) {
      for (const r of [...ofType(run.resources, "aws:lb/loadBalancer:LoadBalancer"), ...ofType(run.resources, "aws:lb/targetGroup:TargetGroup")]) {
        expect(String(r.inputs.name ?? r.name).length + (r.inputs.name ? 0 : AUTONAME_SUFFIX_LENGTH)).toBeLessThanOrEqual(ALB_NAME_MAX);
      }
    }
  });
  test("NAT follows config and S3 is reached through a gateway endpoint on the private route tables", () => {
    expect(one(dev, "awsx:ec2:Vpc").inputs).toMatchObject({ natGateways: { strategy: "Single" }, subnetStrategy: "Auto", numberOfAvailabilityZones: 2 });
    expect(one(prod, "awsx:ec2:Vpc").inputs).toMatchObject({ natGateways: { strategy: "OnePerAz" }, numberOfAvailabilityZones: 3 });
    const endpoint = one(dev, "aws:ec2/vpcEndpoint:VpcEndpoint").inputs;
    const privateSubnets = one(dev, "awsx:ec2:Vpc").state.privateSubnetIds as string[];
    expect(endpoint).toMatchObject({ serviceName: "com.amazonaws.us-east-1.s3", vpcEndpointType: "Gateway" });
    expect(endpoint.routeTableIds).toEqual(privateSubnets.map((s) => `rtb-${s}`));
  });
});

describe("listeners", () => {
  test("without a certificate: HTTP serving a 503 until a target adds its rule", () => {
    const listener = one(dev, "aws:lb/listener:Listener").inputs;
    expect(listener).toMatchObject({ port: 80, protocol: "HTTP" });
    expect(at(listener, "defaultActions", 0)).toMatchObject({ type: "fixed-response", fixedResponse: { statusCode: "503" } });
    expect(dev.computeTarget?.args.listenerArn).toBe(one(dev, "aws:lb/listener:Listener").state.arn);
  });
  test("with a certificate: HTTPS serves, HTTP redirects to it", () => {
    const listeners = ofType(prod.resources, "aws:lb/listener:Listener");
    const https = listeners.find((l) => l.inputs.port === 443) as Registered;
    const http = listeners.find((l) => l.inputs.port === 80) as Registered;
    expect(https.inputs).toMatchObject({ protocol: "HTTPS", certificateArn: expect.stringMatching(/^arn:aws:acm:/) });
    expect(at(http.inputs, "defaultActions", 0)).toMatchObject({ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } });
    expect(prod.computeTarget?.args.listenerArn).toBe(https.state.arn);
    expect(prod.outputs.url).toBe("https://ml.example.com");
  });
  test("target groups check the service's health path", () => {
    expect(targetGroupHealthCheck().path).toBe(HEALTH_PATH);
  });
});

describe("observability", () => {
  test("every log group has a retention CloudWatch accepts, from config", () => {
    for (const [run, days] of [[dev, 30], [prod, 90]] as const) {
      const groups = ofType(run.resources, "aws:cloudwatch/logGroup:LogGroup");
      expect(groups.length).toBeGreaterThan(0);
      for (const g of groups) expect(g.inputs.retentionInDays).toBe(days);
      expect(run.computeTarget?.args.logGroupName).toBe(groups[0]?.state.name);
    }
  });
  test("alarms watch ALB 5xx and p99 target response time of this ALB", () => {
    const alarms = ofType(dev.resources, "aws:cloudwatch/metricAlarm:MetricAlarm").map((a) => a.inputs);
    const suffix = one(dev, "aws:lb/loadBalancer:LoadBalancer").state.arnSuffix;
    expect(alarms.map((a) => a.metricName).sort()).toEqual(["HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count", "TargetResponseTime"]);
    expect(alarms.find((a) => a.metricName === "TargetResponseTime")?.extendedStatistic).toBe("p99");
    for (const a of alarms) expect(a.dimensions).toEqual({ LoadBalancer: suffix });
  });
});

describe("runtime policy handed to the target", () => {
  const policy = (run: StackRun) => JSON.parse(String(run.computeTarget?.args.runtimePolicyJson));
  test("reads only the model prefix and the Redis secret", () => {
    const bucketArn = String(one(dev, "aws:s3/bucket:Bucket").state.arn);
    const statements = policy(dev).Statement;
    expect(statements).toEqual([
      expect.objectContaining({ Action: ["s3:GetObject"], Resource: [`${bucketArn}/models/fraud/1/*`] }),
      expect.objectContaining({ Action: ["s3:ListBucket"], Resource: [bucketArn], Condition: { StringLike: { "s3:prefix": ["models/fraud/1/*"] } } }),
      expect.objectContaining({ Action: ["secretsmanager:GetSecretValue"], Resource: [one(dev, "aws:secretsmanager/secret:Secret").state.arn] }),
    ]);
  });
  test("with Keyspaces: select on exactly the feature tables created", () => {
    const tables = ofType(keyspaces.resources, "aws:keyspaces/table:Table");
    const select = policy(keyspaces).Statement.find((s: { Sid: string }) => s.Sid === "ReadFeatureTables");
    expect(select.Action).toEqual(["cassandra:Select"]);
    expect([...select.Resource].sort()).toEqual(tables.map((t) => t.state.arn).sort());
    expect(policy(keyspaces).Statement.some((s: { Action: string[] }) => s.Action.includes("secretsmanager:GetSecretValue"))).toBe(false);
  });
});

describe("Keyspaces", () => {
  test("one on-demand table per feature view in Feast's layout, PITR from config", () => {
    const tables = ofType(keyspaces.resources, "aws:keyspaces/table:Table").map((t) => t.inputs);
    const manifest = loadManifest(path.join(keyspaces.modelsDir, "fraud", "1"));
    expect(manifest.featureViews.length).toBeGreaterThan(0);
    expect(tables.map((t) => t.tableName).sort()).toEqual(manifest.featureViews.map((v) => featureTableName(manifest, v.name)).sort());
    for (const t of tables) {
      expect(t.capacitySpecification).toEqual({ throughputMode: "PAY_PER_REQUEST" });
      expect(t.pointInTimeRecovery).toEqual({ status: "ENABLED" });
      // `materialize --ttl` writes USING TTL, which Keyspaces accepts only on tables with TTL enabled.
      expect(t.ttl).toEqual({ status: "ENABLED" });
      expect(at(t, "schemaDefinition", "partitionKeys")).toEqual([{ name: "entity_key" }]);
      expect(at(t, "schemaDefinition", "clusteringKeys")).toEqual([{ name: "feature_name", orderBy: "ASC" }]);
      expect(at(t, "schemaDefinition", "columns")).toEqual([
        { name: "entity_key", type: "text" },
        { name: "feature_name", type: "text" },
        { name: "value", type: "blob" },
        { name: "event_ts", type: "timestamp" },
        { name: "created_ts", type: "timestamp" },
      ]);
    }
    expect(ofType(keyspaces.resources, "aws:elasticache/replicationGroup:ReplicationGroup")).toEqual([]);
  });
  test("the service reads Keyspaces over TLS with SigV4", () => {
    const env = keyspaces.computeTarget?.args.environment as Record<string, string>;
    expect(env).toMatchObject({
      FEATURE_STORE: "keyspaces",
      CASSANDRA_CONTACT_POINTS: "cassandra.us-east-1.amazonaws.com",
      CASSANDRA_PORT: "9142",
      CASSANDRA_TLS: "true",
      CASSANDRA_SIGV4: "true",
      CASSANDRA_KEYSPACE: String(one(keyspaces, "aws:keyspaces/keyspace:Keyspace").state.name),
    });
  });
});
