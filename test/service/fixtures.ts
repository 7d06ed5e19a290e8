// Shared builders for the service tests: the example model package, stores, and the app.
import * as path from "node:path";
import { readFileSync } from "node:fs";
import { DEFAULTS, EXAMPLE_MODEL_DIR, type ServiceConfig } from "../../service/src/config";
import { EmbeddedStore } from "../../service/src/features/embedded";
import type { OfflineRow } from "../../service/src/features/offline";
import { loadModelPackage, type ModelPackage } from "../../service/src/model/package";

export interface GoldenCase {
  name: string;
  entity: { user_id: number };
  request: Record<string, number | string | boolean | null>;
  online: Record<string, number | string | boolean | null>;
  expected: { label: string; probabilities: number[] };
}

export const golden: { tolerance: number; cases: GoldenCase[] } = JSON.parse(
  readFileSync(path.join(EXAMPLE_MODEL_DIR, "..", "golden.json"), "utf8"),
);

export function testConfig(overrides: Partial<ServiceConfig> = {}): ServiceConfig {
  // gRPC and admin on free ports: parallel test files (and other checkouts) must not clash.
  return { ...DEFAULTS, logLevel: "silent", grpcPort: 0, adminPort: 0, ...overrides };
}

export const examplePackage = (): Promise<ModelPackage> => loadModelPackage(testConfig());

/** An embedded store holding exactly the golden cases' online values. */
export function goldenStore(pkg: ModelPackage): EmbeddedStore {
  const rows: OfflineRow[] = golden.cases
    .filter((c) => Object.keys(c.online).length > 0)
    .map((c, i) => ({
      view: "user_stats",
      rowNumber: i + 1,
      entity: c.entity,
      eventTimestamp: new Date("2026-01-01T00:00:00Z"),
      createdTimestamp: null,
      values: c.online,
    }));
  return EmbeddedStore.fromRows(pkg.manifest, rows);
}
