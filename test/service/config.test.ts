// The configuration contract: parsing with clear errors, and the environment a deployment
// builds (`toEnvironment`) reading back as the same settings.
import { ConfigError, DEFAULTS, ENV, loadConfig, toEnvironment } from "../../service/src/config";

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
      'FEATURE_STORE "dynamo": expected one of embedded, redis, keyspaces, cassandra',
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

describe("toEnvironment", () => {
  it("round-trips a deployment's settings through the environment", () => {
    const settings = {
      modelUri: "s3://models-bucket/models/fraud/1/",
      featureStore: "redis" as const,
      awsRegion: "eu-west-1",
      modelCacheDir: "/tmp/models",
      redis: { host: "master.x.cache.amazonaws.com", port: 6379, tls: true, authSecretArn: "arn:aws:secretsmanager:eu-west-1:1:secret:redis" },
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
      redis: { host: settings.redis.host, port: 6379, tls: true, authSecretArn: settings.redis.authSecretArn },
    });
  });
});
