// Turns one prediction's raw inputs (request fields + online features) into the model's input
// row, exactly as the manifest says: column order, defaults, standardization, one-hot and
// vocabulary encodings. Compiled once per manifest; the hot path only writes numbers.
import type { FeatureRef, FeatureStatus, FeatureValue } from "../features/store";
import { encodedWidth, type Encoding, type FeatureSpec, type Manifest } from "./manifest";

export type RequestFeatures = Record<string, number | string | boolean | null | undefined>;

/** What one row needs from the online store, aligned with `Preprocessor.onlineRefs`. */
export interface OnlineInputs {
  values: readonly FeatureValue[];
  statuses: readonly FeatureStatus[];
}

type Raw = number | string | boolean;

/** A value the model cannot take (e.g. a number beyond float32's range once encoded). */
export class FeatureValueError extends Error {
  constructor(
    readonly feature: string,
    /** Position of the row in the request. */
    readonly row: number,
    message: string,
  ) {
    super(message);
    this.name = "FeatureValueError";
  }
}
type Writer = (row: Float32Array, offset: number, value: Raw) => void;

interface Column {
  spec: FeatureSpec;
  offset: number;
  /** Index into the online refs, or -1 for a request field. */
  onlineIndex: number;
  write: Writer;
}

export class Preprocessor {
  readonly width: number;
  /** The online features the model reads, in one fixed order (one store query per request). */
  readonly onlineRefs: FeatureRef[];
  /** Per view, the max age of its values (seconds, 0 = unlimited). */
  readonly ttlSeconds: Record<string, number>;
  private readonly columns: Column[];

  constructor(manifest: Manifest) {
    this.onlineRefs = [];
    this.columns = [];
    let offset = 0;
    for (const spec of manifest.features) {
      let onlineIndex = -1;
      if (spec.source.kind === "online") {
        onlineIndex = this.onlineRefs.length;
        this.onlineRefs.push({ view: spec.source.view, feature: spec.source.feature, dtype: spec.dtype });
      }
      this.columns.push({ spec, offset, onlineIndex, write: writer(spec.encoding) });
      offset += encodedWidth(spec.encoding);
    }
    this.width = offset;
    this.ttlSeconds = Object.fromEntries(manifest.featureViews.map((v) => [v.name, v.ttlSeconds]));
  }

  /**
   * Writes row `index` of `batch`. Missing values (absent, null, not found, too old, or of the
   * wrong type in the store) take the feature's default; returns the names that did.
   */
  encode(batch: Float32Array, index: number, request: RequestFeatures, online: OnlineInputs | undefined): string[] {
    const base = index * this.width;
    batch.fill(0, base, base + this.width);
    const defaulted: string[] = [];
    for (const c of this.columns) {
      let value: FeatureValue | undefined;
      if (c.onlineIndex < 0) {
        value = request[c.spec.source.kind === "request" ? c.spec.source.field : c.spec.name];
      } else if (online && online.statuses[c.onlineIndex] === "PRESENT") {
        value = online.values[c.onlineIndex];
      }
      if (value === undefined || value === null || !fits(c.spec, value)) {
        if (c.spec.default === null) {
          // Only request fields may lack a default; the request schema rejects their absence earlier.
          throw new Error(`feature "${c.spec.name}" is required`);
        }
        value = c.spec.default;
        defaulted.push(c.spec.name);
      }
      c.write(batch, base + c.offset, value);
      if (!Number.isFinite(batch[base + c.offset])) {
        // A stored value the model cannot take is treated like a malformed one: missing.
        if (c.onlineIndex >= 0 && c.spec.default !== null) {
          c.write(batch, base + c.offset, c.spec.default);
          defaulted.push(c.spec.name);
        } else {
          throw new FeatureValueError(c.spec.name, index, `${JSON.stringify(value)} is out of range: the encoded value must fit a float32`);
        }
      }
    }
    return defaulted;
  }
}

function fits(spec: FeatureSpec, value: Raw): boolean {
  switch (spec.dtype) {
    case "string":
      return typeof value === "string";
    case "bool":
      return typeof value === "boolean" || value === 0 || value === 1;
    default:
      return typeof value === "number" && Number.isFinite(value);
  }
}

function numeric(value: Raw): number {
  return typeof value === "boolean" ? (value ? 1 : 0) : Number(value);
}

function writer(encoding: Encoding): Writer {
  switch (encoding.kind) {
    case "identity":
      return (row, offset, value) => {
        row[offset] = numeric(value);
      };
    case "standardize": {
      const { mean, std } = encoding;
      // In float64, then stored as float32: the same order of operations as the training pipeline.
      return (row, offset, value) => {
        row[offset] = (numeric(value) - mean) / std;
      };
    }
    case "one_hot": {
      const index = new Map(encoding.categories.map((c, i) => [c, i]));
      return (row, offset, value) => {
        const i = index.get(String(value));
        if (i !== undefined) row[offset + i] = 1;
      };
    }
    case "vocabulary": {
      const index = new Map(encoding.vocabulary.map((c, i) => [c, i]));
      return (row, offset, value) => {
        row[offset] = index.get(String(value)) ?? encoding.oovIndex;
      };
    }
  }
}
