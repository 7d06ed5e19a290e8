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

/** The example model's friendly prediction route. */
export const PREDICT_PATH = "/v1/models/fraud:predict";

export function testConfig(overrides: Partial<ServiceConfig> = {}): ServiceConfig {
  // Port 0 for the admin and gRPC listeners too: tests never bind a fixed port on a shared machine.
  return { ...DEFAULTS, logLevel: "silent", adminPort: 0, grpcPort: 0, ...overrides };
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
