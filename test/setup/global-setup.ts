// Starts every real server the suite needs, once per run, and publishes where they listen
// through environment variables inherited by the test workers. A server that cannot start
// fails the run: no test skips because its server is missing.
import type { TestServer } from "./servers/server";
import { startRedis } from "./servers/redis";
import { startCassandra } from "./servers/cassandra";
import { startS3 } from "./servers/s3";

export default async function globalSetup(): Promise<void> {
  const started = await Promise.allSettled([startRedis(), startCassandra(), startS3()]);
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
