// The service's configuration contract: every environment variable, its default, parsing and
// validation live here, once. The Pulumi program imports this module to build the
// container/Lambda environment (`toEnvironment`) and the health-check paths, so renaming a
// variable breaks type-checking instead of a deployment.
import * as path from "node:path";
import * as os from "node:os";

/** The port every target routes to: ALB target groups, ECS port mappings, Kubernetes Services. */
export const PORT = 8080;
/**
 * The admin listener: /metrics, /openapi.json, /get-online-features and detailed status. Load
 * balancers never forward to it; only callers inside the VPC (scrapers, operators) reach it.
 */
export const ADMIN_PORT = 9090;
/** OIP v2 over gRPC (`inference.GRPCInferenceService`). */
export const GRPC_PORT = 8081;
/** The inference routes a public load balancer forwards (ALB path patterns); nothing else is public. */
export const PUBLIC_PATH_PATTERNS = ["/v1/models/*", "/v2", "/v2/*"] as const;
/**
 * V8 options the image sets (`ENV NODE_OPTIONS` in service/Dockerfile; test/infra/dockerfile.test.ts
 * checks they agree). Without them V8 sizes its young generation from the memory it sees: 1 MB
 * semi-spaces in the 256–512 MB containers the ECS and EKS stacks run (garbage collection then cost
 * ~4× the time per prediction: 85–114 vs 24–26 µs measured under load in a 256 MB cgroup), 64 MB on a large host
 * (~290 MB warm RSS instead of ~220). 16 MB is where the scavenge cost stops falling. A deployment's
 * own NODE_OPTIONS replaces these. On Lambda they apply unless the runtime's bootstrap passes heap
 * flags of its own on the command line (AWS's Node bootstraps have sized them from the function's memory).
 */
export const IMAGE_NODE_OPTIONS = "--max-semi-space-size=16";
/**
 * The least memory (MB) a container or function running the service gets; the stack config refuses
 * less. Node, onnxruntime and the service's pages take ~130 MB before the first request and ~170 MB
 * under load; measured with the example model in a memory cgroup, page cache charged to it: 256 MB
 * served at full speed, 160 MB at half of it, 128 MB ~120 predictions/s at a 1 s p99 (paging).
 */
export const MIN_MEMORY_MB = 256;
/** Liveness: the process is worth keeping (fails once model loading gave up; see routes/health.ts). */
export const HEALTH_PATH = "/healthz";
/** Readiness: the service can answer predictions now (model loaded; store up, or down with defaults allowed). */
export const READY_PATH = "/readyz";

export const FEATURE_STORE_KINDS = ["embedded", "redis", "keyspaces", "cassandra", "dynamodb"] as const;
export type FeatureStoreKind = (typeof FEATURE_STORE_KINDS)[number];

