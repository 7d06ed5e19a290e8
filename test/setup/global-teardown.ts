import type { TestServer } from "./servers/server";

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as { __testServers?: TestServer[] }).__testServers ?? [];
  await Promise.all(servers.map((s) => s.stop()));
}
