// Reads stack files (stacks/Pulumi.<stack>.yaml) the way Pulumi would: the project's keys with
// their `inference-blueprint:` prefix stripped, validated by the platform's own validateConfig, so
// the comparison prices exactly what `pulumi up` would deploy.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { BlueprintConfigError, PROJECT, validateConfig, type BlueprintConfig } from "../config";
import { CompareError } from "./errors";

export interface Stack {
  name: string;
  file: string;
  config: BlueprintConfig;
  /** `aws:region` when the stack sets it. */
  region: string | undefined;
  /** Whether the file states a traffic profile (otherwise validateConfig's defaults fill it). */
  statesTraffic: boolean;
}

export const STACKS_DIR = path.resolve(__dirname, "..", "..", "stacks");
const STACK_FILE = /^Pulumi\.([A-Za-z0-9_.-]+)\.ya?ml$/;

export function stackFile(dir: string, name: string): string {
  return path.join(dir, `Pulumi.${name}.yaml`);
}

/** Every stack name in `dir`, sorted. */
export function stackNames(dir: string): string[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    throw new CompareError(`stacks folder ${dir} cannot be read: expected a folder of Pulumi.<stack>.yaml files`);
  }
  return entries.flatMap((f) => STACK_FILE.exec(f)?.[1] ?? []).sort();
}

/** Parses one stack file's text; `file` only names it in messages. */
export function parseStack(name: string, file: string, text: string): Stack {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new CompareError(`stack "${name}" (${file}) is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  const config = (doc as { config?: unknown } | null)?.config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new CompareError(`stack "${name}" (${file}): expected a "config:" mapping of ${PROJECT}:<key> values`);
  }
  const raw: Record<string, unknown> = {};
  let region: string | undefined;
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    if (key.startsWith(`${PROJECT}:`)) raw[key.slice(PROJECT.length + 1)] = value;
    else if (key === "aws:region" && typeof value === "string") region = value;
  }
  try {
    // Same rules as `pulumi up`, including those that depend on the region (e.g. the certificate).
    return { name, file, config: validateConfig(raw, undefined, region), region, statesTraffic: raw.traffic !== undefined };
  } catch (e) {
    if (e instanceof BlueprintConfigError) {
      throw new CompareError(`stack "${name}" (${file}):\n  - ${e.problems.join("\n  - ")}`);
    }
    throw e;
  }
}

export function readStack(dir: string, name: string): Stack {
  const file = stackFile(dir, name);
  if (!fs.existsSync(file)) {
    const known = fs.existsSync(dir) ? stackNames(dir) : [];
    throw new CompareError(`unknown stack "${name}": no ${file}; expected one of ${known.length ? known.join(", ") : "(none: the folder has no stack files)"}`);
  }
  return parseStack(name, file, fs.readFileSync(file, "utf8"));
}

/** The named stacks, or every stack in `dir`; refuses an empty selection. */
export function readStacks(dir: string, names?: string[]): Stack[] {
  const selected = names && names.length > 0 ? names : stackNames(dir);
  if (selected.length === 0) throw new CompareError(`no stack files (Pulumi.<stack>.yaml) in ${dir}`);
  return selected.map((n) => readStack(dir, n));
}