export const CONSISTENCY_LEVELS = ["ONE", "LOCAL_ONE", "LOCAL_QUORUM", "QUORUM", "ALL"] as const;
export type ConsistencyLevel = (typeof CONSISTENCY_LEVELS)[number];

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Environment variable names, keyed by the config field they fill. */
export const ENV = {
  port: "PORT",
  host: "HOST",
  logLevel: "LOG_LEVEL",
  modelUri: "MODEL_URI",
  modelCacheDir: "MODEL_CACHE_DIR",
  modelLoadTimeoutMs: "MODEL_LOAD_TIMEOUT_MS",
  awsRegion: "AWS_REGION",
  s3Endpoint: "S3_ENDPOINT",
  s3ForcePathStyle: "S3_FORCE_PATH_STYLE",
  featureStore: "FEATURE_STORE",
  feastProject: "FEAST_PROJECT",
  embeddedFeaturesPath: "EMBEDDED_FEATURES_PATH",
  featureTimeoutMs: "FEATURE_TIMEOUT_MS",
  redisHost: "REDIS_HOST",
  redisPort: "REDIS_PORT",
  redisTls: "REDIS_TLS",
  redisUsername: "REDIS_USERNAME",
  redisAuthToken: "REDIS_AUTH_TOKEN",
  redisAuthSecretArn: "REDIS_AUTH_SECRET_ARN",
  redisConnectTimeoutMs: "REDIS_CONNECT_TIMEOUT_MS",
  cassandraContactPoints: "CASSANDRA_CONTACT_POINTS",
  cassandraPort: "CASSANDRA_PORT",
  cassandraLocalDc: "CASSANDRA_LOCAL_DC",
  cassandraKeyspace: "CASSANDRA_KEYSPACE",
  cassandraConsistency: "CASSANDRA_CONSISTENCY",
  cassandraTls: "CASSANDRA_TLS",
  cassandraCaPath: "CASSANDRA_CA_PATH",
  cassandraUsername: "CASSANDRA_USERNAME",
  cassandraPassword: "CASSANDRA_PASSWORD",
  cassandraSigV4: "CASSANDRA_SIGV4",
  cassandraConnectTimeoutMs: "CASSANDRA_CONNECT_TIMEOUT_MS",
  /** DynamoDB endpoint override (DynamoDB Local, moto, a VPC interface endpoint); unset = the regional endpoint. */
  dynamodbEndpoint: "DYNAMODB_ENDPOINT",
  dynamodbConsistentReads: "DYNAMODB_CONSISTENT_READS",
  batchMaxSize: "BATCH_MAX_SIZE",
  batchWindowUs: "BATCH_WINDOW_US",
  bodyLimitBytes: "BODY_LIMIT_BYTES",
  shutdownGraceMs: "SHUTDOWN_GRACE_MS",
  requestTimeoutMs: "REQUEST_TIMEOUT_MS",
  headersTimeoutMs: "HEADERS_TIMEOUT_MS",
  keepAliveTimeoutMs: "KEEP_ALIVE_TIMEOUT_MS",
  maxConnections: "MAX_CONNECTIONS",
  adminPort: "ADMIN_PORT",
  /** API keys as a JSON object of key id → key (local use); the same shape as the secret below. */
  apiKeys: "API_KEYS",
  /** Secrets Manager secret whose SecretString is a JSON object of key id → key; re-read periodically. */
  apiKeysSecretArn: "API_KEYS_SECRET_ARN",
  grpcPort: "GRPC_PORT",
  grpcSocket: "GRPC_SOCKET",
} as const;

export interface ServiceConfig {
  port: number;
  host: string;
  logLevel: LogLevel;
  /** `file:///abs/path/` or `s3://bucket/prefix/` pointing at one model version folder. */
  modelUri: string;
  /** Where S3 downloads are cached, so a warm Lambda or restarted container does not fetch again. */
  modelCacheDir: string;
  /**
   * How long model loading retries transient failures (S3 or Secrets Manager unreachable) before
   * it gives up and liveness fails. Health-check grace periods of every target must exceed it.
   */
  modelLoadTimeoutMs: number;
  awsRegion: string | undefined;
  /** Override for S3-compatible servers (tests, MinIO). */
  s3Endpoint: string | undefined;
  s3ForcePathStyle: boolean;
  featureStore: FeatureStoreKind;
  /** Feast project name; defaults to the manifest's. */
  feastProject: string | undefined;
  /** Offline Parquet file the embedded store loads; defaults to the model package's sample. */
  embeddedFeaturesPath: string;
  /** Per-request deadline for the online feature fetch. */
  featureTimeoutMs: number;
  redis: {
    host: string;
    port: number;
    tls: boolean;
    username: string | undefined;
    authToken: string | undefined;
    /** Secrets Manager ARN holding the auth token; fetched once at start-up (Lambda has no secret injection). */
    authSecretArn: string | undefined;
    connectTimeoutMs: number;
  };
  cassandra: {
    contactPoints: string[];
    port: number;
    localDataCenter: string;
    keyspace: string;
    consistency: ConsistencyLevel;
    tls: boolean;
    caPath: string | undefined;
    username: string | undefined;
    password: string | undefined;
    /** Amazon Keyspaces: authenticate with SigV4 from the AWS credential chain. */
    sigV4: boolean;
    connectTimeoutMs: number;
  };
  /** DynamoDB in Feast's layout; region and credentials come from the AWS SDK's standard chain. */
  dynamodb: {
    endpoint: string | undefined;
    /** Strongly consistent reads cost twice the read units; eventually consistent is Feast's default. */
    consistentReads: boolean;
  };
  /** Micro-batching: at most this many rows per model run. */
  batchMaxSize: number;
  /** Micro-batching: how long the first request of a batch waits for company (0 = no waiting). */
  batchWindowUs: number;
  bodyLimitBytes: number;
  /** SIGTERM: how long in-flight requests may drain before the process exits anyway. */
  shutdownGraceMs: number;
  /** API keys by key id, for local use; auth is off when neither this nor the secret is set. */
  apiKeys: Record<string, string> | undefined;
  /** Secrets Manager secret holding the API keys (the same JSON object); re-read periodically. */
  apiKeysSecretArn: string | undefined;
  /** The whole request (headers and body) must arrive within this; below the ALB idle timeout, so the client gets our 408, not the ALB's 504. */
  requestTimeoutMs: number;
  /** The request line and headers must arrive within this (a silent new connection is closed after it). */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this; above the ALB idle timeout, so the ALB closes first and never reuses a connection we are closing. */
  keepAliveTimeoutMs: number;
  /** Open connections per listener; a connection beyond it gets one 503 with `connection: close`. */
  maxConnections: number;
  /** The admin listener (metrics, OpenAPI, feature server, status); 0 asks the OS for a free port. */
  adminPort: number;
  /** OIP v2 gRPC on TCP (`GRPC_PORT`, "off" disables it; 0 = a free port, the default when PORT is 0). */
  grpcPort: number | undefined;
  /** OIP v2 gRPC on a Unix domain socket too, for a caller on the same host or in the same pod. */
  grpcSocket: string | undefined;
}

