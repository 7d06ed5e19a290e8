// Optional API-key auth on the public inference routes (PUBLIC_PATH_PATTERNS, except the OIP v2
// health probes, which carry no data and which load balancers and clients poll without keys).
// A key arrives as `Authorization: Bearer <key>` or `x-api-key: <key>`. Keys come from
// API_KEYS (local use) or a Secrets Manager secret re-read every API_KEYS_REFRESH_MS, so a
// rotation needs no restart. Only the key id is logged or used as a metric label.
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { Counter } from "prom-client";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ENV, PUBLIC_PATH_PATTERNS, parseApiKeys, type ServiceConfig } from "./config";
import { HttpError } from "./errors";
import type { ServiceMetrics } from "./metrics";

/** How often the secret is re-read: the longest a revoked key keeps working. */
export const API_KEYS_REFRESH_MS = 60_000;
/** After a failed read, the next attempt comes sooner. */
const RETRY_MS = 5_000;
/** Paths under the public patterns that stay open: probes without data. */
const OPEN_PREFIXES = ["/v2/health/"];
const WWW_AUTHENTICATE = 'Bearer realm="inference-blueprint"';

/** The accepted keys by key id, or why there are none yet (then every protected request is refused). */
export interface ApiKeySource {
  current(): { keys: ReadonlyMap<string, string> } | { problem: string };
  close(): void;
}

/** Keys fixed at start-up (API_KEYS). */
export function staticKeys(keys: Record<string, string>): ApiKeySource {
  const map = new Map(Object.entries(keys));
  return { current: () => ({ keys: map }), close: () => {} };
}

export interface SecretKeysOptions {
  client: Pick<SecretsManagerClient, "send">;
  secretArn: string;
  refreshMs?: number;
  log: { warn(obj: object, msg: string): void };
}

/**
 * Keys from a Secrets Manager secret. Read once before serving; afterwards a request that finds
 * them older than `refreshMs` starts a re-read in the background (no timer, so a frozen Lambda
 * environment re-reads when it thaws). A failed re-read keeps the last good keys.
 */
export async function secretKeys({ client, secretArn, refreshMs = API_KEYS_REFRESH_MS, log }: SecretKeysOptions): Promise<ApiKeySource> {
  const { GetSecretValueCommand } = await import("@aws-sdk/client-secrets-manager");
  let keys: Map<string, string> | undefined;
  let problem = "API keys not read yet";
  let nextReadAt = 0;
  let reading: Promise<void> | undefined;
  const read = async () => {
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
      if (out.SecretString === undefined) throw new Error("the secret has no SecretString");
      keys = new Map(Object.entries(parseApiKeys(out.SecretString, `secret ${secretArn}`)));
      nextReadAt = Date.now() + refreshMs;
    } catch (err) {
      problem = `API keys could not be read from ${ENV.apiKeysSecretArn}: ${(err as Error).message}`;
      log.warn({ secretArn, err: (err as Error).message }, keys ? "API keys re-read failed; keeping the last keys" : "API keys unreadable; refusing requests");
      nextReadAt = Date.now() + Math.min(RETRY_MS, refreshMs);
    }
  };
  await read();
  return {
    current() {
      if (Date.now() >= nextReadAt && !reading) reading = read().finally(() => (reading = undefined));
      return keys ? { keys } : { problem };
    },
    close: () => {},
  };
}

/** The key source the configuration asks for, or undefined when auth is off. */
export async function apiKeySource(
  config: Pick<ServiceConfig, "apiKeys" | "apiKeysSecretArn" | "awsRegion">,
  log: SecretKeysOptions["log"],
): Promise<ApiKeySource | undefined> {
  if (config.apiKeys) return staticKeys(config.apiKeys);
  if (!config.apiKeysSecretArn) return undefined;
  const { SecretsManagerClient } = await import("@aws-sdk/client-secrets-manager");
  return secretKeys({ client: new SecretsManagerClient({ region: config.awsRegion }), secretArn: config.apiKeysSecretArn, log });
}

/** Whether `path` is an inference route that needs a key. */
export function requiresApiKey(path: string): boolean {
  if (OPEN_PREFIXES.some((p) => path.startsWith(p))) return false;
  return PUBLIC_PATH_PATTERNS.some((pattern) => (pattern.endsWith("/*") ? path.startsWith(pattern.slice(0, -1)) : path === pattern));
}

/** The key a request presents, from `Authorization: Bearer` or `x-api-key`. */
function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers["x-api-key"];
  if (typeof header === "string" && header !== "") return header;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "");
  return match?.[1];
}

const digest = (text: string) => createHash("sha256").update(text).digest();

/** The id of the key equal to `presented`, comparing digests in constant time against every key. */
export function matchKey(keys: ReadonlyMap<string, string>, presented: string): string | undefined {
  const given = digest(presented);
  let found: string | undefined;
  for (const [id, key] of keys) {
    // No early exit: the time taken does not depend on which key (if any) matched.
    if (timingSafeEqual(digest(key), given) && found === undefined) found = id;
  }
  return found;
}

/** Refuses protected requests without a valid key: 401 (none given) or 403 (not a known key). */
export function installApiKeyAuth(app: FastifyInstance, source: ApiKeySource, metrics: ServiceMetrics): void {
  const requests = new Counter({
    name: "inference_authenticated_requests_total",
    help: "Requests accepted with an API key, by key id.",
    labelNames: ["key_id"],
    registers: [metrics.registry],
  });
  app.addHook("onRequest", async (request, reply) => {
    if (!requiresApiKey(request.url.split("?")[0])) return;
    const presented = presentedKey(request);
    if (presented === undefined) {
      reply.header("www-authenticate", WWW_AUTHENTICATE);
      throw new HttpError(401, "unauthorized", "missing API key: send Authorization: Bearer <key> or x-api-key: <key>");
    }
    const current = source.current();
    if ("problem" in current) {
      request.log.error(current.problem);
      throw new HttpError(503, "auth_unavailable", "API keys are not available yet; retry later");
    }
    const keyId = matchKey(current.keys, presented);
    if (keyId === undefined) {
      request.log.warn({ url: request.url.split("?")[0] }, "request with an unknown API key refused");
      reply.header("www-authenticate", `${WWW_AUTHENTICATE}, error="invalid_token"`);
      throw new HttpError(403, "forbidden", "API key not accepted: it is not one of this service's keys");
    }
    request.log = request.log.child({ keyId });
    requests.inc({ key_id: keyId });
  });
  app.addHook("onClose", async () => source.close());
}
