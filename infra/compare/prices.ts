// The one price table the cost model reads. Figures live in a dated JSON file that names the page
// each one comes from (prices.us-east-1.json); other regions are override files deep-merged over
// it (`--prices <file>`), so no price is ever a literal in code.
import * as fs from "node:fs";
import * as path from "node:path";
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";

const Rate = Type.Object({
  usd: Type.Number({ minimum: 0 }),
  /** The usd figure is per this many units (AWS quotes "$0.20 per 1M requests"). */
  per: Type.Number({ exclusiveMinimum: 0 }),
  unit: Type.String(),
  source: Type.String({ minLength: 1 }),
  check: Type.Optional(Type.Boolean()),
});
const Allowance = Type.Object({
  amount: Type.Number({ minimum: 0 }),
  unit: Type.String(),
  source: Type.String({ minLength: 1 }),
  check: Type.Optional(Type.Boolean()),
});
const Tiered = Type.Object({
  unit: Type.String(),
  source: Type.String({ minLength: 1 }),
  check: Type.Optional(Type.Boolean()),
  /** Ascending; `upTo: null` is the last, open-ended tier. */
  tiers: Type.Array(Type.Object({ upTo: Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.Null()]), usd: Type.Number({ minimum: 0 }) }), { minItems: 1 }),
});
const ByArchitecture = <T extends TSchema>(t: T) => Type.Object({ x86_64: t, arm64: t });
const IsoDate = Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}$" });

export const PriceTableSchema = Type.Object({
  region: Type.String({ minLength: 1 }),
  /** The date the figures were taken from the pages; a reader judges their age by it. */
  retrieved: IsoDate,
  currency: Type.Literal("USD"),
  notes: Type.Optional(Type.String()),
  lambda: Type.Object({
    requests: Rate,
    duration: ByArchitecture(Tiered),
    provisionedConcurrency: ByArchitecture(Rate),
    provisionedDuration: ByArchitecture(Rate),
    freeTier: Type.Object({ requests: Allowance, gbSeconds: Allowance }),
  }),
  fargate: Type.Object({
    x86_64: Type.Object({ vcpuHour: Rate, gbHour: Rate }),
    arm64: Type.Object({ vcpuHour: Rate, gbHour: Rate }),
    spotDiscount: Allowance,
    ephemeralStorageGbHour: Rate,
    ephemeralStorageFree: Allowance,
  }),
  ec2: Type.Object({
    source: Type.String({ minLength: 1 }),
    instances: Type.Record(
      Type.String(),
      Type.Object({
        usdPerHour: Type.Number({ minimum: 0 }),
        vcpu: Type.Integer({ minimum: 1 }),
        memoryMib: Type.Integer({ minimum: 256 }),
        architecture: Type.Union([Type.Literal("x86_64"), Type.Literal("arm64")]),
        /** Network interfaces the type can attach (an awsvpc task or a pod IP range needs its own). */
        networkInterfaces: Type.Integer({ minimum: 1 }),
        ipv4PerInterface: Type.Integer({ minimum: 1 }),
        /** Burstable types only: the CPU share per vCPU it sustains without spending credits. */
        baselinePercent: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100 })),
      }),
    ),
    networkInterfacesSource: Type.String({ minLength: 1 }),
    baselineSource: Type.String({ minLength: 1 }),
    /** T instances launch in unlimited mode: CPU above the baseline bills surplus credits. */
    surplusCreditVcpuHour: ByArchitecture(Rate),
  }),
  eks: Type.Object({
    clusterHour: Rate,
    extendedSupportClusterHour: Rate,
    kubernetesVersions: Type.Object({ source: Type.String({ minLength: 1 }), endOfStandardSupport: Type.Record(Type.String({ pattern: "^1\\.\\d+$" }), IsoDate) }),
  }),
  alb: Type.Object({
    hour: Rate,
    lcuHour: Rate,
    lcu: Type.Object({
      source: Type.String({ minLength: 1 }),
      newConnectionsPerSecond: Type.Number({ exclusiveMinimum: 0 }),
      activeConnectionsPerMinute: Type.Number({ exclusiveMinimum: 0 }),
      processedGbPerHour: Type.Number({ exclusiveMinimum: 0 }),
      processedGbPerHourLambda: Type.Number({ exclusiveMinimum: 0 }),
      ruleEvaluationsPerSecond: Type.Number({ exclusiveMinimum: 0 }),
      freeRules: Type.Integer({ minimum: 0 }),
    }),
  }),
  nat: Type.Object({ hour: Rate, gbProcessed: Rate }),
  vpc: Type.Object({ publicIpv4Hour: Rate, interfaceEndpointHour: Rate, interfaceEndpointGb: Rate }),
  dataTransfer: Type.Object({ outToInternet: Tiered, crossAz: Rate }),
  ebs: Type.Object({ gp3GbMonth: Rate, rootVolumeGb: Type.Object({ ecs: Allowance, eks: Allowance }) }),
  elasticache: Type.Object({
    source: Type.String({ minLength: 1 }),
    nodes: Type.Record(Type.String(), Type.Object({ usdPerHour: Type.Number({ minimum: 0 }) })),
  }),
  keyspaces: Type.Object({ writeRequestUnits: Rate, readRequestUnits: Rate, storageGbMonth: Rate, pointInTimeRecoveryGbMonth: Rate }),
  dynamodb: Type.Object({ writeRequestUnits: Rate, readRequestUnits: Rate, storageGbMonth: Rate, pointInTimeRecoveryGbMonth: Rate }),
  secretsManager: Type.Object({ secretMonth: Rate }),
  cloudwatchAlarms: Type.Object({ standardAlarmMonth: Rate }),
  s3: Type.Object({ storageGbMonth: Rate, putRequests: Rate, getRequests: Rate }),
  ecr: Type.Object({ storageGbMonth: Rate }),
  cloudwatchLogs: Type.Object({ ingestionGb: Rate }),
  apiGatewayHttp: Type.Object({ requests: Tiered, meteringIncrementKb: Type.Number({ exclusiveMinimum: 0 }) }),
});