/** Repository root when running from a checkout (service/src or service/dist are two levels down). */
const repoRoot = path.resolve(__dirname, "..", "..");
export const EXAMPLE_MODEL_DIR = path.join(repoRoot, "models", "fraud", "1");

export const DEFAULTS: ServiceConfig = {
  port: PORT,
  host: "0.0.0.0",
  logLevel: "info",
  modelUri: `file://${EXAMPLE_MODEL_DIR}/`,
  modelCacheDir: path.join(os.tmpdir(), "inference-blueprint", "models"),
  modelLoadTimeoutMs: 60_000,
  awsRegion: undefined,
  s3Endpoint: undefined,
  s3ForcePathStyle: false,
  featureStore: "embedded",
  feastProject: undefined,
  embeddedFeaturesPath: path.join(EXAMPLE_MODEL_DIR, "..", "features.parquet"),
  featureTimeoutMs: 50,
  redis: {
    host: "127.0.0.1",
    port: 6379,
    tls: false,
    username: undefined,
    authToken: undefined,
    authSecretArn: undefined,
    connectTimeoutMs: 1000,
  },
  cassandra: {
    contactPoints: ["127.0.0.1"],
    port: 9042,
    localDataCenter: "datacenter1",
    keyspace: "feast",
    consistency: "LOCAL_QUORUM",
    tls: false,
    caPath: undefined,
    username: undefined,
    password: undefined,
    sigV4: false,
    connectTimeoutMs: 2000,
  },
  dynamodb: {
    endpoint: undefined,
    consistentReads: false,
  },
  batchMaxSize: 32,
  batchWindowUs: 0,
  bodyLimitBytes: 1024 * 1024,
  shutdownGraceMs: 10_000,
  apiKeys: undefined,
  apiKeysSecretArn: undefined,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 1024,
  adminPort: ADMIN_PORT,
  grpcPort: GRPC_PORT,
  grpcSocket: undefined,
};

/** Shortest API key accepted: a guessable key is no key. */
export const MIN_API_KEY_LENGTH = 16;

/**
 * Parses API keys: a JSON object of key id → key (`API_KEYS`, or the secret's SecretString).
 * Key ids appear in logs and as a metric label, so they are short names; keys are distinct.
 */
