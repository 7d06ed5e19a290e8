// Reads typed fields off raw stack config objects, collecting every problem instead of stopping
// at the first, so `pulumi up` lists all of them at once.

export type Raw = Record<string, unknown>;

/** Typed reads of one config object; problems are collected with their dotted path. */
export class Fields {
  constructor(
    private readonly problems: string[],
    private readonly prefix: string,
    private readonly raw: Raw,
    allowed: readonly string[],
  ) {
    for (const key of Object.keys(raw)) {
      if (!allowed.includes(key)) {
        problems.push(`${this.at(key)}: unknown key; expected one of ${allowed.join(", ")}`);
      }
    }
  }

  private at(key: string): string {
    return this.prefix ? `${this.prefix}.${key}` : key;
  }

  problem(key: string, message: string): void {
    this.problems.push(`${this.at(key)}: ${message}`);
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === "string" && (allowed as readonly string[]).includes(v)) return v as T;
    this.problem(key, `${JSON.stringify(v)} is not one of ${allowed.join(", ")}`);
    return fallback;
  }

  string(key: string, fallback: string, pattern?: RegExp, expected?: string): string {
    const v = this.optionalString(key, pattern, expected);
    return v ?? fallback;
  }

  optionalString(key: string, pattern?: RegExp, expected?: string): string | undefined {
    const v = this.raw[key];
    if (v === undefined || v === null || v === "") return undefined;
    // YAML and `pulumi config set` turn `1` into a number; a version "1" is still meant.
    const s = typeof v === "number" && Number.isFinite(v) ? String(v) : v;
    if (typeof s !== "string") {
      this.problem(key, `expected a string, got ${JSON.stringify(v)}`);
      return undefined;
    }
    if (pattern && !pattern.test(s)) {
      this.problem(key, `${JSON.stringify(s)} is not ${expected ?? `a match for ${pattern}`}`);
      return undefined;
    }
    return s;
  }

  number(key: string, fallback: number, min: number, max: number, integer = true): number {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
    const kind = integer ? "an integer" : "a number";
    if (typeof n !== "number" || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
      this.problem(key, `${JSON.stringify(v)} is not ${kind} from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === "boolean") return v;
    if (v === "true" || v === "false") return v === "true";
    this.problem(key, `expected true or false, got ${JSON.stringify(v)}`);
    return fallback;
  }

  stringList(key: string, fallback: string[], pattern: RegExp, expected: string, allowEmpty = false): string[] {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (!Array.isArray(v) || (v.length === 0 && !allowEmpty)) {
      this.problem(key, `expected a ${allowEmpty ? "" : "non-empty "}list of ${expected}, got ${JSON.stringify(v)}`);
      return fallback;
    }
    const bad = v.filter((s) => typeof s !== "string" || !pattern.test(s));
    if (bad.length > 0) {
      this.problem(key, `${bad.map((b) => JSON.stringify(b)).join(", ")} is not ${expected}`);
      return fallback;
    }
    return v as string[];
  }

  object(key: string, allowed: readonly string[]): Fields {
    const v = this.raw[key];
    if (v === undefined || v === null) return new Fields(this.problems, this.at(key), {}, allowed);
    if (typeof v !== "object" || Array.isArray(v)) {
      this.problem(key, `expected an object with ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
      return new Fields(this.problems, this.at(key), {}, allowed);
    }
    return new Fields(this.problems, this.at(key), v as Raw, allowed);
  }
}

