// The whole program under mocks, for every stack file: it runs, wires the platform into the
// compute target, and exports the outputs a user pastes.
import { PORT, loadConfig } from "../../service/src/config";
import { KEYSPACES_PORT } from "../../infra/feature-stores";
import { runStack, stackFiles, readProjectConfig, type StackRun } from "./harness";

const runs = new Map<string, StackRun>();

beforeAll(async () => {
  // Real targets are tested in test/infra/compute; here the platform alone, with a recording fake.
  for (const file of stackFiles()) runs.set(file, await runStack(file, { fakeComputeTarget: true }));
}, 240_000);

describe.each(stackFiles())("%s", (file) => {
  const run = () => runs.get(file) as StackRun;

  test("registers the platform and hands the chosen target to createComputeTarget", () => {
    const r = run();
    expect(r.computeTarget?.kind).toBe(readProjectConfig(file).computeTarget);
    for (const component of ["Network", "ModelArtifacts", "ImageRepository", "FeatureStores", "LoadBalancer", "Observability"]) {
      expect(r.resources.some((x) => x.type.endsWith(`:${component}`))).toBe(true);
    }
    expect(r.unknownInvokes).toEqual([]);
  });

  test("exports the outputs a user pastes", () => {
    const o = run().outputs;
    expect(o.url).toMatch(/^https?:\/\/[a-z0-9.-]+$/);
    expect(o.bucket).toEqual(expect.any(String));
    expect(o.modelUri).toBe(`s3://${String(o.bucket)}/models/fraud/1/`);
    expect(o.repositoryUrl).toEqual(expect.any(String));
    expect(o.imageUri).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(o.computeTarget).toBe(readProjectConfig(file).computeTarget);
    // The store the service reads is the one whose endpoint is exported.
    const store = readProjectConfig(file).featureStore;
    expect(typeof o.redisEndpoint).toBe(store === "redis" ? "string" : "undefined");
    expect(typeof o.keyspace).toBe(store === "keyspaces" ? "string" : "undefined");
  });

  test("the service environment round-trips through the service's own loadConfig", () => {
    const env = run().computeTarget?.args.environment as Record<string, string>;
    const service = loadConfig(env);
    expect(service.port).toBe(PORT);
    expect(service.modelUri).toBe(run().outputs.modelUri);
    expect(service.featureStore).toBe(readProjectConfig(file).featureStore);
    if (service.featureStore === "redis") {
      expect(service.redis.tls).toBe(true);
      expect(service.redis.authSecretArn).toMatch(/^arn:aws:secretsmanager:/);
      expect(service.redis.authToken).toBeUndefined();
    } else if (service.featureStore === "dynamodb") {
      // The regional endpoint (no override), eventually consistent reads.
      expect(service.dynamodb).toEqual({ endpoint: undefined, consistentReads: false });
    } else {
      expect(service.cassandra).toMatchObject({ port: KEYSPACES_PORT, tls: true, sigV4: true, keyspace: run().outputs.keyspace });
    }
  });
});

test("the program refuses invalid config, listing every problem", async () => {
  const attempt = runStack("Pulumi.fargate.yaml", { fakeComputeTarget: true, overrides: { computeTarget: "ecs", fargate: { cpu: 256, memoryMb: 4096 } } });
  await expect(attempt).rejects.toThrow(/computeTarget: "ecs" is not one of lambda, fargate, ec2, eks\n.*fargate\.cpu: cpu 256 with memoryMb 4096/s);
});
