// The configuration contract: parsing with clear errors, and the environment a deployment
// builds (`toEnvironment`) reading back as the same settings.
import { ConfigError, DEFAULTS, ENV, GRPC_PORT, loadConfig, toEnvironment } from "../../service/src/config";

describe("loadConfig", () => {
  it("runs on its embedded defaults with an empty environment", () => {
    const config = loadConfig({});
    expect(config).toEqual(DEFAULTS);
    expect(config.featureStore).toBe("embedded");
    expect(config.modelUri).toMatch(/^file:\/\/\/.+\/models\/fraud\/1\/$/);
  });

  it("lists every bad value with what is expected", () => {
    let error: unknown;
    try {
      loadConfig({ PORT: "80a", FEATURE_STORE: "dynamo", REDIS_TLS: "maybe", CASSANDRA_CONSISTENCY: "TWO" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'PORT "80a": expected an integer from 0 to 65535',
      'FEATURE_STORE "dynamo": expected one of embedded, redis, keyspaces, cassandra, dynamodb',
      'REDIS_TLS "maybe": expected true or false',
      'CASSANDRA_CONSISTENCY "TWO": expected one of ONE, LOCAL_ONE, LOCAL_QUORUM, QUORUM, ALL',
    ]);
  });

  it("refuses two sources for one secret", () => {
    expect(() => loadConfig({ REDIS_AUTH_TOKEN: "t", REDIS_AUTH_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:1:secret:x" })).toThrow(
      /set only one of REDIS_AUTH_TOKEN and REDIS_AUTH_SECRET_ARN/,
    );
  });
});

describe("API keys", () => {
  it("reads API_KEYS as a JSON object of key id → key", () => {
    const keys = { "team-a": "a".repeat(32), "team-b": "b".repeat(32) };
    expect(loadConfig({ API_KEYS: JSON.stringify(keys) }).apiKeys).toEqual(keys);
    expect(loadConfig({}).apiKeys).toBeUndefined();
  });

  it.each([
    ["not JSON", "team-a=secret", /API_KEYS: expected a JSON object of key id → key, got text that is not JSON/],
    ["an array", '["k"]', /API_KEYS: expected a non-empty JSON object/],
    ["an empty object", "{}", /API_KEYS: expected a non-empty JSON object/],
    ["a short key", '{"team-a": "short"}', /API_KEYS: key "team-a" must be a string of at least 16 characters/],
    ["an id unfit for a metric label", `{"team a": "${"k".repeat(20)}"}`, /API_KEYS: key id "team a" must be 1-64 letters/],
    ["one key under two ids", `{"a": "${"k".repeat(20)}", "b": "${"k".repeat(20)}"}`, /API_KEYS: key "b" repeats another id's key/],
  ])("refuses API_KEYS that is %s", (_name, value, message) => {
    expect(() => loadConfig({ API_KEYS: value })).toThrow(message);
  });

  it("refuses both API_KEYS and API_KEYS_SECRET_ARN", () => {
    expect(() => loadConfig({ API_KEYS: `{"a": "${"k".repeat(20)}"}`, API_KEYS_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:1:secret:k" })).toThrow(
      /set only one of API_KEYS and API_KEYS_SECRET_ARN/,
    );
  });
});

describe("toEnvironment", () => {
  it("round-trips a deployment's settings through the environment", () => {
    const settings = {
      modelUri: "s3://models-bucket/models/fraud/1/",
      featureStore: "redis" as const,
      awsRegion: "eu-west-1",
      modelCacheDir: "/tmp/models",
      redis: { host: "master.x.cache.amazonaws.com", port: 6379, tls: true, authSecretArn: "arn:aws:secretsmanager:eu-west-1:1:secret:redis" },
      apiKeysSecretArn: "arn:aws:secretsmanager:eu-west-1:1:secret:api-keys",
    };
    const env = toEnvironment(settings);
    expect(env[ENV.port]).toBe("8080");
    expect(Object.values(env).join(" ")).not.toMatch(/token/i);
    const config = loadConfig(env);
    expect(config).toMatchObject({
      modelUri: settings.modelUri,
      featureStore: "redis",
      awsRegion: "eu-west-1",
      modelCacheDir: "/tmp/models",
      apiKeysSecretArn: settings.apiKeysSecretArn,
      redis: { host: settings.redis.host, port: 6379, tls: true, authSecretArn: settings.redis.authSecretArn },
    });
  });

  it("serves gRPC only when the deployment routes it: no listener (nor its start-up cost) otherwise", () => {
    const base = { modelUri: "s3://models-bucket/models/fraud/1/", featureStore: "embedded" as const };
    expect(loadConfig(toEnvironment(base)).grpcPort).toBeUndefined();
    expect(loadConfig(toEnvironment({ ...base, grpc: false })).grpcPort).toBeUndefined();
    expect(loadConfig(toEnvironment({ ...base, grpc: true })).grpcPort).toBe(GRPC_PORT);
  });
});
