// Stack config of the compute targets: each target's sizing and the rules AWS enforces on it
// (Fargate task sizes, instance families per architecture, EKS access entries and endpoint).
import type { Architecture, Ec2Sizing, EksSizing, FargateSizing, LambdaSizing, ServiceScaling } from "../compute/target";
import { MIN_MEMORY_MB } from "../../service/src/config";
import type { Fields } from "./fields";

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

/** The ALB's idle timeout; a target that answers slower than this is cut off by the ALB. */
export const ALB_IDLE_TIMEOUT_SECONDS = 60;

/** Fargate's documented task sizes: CPU units → allowed memory (MiB). */
export const FARGATE_TASK_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

/** Graviton families carry a `g` after the generation digit (t4g, m7g, c7gn, r8gd) or are a1. */
export function isGravitonInstanceType(instanceType: string): boolean {
  const family = instanceType.split(".")[0] ?? "";
  return family === "a1" || /^[a-z]+\d+[a-z-]*g/.test(family);
}

/** A memory size below the service's floor (MIN_MEMORY_MB), reported on `memoryMb`. */
function checkServiceMemory(f: Fields, memoryMb: number): void {
  if (memoryMb >= MIN_MEMORY_MB) return;
  f.problem(
    "memoryMb",
    `${memoryMb} MB is below the ${MIN_MEMORY_MB} MB the service needs: Node, onnxruntime and the model's pages do not fit ` +
      `and the process pages from disk (measured with the example model: 128 MB served ~120 predictions/s at a 1 s p99, 160 MB half of 256 MB's)`,
  );
}

function readScaling(f: Fields, d: ServiceScaling): ServiceScaling {
  const s = f.object("scaling", Object.keys(d));
  const out: ServiceScaling = {
    minCount: s.number("minCount", d.minCount, 0, 1000),
    maxCount: s.number("maxCount", d.maxCount, 1, 1000),
    cpuTargetPercent: s.number("cpuTargetPercent", d.cpuTargetPercent, 1, 100),
    requestsPerTarget: s.number("requestsPerTarget", d.requestsPerTarget, 1, 1_000_000),
  };
  if (out.minCount > out.maxCount) {
    s.problem("minCount", `${out.minCount} is above maxCount ${out.maxCount}; autoscaling needs minCount ≤ maxCount`);
  }
  return out;
}

export function readLambda(f: Fields, d: LambdaSizing): LambdaSizing {
  const l = f.object("lambda", ["memoryMb", "timeoutSeconds", "reservedConcurrency", "provisionedConcurrency", "apiGateway", "vpc"]);
  const out: LambdaSizing = {
    memoryMb: l.number("memoryMb", d.memoryMb, 128, 10240),
    timeoutSeconds: l.number("timeoutSeconds", d.timeoutSeconds, 1, 900),
    provisionedConcurrency: l.number("provisionedConcurrency", d.provisionedConcurrency, 0, 10_000),
    apiGateway: l.boolean("apiGateway", d.apiGateway),
    vpc: l.boolean("vpc", d.vpc),
  };
  checkServiceMemory(l, out.memoryMb);
  const reserved = l.number("reservedConcurrency", -1, 0, 10_000);
  if (reserved >= 0) out.reservedConcurrency = reserved;
  if (out.timeoutSeconds >= ALB_IDLE_TIMEOUT_SECONDS) {
    l.problem(
      "timeoutSeconds",
      `${out.timeoutSeconds} s is not below the ALB idle timeout (${ALB_IDLE_TIMEOUT_SECONDS} s): the ALB would cut the request first; use at most ${ALB_IDLE_TIMEOUT_SECONDS - 1}`,
    );
  }
  if (out.reservedConcurrency !== undefined && out.provisionedConcurrency > out.reservedConcurrency) {
    l.problem(
      "provisionedConcurrency",
      `${out.provisionedConcurrency} exceeds reservedConcurrency ${out.reservedConcurrency}; Lambda refuses more provisioned than reserved`,
    );
  }
  return out;
}

/** Why a Fargate pair is invalid, listing the valid ones; undefined when valid. */
export function fargatePairProblem(cpu: number, memoryMb: number): string | undefined {
  const allowed = FARGATE_TASK_SIZES[cpu];
  if (!allowed) {
    return `cpu ${cpu} is not a Fargate task size; expected one of ${Object.keys(FARGATE_TASK_SIZES).join(", ")}`;
  }
  if (!allowed.includes(memoryMb)) {
    return `cpu ${cpu} with memoryMb ${memoryMb} is not a valid Fargate pair; with cpu ${cpu} memoryMb must be one of ${allowed.join(", ")}`;
  }
  return undefined;
}

export function readFargate(f: Fields, d: FargateSizing): FargateSizing {
  const g = f.object("fargate", Object.keys(d));
  const out: FargateSizing = {
    cpu: g.number("cpu", d.cpu, 1, 16384),
    memoryMb: g.number("memoryMb", d.memoryMb, 1, 122880),
    spotPercent: g.number("spotPercent", d.spotPercent, 0, 100),
    scaling: readScaling(g, d.scaling),
  };
  const pair = fargatePairProblem(out.cpu, out.memoryMb);
  if (pair) g.problem("cpu", pair);
  return out;
}

