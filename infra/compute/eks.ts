// EKS: the most work and a fixed control-plane fee, but portable, and the right home for a team
// that already runs Kubernetes. A managed node group in the private subnets runs the Deployment;
// the ALB reaches it through a NodePort on the node group's instances.
import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { HEALTH_PATH, PORT, READY_PATH } from "../../service/src/config";
import { checkTargetGroupName, forwardAllTo } from "./alb";
import { CONTAINER_NAME } from "./ecs-service";
import { environmentEntries } from "./environment";
import type { Architecture, ComputeTarget, ComputeTargetArgs, EksSizing } from "./target";

export const NAMESPACE = "inference";
export const APP_NAME = "inference-service";
export const SERVICE_ACCOUNT = "inference-service";
/** The port every node opens for the Service (Kubernetes' NodePort range is 30000–32767). */
export const NODE_PORT = 30080;

export const NODE_AMI_TYPE: Record<Architecture, string> = {
  x86_64: eks.AmiType.AL2023X86_64Standard,
  arm64: eks.AmiType.AL2023Arm64Standard,
};

const CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

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

/** The Auto Scaling group EKS created for a managed node group. */
export function nodeGroupAutoScalingGroupName(resources: aws.types.output.eks.NodeGroupResource[] | undefined): string {
  const name = resources?.[0]?.autoscalingGroups?.[0]?.name;
  if (!name) throw new Error("the managed node group reported no Auto Scaling group; the instance target group has nothing to attach");
  return name;
}

/** Pod resources: requests equal limits, so pods get the Guaranteed QoS class and are evicted last. */
export function podResources(s: Pick<EksSizing, "cpuMillis" | "memoryMb">): { requests: Record<string, string>; limits: Record<string, string> } {
  const amounts = { cpu: `${s.cpuMillis}m`, memory: `${s.memoryMb}Mi` };
  return { requests: { ...amounts }, limits: { ...amounts } };
}

function ec2AssumeRolePolicy(): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
  });
}

export class EksTarget extends pulumi.ComponentResource implements ComputeTarget {
  readonly kind = "eks" as const;
  readonly targetGroupArn: pulumi.Output<string>;
  readonly clusterName: pulumi.Output<string>;
  readonly kubeconfig: pulumi.Output<string>;

