// Starts every real server the suite needs, once per run, and publishes where they listen
// through environment variables inherited by the test workers. A server that cannot start
// fails the run: no test skips because its server is missing.
// TEST_SERVERS=redis,s3 starts only those (for a focused run); a test whose server was not
// started then fails on its missing TEST_*_PORT, as it would with the server missing.
import type { TestServer } from "./servers/server";
import { startRedis } from "./servers/redis";
import { startCassandra } from "./servers/cassandra";
import { startS3 } from "./servers/s3";
import { startDynamoDB } from "./servers/dynamodb";

const SERVERS: Record<string, () => Promise<TestServer>> = { redis: startRedis, cassandra: startCassandra, s3: startS3, dynamodb: () => startDynamoDB() };

function selected(): Array<() => Promise<TestServer>> {
  const wanted = process.env.TEST_SERVERS?.split(",").map((s) => s.trim()).filter(Boolean);
  if (!wanted) return Object.values(SERVERS);
  const unknown = wanted.filter((w) => w !== "none" && !(w in SERVERS));
  if (unknown.length > 0) throw new Error(`TEST_SERVERS: unknown ${unknown.join(", ")}; expected some of ${Object.keys(SERVERS).join(", ")} or none`);
  return wanted.filter((w) => w in SERVERS).map((w) => SERVERS[w]);
}

export default async function globalSetup(): Promise<void> {
  const started = await Promise.allSettled(selected().map((start) => start()));
  const servers: TestServer[] = [];
  const failures: string[] = [];
  for (const result of started) {
    if (result.status === "fulfilled") servers.push(result.value);
    else failures.push(String(result.reason instanceof Error ? result.reason.message : result.reason));
  }
  (globalThis as { __testServers?: TestServer[] }).__testServers = servers;
  if (failures.length > 0) {
    await Promise.all(servers.map((s) => s.stop()));
    throw new Error(`test servers failed to start (run .ci/run to install them):\n  ${failures.join("\n  ")}`);
  }
  for (const s of servers) Object.assign(process.env, s.env);
}
