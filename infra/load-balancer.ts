// The one front door every target sits behind: an ALB that is internal (private subnets, callers
// inside the VPC) or internet-facing (public subnets, HTTPS only). Until a target adds its forward
// rule for the inference routes, the serving listener answers 404; nothing else is ever forwarded.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { ADMIN_PORT, GRPC_PORT, HEALTH_PATH, PORT, PUBLIC_PATH_PATTERNS } from "../service/src/config";
import { ALB_IDLE_TIMEOUT_SECONDS, type LoadBalancerScheme } from "./config";

/** ALB and target group names are at most 32 characters; Pulumi appends an 8-character suffix. */
export const ALB_NAME_MAX = 32;
export const AUTONAME_SUFFIX_LENGTH = 8;

/** Target group health check every target uses: the service's liveness path. */
export function targetGroupHealthCheck(): aws.types.input.lb.TargetGroupHealthCheck {
  return {
    path: HEALTH_PATH,
    matcher: "200",
    interval: 15,
    timeout: 5,
    healthyThreshold: 2,
    unhealthyThreshold: 3,
  };
}

/** The listener's answer to a path it does not forward, in the service's error shape. */
export function notServedBody(): string {
  return JSON.stringify({ error: `not found: this load balancer serves only ${PUBLIC_PATH_PATTERNS.join(", ")}` });
}

export interface LoadBalancerArgs {
  vpcId: pulumi.Input<string>;
  /** The VPC's CIDR: the ALB sends only inside it; an internal ALB and the admin port admit only it. */
  vpcCidrBlock: string;
  scheme: LoadBalancerScheme;
  /** Where an internet-facing ALB lives. */
  publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Where an internal ALB lives. */
  privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** With a certificate: HTTPS on 443 and HTTP redirected to it. Required when internet-facing. */
  certificateArn?: string;
  /** Targets also serve OIP v2 gRPC: the ALB may reach GRPC_PORT. Needs certificateArn. */
  grpc?: boolean;
  tags?: Record<string, string>;
}

