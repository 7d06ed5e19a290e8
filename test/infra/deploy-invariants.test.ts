// Names and values AWS refuses at `pulumi up` that Pulumi's mocks accept: the program refuses them
// first, with what to do instead.
import { BlueprintConfigError, validateConfig } from "../../infra/config";
import { ALB_NAME_MAX, AUTONAME_SUFFIX_LENGTH } from "../../infra/load-balancer";
import { SECURITY_GROUP_DESCRIPTION, STACK_NAME_MAX, resourceNamePrefix, stackNameProblem } from "../../infra/naming";
import { runStack, stackFiles, stackName } from "./harness";

const ACM = (region: string) => `arn:aws:acm:${region}:123456789012:certificate/00000000-0000-0000-0000-000000000000`;

function problems(raw: Record<string, unknown>, region?: string): string[] {
  try {
    validateConfig(raw, undefined, region);
    return [];
  } catch (e) {
    if (e instanceof BlueprintConfigError) return e.problems;
    throw e;
  }
}

describe("stack names, which every resource name begins with", () => {
  test.each(stackFiles().map(stackName))("the example stack %s is a valid prefix", (stack) => {
    expect(stackNameProblem(stack)).toBeUndefined();
  });

  test("letters are lowercased, since S3 and the ALB take lowercase only", () => {
    expect(resourceNamePrefix("Fraud-Staging")).toBe("fraud-staging");
  });

  test("the longest accepted name still fits the ALB's 32 characters with Pulumi's suffix", () => {
    expect(`${"a".repeat(STACK_NAME_MAX)}-alb`.length + AUTONAME_SUFFIX_LENGTH).toBe(ALB_NAME_MAX);
    expect(stackNameProblem("a".repeat(STACK_NAME_MAX))).toBeUndefined();
    expect(stackNameProblem("a".repeat(STACK_NAME_MAX + 1))).toMatch(/at most 20 characters/);
  });

  test.each([
    ["fraud_staging", /only letters, digits and hyphens/],
    ["fraud.staging", /only letters, digits and hyphens/],
    ["1fraud", /start with a letter/],
    ["fraud--staging", /no double or trailing hyphen/],
    ["fraud-", /no double or trailing hyphen/],
    ["internal", /do not begin with "internal"/],
    ["internal-tools", /do not begin with "internal"/],
    ["sthree-prod", /do not begin with "sthree"/],
  ])("%s is refused", (stack, reason) => {
    expect(stackNameProblem(stack)).toMatch(reason);
    expect(() => resourceNamePrefix(stack)).toThrow(new RegExp(`^stack name "${stack.replace(".", "\\.")}" cannot prefix`));
  });

  test("names that merely contain a reserved word are accepted", () => {
    expect(stackNameProblem("internalx")).toBeUndefined();
    expect(stackNameProblem("my-internal")).toBeUndefined();
  });

  test("the program refuses a stack name S3 would refuse, before registering anything", async () => {
    await expect(runStack("Pulumi.fargate.yaml", { stack: "fraud_staging", fakeComputeTarget: true })).rejects.toThrow(
      /stack name "fraud_staging" cannot prefix the stack's AWS resource names: use only letters, digits and hyphens/,
    );
  });
});

describe("the HTTPS certificate is in the stack's region", () => {
  test("a certificate of another region is refused, naming both regions", () => {
    expect(problems({ certificateArn: ACM("eu-west-1") }, "us-east-1")).toEqual([
      "certificateArn: the certificate is in eu-west-1, but the stack's ALB is in us-east-1 (aws:region) and can use only certificates of its own region; request or import the certificate in ACM in us-east-1",
    ]);
  });
  test("a certificate of the stack's region is accepted; without a region nothing is assumed", () => {
    expect(problems({ certificateArn: ACM("us-east-1") }, "us-east-1")).toEqual([]);
    expect(problems({ certificateArn: ACM("eu-west-1") })).toEqual([]);
  });
  test("the program checks the certificate against aws:region", async () => {
    await expect(
      runStack("Pulumi.fargate-prod.yaml", { fakeComputeTarget: true, overrides: { certificateArn: ACM("eu-west-1") } }),
    ).rejects.toThrow(/certificateArn: the certificate is in eu-west-1, but the stack's ALB is in us-east-1/);
  });
});

describe("security group descriptions", () => {
  test("EC2's character set: no apostrophes, quotes or non-ASCII, at most 255 characters", () => {
    expect(SECURITY_GROUP_DESCRIPTION.test("ALB: 80/443 from the internet")).toBe(true);
    expect(SECURITY_GROUP_DESCRIPTION.test("Redis: only the service's compute security group")).toBe(false);
    expect(SECURITY_GROUP_DESCRIPTION.test('the "service"')).toBe(false);
    expect(SECURITY_GROUP_DESCRIPTION.test("ALB → service")).toBe(false);
    expect(SECURITY_GROUP_DESCRIPTION.test("a".repeat(256))).toBe(false);
  });
});
