// The stack config validator: defaults, and an actionable error for each bad value.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseManifest, type Manifest } from "../../service/src/model/manifest";
import {
  ALB_IDLE_TIMEOUT_SECONDS,
  BlueprintConfigError,
  DEFAULTS,
  FARGATE_TASK_SIZES,
  fargatePairProblem,
  isGravitonInstanceType,
  validateConfig,
} from "../../infra/config";
import { MIN_MEMORY_MB } from "../../service/src/config";
import { FIXTURE_MODELS_DIR, readProjectConfig, stackFiles } from "./harness";

const manifest: Manifest = parseManifest(
  JSON.parse(fs.readFileSync(path.join(FIXTURE_MODELS_DIR, "fraud", "1", "manifest.json"), "utf8")),
);

/** The problems validateConfig reports for `raw`, or [] when it accepts it. */
function problems(raw: Record<string, unknown>, m?: Manifest): string[] {
  try {
    validateConfig(raw, m);
    return [];
  } catch (e) {
    if (e instanceof BlueprintConfigError) return e.problems;
    throw e;
  }
}

describe("validateConfig", () => {
  test("an empty config is the defaults", () => {
    expect(validateConfig({})).toEqual({ ...DEFAULTS, provisionRedis: true });
  });

  test.each(stackFiles())("%s is valid, also against the model's manifest", (file) => {
    expect(problems(readProjectConfig(file), manifest)).toEqual([]);
  });

  test("nested objects merge field by field with the defaults", () => {
    const c = validateConfig({ fargate: { cpu: 512, memoryMb: 2048 } });
    expect(c.fargate).toEqual({ ...DEFAULTS.fargate, cpu: 512, memoryMb: 2048 });
  });

  test("numbers and booleans given as strings (pulumi config set) are read", () => {
    const c = validateConfig({ availabilityZones: "3", modelVersion: 2, keyspaces: { pointInTimeRecovery: "true" } });
    expect(c.availabilityZones).toBe(3);
    expect(c.modelVersion).toBe("2");
    expect(c.keyspaces.pointInTimeRecovery).toBe(true);
  });

  test("an unknown compute target lists the valid ones", () => {
    expect(problems({ computeTarget: "ecs" })).toEqual([
      'computeTarget: "ecs" is not one of lambda, fargate, ec2, eks',
    ]);
  });

  test("an unknown NAT strategy lists the valid ones", () => {
    expect(problems({ natStrategy: "perAz" })).toEqual(['natStrategy: "perAz" is not one of none, single, onePerAz']);
  });

  test("an unknown key is named, with the keys that exist", () => {
    const [p] = problems({ computeTraget: "lambda" });
    expect(p).toMatch(/^computeTraget: unknown key; expected one of .*computeTarget/);
    expect(problems({ redis: { nodetype: "cache.t4g.micro" } })[0]).toMatch(/^redis\.nodetype: unknown key/);
  });

  test("every problem is reported at once", () => {
    expect(problems({ computeTarget: "x", architecture: "arm", availabilityZones: 1 })).toHaveLength(3);
  });

  describe("fargate", () => {
    test("an invalid CPU/memory pair lists the memory sizes valid for that CPU", () => {
      expect(problems({ fargate: { cpu: 256, memoryMb: 4096 } })).toEqual([
        "fargate.cpu: cpu 256 with memoryMb 4096 is not a valid Fargate pair; with cpu 256 memoryMb must be one of 512, 1024, 2048",
      ]);
    });
    test("an unknown CPU size lists the CPU sizes", () => {
      expect(fargatePairProblem(300, 512)).toBe(
        "cpu 300 is not a Fargate task size; expected one of 256, 512, 1024, 2048, 4096, 8192, 16384",
      );
    });
    test("the documented table's corners are valid", () => {
      for (const [cpu, memory] of [[256, 512], [1024, 8192], [4096, 30720], [8192, 61440], [16384, 122880]]) {
        expect(fargatePairProblem(cpu as number, memory as number)).toBeUndefined();
      }
      expect(FARGATE_TASK_SIZES[512]).toEqual([1024, 2048, 3072, 4096]);
    });
    test("autoscaling min above max is refused", () => {
      expect(problems({ fargate: { scaling: { minCount: 5, maxCount: 2 } } })).toEqual([
        "fargate.scaling.minCount: 5 is above maxCount 2; autoscaling needs minCount ≤ maxCount",
      ]);
    });
    test("spot share is a percentage", () => {
      expect(problems({ fargate: { spotPercent: 150 } })).toEqual(["fargate.spotPercent: 150 is not an integer from 0 to 100"]);
    });
    test("Spot is accepted on arm64 (Fargate Spot runs ARM64 tasks on platform 1.4.0+) and on x86_64", () => {
      expect(validateConfig({ computeTarget: "fargate", architecture: "arm64", fargate: { spotPercent: 30 } }).fargate.spotPercent).toBe(30);
      expect(validateConfig({ computeTarget: "fargate", architecture: "x86_64", fargate: { spotPercent: 100 } }).fargate.spotPercent).toBe(100);
    });
  });

  describe("the service's memory floor", () => {
    test.each([
      ["lambda", 128],
      ["ec2", 128],
      ["eks", 192],
    ])("%s: a container smaller than MIN_MEMORY_MB is refused, saying why", (target, memory) => {
      expect(problems({ computeTarget: target, [target]: { memoryMb: memory } })).toEqual([
        `${target}.memoryMb: ${memory} MB is below the ${MIN_MEMORY_MB} MB the service needs: Node, onnxruntime and the model's pages do not fit ` +
          `and the process pages from disk (measured with the example model: 128 MB served ~120 predictions/s at a 1 s p99, 160 MB half of 256 MB's)`,
      ]);
    });
    test("the floor itself is accepted", () => {
      expect(problems({ computeTarget: "lambda", lambda: { memoryMb: MIN_MEMORY_MB } })).toEqual([]);
      expect(problems({ computeTarget: "ec2", ec2: { memoryMb: MIN_MEMORY_MB } })).toEqual([]);
    });
  });

  describe("lambda", () => {
    test.each([
      [{ memoryMb: 64 }, "lambda.memoryMb: 64 is not an integer from 128 to 10240"],
      [{ memoryMb: 20000 }, "lambda.memoryMb: 20000 is not an integer from 128 to 10240"],
      [{ timeoutSeconds: 0 }, "lambda.timeoutSeconds: 0 is not an integer from 1 to 900"],
      [{ timeoutSeconds: 901 }, "lambda.timeoutSeconds: 901 is not an integer from 1 to 900"],
    ])("%j is out of range", (lambda, message) => {
      expect(problems({ lambda })).toEqual([message]);
    });
    test("a timeout not below the ALB idle timeout is refused, saying the most that fits", () => {
      expect(problems({ lambda: { timeoutSeconds: ALB_IDLE_TIMEOUT_SECONDS } })).toEqual([
        `lambda.timeoutSeconds: ${ALB_IDLE_TIMEOUT_SECONDS} s is not below the ALB idle timeout (${ALB_IDLE_TIMEOUT_SECONDS} s): the ALB would cut the request first; use at most ${ALB_IDLE_TIMEOUT_SECONDS - 1}`,
      ]);
    });
    test("provisioned concurrency above reserved is refused", () => {
      expect(problems({ lambda: { reservedConcurrency: 2, provisionedConcurrency: 5 } })[0]).toMatch(
        /^lambda\.provisionedConcurrency: 5 exceeds reservedConcurrency 2/,
      );
    });
  });

  describe("instances match the architecture", () => {
    test("Graviton families are recognised", () => {
      expect(["t4g.small", "m7g.large", "c7gn.xlarge", "r8gd.large", "a1.medium"].map(isGravitonInstanceType)).toEqual([true, true, true, true, true]);
      expect(["t3.small", "m7i.large", "g5.xlarge", "m7i-flex.large", "c5n.large"].map(isGravitonInstanceType)).toEqual([false, false, false, false, false]);
    });
    test("an x86 instance for an arm64 image is refused", () => {
      expect(problems({ computeTarget: "ec2", architecture: "arm64", ec2: { instanceType: "t3.small" } })[0]).toMatch(
        /^ec2\.instanceType: t3\.small cannot run the arm64 image/,
      );
      expect(problems({ computeTarget: "eks", architecture: "x86_64", eks: { instanceTypes: ["t3.medium", "m7g.large"] } })[0]).toMatch(
        /^eks\.instanceTypes: m7g\.large cannot run the x86_64 image/,
      );
    });
    test("only the deployed target's instances are checked", () => {
      expect(problems({ computeTarget: "fargate", architecture: "x86_64" })).toEqual([]);
    });
    test("EKS admin principals: IAM roles and users are accepted; none by default", () => {
      const arns = ["arn:aws:iam::123456789012:role/platform-admins", "arn:aws:iam::123456789012:user/ops/alice"];
      expect(validateConfig({ computeTarget: "eks", eks: { adminPrincipalArns: arns } }).eks.adminPrincipalArns).toEqual(arns);
      expect(validateConfig({ computeTarget: "eks" }).eks.adminPrincipalArns).toEqual([]);
      expect(problems({ computeTarget: "eks", eks: { adminPrincipalArns: [] } })).toEqual([]);
    });
    test("EKS admin principals: an STS session is refused, naming the role to list instead", () => {
      expect(problems({ eks: { adminPrincipalArns: ["arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com"] } })).toEqual([
        "eks.adminPrincipalArns: arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com is an STS session, which EKS access entries refuse; use its role, arn:aws:iam::123456789012:role/Admin",
      ]);
    });
    test("EKS admin principals: not an ARN, a repeated principal, or not a list", () => {
      expect(problems({ eks: { adminPrincipalArns: ["platform-admins"] } })[0]).toMatch(/^eks\.adminPrincipalArns: platform-admins is not an IAM role or user ARN/);
      const role = "arn:aws:iam::123456789012:role/a";
      expect(problems({ eks: { adminPrincipalArns: [role, role] } })).toEqual([
        `eks.adminPrincipalArns: ${role} listed more than once; EKS allows one access entry per principal`,
      ]);
      expect(problems({ eks: { adminPrincipalArns: role } })[0]).toMatch(/^eks\.adminPrincipalArns: expected a list of an IAM role or user ARN/);
    });
    test("EKS node counts must nest", () => {
      expect(problems({ eks: { minNodes: 3, desiredNodes: 2, maxNodes: 4 } })[0]).toMatch(/^eks\.desiredNodes: expected minNodes ≤ desiredNodes ≤ maxNodes/);
    });
  });

  describe("gRPC through the ALB", () => {
    const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc-123";
    test("off by default", () => {
      expect(validateConfig({}).grpc).toEqual({ enabled: false });
    });
    test.each(["fargate", "ec2", "eks"])("accepted on %s with a certificate", (computeTarget) => {
      expect(validateConfig({ computeTarget, certificateArn: CERT, grpc: { enabled: true } }).grpc).toEqual({ enabled: true });
    });
    test("refused on Lambda, saying why and what to use", () => {
      expect(problems({ computeTarget: "lambda", natStrategy: "single", certificateArn: CERT, grpc: { enabled: true } })).toEqual([
        expect.stringMatching(/^grpc: Lambda cannot serve gRPC: .*use computeTarget fargate, ec2 or eks/),
      ]);
    });
    test("refused without a certificate: the ALB speaks gRPC only over HTTPS", () => {
      expect(problems({ computeTarget: "fargate", grpc: { enabled: true } })).toEqual([expect.stringMatching(/^grpc: gRPC through an ALB needs an HTTPS listener .*set certificateArn/)]);
    });
    test("an unknown field or a non-boolean is named", () => {
      expect(problems({ grpc: { enabled: "yes" } })[0]).toMatch(/^grpc\.enabled: /);
      expect(problems({ grpc: { port: 9000 } })[0]).toMatch(/^grpc/);
    });
  });

  describe("platform", () => {
    test("two or three availability zones", () => {
      expect(problems({ availabilityZones: 1 })).toEqual(["availabilityZones: 1 is not an integer from 2 to 3"]);
    });
    test("a log retention CloudWatch does not accept lists the accepted ones", () => {
      expect(problems({ logRetentionDays: 10 })[0]).toMatch(/^logRetentionDays: 10 is not a CloudWatch retention; expected one of 1, 3, 5, 7, 14, 30/);
    });
    test("multi-AZ Redis needs a replica", () => {
      expect(problems({ redis: { multiAz: true, replicas: 0 } })).toEqual([
        "redis.multiAz: multi-AZ failover needs a replica to fail over to; set replicas to 1 or more",
      ]);
    });
    test("a domain without a certificate is refused (no HTTPS otherwise)", () => {
      expect(problems({ domainName: "ml.example.com" })[0]).toMatch(/^domainName: serving ml\.example\.com needs HTTPS/);
    });
    test("a malformed certificate ARN is refused", () => {
      expect(problems({ certificateArn: "arn:aws:iam::123:cert/x" })[0]).toMatch(/^certificateArn: .* is not an ACM certificate ARN/);
    });
    test("no NAT is refused for targets that need ECR, logs or secrets from the private subnets", () => {
      expect(problems({ natStrategy: "none", computeTarget: "fargate" })[0]).toMatch(/^natStrategy: "none" leaves the private subnets without a route/);
      expect(problems({ natStrategy: "none", computeTarget: "lambda", featureStore: "redis" })).toHaveLength(1);
      expect(problems({ natStrategy: "none", computeTarget: "lambda", featureStore: "embedded" })).toEqual([]);
    });
    test("the store the service reads is always provisioned; the other one on request", () => {
      expect(validateConfig({ featureStore: "keyspaces" })).toMatchObject({ provisionKeyspaces: true, provisionRedis: false });
      expect(validateConfig({ featureStore: "keyspaces", provisionRedis: true })).toMatchObject({ provisionKeyspaces: true, provisionRedis: true });
    });
    test("traffic is non-negative and at most 24 active hours", () => {
      expect(problems({ traffic: { requestsPerSecond: -1, activeHoursPerDay: 25 } })).toEqual([
        "traffic.requestsPerSecond: -1 is not a number from 0 to 10000000",
        "traffic.activeHoursPerDay: 25 is not a number from 0 to 24",
      ]);
    });
  });

  describe("the feature store against the model's manifest", () => {
    test("embedded is refused for a model that reads online features, naming the views", () => {
      expect(problems({ featureStore: "embedded" }, manifest)).toEqual([
        'featureStore: "embedded" reads an offline Parquet file from the service\'s disk, which a deployed stack does not ship, but model fraud reads online features from user_stats, user_risk; choose redis or keyspaces and materialize the features into it',
      ]);
    });
    test("an online store is refused for a model that reads none", () => {
      const requestOnly = { ...manifest, featureViews: [], features: manifest.features.filter((f) => f.source.kind === "request") };
      expect(problems({ featureStore: "redis" }, requestOnly)).toEqual([
        "featureStore: model fraud reads no online features, so redis would be provisioned and never read; choose embedded",
      ]);
      expect(problems({ featureStore: "embedded" }, requestOnly)).toEqual([]);
    });
    test("self-managed cassandra is not a deployed store", () => {
      expect(problems({ featureStore: "cassandra" })).toEqual(['featureStore: "cassandra" is not one of embedded, redis, keyspaces, dynamodb']);
    });
    test("a Keyspaces table name over 48 characters is refused", () => {
      const long = { ...manifest, project: "p".repeat(40) };
      expect(problems({ featureStore: "keyspaces" }, long)[0]).toMatch(/Keyspaces table "p{40}_user_stats" .* over Keyspaces' 48/);
    });
    test("the package folder and the manifest must name the same model", () => {
      expect(problems({ modelVersion: "2" }, manifest)[0]).toMatch(/^modelName\/modelVersion: the manifest at models\/fraud\/2\/ names fraud\/1/);
    });
  });
});