  constructor(name: string, args: ComputeTargetArgs, sizing: EksSizing, opts?: pulumi.ComponentResourceOptions) {
    super("inference-blueprint:compute:EksTarget", name, {}, opts);
    if (sizing.scaling.minCount < 1) {
      throw new Error(`eks scaling.minCount ${sizing.scaling.minCount}: a HorizontalPodAutoscaler needs minReplicas ≥ 1`);
    }
    const parent = { parent: this };

    const cluster = new eks.Cluster(
      `${name}-cluster`,
      {
        version: sizing.kubernetesVersion,
        vpcId: args.vpcId,
        privateSubnetIds: args.privateSubnetIds,
        nodeAssociatePublicIpAddress: false,
        // Nodes come from the managed node group below; the EKS-created cluster security group
        // (which managed nodes need) is the one the node launch template joins.
        skipDefaultNodeGroup: true,
        skipDefaultSecurityGroups: true,
        authenticationMode: eks.AuthenticationMode.Api,
        accessEntries: Object.fromEntries(
          (sizing.adminPrincipalArns ?? []).map((principalArn, i) => [
            `admin-${i}`,
            { principalArn, accessPolicies: { admin: { policyArn: CLUSTER_ADMIN_POLICY, accessScope: { type: "cluster" } } } },
          ]),
        ),
        createOidcProvider: true,
        tags: args.tags,
      },
      parent,
    );
    const clusterName = cluster.eksCluster.name;

    const nodeRole = new aws.iam.Role(`${name}-nodes`, { assumeRolePolicy: ec2AssumeRolePolicy(), tags: args.tags }, parent);
    const nodePolicies = [
      aws.iam.ManagedPolicy.AmazonEKSWorkerNodePolicy,
      aws.iam.ManagedPolicy.AmazonEKS_CNI_Policy,
      aws.iam.ManagedPolicy.AmazonEC2ContainerRegistryReadOnly,
    ].map((policyArn, i) => new aws.iam.RolePolicyAttachment(`${name}-nodes-${i}`, { role: nodeRole.name, policyArn }, parent));

    // The platform's compute security group on every node: pod traffic leaves through node ENIs,
    // so this is what lets Redis admit the pods, and what the ALB's NodePort rule lands on.
    const launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-nodes`,
      {
        vpcSecurityGroupIds: [cluster.clusterSecurityGroupId, args.computeSecurityGroupId],
        // Hop limit 1: pods cannot reach the node's metadata credentials; they use IRSA.
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
        tagSpecifications: [{ resourceType: "instance", tags: args.tags }],
        tags: args.tags,
      },
      parent,
    );
    const nodeGroup = new eks.ManagedNodeGroup(
      `${name}-nodes`,
      {
        cluster,
        nodeRole,
        subnetIds: args.privateSubnetIds,
        instanceTypes: sizing.instanceTypes,
        amiType: NODE_AMI_TYPE[args.architecture],
        scalingConfig: { minSize: sizing.minNodes, maxSize: sizing.maxNodes, desiredSize: sizing.desiredNodes },
        launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply(String) },
        // Node count moves with load (cluster autoscaler, or by hand); `pulumi up` leaves it alone.
        ignoreScalingChanges: true,
        tags: args.tags,
      },
      { parent: this, dependsOn: nodePolicies },
    );

    // The HPA reads pod CPU from the metrics API, which EKS does not serve until this is installed.
    new aws.eks.Addon(`${name}-metrics-server`, { clusterName, addonName: "metrics-server", tags: args.tags }, { parent: this, dependsOn: [nodeGroup] });

    // Pods' AWS identity: the runtime policy, assumable only by the service's service account.
    const podRole = new aws.iam.Role(
      `${name}-pods`,
      {
        assumeRolePolicy: pulumi
          .all([cluster.oidcProviderArn, cluster.oidcIssuer])
          .apply(([arn, issuer]) => irsaTrustPolicy(arn, issuer, NAMESPACE, SERVICE_ACCOUNT)),
        tags: args.tags,
      },
      parent,
    );
    new aws.iam.RolePolicy(`${name}-pods-runtime`, { role: podRole.id, policy: args.runtimePolicyJson }, parent);

    const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: cluster.kubeconfigJson, enableServerSideApply: true }, parent);
    const k8sOpts = { parent: this, provider };
    const labels = { "app.kubernetes.io/name": APP_NAME };

    const namespace = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: NAMESPACE } }, k8sOpts);
    const inNamespace = { parent: this, provider, dependsOn: [namespace] };
    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      { metadata: { name: SERVICE_ACCOUNT, namespace: NAMESPACE, annotations: { "eks.amazonaws.com/role-arn": podRole.arn } } },
      inNamespace,
    );

    const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
      httpGet: { path, port: PORT },
      periodSeconds,
      failureThreshold,
      timeoutSeconds: 2,
    });
    const deployment = new k8s.apps.v1.Deployment(
      `${name}-service`,
      {
        metadata: { name: APP_NAME, namespace: NAMESPACE, labels },
        spec: {
          replicas: sizing.scaling.minCount,
          selector: { matchLabels: labels },
          // Never below the serving capacity during a rollout.
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: serviceAccount.metadata.name,
              topologySpreadConstraints: [
                { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: labels } },
              ],
              containers: [
                {
                  name: CONTAINER_NAME,
                  image: args.imageUri,
                  ports: [{ name: "http", containerPort: PORT }],
                  env: environmentEntries(args.environment),
                  resources: podResources(sizing),
                  // Up to two minutes to load the model before liveness applies.
                  startupProbe: probe(HEALTH_PATH, 5, 24),
                  livenessProbe: probe(HEALTH_PATH, 10, 3),
                  // Readiness includes the feature store: an unready pod leaves the Service's endpoints, it is not restarted.
                  readinessProbe: probe(READY_PATH, 5, 2),
                  securityContext: { allowPrivilegeEscalation: false },
                },
              ],
            },
          },
        },
      },
      // Pods need nodes to become ready, and the provider waits for readiness.
      { ...inNamespace, dependsOn: [namespace, nodeGroup], ignoreChanges: ["spec.replicas"] },
    );

    new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: APP_NAME, namespace: NAMESPACE, labels },
        spec: {
          type: "NodePort",
          selector: labels,
          ports: [{ name: "http", protocol: "TCP", port: PORT, targetPort: PORT, nodePort: NODE_PORT }],
        },
      },
      inNamespace,
    );
    new k8s.autoscaling.v2.HorizontalPodAutoscaler(
      `${name}-hpa`,
      {
        metadata: { name: APP_NAME, namespace: NAMESPACE, labels },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
          minReplicas: sizing.scaling.minCount,
          maxReplicas: sizing.scaling.maxCount,
          metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: sizing.scaling.cpuTargetPercent } } }],
        },
      },
      inNamespace,
    );
    new k8s.policy.v1.PodDisruptionBudget(
      `${name}-pdb`,
      // maxUnavailable rather than minAvailable, so a single replica never blocks a node drain forever.
      { metadata: { name: APP_NAME, namespace: NAMESPACE, labels }, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } },
      inNamespace,
    );

    // ALB → every node's NodePort; kube-proxy forwards to a ready pod.
    const tgName = `${name}-tg`;
    checkTargetGroupName(tgName);
    const targetGroup = new aws.lb.TargetGroup(
      tgName,
      {
        vpcId: args.vpcId,
        targetType: "instance",
        port: NODE_PORT,
        protocol: "HTTP",
        deregistrationDelay: 30,
        healthCheck: { path: HEALTH_PATH, port: "traffic-port", matcher: "200", interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
        tags: args.tags,
      },
      parent,
    );
    new aws.autoscaling.Attachment(
      `${name}-tg-nodes`,
      {
        // A resource reference in a deployment, plain data under mocks: apply reads both.
        autoscalingGroupName: nodeGroup.nodeGroup.apply((ng) => ng.resources).apply(nodeGroupAutoScalingGroupName),
        lbTargetGroupArn: targetGroup.arn,
      },
      parent,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-alb-nodeport`,
      {
        securityGroupId: args.computeSecurityGroupId,
        referencedSecurityGroupId: args.albSecurityGroupId,
        ipProtocol: "tcp",
        fromPort: NODE_PORT,
        toPort: NODE_PORT,
        description: "ALB to the service NodePort",
      },
      parent,
    );
    forwardAllTo(`${name}-rule`, args.listenerArn, targetGroup.arn, args.tags, parent);

    this.targetGroupArn = targetGroup.arn;
    this.clusterName = clusterName;
    this.kubeconfig = pulumi.secret(cluster.kubeconfigJson);
    this.registerOutputs({ targetGroupArn: this.targetGroupArn, clusterName: this.clusterName, kubeconfig: this.kubeconfig });
  }
}
