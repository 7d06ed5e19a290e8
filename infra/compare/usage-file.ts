// The usage file (`--usage file.json`, infracost's idea): the traffic and usage a stack file does
// not hold, in one reviewed file next to the code. Its shape is documented in README.md and shown
// by usage.example.json.
import * as fs from "node:fs";
import { Type, type Static } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { CompareError } from "./errors";
import { USAGE_DEFAULTS } from "./workload";

const NonNegative = Type.Number({ minimum: 0 });

const usageProperties = Object.fromEntries(
  Object.entries(USAGE_DEFAULTS).map(([k, v]) => [k, typeof v === "boolean" ? Type.Boolean() : NonNegative]),
);

export const UsageFileSchema = Type.Object(
  {
    /** Month length in hours; AWS's calculator uses 730, many of its examples 720. */
    hoursPerMonth: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 744 })),
    traffic: Type.Optional(
      Type.Object(
        {
          requestsPerSecond: Type.Optional(NonNegative),
          /** Alternative to requestsPerSecond: spread over the active hours. */
          requestsPerMonth: Type.Optional(NonNegative),
          meanDurationMs: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          activeHoursPerDay: Type.Optional(Type.Number({ minimum: 0, maximum: 24 })),
          requestsPerTaskPerSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          /** The busiest rate of the active hours; containers keep capacity for it. */
          peakRequestsPerSecond: Type.Optional(NonNegative),
        },
        { additionalProperties: false },
      ),
    ),
    usage: Type.Optional(Type.Partial(Type.Object(usageProperties, { additionalProperties: false }))),
    /** Where the traffic figures were measured (written by `npm run loadtest -- --usage-out`); not priced. */
    measured: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** Stack config keys (without the project prefix) for `npm run cost`; validated like a stack. */
    platform: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

export type UsageFile = Static<typeof UsageFileSchema>;

export function parseUsageFile(value: unknown, origin: string): UsageFile {
  if (Value.Check(UsageFileSchema, value)) {
    const t = value.traffic;
    if (t?.requestsPerSecond !== undefined && t.requestsPerMonth !== undefined) {
      throw new CompareError(`usage file ${origin}: traffic sets both requestsPerSecond and requestsPerMonth; keep one`);
    }
    return value;
  }
  const problems = [...Value.Errors(UsageFileSchema, value)].slice(0, 8).map((e) => `${e.path || "/"}: ${e.message}`);
  throw new CompareError(`usage file ${origin} is not valid (see infra/compare/README.md, "Usage file"):\n  - ${problems.join("\n  - ")}`);
}

export function readUsageFile(file: string): UsageFile {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new CompareError(`usage file ${file} cannot be read`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CompareError(`usage file ${file} is not JSON: ${(e as Error).message}`);
  }
  return parseUsageFile(value, file);
}