export function parseApiKeys(text: string, source: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${source}: expected a JSON object of key id → key, got text that is not JSON`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed) || Object.keys(parsed).length === 0) {
    throw new Error(`${source}: expected a non-empty JSON object of key id → key, e.g. {"team-a": "<random key>"}`);
  }
  const seen = new Set<string>();
  for (const [id, key] of Object.entries(parsed)) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(id)) throw new Error(`${source}: key id "${id.slice(0, 64)}" must be 1-64 letters, digits, "_", "." or "-"`);
    if (typeof key !== "string" || key.length < MIN_API_KEY_LENGTH) {
      throw new Error(`${source}: key "${id}" must be a string of at least ${MIN_API_KEY_LENGTH} characters`);
    }
    if (seen.has(key)) throw new Error(`${source}: key "${id}" repeats another id's key; give each id its own key`);
    seen.add(key);
  }
  return parsed as Record<string, string>;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid service configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  }
  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }
  optional(name: string, fallback: string | undefined): string | undefined {
    return this.raw(name) ?? fallback;
  }
  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name} "${v}": expected an integer from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }
  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const lower = v.toLowerCase();
    if (["1", "true", "yes", "on"].includes(lower)) return true;
    if (["0", "false", "no", "off"].includes(lower)) return false;
    this.problems.push(`${name} "${v}": expected true or false`);
    return fallback;
  }
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.problems.push(`${name} "${v}": expected one of ${allowed.join(", ")}`);
    return fallback;
  }
}

/** `MODEL_URI` must be a file:// or s3:// URI naming a folder; returns a message when it is not. */
export function modelUriProblem(uri: string): string | undefined {
  if (/^file:\/\/\/./.test(uri)) return undefined;
  if (/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(uri)) return undefined;
  return `${ENV.modelUri} "${uri}" is not a file:///absolute/path/ or s3://bucket/prefix/ URI`;
}

