// What AWS accepts in the names and descriptions this program derives. Resource names start from
// the stack name, and the strictest services decide what a stack name may be.
import { ALB_NAME_MAX, AUTONAME_SUFFIX_LENGTH } from "./load-balancer";

/** The longest fixed part a 32-character name (ALB `-alb`, target group `-tg`) adds to the stack name. */
const LONGEST_ALB_SUFFIX = "-alb".length;
/** ALB and target group names hold the stack name, that suffix and Pulumi's random one. */
export const STACK_NAME_MAX = ALB_NAME_MAX - AUTONAME_SUFFIX_LENGTH - LONGEST_ALB_SUFFIX;

/**
 * Prefixes AWS reserves: ALB names may not begin with `internal-`, S3 bucket names with `sthree-`
 * or `amzn-s3-demo-`.
 */
export const RESERVED_NAME_PREFIXES = ["internal-", "sthree-", "amzn-s3-demo-"] as const;

/**
 * Security group and rule descriptions: EC2 refuses anything outside this set (no apostrophes,
 * quotes or non-ASCII), at most 255 characters.
 */
export const SECURITY_GROUP_DESCRIPTION = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]{0,255}$/;

/**
 * Why a stack name cannot prefix this program's resource names, or undefined. The rules are the
 * strictest of the names built from it: S3 buckets and ALBs (lowercase letters, digits, hyphens),
 * ElastiCache (starts with a letter, no `--`, no trailing hyphen) and the ALB's 32 characters.
 */
export function stackNameProblem(stack: string): string | undefined {
  const name = stack.toLowerCase();
  const problems: string[] = [];
  if (!/^[a-z0-9-]+$/.test(name)) problems.push("use only letters, digits and hyphens (S3 buckets and ALBs refuse _ and .)");
  if (!/^[a-z]/.test(name)) problems.push("start with a letter (ElastiCache)");
  if (name.includes("--") || name.endsWith("-")) problems.push("no double or trailing hyphen (ElastiCache)");
  if (name.length > STACK_NAME_MAX) {
    problems.push(`at most ${STACK_NAME_MAX} characters (the ALB's name is "<stack>-alb" plus Pulumi's ${AUTONAME_SUFFIX_LENGTH}-character suffix, and AWS allows ${ALB_NAME_MAX})`);
  }
  const reserved = RESERVED_NAME_PREFIXES.find((p) => `${name}-`.startsWith(p));
  if (reserved) problems.push(`do not begin with "${reserved.slice(0, -1)}", which AWS reserves`);
  if (problems.length === 0) return undefined;
  return `stack name "${stack}" cannot prefix the stack's AWS resource names: ${problems.join("; ")}. Create a stack with a name like "fraud-staging" (pulumi stack init) and move its stack file to match`;
}

/** The prefix of every resource name of the stack; refuses a stack name AWS would refuse in them. */
export function resourceNamePrefix(stack: string): string {
  const problem = stackNameProblem(stack);
  if (problem) throw new Error(problem);
  return stack.toLowerCase();
}
