// What the EKS target installs into its cluster besides the service: the AWS Load Balancer
// Controller (it registers pod IPs in the platform's target group through a TargetGroupBinding)
// and the CloudWatch Observability add-on (pod logs to CloudWatch with the stack's retention).
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import controllerPolicy from "./aws-load-balancer-controller.iam-policy.json";

/** The Helm chart of the controller; its IAM policy (the JSON file beside this one) comes from the same release. */
export const AWS_LOAD_BALANCER_CONTROLLER_CHART = {
  chart: "aws-load-balancer-controller",
  version: "1.13.0",
  repo: "https://aws.github.io/eks-charts",
} as const;
export const CONTROLLER_NAMESPACE = "kube-system";
export const CONTROLLER_SERVICE_ACCOUNT = "aws-load-balancer-controller";

/** AWS's published IAM policy of the controller, as shipped with the pinned chart's release. */
export const AWS_LOAD_BALANCER_CONTROLLER_POLICY: { Version: string; Statement: unknown[] } = controllerPolicy.policy;

/** The add-on writes through its `cloudwatch-agent` service account (agent and Fluent Bit). */
export const CLOUDWATCH_NAMESPACE = "amazon-cloudwatch";
export const CLOUDWATCH_SERVICE_ACCOUNT = "cloudwatch-agent";

/** Log groups Container Insights writes to; created first, so they carry the stack's retention. */
export function containerInsightsLogGroups(clusterName: string): string[] {
  return ["application", "dataplane", "host", "performance"].map((kind) => `/aws/containerinsights/${clusterName}/${kind}`);
}

/** IRSA: only this namespace's service account may assume the role, through the cluster's OIDC provider. */
export function irsaTrustPolicy(oidcProviderArn: string, oidcIssuer: string, namespace: string, serviceAccount: string): string {
  const issuer = oidcIssuer.replace(/^https:\/\//, "");
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
            [`${issuer}:aud`]: "sts.amazonaws.com",
          },
        },
      },
    ],
  });
}

export interface ClusterIdentity {
  clusterName: pulumi.Input<string>;
  oidcProviderArn: pulumi.Input<string>;
  oidcIssuer: pulumi.Input<string>;
}

/** A role only `namespace/serviceAccount` of the cluster can assume. */
export function irsaRole(name: string, cluster: ClusterIdentity, namespace: string, serviceAccount: string, tags: ClusterAddonArgs["tags"], parent: pulumi.Resource): aws.iam.Role {
  return new aws.iam.Role(
    name,
    {
      assumeRolePolicy: pulumi
        .all([cluster.oidcProviderArn, cluster.oidcIssuer])
        .apply(([arn, issuer]) => irsaTrustPolicy(arn, issuer, namespace, serviceAccount)),
      tags,
    },
    { parent },
  );
}

export interface ClusterAddonArgs {
  cluster: ClusterIdentity;
  vpcId: pulumi.Input<string>;
  region: pulumi.Input<string>;
  provider: k8s.Provider;
  logRetentionDays: number;
  /** Nodes to run on. */
  dependsOn: pulumi.Resource[];
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** Installs the AWS Load Balancer Controller; returns the release a TargetGroupBinding must wait for. */
export function installLoadBalancerController(name: string, args: ClusterAddonArgs, parent: pulumi.Resource): k8s.helm.v3.Release {
  const role = irsaRole(`${name}-lbc`, args.cluster, CONTROLLER_NAMESPACE, CONTROLLER_SERVICE_ACCOUNT, args.tags, parent);
  const policy = new aws.iam.Policy(
    `${name}-lbc`,
    { description: "AWS Load Balancer Controller (AWS's published policy)", policy: JSON.stringify(AWS_LOAD_BALANCER_CONTROLLER_POLICY), tags: args.tags },
    { parent },
  );
  const attachment = new aws.iam.RolePolicyAttachment(`${name}-lbc`, { role: role.name, policyArn: policy.arn }, { parent });
  return new k8s.helm.v3.Release(
    `${name}-lbc`,
    {
      chart: AWS_LOAD_BALANCER_CONTROLLER_CHART.chart,
      version: AWS_LOAD_BALANCER_CONTROLLER_CHART.version,
      repositoryOpts: { repo: AWS_LOAD_BALANCER_CONTROLLER_CHART.repo },
      namespace: CONTROLLER_NAMESPACE,
      values: {
        clusterName: args.cluster.clusterName,
        // Pods cannot reach instance metadata (hop limit 1), so the controller is told where it runs.
        region: args.region,
        vpcId: args.vpcId,
        serviceAccount: { create: true, name: CONTROLLER_SERVICE_ACCOUNT, annotations: { "eks.amazonaws.com/role-arn": role.arn } },
      },
    },
    { parent, provider: args.provider, dependsOn: [...args.dependsOn, attachment] },
  );
}

/** Installs the CloudWatch Observability add-on, writing pod logs to log groups with the stack's retention. */
export function installCloudWatchObservability(name: string, args: ClusterAddonArgs, parent: pulumi.Resource): aws.eks.Addon {
  const role = irsaRole(`${name}-cw`, args.cluster, CLOUDWATCH_NAMESPACE, CLOUDWATCH_SERVICE_ACCOUNT, args.tags, parent);
  const attachment = new aws.iam.RolePolicyAttachment(
    `${name}-cw`,
    { role: role.name, policyArn: aws.iam.ManagedPolicy.CloudWatchAgentServerPolicy },
    { parent },
  );
  const groups = pulumi.output(args.cluster.clusterName).apply((clusterName) => containerInsightsLogGroups(clusterName));
  const logGroups = ["application", "dataplane", "host", "performance"].map(
    (kind, i) =>
      new aws.cloudwatch.LogGroup(`${name}-ci-${kind}`, { name: groups.apply((g) => g[i] as string), retentionInDays: args.logRetentionDays, tags: args.tags }, { parent }),
  );
  return new aws.eks.Addon(
    `${name}-cloudwatch`,
    { clusterName: args.cluster.clusterName, addonName: "amazon-cloudwatch-observability", serviceAccountRoleArn: role.arn, tags: args.tags },
    { parent, dependsOn: [...args.dependsOn, attachment, ...logGroups] },
  );
}
