// The manifest seen from an online store: which feature views exist, their join keys and
// dtypes, and how a stored value's age turns into Feast's status.
import type { FeatureDtype, Manifest } from "../model/manifest";
import { serializeEntityKey, type EntityKeyDtype } from "./entity-key";
import type { EntityKey, FeatureQuery, FeatureStatus, FeatureValue } from "./store";

export interface OnlineView {
  name: string;
  /** Join keys, sorted as Feast serializes them. */
  joinKeys: string[];
  ttlSeconds: number;
  /** Feature name (the offline column and the stored name) → dtype. */
  features: Map<string, FeatureDtype>;
}

export interface OnlineLayout {
  project: string;
  entityKeyTypes: Record<string, EntityKeyDtype>;
  views: Map<string, OnlineView>;
}

/** Views that at least one online feature of the manifest reads, with those features. */
export function onlineLayout(manifest: Manifest, project?: string): OnlineLayout {
  const entityKeyTypes = Object.fromEntries(manifest.entities.map((e) => [e.name, e.dtype]));
  const views = new Map<string, OnlineView>();
  for (const f of manifest.features) {
    if (f.source.kind !== "online") continue;
    const spec = manifest.featureViews.find((v) => v.name === (f.source as { view: string }).view);
    if (!spec) continue; // parseManifest already refuses this
    let view = views.get(spec.name);
    if (!view) {
      view = { name: spec.name, joinKeys: [...spec.entities].sort(), ttlSeconds: spec.ttlSeconds, features: new Map() };
      views.set(spec.name, view);
    }
    view.features.set(f.source.feature, f.dtype);
  }
  return { project: project ?? manifest.project, entityKeyTypes, views };
}

/** Serialized key of the view's join keys, or undefined when the entity lacks one or it does not fit. */
export function viewEntityKey(layout: OnlineLayout, view: OnlineView, entity: EntityKey): Buffer | undefined {
  try {
    return serializeEntityKey(entity, view.joinKeys, layout.entityKeyTypes);
  } catch {
    return undefined;
  }
}

/**
 * A string naming the view's entity inside this process: two entities get the same string exactly
 * when `viewEntityKey` gives them the same bytes, and undefined when it would refuse the entity.
 * Several times cheaper than the bytes, for indexes that never leave the process.
 */
export function viewLookupKey(layout: OnlineLayout, view: OnlineView, entity: EntityKey): string | undefined {
  if (view.joinKeys.length === 1) return joinKeyPart(entity[view.joinKeys[0]], layout.entityKeyTypes[view.joinKeys[0]]);
  const parts: string[] = [];
  for (const name of view.joinKeys) {
    const part = joinKeyPart(entity[name], layout.entityKeyTypes[name]);
    if (part === undefined) return undefined;
    parts.push(part);
  }
  return JSON.stringify(parts);
}

const INT_RANGE = { int32: [-(2n ** 31n), 2n ** 31n], int64: [-(2n ** 63n), 2n ** 63n] } as const;

/** One join key value in canonical form, by the same rules as `serializeEntityKey`. */
function joinKeyPart(value: string | number | undefined, dtype: EntityKeyDtype | undefined): string | undefined {
  if (value === undefined || dtype === undefined) return undefined;
  if (dtype === "string") {
    if (typeof value !== "string") return undefined;
    // Lone surrogates serialize as U+FFFD, so they must name the same entity as U+FFFD does.
    return /[\uD800-\uDFFF]/.test(value) ? Buffer.from(value, "utf8").toString("utf8") : value;
  }
  if (typeof value === "number") {
    // A safe integer always fits int64; String(-0) is "0", as -0 serializes like 0.
    const fits = Number.isSafeInteger(value) && (dtype === "int64" || (value >= -(2 ** 31) && value < 2 ** 31));
    return fits ? String(value) : undefined;
  }
  if (!/^-?\d+$/.test(value)) return undefined;
  const n = BigInt(value);
  const [min, end] = INT_RANGE[dtype];
  return n >= min && n < end ? n.toString() : undefined;
}

/** Max age for a view: the query's when given, else the manifest's; 0 = no limit. */
export function maxAgeSeconds(query: FeatureQuery, view: OnlineView): number {
  return query.ttlSeconds?.[view.name] ?? view.ttlSeconds;
}

/** Feast's status of a found value: NULL_VALUE for no value, OUTSIDE_MAX_AGE when too old. */
export function statusOf(value: FeatureValue, eventTime: Date, maxAge: number, now: number): FeatureStatus {
  if (value === null) return "NULL_VALUE";
  if (maxAge > 0 && now - eventTime.getTime() > maxAge * 1000) return "OUTSIDE_MAX_AGE";
  return "PRESENT";
}

/** Groups the query's refs by view, keeping each ref's position in the result vector. */
export function refsByView(query: FeatureQuery): Map<string, { feature: string; dtype: FeatureDtype; index: number }[]> {
  const groups = new Map<string, { feature: string; dtype: FeatureDtype; index: number }[]>();
  query.refs.forEach((ref, index) => {
    const list = groups.get(ref.view) ?? [];
    list.push({ feature: ref.feature, dtype: ref.dtype, index });
    groups.set(ref.view, list);
  });
  return groups;
}
