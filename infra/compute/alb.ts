// What every target does on the shared ALB: one target group behind one forward rule for the
// inference routes on the serving listener, whose default action stays the platform's fixed 404.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GRPC_PORT, PUBLIC_PATH_PATTERNS } from "../../service/src/config";
import { HEALTH_CHECK_PATH, INFERENCE_SERVICE_PATH_PATTERN } from "../../service/src/grpc/names";
import type { ComputeTargetArgs } from "./target";

/** One target per stack, so one rule; a fixed priority keeps `pulumi up` idempotent. */
export const SERVICE_RULE_PRIORITY = 100;
/** The gRPC rule's priority: its path cannot match a REST route, so the order does not matter. */
export const GRPC_RULE_PRIORITY = 101;

/** Target group names are limited to 32 characters; Pulumi appends "-" and 7 random characters. */
export const TARGET_GROUP_NAME_LIMIT = 32;
export const AUTONAME_SUFFIX_LENGTH = 8;

/** Refuses a logical name whose auto-generated physical name would exceed AWS's limit. */
export function checkTargetGroupName(logicalName: string): void {
  const physical = logicalName.length + AUTONAME_SUFFIX_LENGTH;
  if (physical > TARGET_GROUP_NAME_LIMIT) {
    throw new Error(
      `target group "${logicalName}" would get a ${physical}-character name; AWS allows ` +
        `${TARGET_GROUP_NAME_LIMIT}: keep the logical name within ` +
        `${TARGET_GROUP_NAME_LIMIT - AUTONAME_SUFFIX_LENGTH} characters (a shorter component name)`,
    );
  }
}

/**
 * `app/<name>/<id>` of the load balancer a listener belongs to: the first half of the
 * `ALBRequestCountPerTarget` resource label.
 */
export function loadBalancerArnSuffix(listenerArn: string): string {
  const match = /:listener\/(app\/[^/]+\/[^/]+)\/[^/]+$/.exec(listenerArn);
  if (!match) {
    throw new Error(
      `listener ARN "${listenerArn}" is not an ALB listener ARN ` +
        `(arn:aws:elasticloadbalancing:<region>:<account>:listener/app/<name>/<id>/<listener-id>)`,
    );
  }
  return match[1];
}

/**
 * `ALBRequestCountPerTarget` needs `app/…/targetgroup/…`: the ALB's and the target group's ARN
 * suffixes. The ALB's comes from the platform when it passes it, else from the listener's ARN.
 */
export function requestCountResourceLabel(
  compute: Pick<ComputeTargetArgs, "listenerArn" | "loadBalancerArnSuffix">,
  targetGroupArnSuffix: pulumi.Input<string>,
): pulumi.Output<string> {
  const albSuffix = compute.loadBalancerArnSuffix ?? pulumi.output(compute.listenerArn).apply(loadBalancerArnSuffix);
  return pulumi.interpolate`${albSuffix}/${targetGroupArnSuffix}`;
}

type Tags = pulumi.Input<Record<string, pulumi.Input<string>>> | undefined;

/** A listener rule forwarding `paths` to one target group: the public routes and gRPC differ only in these. */
function forwardPaths(name: string, listenerArn: pulumi.Input<string>, targetGroupArn: pulumi.Input<string>, priority: number, paths: string[], tags: Tags, opts: pulumi.CustomResourceOptions): aws.lb.ListenerRule {
  return new aws.lb.ListenerRule(
    name,
    { listenerArn, priority, actions: [{ type: "forward", targetGroupArn }], conditions: [{ pathPattern: { values: paths } }], tags },
    opts,
  );
}

/**
 * Sends the inference routes (the service's PUBLIC_PATH_PATTERNS) on the serving listener to the
 * target's group; every other path (admin routes, /readyz) gets the listener's default 404.
 */
export function forwardPublicRoutes(name: string, listenerArn: pulumi.Input<string>, targetGroupArn: pulumi.Input<string>, tags: Tags, opts: pulumi.CustomResourceOptions): aws.lb.ListenerRule {
  return forwardPaths(name, listenerArn, targetGroupArn, SERVICE_RULE_PRIORITY, [...PUBLIC_PATH_PATTERNS], tags, opts);
}

/**
 * The target group for OIP v2 gRPC on GRPC_PORT (HTTP/2 to the target). ALB gRPC health checks
 * call grpc.health.v1 Check with an empty request and match the gRPC status code only: 0 means
 * the server answers (the SERVING/NOT_SERVING in the body is not read), so, like the HTTP group's
 * liveness check, a feature-store outage does not get every task replaced.
 */
export function grpcTargetGroup(
  name: string,
  args: { vpcId: pulumi.Input<string>; targetType: "ip" | "instance"; tags: Tags },
  opts: pulumi.CustomResourceOptions,
): aws.lb.TargetGroup {
  checkTargetGroupName(name);
  return new aws.lb.TargetGroup(
    name,
    {
      vpcId: args.vpcId,
      targetType: args.targetType,
      port: GRPC_PORT,
      protocol: "HTTP",
      protocolVersion: "GRPC",
      deregistrationDelay: 30,
      healthCheck: { path: HEALTH_CHECK_PATH, port: "traffic-port", matcher: "0", interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
      tags: args.tags,
    },
    opts,
  );
}

/** Sends OIP v2 gRPC calls (`/inference.GRPCInferenceService/*`) on the HTTPS listener to the gRPC group. */
export function forwardGrpc(name: string, listenerArn: pulumi.Input<string>, targetGroupArn: pulumi.Input<string>, tags: Tags, opts: pulumi.CustomResourceOptions): aws.lb.ListenerRule {
  return forwardPaths(name, listenerArn, targetGroupArn, GRPC_RULE_PRIORITY, [INFERENCE_SERVICE_PATH_PATTERN], tags, opts);
}
