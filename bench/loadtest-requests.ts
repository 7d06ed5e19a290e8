// Realistic predict requests for the load test: the golden cases' entities and request features
// (the training pipeline's own rows), addressed to the model the manifest names.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseManifest, type Manifest } from "../service/src/model/manifest";

export const MODEL_DIR = path.resolve(__dirname, "..", "models", "fraud");

export interface PredictRequest {
  method: "POST";
  path: string;
  headers: Record<string, string>;
  body: string;
}

interface GoldenCase {
  entity: Record<string, unknown>;
  request: Record<string, unknown>;
}

export function readManifest(versionDir = path.join(MODEL_DIR, "1")): Manifest {
  return parseManifest(JSON.parse(fs.readFileSync(path.join(versionDir, "manifest.json"), "utf8")));
}

export function predictPath(manifest: Manifest): string {
  return `/v1/models/${manifest.name}:predict`;
}

/**
 * One request per golden case, with only the join keys and request fields the manifest declares,
 * so a renamed feature fails here rather than as a stream of 400s under load.
 */
export function predictRequests(manifest: Manifest, goldenFile = path.join(MODEL_DIR, "golden.json")): PredictRequest[] {
  const golden = JSON.parse(fs.readFileSync(goldenFile, "utf8")) as { cases?: GoldenCase[] };
  const cases = golden.cases ?? [];
  if (cases.length === 0) throw new Error(`${goldenFile} has no cases to build requests from`);
  const keys = manifest.entities.map((e) => e.name);
  const fields = manifest.features.flatMap((f) => (f.source.kind === "request" ? [f.source.field] : []));
  return cases.map((c, i) => {
    const entity = Object.fromEntries(keys.map((k) => [k, c.entity[k]]));
    const missing = keys.filter((k) => entity[k] === undefined);
    if (missing.length > 0) throw new Error(`${goldenFile} case ${i}: no ${missing.join(", ")} join key`);
    const features = Object.fromEntries(fields.filter((f) => f in c.request).map((f) => [f, c.request[f]]));
    return {
      method: "POST",
      path: predictPath(manifest),
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ entity, features }),
    };
  });
}

/** Loopback only: 127.0.0.0/8, localhost and ::1. */
export function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}
