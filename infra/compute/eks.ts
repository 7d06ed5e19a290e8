// EKS: the most work and a fixed control-plane fee, but portable, and the right home for a team
// that already runs Kubernetes. A managed node group in the private subnets runs the Deployment;
// the AWS Load Balancer Controller registers the pods' IPs in the platform's target group
// (TargetGroupBinding), and pod logs reach CloudWatch through the CloudWatch Observability add-on.
import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ADMIN_PORT, GRPC_PORT, HEALTH_PATH, PORT, READY_PATH } from "../../service/src/config";
import { checkTargetGroupName, forwardGrpc, forwardPublicRoutes, grpcTargetGroup } from "./alb";
import { CONTAINER_NAME } from "./ecs-service";
import { installCloudWatchObservability, installLoadBalancerController, irsaRole } from "./eks-addons";
import { environmentEntries } from "./environment";
import { SHUTDOWN_GRACE_SECONDS, STARTUP_GRACE_SECONDS } from "./health";
import type { Architecture, ComputeTarget, ComputeTargetArgs, EksSizing } from "./target";

export const NAMESPACE = "inference";
export const APP_NAME = "inference-service";
export const SERVICE_ACCOUNT = "inference-service";
/**
 * Seconds a terminating pod keeps serving before SIGTERM: long enough for the controller to
 * deregister its IP and the ALB to stop sending it requests.
 */
export const PRE_STOP_SLEEP_SECONDS = 20;
/** The kubelet kills the pod after this: the preStop sleep, the service's drain, and a margin. */
export const TERMINATION_GRACE_SECONDS = PRE_STOP_SLEEP_SECONDS + SHUTDOWN_GRACE_SECONDS + 5;
/** Startup probe period; with the failure threshold below it outlasts the model-load budget. */
const STARTUP_PROBE_PERIOD_SECONDS = 5;

export const NODE_AMI_TYPE: Record<Architecture, string> = {
  x86_64: eks.AmiType.AL2023X86_64Standard,
  arm64: eks.AmiType.AL2023Arm64Standard,
};

const CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";

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
        // Nodes and pods reach the API inside the VPC; from the internet only the listed CIDRs, if at all.
        endpointPrivateAccess: true,
        endpointPublicAccess: sizing.endpointPublicAccess ?? true,
        publicAccessCidrs: (sizing.endpointPublicAccess ?? true) ? sizing.publicAccessCidrs : undefined,
        tags: args.tags,
      },
      parent,
    );
    const clusterName = cluster.eksCluster.name;
    const identity = { clusterName, oidcProviderArn: cluster.oidcProviderArn, oidcIssuer: cluster.oidcIssuer };

    const nodeRole = new aws.iam.Role(`${name}-nodes`, { assumeRolePolicy: ec2AssumeRolePolicy(), tags: args.tags }, parent);
    const nodePolicies = [
      aws.iam.ManagedPolicy.AmazonEKSWorkerNodePolicy,
      aws.iam.ManagedPolicy.AmazonEKS_CNI_Policy,
      aws.iam.ManagedPolicy.AmazonEC2ContainerRegistryReadOnly,
    ].map((policyArn, i) => new aws.iam.RolePolicyAttachment(`${name}-nodes-${i}`, { role: nodeRole.name, policyArn }, parent));

    // The platform's compute security group on every node: VPC CNI gives pod IPs the node ENIs'
    // groups, so this lets Redis admit the pods and the ALB reach them on the service port.
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
    const podRole = irsaRole(`${name}-pods`, identity, NAMESPACE, SERVICE_ACCOUNT, args.tags, this);
    new aws.iam.RolePolicy(`${name}-pods-runtime`, { role: podRole.id, policy: args.runtimePolicyJson }, parent);

    const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: cluster.kubeconfigJson, enableServerSideApply: true }, parent);
    const k8sOpts = { parent: this, provider };
    const labels = { "app.kubernetes.io/name": APP_NAME };

    const addons = { cluster: identity, vpcId: args.vpcId, region: aws.getRegionOutput({}, parent).region, provider, logRetentionDays: args.logRetentionDays, dependsOn: [nodeGroup], tags: args.tags };
    const controller = installLoadBalancerController(name, addons, this);
    installCloudWatchObservability(name, addons, this);

    const namespace = new k8s.core.v1.Namespace(
      `${name}-ns`,
      // Readiness gates: a rollout waits until the ALB sees each new pod healthy.
      { metadata: { name: NAMESPACE, labels: { "elbv2.k8s.aws/pod-readiness-gate-inject": "enabled" } } },
      // The controller's webhook injects the gates, so it must be up before pods are created.
      { ...k8sOpts, dependsOn: [controller] },
    );
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
                  ports: [
                    { name: "http", containerPort: PORT },
                    { name: "admin", containerPort: ADMIN_PORT },
                    ...(args.grpc ? [{ name: "grpc", containerPort: GRPC_PORT }] : []),
                  ],
                  env: environmentEntries(args.environment),
                  resources: podResources(sizing),
                  // Liveness fails once the model could not load in time; until then the startup probe waits.
                  startupProbe: probe(HEALTH_PATH, STARTUP_PROBE_PERIOD_SECONDS, Math.ceil(STARTUP_GRACE_SECONDS / STARTUP_PROBE_PERIOD_SECONDS)),
                  livenessProbe: probe(HEALTH_PATH, 10, 3),
                  // Readiness includes the feature store: an unready pod leaves the Service's endpoints, it is not restarted.
                  readinessProbe: probe(READY_PATH, 5, 2),
                  // Keep serving while the ALB stops sending; SIGTERM then drains what is in flight.
                  lifecycle: { preStop: { sleep: { seconds: PRE_STOP_SLEEP_SECONDS } } },
                  securityContext: { allowPrivilegeEscalation: false },
                },
              ],
              terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
            },
          },
        },
      },
      // Pods need nodes to become ready, and the provider waits for readiness.
      { ...inNamespace, dependsOn: [namespace, nodeGroup], ignoreChanges: ["spec.replicas"] },
    );

    // Inside the cluster only; the ALB reaches pods directly by IP (TargetGroupBinding below).
    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: APP_NAME, namespace: NAMESPACE, labels },
        spec: {
          type: "ClusterIP",
          selector: labels,
          ports: [
            { name: "http", protocol: "TCP", port: PORT, targetPort: PORT },
            { name: "admin", protocol: "TCP", port: ADMIN_PORT, targetPort: ADMIN_PORT },
            ...(args.grpc ? [{ name: "grpc", protocol: "TCP", port: GRPC_PORT, targetPort: GRPC_PORT }] : []),
          ],
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

    // ALB → pod IPs: the controller keeps the group's targets equal to the ready pods.
    const tgName = `${name}-tg`;
    checkTargetGroupName(tgName);
    const targetGroup = new aws.lb.TargetGroup(
      tgName,
      {
        vpcId: args.vpcId,
        targetType: "ip",
        port: PORT,
        protocol: "HTTP",
        deregistrationDelay: 30,
        healthCheck: { path: HEALTH_PATH, port: "traffic-port", matcher: "200", interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
        tags: args.tags,
      },
      parent,
    );
    new k8s.apiextensions.CustomResource(
      `${name}-tgb`,
      {
        apiVersion: "elbv2.k8s.aws/v1beta1",
        kind: "TargetGroupBinding",
        metadata: { name: APP_NAME, namespace: NAMESPACE, labels },
        spec: { targetGroupARN: targetGroup.arn, targetType: "ip", serviceRef: { name: service.metadata.name, port: PORT } },
      },
      // The CRD and its webhook come with the controller.
      { ...inNamespace, dependsOn: [namespace, controller] },
    );
    forwardPublicRoutes(`${name}-rule`, args.listenerArn, targetGroup.arn, args.tags, parent);
    if (args.grpc) {
      const grpcGroup = grpcTargetGroup(`${name}-grpc`, { vpcId: args.vpcId, targetType: "ip", tags: args.tags }, parent);
      new k8s.apiextensions.CustomResource(
        `${name}-grpc-tgb`,
        {
          apiVersion: "elbv2.k8s.aws/v1beta1",
          kind: "TargetGroupBinding",
          metadata: { name: `${APP_NAME}-grpc`, namespace: NAMESPACE, labels },
          spec: { targetGroupARN: grpcGroup.arn, targetType: "ip", serviceRef: { name: service.metadata.name, port: GRPC_PORT } },
        },
        { ...inNamespace, dependsOn: [namespace, controller] },
      );
      forwardGrpc(`${name}-grpc-rule`, args.listenerArn, grpcGroup.arn, args.tags, parent);
    }

    this.targetGroupArn = targetGroup.arn;
    this.clusterName = clusterName;
    this.kubeconfig = pulumi.secret(cluster.kubeconfigJson);
    this.registerOutputs({ targetGroupArn: this.targetGroupArn, clusterName: this.clusterName, kubeconfig: this.kubeconfig });
  }
}