export type PriceTable = Static<typeof PriceTableSchema>;
export type PriceRate = Static<typeof Rate>;
export type TieredPrice = Static<typeof Tiered>;

export const DEFAULT_PRICES_FILE = path.join(__dirname, "prices.us-east-1.json");

export class PriceTableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PriceTableError";
  }
}

type Json = unknown;

function isPlainObject(v: Json): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; anything else (numbers, arrays of tiers) replaces the base value. */
export function mergeOverride(base: Json, override: Json): Json {
  if (!isPlainObject(base) || !isPlainObject(override)) return override;
  const out: Record<string, Json> = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = k in base ? mergeOverride(base[k], v) : v;
  return out;
}

/** Validates a parsed table; every problem is listed with its JSON path. */
export function parsePriceTable(value: Json, origin: string): PriceTable {
  if (Value.Check(PriceTableSchema, value)) {
    for (const arch of ["x86_64", "arm64"] as const) tierProblem(value.lambda.duration[arch], `lambda.duration.${arch}`, origin);
    tierProblem(value.apiGatewayHttp.requests, "apiGatewayHttp.requests", origin);
    tierProblem(value.dataTransfer.outToInternet, "dataTransfer.outToInternet", origin);
    return value;
  }
  const problems = [...Value.Errors(PriceTableSchema, value)]
    .slice(0, 10)
    .map((e) => `${e.path || "/"}: ${e.message}`);
  throw new PriceTableError(`price table ${origin} is not valid:\n  - ${problems.join("\n  - ")}`);
}

function tierProblem(t: TieredPrice, at: string, origin: string): void {
  let last = 0;
  t.tiers.forEach((tier, i) => {
    const isLast = i === t.tiers.length - 1;
    if (isLast !== (tier.upTo === null)) {
      throw new PriceTableError(`price table ${origin}: ${at}.tiers[${i}]: only the last tier has upTo null`);
    }
    if (tier.upTo !== null && tier.upTo <= last) {
      throw new PriceTableError(`price table ${origin}: ${at}.tiers[${i}]: upTo ${tier.upTo} must be above the previous tier's ${last}`);
    }
    last = tier.upTo ?? last;
  });
}

function readJson(file: string): Json {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new PriceTableError(`price file ${file} cannot be read: expected a JSON price table (see infra/compare/README.md)`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new PriceTableError(`price file ${file} is not JSON: ${(e as Error).message}`);
  }
}

/**
 * The us-east-1 table, or it with an override file merged over it. An override for another region
 * must set `region` and `retrieved` itself, so a table is never labelled with a region or date its
 * figures do not belong to.
 */
export function loadPrices(overrideFile?: string): PriceTable {
  const base = readJson(DEFAULT_PRICES_FILE);
  if (!overrideFile) return parsePriceTable(base, DEFAULT_PRICES_FILE);
  const override = readJson(overrideFile);
  if (!isPlainObject(override)) throw new PriceTableError(`price file ${overrideFile}: expected a JSON object`);
  if (typeof override.region !== "string" || typeof override.retrieved !== "string") {
    throw new PriceTableError(`price file ${overrideFile}: set "region" and "retrieved" (YYYY-MM-DD) for the figures it holds`);
  }
  return parsePriceTable(mergeOverride(base, override), overrideFile);
}

/** Cost of `quantity` units at a flat rate, unrounded. */
export function atRate(rate: PriceRate, quantity: number): number {
  return (quantity / rate.per) * rate.usd;
}

/** Cost of `quantity` units across tiers (each unit priced at the tier it falls in), unrounded. */
export function atTiers(price: TieredPrice, quantity: number): number {
  let usd = 0;
  let from = 0;
  for (const tier of price.tiers) {
    const to = tier.upTo ?? Number.POSITIVE_INFINITY;
    if (quantity <= from) break;
    usd += (Math.min(quantity, to) - from) * tier.usd;
    from = to;
  }
  return usd;
}

/** JSON paths of the figures marked `"check": true`: not confirmed against a stored copy of their page. */
export function unconfirmedFigures(p: PriceTable): string[] {
  const out: string[] = [];
  const walk = (v: unknown, at: string) => {
    if (typeof v !== "object" || v === null) return;
    const o = v as Record<string, unknown>;
    if (o.check === true) out.push(at);
    for (const [k, child] of Object.entries(o)) walk(child, at ? `${at}.${k}` : k);
  };
  walk(p, "");
  return out;
}