function architectureProblem(types: string[], architecture: Architecture): string | undefined {
  const wrong = types.filter((t) => isGravitonInstanceType(t) !== (architecture === "arm64"));
  if (wrong.length === 0) return undefined;
  return `${wrong.join(", ")} cannot run the ${architecture} image; choose ${architecture === "arm64" ? "Graviton (e.g. t4g, m7g)" : "x86 (e.g. t3, m7i)"} instance types or change architecture`;
}

export function readEc2(f: Fields, d: Ec2Sizing, architecture: Architecture | undefined): Ec2Sizing {
  const e = f.object("ec2", Object.keys(d));
  const out: Ec2Sizing = {
    instanceType: e.string("instanceType", d.instanceType, INSTANCE_TYPE, "an EC2 instance type like t4g.small"),
    minInstances: e.number("minInstances", d.minInstances, 0, 1000),
    maxInstances: e.number("maxInstances", d.maxInstances, 1, 1000),
    cpu: e.number("cpu", d.cpu, 128, 192 * 1024),
    memoryMb: e.number("memoryMb", d.memoryMb, 6, 24 * 1024 * 1024),
    scaling: readScaling(e, d.scaling),
  };
  checkServiceMemory(e, out.memoryMb);
  if (out.minInstances > out.maxInstances) {
    e.problem("minInstances", `${out.minInstances} is above maxInstances ${out.maxInstances}`);
  }
  const arch = architecture && architectureProblem([out.instanceType], architecture);
  if (arch) e.problem("instanceType", arch);
  return out;
}

/** Kubernetes minor version whose pods have the preStop `sleep` action on by default. */
const PRE_STOP_SLEEP_MIN_MINOR = 30;
const IPV4_CIDR = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;

/** An IAM role or user: what an EKS access entry accepts as its principal. */
const ACCESS_ENTRY_PRINCIPAL = /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/;
const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]+)\/.+$/;

/** Access entries take IAM roles and users only, each once; an STS session is named by its role. */
function readAdminPrincipalArns(k: Fields, fallback: string[]): string[] {
  const raw = k.stringList("adminPrincipalArns", fallback, /^\S+$/, "an IAM role or user ARN", true);
  const problems: string[] = [];
  for (const arn of raw) {
    const session = ASSUMED_ROLE.exec(arn);
    if (session) {
      problems.push(`${arn} is an STS session, which EKS access entries refuse; use its role, arn:${session[1]}:iam::${session[2]}:role/${session[3]}`);
    } else if (!ACCESS_ENTRY_PRINCIPAL.test(arn)) {
      problems.push(`${arn} is not an IAM role or user ARN (arn:aws:iam::<account>:role/<name> or …:user/<name>)`);
    }
  }
  const repeated = raw.filter((arn, i) => raw.indexOf(arn) !== i);
  if (repeated.length > 0) problems.push(`${[...new Set(repeated)].join(", ")} listed more than once; EKS allows one access entry per principal`);
  for (const p of problems) k.problem("adminPrincipalArns", p);
  return problems.length > 0 ? fallback : raw;
}

export function readEks(f: Fields, d: EksSizing, architecture: Architecture | undefined): EksSizing {
  const k = f.object("eks", Object.keys(d));
  const out: EksSizing = {
    kubernetesVersion: k.string("kubernetesVersion", d.kubernetesVersion, /^1\.\d+$/, "a Kubernetes minor version like 1.35"),
    instanceTypes: k.stringList("instanceTypes", d.instanceTypes, INSTANCE_TYPE, "an EC2 instance type like t4g.medium"),
    minNodes: k.number("minNodes", d.minNodes, 0, 450),
    maxNodes: k.number("maxNodes", d.maxNodes, 1, 450),
    desiredNodes: k.number("desiredNodes", d.desiredNodes, 0, 450),
    cpuMillis: k.number("cpuMillis", d.cpuMillis, 10, 192_000),
    memoryMb: k.number("memoryMb", d.memoryMb, 16, 24 * 1024 * 1024),
    scaling: readScaling(k, d.scaling),
    adminPrincipalArns: readAdminPrincipalArns(k, d.adminPrincipalArns ?? []),
    endpointPublicAccess: k.boolean("endpointPublicAccess", d.endpointPublicAccess ?? true),
    publicAccessCidrs: k.stringList("publicAccessCidrs", d.publicAccessCidrs ?? [], IPV4_CIDR, "an IPv4 CIDR like 203.0.113.0/24"),
  };
  checkServiceMemory(k, out.memoryMb);
  const [major, minor] = out.kubernetesVersion.split(".").map(Number);
  if (major === 1 && (minor ?? 0) < PRE_STOP_SLEEP_MIN_MINOR) {
    k.problem("kubernetesVersion", `${out.kubernetesVersion} has no preStop sleep action, which drains pods before they stop; use 1.${PRE_STOP_SLEEP_MIN_MINOR} or later`);
  }
  if (!(out.minNodes <= out.desiredNodes && out.desiredNodes <= out.maxNodes)) {
    k.problem("desiredNodes", `expected minNodes ≤ desiredNodes ≤ maxNodes, got ${out.minNodes} ≤ ${out.desiredNodes} ≤ ${out.maxNodes}`);
  }
  const arch = architecture && architectureProblem(out.instanceTypes, architecture);
  if (arch) k.problem("instanceTypes", arch);
  return out;
}