export class LoadBalancer extends pulumi.ComponentResource {
  readonly arn: pulumi.Output<string>;
  readonly arnSuffix: pulumi.Output<string>;
  readonly dnsName: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;
  /** Compute runs in this group: admitted from the ALB on the service port only. */
  readonly computeSecurityGroupId: pulumi.Output<string>;
  /** The listener that serves traffic (HTTPS when a certificate is configured). */
  readonly listenerArn: pulumi.Output<string>;
  readonly https: boolean;
  readonly scheme: LoadBalancerScheme;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-blueprint:lb:LoadBalancer", name, {}, opts);
    const albName = `${name}-alb`;
    if (albName.length + AUTONAME_SUFFIX_LENGTH > ALB_NAME_MAX) {
      throw new Error(
        `LoadBalancer ${name}: "${albName}" plus Pulumi's ${AUTONAME_SUFFIX_LENGTH}-character suffix exceeds the ALB's ${ALB_NAME_MAX}-character name limit; use a name of at most ${ALB_NAME_MAX - AUTONAME_SUFFIX_LENGTH - (albName.length - name.length)} characters`,
      );
    }
    const internetFacing = args.scheme === "internet-facing";
    if (internetFacing && !args.certificateArn) {
      throw new Error(`LoadBalancer ${name}: an internet-facing ALB needs certificateArn (HTTPS); API keys must not cross the internet in clear`);
    }
    if (args.grpc && !args.certificateArn) {
      throw new Error(`LoadBalancer ${name}: gRPC needs certificateArn (an ALB speaks gRPC only on an HTTPS listener)`);
    }
    const parent = { parent: this };
    const callers = internetFacing ? "the internet" : "the VPC";
    const albSg = new aws.ec2.SecurityGroup(`${name}-alb`, { vpcId: args.vpcId, description: `ALB: 80/443 from ${callers}`, tags: args.tags }, parent);
    const computeSg = new aws.ec2.SecurityGroup(
      `${name}-compute`,
      { vpcId: args.vpcId, description: "Inference service: the service port from the ALB, the admin port from the VPC", tags: args.tags },
      parent,
    );
    // Standalone rules (no inline ones), so targets can add theirs without the two fighting.
    for (const port of [80, 443]) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-alb-in-${port}`,
        {
          securityGroupId: albSg.id,
          cidrIpv4: internetFacing ? "0.0.0.0/0" : args.vpcCidrBlock,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          description: `HTTP${port === 443 ? "S" : ""} from ${callers}`,
        },
        parent,
      );
    }
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-alb-out`,
      { securityGroupId: albSg.id, cidrIpv4: args.vpcCidrBlock, ipProtocol: "tcp", fromPort: 0, toPort: 65535, description: "to targets inside the VPC" },
      parent,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-compute-from-alb`,
      { securityGroupId: computeSg.id, referencedSecurityGroupId: albSg.id, ipProtocol: "tcp", fromPort: PORT, toPort: PORT, description: "service port from the ALB" },
      parent,
    );
    if (args.grpc) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-compute-grpc-from-alb`,
        { securityGroupId: computeSg.id, referencedSecurityGroupId: albSg.id, ipProtocol: "tcp", fromPort: GRPC_PORT, toPort: GRPC_PORT, description: "gRPC port from the ALB" },
        parent,
      );
    }
    // Metrics, OpenAPI and raw features: scrapers and operators inside the VPC, never the ALB.
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-compute-admin`,
      { securityGroupId: computeSg.id, cidrIpv4: args.vpcCidrBlock, ipProtocol: "tcp", fromPort: ADMIN_PORT, toPort: ADMIN_PORT, description: "admin port from inside the VPC" },
      parent,
    );
    // The service reaches S3, ECR, Keyspaces, Secrets Manager and Redis; only the ALB reaches its service port.
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-compute-out`,
      { securityGroupId: computeSg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "-1", description: "AWS APIs, Redis, Keyspaces" },
      parent,
    );

    const alb = new aws.lb.LoadBalancer(
      albName,
      {
        loadBalancerType: "application",
        internal: !internetFacing,
        subnets: internetFacing ? args.publicSubnetIds : args.privateSubnetIds,
        securityGroups: [albSg.id],
        idleTimeout: ALB_IDLE_TIMEOUT_SECONDS,
        dropInvalidHeaderFields: true,
        tags: args.tags,
      },
      parent,
    );
    // Every path but the inference routes (admin routes, /readyz) ends here, saying what is served.
    const unavailable: aws.types.input.lb.ListenerDefaultAction = {
      type: "fixed-response",
      fixedResponse: { contentType: "application/json", statusCode: "404", messageBody: notServedBody() },
    };
    let serving: aws.lb.Listener;
    if (args.certificateArn) {
      serving = new aws.lb.Listener(
        `${name}-https`,
        {
          loadBalancerArn: alb.arn,
          port: 443,
          protocol: "HTTPS",
          certificateArn: args.certificateArn,
          sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
          defaultActions: [unavailable],
          tags: args.tags,
        },
        parent,
      );
      new aws.lb.Listener(
        `${name}-http`,
        {
          loadBalancerArn: alb.arn,
          port: 80,
          protocol: "HTTP",
          defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
          tags: args.tags,
        },
        parent,
      );
    } else {
      serving = new aws.lb.Listener(
        `${name}-http`,
        { loadBalancerArn: alb.arn, port: 80, protocol: "HTTP", defaultActions: [unavailable], tags: args.tags },
        parent,
      );
    }
    this.arn = alb.arn;
    this.arnSuffix = alb.arnSuffix;
    this.dnsName = alb.dnsName;
    this.securityGroupId = albSg.id;
    this.computeSecurityGroupId = computeSg.id;
    this.listenerArn = serving.arn;
    this.https = args.certificateArn !== undefined;
    this.scheme = args.scheme;
    this.registerOutputs({ dnsName: this.dnsName, listenerArn: this.listenerArn });
  }
}
