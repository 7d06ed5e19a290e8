// Lambda: no idle cost and no servers; cheapest at low or spiky traffic. The same image as the
// containers, started through the Lambda entry; behind the shared ALB (same URL contract) and,
// optionally, behind its natural front door, an API Gateway HTTP API.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { HEALTH_PATH } from "../../service/src/config";
import { LAMBDA_IMAGE_COMMAND, LAMBDA_IMAGE_ENTRY_POINT } from "../image-repository";
import { checkTargetGroupName, forwardPublicRoutes } from "./alb";
import { lambdaEnvironment } from "./environment";
import type { ComputeTarget, ComputeTargetArgs, LambdaSizing } from "./target";

/** The alias the ALB and API Gateway invoke; provisioned concurrency lives on it. */
export const LIVE_ALIAS = "live";

/** API Gateway HTTP APIs cut integrations off at 30 s, whatever the function's timeout. */
export const HTTP_API_MAX_INTEGRATION_MS = 30_000;

/**
 * What the function's role needs besides the runtime policy: ENIs in the VPC (EC2 offers no
 * resource-level scoping for these) and writing to its own log group only.
 */
export function lambdaPlatformPolicy(logGroupArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "VpcNetworkInterfaces",
        Effect: "Allow",
        Action: [
          "ec2:CreateNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeSubnets",
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
        ],
        Resource: "*",
      },
      {
        Sid: "ServiceLogGroup",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${logGroupArn}:*`,
      },
    ],
  });
}

export class LambdaTarget extends pulumi.ComponentResource implements ComputeTarget {
  readonly kind = "lambda" as const;
  readonly targetGroupArn: pulumi.Output<string>;
  readonly apiEndpoint?: pulumi.Output<string>;
  readonly functionName: pulumi.Output<string>;
  readonly aliasArn: pulumi.Output<string>;

  constructor(name: string, args: ComputeTargetArgs, sizing: LambdaSizing, opts?: pulumi.ComponentResourceOptions) {
    super("inference-blueprint:compute:LambdaTarget", name, {}, opts);
    if (args.grpc) throw new Error("lambda: Lambda cannot serve gRPC (an ALB invokes a function per HTTP request, not an HTTP/2 stream); use a container target");
    const parent = { parent: this };

    const role = new aws.iam.Role(
      `${name}-fn`,
      {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags: args.tags,
      },
      parent,
    );
    const runtimePolicy = new aws.iam.RolePolicy(`${name}-fn-runtime`, { role: role.id, policy: args.runtimePolicyJson }, parent);

    const partition = aws.getPartitionOutput({}, parent).partition;
    const region = aws.getRegionOutput({}, parent).region;
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    const logGroupArn = pulumi.interpolate`arn:${partition}:logs:${region}:${account}:log-group:${args.logGroupName}`;
    const platformPolicy = new aws.iam.RolePolicy(
      `${name}-fn-platform`,
      { role: role.id, policy: logGroupArn.apply(lambdaPlatformPolicy) },
      parent,
    );

    const fn = new aws.lambda.Function(
      `${name}-fn`,
      {
        packageType: "Image",
        imageUri: args.imageUri,
        imageConfig: { entryPoints: [...LAMBDA_IMAGE_ENTRY_POINT], commands: [...LAMBDA_IMAGE_COMMAND] },
        architectures: [args.architecture],
        role: role.arn,
        memorySize: sizing.memoryMb,
        timeout: sizing.timeoutSeconds,
        // -1: no reservation, the account's unreserved pool.
        reservedConcurrentExecutions: sizing.reservedConcurrency ?? -1,
        // Versions to point the alias (and its provisioned concurrency) at.
        publish: true,
        environment: { variables: lambdaEnvironment(args.environment) },
        vpcConfig: sizing.vpc ? { subnetIds: args.privateSubnetIds, securityGroupIds: [args.computeSecurityGroupId] } : undefined,
        loggingConfig: { logFormat: "Text", logGroup: args.logGroupName },
        tags: args.tags,
      },
      // Creating the function in a VPC already needs the ENI permissions.
      { parent: this, dependsOn: [runtimePolicy, platformPolicy] },
    );

    const alias = new aws.lambda.Alias(
      `${name}-live`,
      { name: LIVE_ALIAS, functionName: fn.name, functionVersion: fn.version },
      parent,
    );
    if (sizing.provisionedConcurrency > 0) {
      // Buys off cold starts (module load + model load) for this many concurrent requests.
      new aws.lambda.ProvisionedConcurrencyConfig(
        `${name}-warm`,
        { functionName: fn.name, qualifier: alias.name, provisionedConcurrentExecutions: sizing.provisionedConcurrency },
        parent,
      );
    }

    // Health checks invoke the function: a liveness probe is the cheapest honest one.
    const tgName = `${name}-tg`;
    checkTargetGroupName(tgName);
    const targetGroup = new aws.lb.TargetGroup(
      tgName,
      {
        targetType: "lambda",
        healthCheck: { enabled: true, path: HEALTH_PATH, matcher: "200", interval: 60, timeout: 30, healthyThreshold: 2, unhealthyThreshold: 3 },
        tags: args.tags,
      },
      parent,
    );
    const albPermission = new aws.lambda.Permission(
      `${name}-alb`,
      {
        action: "lambda:InvokeFunction",
        function: fn.name,
        qualifier: alias.name,
        principal: "elasticloadbalancing.amazonaws.com",
        sourceArn: targetGroup.arn,
      },
      parent,
    );
    // ELB checks it may invoke the target when it is registered.
    new aws.lb.TargetGroupAttachment(
      `${name}-tg-live`,
      { targetGroupArn: targetGroup.arn, targetId: alias.arn },
      { parent: this, dependsOn: [albPermission] },
    );
    forwardPublicRoutes(`${name}-rule`, args.listenerArn, targetGroup.arn, args.tags, parent);

    if (sizing.apiGateway) {
      const api = new aws.apigatewayv2.Api(`${name}-http`, { protocolType: "HTTP", tags: args.tags }, parent);
      const integration = new aws.apigatewayv2.Integration(
        `${name}-http`,
        {
          apiId: api.id,
          integrationType: "AWS_PROXY",
          integrationUri: alias.invokeArn,
          payloadFormatVersion: "2.0",
          timeoutMilliseconds: Math.min(sizing.timeoutSeconds * 1000, HTTP_API_MAX_INTEGRATION_MS),
        },
        parent,
      );
      new aws.apigatewayv2.Route(
        `${name}-http`,
        // IAM authorization: callers sign requests (SigV4) with credentials allowed execute-api:Invoke.
        { apiId: api.id, routeKey: "$default", target: pulumi.interpolate`integrations/${integration.id}`, authorizationType: "AWS_IAM" },
        parent,
      );
      new aws.apigatewayv2.Stage(`${name}-http`, { apiId: api.id, name: "$default", autoDeploy: true, tags: args.tags }, parent);
      new aws.lambda.Permission(
        `${name}-http`,
        {
          action: "lambda:InvokeFunction",
          function: fn.name,
          qualifier: alias.name,
          principal: "apigateway.amazonaws.com",
          sourceArn: pulumi.interpolate`${api.executionArn}/*/*`,
        },
        parent,
      );
      this.apiEndpoint = api.apiEndpoint;
    }

    this.targetGroupArn = targetGroup.arn;
    this.functionName = fn.name;
    this.aliasArn = alias.arn;
    this.registerOutputs({
      targetGroupArn: this.targetGroupArn,
      functionName: this.functionName,
      aliasArn: this.aliasArn,
      apiEndpoint: this.apiEndpoint,
    });
  }
}
