// The Lambda target under mocks: the function, its role, the alias and the ALB wiring.
import { HEALTH_PATH, PUBLIC_PATH_PATTERNS } from "../../../service/src/config";
import { DEFAULTS } from "../../../infra/config";
import { LAMBDA_IMAGE_COMMAND, LAMBDA_IMAGE_ENTRY_POINT } from "../../../infra/image-repository";
import { LAMBDA_RESERVED_VARIABLES } from "../../../infra/compute/environment";
import type { LambdaSizing } from "../../../infra/compute/target";
import { ACCOUNT_ID, REGION, at, textAt } from "../mocks";
import {
  COMPUTE_SG, ENVIRONMENT, IMAGE_URI, LISTENER_ARN, LOG_GROUP, RUNTIME_POLICY_JSON,
  computeArgs, named, ofType, one, runComponent, type ComponentRun,
} from "./component-run";

const run = (sizing: Partial<LambdaSizing>) =>
  runComponent((c) => new c.LambdaTarget("svc", computeArgs(), { ...DEFAULTS.lambda, ...sizing }));

describe("lambda target, ALB only, no provisioned concurrency", () => {
  let r: ComponentRun;
  beforeAll(async () => {
    r = await run({ memoryMb: 2048, timeoutSeconds: 15, provisionedConcurrency: 0, apiGateway: false });
  });

  it("runs the shared image through the Lambda entry the image module exports", () => {
    const fn = one(r.resources, "aws:lambda/function:Function").inputs;
    expect(fn.packageType).toBe("Image");
    expect(fn.imageUri).toBe(IMAGE_URI);
    expect(fn.imageConfig).toEqual({ entryPoints: [...LAMBDA_IMAGE_ENTRY_POINT], commands: [...LAMBDA_IMAGE_COMMAND] });
    expect(fn.architectures).toEqual(["arm64"]);
  });

  it("takes memory and timeout from sizing and leaves concurrency unreserved when unset", () => {
    const fn = one(r.resources, "aws:lambda/function:Function").inputs;
    expect(fn.memorySize).toBe(2048);
    expect(fn.timeout).toBe(15);
    expect(fn.reservedConcurrentExecutions).toBe(-1);
    expect(fn.publish).toBe(true);
  });

  it("runs in the private subnets with the compute security group and logs to the platform's log group", () => {
    const fn = one(r.resources, "aws:lambda/function:Function").inputs;
    expect(fn.vpcConfig).toEqual({ subnetIds: ["subnet-private-a", "subnet-private-b"], securityGroupIds: [COMPUTE_SG] });
    expect(at(fn, "loggingConfig", "logGroup")).toBe(LOG_GROUP);
  });

  it("passes the service's environment except the keys Lambda reserves and sets itself", () => {
    const vars = at(one(r.resources, "aws:lambda/function:Function").inputs, "environment", "variables") as Record<string, string>;
    const reserved = new Set<string>(LAMBDA_RESERVED_VARIABLES);
    const expected = Object.fromEntries(Object.entries(ENVIRONMENT).filter(([k]) => !reserved.has(k)));
    expect(vars).toEqual(expected);
    expect(ENVIRONMENT).toHaveProperty("AWS_REGION");
    expect(vars).not.toHaveProperty("AWS_REGION");
  });

  it("gives the role the runtime policy, ENI actions and writes to its own log group only", () => {
    const policies = ofType(r.resources, "aws:iam/rolePolicy:RolePolicy");
    expect(named(r.resources, "aws:iam/rolePolicy:RolePolicy", "svc-fn-runtime").inputs.policy).toBe(RUNTIME_POLICY_JSON);
    const platform = JSON.parse(textAt(named(r.resources, "aws:iam/rolePolicy:RolePolicy", "svc-fn-platform").inputs, "policy"));
    const logs = platform.Statement.find((s: { Sid: string }) => s.Sid === "ServiceLogGroup");
    expect(logs.Resource).toBe(`arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:${LOG_GROUP}:*`);
    const wildcard = platform.Statement.filter((s: { Resource: string }) => s.Resource === "*");
    expect(wildcard.flatMap((s: { Action: string[] }) => s.Action).every((a: string) => a.startsWith("ec2:") && /NetworkInterface|Subnets|PrivateIp/.test(a))).toBe(true);
    expect(policies).toHaveLength(2);
    expect(ofType(r.resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toHaveLength(0);
  });

  it("publishes a `live` alias without provisioned concurrency", () => {
    expect(one(r.resources, "aws:lambda/alias:Alias").inputs.name).toBe("live");
    expect(ofType(r.resources, "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig")).toHaveLength(0);
  });

  it("registers the alias in a `lambda` target group, health-checked on the service's liveness path", () => {
    const tg = one(r.resources, "aws:lb/targetGroup:TargetGroup");
    expect(tg.inputs.targetType).toBe("lambda");
    expect(tg.inputs.healthCheck).toMatchObject({ enabled: true, path: HEALTH_PATH });
    const alias = one(r.resources, "aws:lambda/alias:Alias");
    const attachment = one(r.resources, "aws:lb/targetGroupAttachment:TargetGroupAttachment");
    expect(attachment.inputs).toMatchObject({ targetGroupArn: tg.state.arn, targetId: alias.state.arn });
    expect(r.outputs.targetGroupArn).toBe(tg.state.arn);
  });

  it("lets only that target group invoke the alias", () => {
    const tg = one(r.resources, "aws:lb/targetGroup:TargetGroup");
    const permission = one(r.resources, "aws:lambda/permission:Permission").inputs;
    expect(permission).toMatchObject({
      action: "lambda:InvokeFunction",
      principal: "elasticloadbalancing.amazonaws.com",
      sourceArn: tg.state.arn,
      qualifier: "live",
    });
  });

  it("forwards only the inference routes of the serving listener to the target group", () => {
    const rule = one(r.resources, "aws:lb/listenerRule:ListenerRule").inputs;
    expect(rule.listenerArn).toBe(LISTENER_ARN);
    expect(rule.actions).toEqual([{ type: "forward", targetGroupArn: one(r.resources, "aws:lb/targetGroup:TargetGroup").state.arn }]);
    expect(rule.conditions).toEqual([{ pathPattern: { values: [...PUBLIC_PATH_PATTERNS] } }]);
    expect(PUBLIC_PATH_PATTERNS).not.toContain("/*");
  });

  it("has no API Gateway front door unless asked", () => {
    expect(r.resources.filter((x) => x.type.startsWith("aws:apigatewayv2/"))).toHaveLength(0);
    expect(r.outputs.apiEndpoint).toBeUndefined();
  });
});

describe("lambda target with reserved and provisioned concurrency and an HTTP API", () => {
  let r: ComponentRun;
  beforeAll(async () => {
    r = await run({ timeoutSeconds: 45, reservedConcurrency: 20, provisionedConcurrency: 2, apiGateway: true });
  });

  it("reserves concurrency and keeps provisioned concurrency on the live alias", () => {
    expect(one(r.resources, "aws:lambda/function:Function").inputs.reservedConcurrentExecutions).toBe(20);
    const warm = one(r.resources, "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig").inputs;
    expect(warm).toMatchObject({ qualifier: "live", provisionedConcurrentExecutions: 2 });
  });

  it("fronts the alias with an HTTP API whose integration stays within API Gateway's 30 s", () => {
    expect(one(r.resources, "aws:apigatewayv2/api:Api").inputs.protocolType).toBe("HTTP");
    const integration = one(r.resources, "aws:apigatewayv2/integration:Integration").inputs;
    expect(integration.integrationUri).toBe(one(r.resources, "aws:lambda/alias:Alias").state.invokeArn);
    expect(integration.timeoutMilliseconds).toBe(30_000);
    expect(one(r.resources, "aws:apigatewayv2/route:Route").inputs).toMatchObject({ routeKey: "$default", authorizationType: "AWS_IAM" });
    expect(one(r.resources, "aws:apigatewayv2/stage:Stage").inputs).toMatchObject({ name: "$default", autoDeploy: true });
  });

  it("gives API Gateway its own invoke permission, scoped to the API", () => {
    const api = one(r.resources, "aws:apigatewayv2/api:Api");
    const perms = ofType(r.resources, "aws:lambda/permission:Permission").map((p) => p.inputs);
    expect(perms.map((p) => p.principal).sort()).toEqual(["apigateway.amazonaws.com", "elasticloadbalancing.amazonaws.com"]);
    expect(perms.find((p) => p.principal === "apigateway.amazonaws.com")?.sourceArn).toBe(`${api.state.executionArn}/*/*`);
  });

  it("exposes the API endpoint", () => {
    expect(r.outputs.apiEndpoint).toBe(one(r.resources, "aws:apigatewayv2/api:Api").state.apiEndpoint);
  });
});