/** Parses and validates the environment; throws one ConfigError listing every problem. */
export function loadConfig(env: Env = process.env): ServiceConfig {
  const r = new Reader(env);
  const d = DEFAULTS;
  // A bad MODEL_URI is not fatal here: the service starts alive-but-not-ready and says why.
  const modelUri = r.string(ENV.modelUri, d.modelUri);

  const config: ServiceConfig = {
    // 0 asks the OS for a free port (tests, benchmarks).
    port: r.int(ENV.port, d.port, 0, 65535),
    host: r.string(ENV.host, d.host),
    logLevel: r.oneOf(ENV.logLevel, LOG_LEVELS, d.logLevel),
    modelUri,
    modelCacheDir: r.string(ENV.modelCacheDir, d.modelCacheDir),
    modelLoadTimeoutMs: r.int(ENV.modelLoadTimeoutMs, d.modelLoadTimeoutMs, 0, 900_000),
    awsRegion: r.optional(ENV.awsRegion, env.AWS_DEFAULT_REGION),
    s3Endpoint: r.optional(ENV.s3Endpoint, d.s3Endpoint),
    s3ForcePathStyle: r.bool(ENV.s3ForcePathStyle, d.s3ForcePathStyle),
    featureStore: r.oneOf(ENV.featureStore, FEATURE_STORE_KINDS, d.featureStore),
    feastProject: r.optional(ENV.feastProject, d.feastProject),
    embeddedFeaturesPath: r.string(ENV.embeddedFeaturesPath, d.embeddedFeaturesPath),
    featureTimeoutMs: r.int(ENV.featureTimeoutMs, d.featureTimeoutMs, 1, 60_000),
    redis: {
      host: r.string(ENV.redisHost, d.redis.host),
      port: r.int(ENV.redisPort, d.redis.port, 1, 65535),
      tls: r.bool(ENV.redisTls, d.redis.tls),
      username: r.optional(ENV.redisUsername, d.redis.username),
      authToken: r.optional(ENV.redisAuthToken, d.redis.authToken),
      authSecretArn: r.optional(ENV.redisAuthSecretArn, d.redis.authSecretArn),
      connectTimeoutMs: r.int(ENV.redisConnectTimeoutMs, d.redis.connectTimeoutMs, 1, 60_000),
    },
    cassandra: {
      contactPoints: (r.raw(ENV.cassandraContactPoints) ?? d.cassandra.contactPoints.join(","))
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
      port: r.int(ENV.cassandraPort, d.cassandra.port, 1, 65535),
      localDataCenter: r.string(ENV.cassandraLocalDc, d.cassandra.localDataCenter),
      keyspace: r.string(ENV.cassandraKeyspace, d.cassandra.keyspace),
      consistency: r.oneOf(ENV.cassandraConsistency, CONSISTENCY_LEVELS, d.cassandra.consistency),
      tls: r.bool(ENV.cassandraTls, d.cassandra.tls),
      caPath: r.optional(ENV.cassandraCaPath, d.cassandra.caPath),
      username: r.optional(ENV.cassandraUsername, d.cassandra.username),
      password: r.optional(ENV.cassandraPassword, d.cassandra.password),
      sigV4: r.bool(ENV.cassandraSigV4, d.cassandra.sigV4),
      connectTimeoutMs: r.int(ENV.cassandraConnectTimeoutMs, d.cassandra.connectTimeoutMs, 1, 60_000),
    },
    dynamodb: {
      endpoint: r.optional(ENV.dynamodbEndpoint, d.dynamodb.endpoint),
      consistentReads: r.bool(ENV.dynamodbConsistentReads, d.dynamodb.consistentReads),
    },
    batchMaxSize: r.int(ENV.batchMaxSize, d.batchMaxSize, 1, 4096),
    batchWindowUs: r.int(ENV.batchWindowUs, d.batchWindowUs, 0, 100_000),
    bodyLimitBytes: r.int(ENV.bodyLimitBytes, d.bodyLimitBytes, 1024, 100 * 1024 * 1024),
    shutdownGraceMs: r.int(ENV.shutdownGraceMs, d.shutdownGraceMs, 0, 600_000),
    apiKeys: undefined,
    apiKeysSecretArn: r.optional(ENV.apiKeysSecretArn, d.apiKeysSecretArn),
    requestTimeoutMs: r.int(ENV.requestTimeoutMs, d.requestTimeoutMs, 100, 600_000),
    headersTimeoutMs: r.int(ENV.headersTimeoutMs, d.headersTimeoutMs, 100, 600_000),
    keepAliveTimeoutMs: r.int(ENV.keepAliveTimeoutMs, d.keepAliveTimeoutMs, 100, 600_000),
    maxConnections: r.int(ENV.maxConnections, d.maxConnections, 1, 1_000_000),
    adminPort: r.int(ENV.adminPort, d.adminPort, 0, 65535),
    grpcPort: undefined,
    grpcSocket: r.optional(ENV.grpcSocket, d.grpcSocket),
  };
  // A free port for gRPC too when HTTP asks for one (tests, benchmarks): no clash on 8081.
  const grpcDefault = config.port === 0 ? 0 : (d.grpcPort ?? GRPC_PORT);
  config.grpcPort = r.raw(ENV.grpcPort)?.toLowerCase() === "off" ? undefined : r.int(ENV.grpcPort, grpcDefault, 0, 65535);
  const apiKeys = r.raw(ENV.apiKeys);
  if (apiKeys !== undefined) {
    try {
      config.apiKeys = parseApiKeys(apiKeys, ENV.apiKeys);
    } catch (err) {
      r.problems.push((err as Error).message);
    }
  }
  if (config.apiKeys && config.apiKeysSecretArn) {
    r.problems.push(`set only one of ${ENV.apiKeys} and ${ENV.apiKeysSecretArn}`);
  }
  if (config.headersTimeoutMs > config.requestTimeoutMs) {
    r.problems.push(`${ENV.headersTimeoutMs} (${config.headersTimeoutMs}) must not exceed ${ENV.requestTimeoutMs} (${config.requestTimeoutMs})`);
  }
  if (config.adminPort !== 0 && config.adminPort === config.port) {
    r.problems.push(`${ENV.adminPort} must differ from ${ENV.port} (${config.port}): the load balancer forwards ${ENV.port} only`);
  }
  if (config.redis.authToken && config.redis.authSecretArn) {
    r.problems.push(`set only one of ${ENV.redisAuthToken} and ${ENV.redisAuthSecretArn}`);
  }
  if (config.cassandra.sigV4 && (config.cassandra.username || config.cassandra.password)) {
    r.problems.push(`${ENV.cassandraSigV4} replaces ${ENV.cassandraUsername}/${ENV.cassandraPassword}: set one or the other`);
  }
  if (config.dynamodb.endpoint && !/^https?:\/\/[^/\s]+\/?$/.test(config.dynamodb.endpoint)) {
    r.problems.push(`${ENV.dynamodbEndpoint} "${config.dynamodb.endpoint}": expected an http(s)://host[:port] URL`);
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return config;
}

/** What a deployment chooses; everything else keeps the service's defaults. */
export interface DeploymentSettings {
  modelUri: string;
  featureStore: FeatureStoreKind;
  awsRegion?: string;
  feastProject?: string;
  logLevel?: LogLevel;
  featureTimeoutMs?: number;
  redis?: { host: string; port: number; tls: boolean; authSecretArn?: string };
  cassandra?: {
    contactPoints: string[];
    port: number;
    localDataCenter: string;
    keyspace: string;
    consistency?: ConsistencyLevel;
    tls: boolean;
    sigV4: boolean;
  };
  dynamodb?: { consistentReads?: boolean; endpoint?: string };
  /** Lambda's /tmp is the only writable path there. */
  modelCacheDir?: string;
  /** Turns API-key auth on: the Secrets Manager secret holding the keys (JSON object id → key). */
  apiKeysSecretArn?: string;
  /**
   * Serve OIP v2 gRPC on GRPC_PORT (the load balancer routes it). Off by default: a listener no
   * one can reach would still cost its modules' start-up time and memory.
   */
  grpc?: boolean;
}

/**
 * The environment a deployment passes to the container or function. Secrets are referenced
 * (REDIS_AUTH_SECRET_ARN, API_KEYS_SECRET_ARN), never inlined; `loadConfig(toEnvironment(s))` round-trips.
 */
export function toEnvironment(s: DeploymentSettings): Record<string, string> {
  const env: Record<string, string> = {
    [ENV.port]: String(PORT),
    [ENV.modelUri]: s.modelUri,
    [ENV.featureStore]: s.featureStore,
  };
  const set = (name: string, value: string | number | boolean | undefined) => {
    if (value !== undefined) env[name] = String(value);
  };
  set(ENV.awsRegion, s.awsRegion);
  set(ENV.feastProject, s.feastProject);
  set(ENV.logLevel, s.logLevel);
  set(ENV.featureTimeoutMs, s.featureTimeoutMs);
  set(ENV.modelCacheDir, s.modelCacheDir);
  set(ENV.apiKeysSecretArn, s.apiKeysSecretArn);
  set(ENV.grpcPort, s.grpc ? GRPC_PORT : "off");
  if (s.redis) {
    set(ENV.redisHost, s.redis.host);
    set(ENV.redisPort, s.redis.port);
    set(ENV.redisTls, s.redis.tls);
    set(ENV.redisAuthSecretArn, s.redis.authSecretArn);
  }
  if (s.cassandra) {
    set(ENV.cassandraContactPoints, s.cassandra.contactPoints.join(","));
    set(ENV.cassandraPort, s.cassandra.port);
    set(ENV.cassandraLocalDc, s.cassandra.localDataCenter);
    set(ENV.cassandraKeyspace, s.cassandra.keyspace);
    set(ENV.cassandraConsistency, s.cassandra.consistency);
    set(ENV.cassandraTls, s.cassandra.tls);
    set(ENV.cassandraSigV4, s.cassandra.sigV4);
  }
  if (s.dynamodb) {
    set(ENV.dynamodbEndpoint, s.dynamodb.endpoint);
    set(ENV.dynamodbConsistentReads, s.dynamodb.consistentReads);
  }
  return env;
}
