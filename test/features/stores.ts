// Store construction for tests: configuration through the service's own loader.
import { ENV, loadConfig, type ServiceConfig } from "../../service/src/config";
import type { StoreLogger } from "../../service/src/features/log";

export function redisConfig(port: number, extra: Record<string, string> = {}): ServiceConfig {
  return loadConfig({ [ENV.featureStore]: "redis", [ENV.redisPort]: String(port), [ENV.featureTimeoutMs]: "200", ...extra });
}

export function cassandraConfig(port: number, dc: string, keyspace: string, extra: Record<string, string> = {}): ServiceConfig {
  return loadConfig({
    [ENV.featureStore]: "cassandra",
    [ENV.cassandraPort]: String(port),
    [ENV.cassandraLocalDc]: dc,
    [ENV.cassandraKeyspace]: keyspace,
    [ENV.cassandraConsistency]: "ONE",
    [ENV.featureTimeoutMs]: "2000",
    ...extra,
  });
}

export function dynamodbConfig(endpoint: string, extra: Record<string, string> = {}): ServiceConfig {
  return loadConfig({
    [ENV.featureStore]: "dynamodb",
    [ENV.dynamodbEndpoint]: endpoint,
    [ENV.awsRegion]: "us-east-1",
    [ENV.featureTimeoutMs]: "2000",
    ...extra,
  });
}

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through jest's global setup, which starts the servers`);
  return value;
}

/** Collects warnings instead of printing them. */
export class RecordingLogger implements StoreLogger {
  readonly warnings: { details: Record<string, unknown>; message: string }[] = [];
  warn(details: Record<string, unknown>, message: string): void {
    this.warnings.push({ details, message });
  }
}

export async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
