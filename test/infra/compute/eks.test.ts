// The EKS target under mocks: cluster, node group, IRSA, the Kubernetes objects and the ALB path.
import { ADMIN_PORT, DEFAULTS as SERVICE_DEFAULTS, HEALTH_PATH, PORT, READY_PATH } from "../../../service/src/config";
import { AWS_LOAD_BALANCER_CONTROLLER_POLICY } from "../../../infra/compute/eks-addons";
import type { EksSizing } from "../../../infra/compute/target";
import { at, textAt } from "../mocks";
import {
  COMPUTE_SG, ENVIRONMENT, IMAGE_URI, LISTENER_ARN, RUNTIME_POLICY_JSON,
  computeArgs, named, one, runComponent, type ComponentRun,
} from "./component-run";

const sizing: EksSizing = {
  kubernetesVersion: "1.33",
  instanceTypes: ["m7g.large"],
  minNodes: 2,
  maxNodes: 4,
  desiredNodes: 3,
  cpuMillis: 500,
  memoryMb: 384,
  scaling: { minCount: 2, maxCount: 8, cpuTargetPercent: 65, requestsPerTarget: 1000 },
  adminPrincipalArns: ["arn:aws:iam::123456789012:role/platform-admins"],
  endpointPublicAccess: true,
  publicAccessCidrs: ["203.0.113.0/24"],
};

describe("eks target", () => {
  let r: ComponentRun;
  beforeAll(async () => {
    r = await runComponent((c) => new c.EksTarget("svc", computeArgs(), sizing));
  });
  const container = () => at(one(r.resources, "kubernetes:apps/v1:Deployment").inputs, "spec", "template", "spec", "containers", 0);

  it("creates the cluster with API authentication, access entries and an OIDC provider", () => {
    const cluster = one(r.resources, "eks:index:Cluster").inputs;
    expect(cluster).toMatchObject({
      authenticationMode: "API",
      createOidcProvider: true,
      skipDefaultNodeGroup: true,
      version: "1.33",
      privateSubnetIds: ["subnet-private-a", "subnet-private-b"],
    });
    expect(Object.values(at(cluster, "accessEntries") as Record<string, unknown>).map((e) => (e as { principalArn: string }).principalArn)).toEqual(sizing.adminPrincipalArns);
  });

  it("runs a managed node group of the sized Graviton instances in the private subnets", () => {
    const ng = one(r.resources, "eks:index:ManagedNodeGroup").inputs;
    expect(ng).toMatchObject({
      subnetIds: ["subnet-private-a", "subnet-private-b"],
      instanceTypes: ["m7g.large"],
      amiType: "AL2023_ARM_64_STANDARD",
      scalingConfig: { minSize: 2, maxSize: 4, desiredSize: 3 },
    });
    expect(at(ng, "launchTemplate", "id")).toBe(one(r.resources, "aws:ec2/launchTemplate:LaunchTemplate").state.id);
  });

  it("puts the nodes in the compute security group, so Redis admits the pods", () => {
    const lt = one(r.resources, "aws:ec2/launchTemplate:LaunchTemplate").inputs;
    expect(lt.vpcSecurityGroupIds).toEqual(["sg-svc-cluster-cluster", COMPUTE_SG]);
    expect(lt.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
  });

  it("gives pods the runtime policy through IRSA for the service account only", () => {
    const podRole = named(r.resources, "aws:iam/role:Role", "svc-pods");
    const trust = JSON.parse(textAt(podRole.inputs, "assumeRolePolicy")).Statement[0];
    expect(trust.Principal.Federated).toMatch(/:oidc-provider\//);
    expect(trust.Action).toBe("sts:AssumeRoleWithWebIdentity");
    expect(Object.values(trust.Condition.StringEquals)).toContain("system:serviceaccount:inference:inference-service");
    expect(named(r.resources, "aws:iam/rolePolicy:RolePolicy", "svc-pods-runtime").inputs).toMatchObject({ role: podRole.state.id, policy: RUNTIME_POLICY_JSON });
    const sa = one(r.resources, "kubernetes:core/v1:ServiceAccount").inputs.metadata;
    expect(at(sa, "annotations", "eks.amazonaws.com/role-arn")).toBe(podRole.state.arn);
    expect(at(one(r.resources, "kubernetes:apps/v1:Deployment").inputs, "spec", "template", "spec", "serviceAccountName")).toBe(at(sa, "name"));
  });

  it("deploys the image with the service's environment, sized requests and limits", () => {
    const c = container();
    expect(at(c, "image")).toBe(IMAGE_URI);
    expect(at(c, "env")).toEqual(Object.keys(ENVIRONMENT).sort().map((name) => ({ name, value: ENVIRONMENT[name] })));
    expect(at(c, "resources")).toEqual({ requests: { cpu: "500m", memory: "384Mi" }, limits: { cpu: "500m", memory: "384Mi" } });
  });

  it("probes liveness and startup on the health path and readiness on the ready path, at the service port", () => {
    const c = container();
    expect(at(c, "livenessProbe", "httpGet")).toEqual({ path: HEALTH_PATH, port: PORT });
    expect(at(c, "startupProbe", "httpGet")).toEqual({ path: HEALTH_PATH, port: PORT });
    expect(at(c, "readinessProbe", "httpGet")).toEqual({ path: READY_PATH, port: PORT });
  });

  it("exposes the pods inside the cluster only, and scales them with an HPA and a disruption budget", () => {
    const svc = one(r.resources, "kubernetes:core/v1:Service").inputs.spec;
    expect(at(svc, "type")).toBe("ClusterIP");
    expect(at(svc, "ports")).toEqual([
      { name: "http", protocol: "TCP", port: PORT, targetPort: PORT },
      { name: "admin", protocol: "TCP", port: ADMIN_PORT, targetPort: ADMIN_PORT },
    ]);
    expect(at(container(), "ports")).toEqual([{ name: "http", containerPort: PORT }, { name: "admin", containerPort: ADMIN_PORT }]);
    const hpa = one(r.resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs.spec;
    expect(hpa).toMatchObject({ minReplicas: 2, maxReplicas: 8, scaleTargetRef: { kind: "Deployment", name: "inference-service" } });
    expect(at(hpa, "metrics", 0, "resource")).toEqual({ name: "cpu", target: { type: "Utilization", averageUtilization: 65 } });
    expect(at(one(r.resources, "kubernetes:policy/v1:PodDisruptionBudget").inputs, "spec", "maxUnavailable")).toBe(1);
    expect(named(r.resources, "aws:eks/addon:Addon", "svc-metrics-server").inputs).toMatchObject({ addonName: "metrics-server", clusterName: "svc-cluster" });
  });

  it("registers pod IPs in an `ip` target group through a TargetGroupBinding, not the node group's Auto Scaling group", () => {
    const tg = one(r.resources, "aws:lb/targetGroup:TargetGroup");
    expect(tg.inputs).toMatchObject({ targetType: "ip", port: PORT, protocol: "HTTP" });
    expect(at(tg.inputs, "healthCheck", "path")).toBe(HEALTH_PATH);
    expect(r.resources.filter((x) => x.type === "aws:autoscaling/attachment:Attachment")).toEqual([]);
    const binding = one(r.resources, "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding").inputs;
    expect(at(binding, "spec")).toEqual({ targetGroupARN: tg.state.arn, targetType: "ip", serviceRef: { name: "inference-service", port: PORT } });
    expect(at(binding, "metadata", "namespace")).toBe("inference");
    expect(one(r.resources, "aws:lb/listenerRule:ListenerRule").inputs.listenerArn).toBe(LISTENER_ARN);
  });

  it("installs the AWS Load Balancer Controller with its published policy, through IRSA for its service account", () => {
    const release = one(r.resources, "kubernetes:helm.sh/v3:Release").inputs;
    expect(release).toMatchObject({ chart: "aws-load-balancer-controller", namespace: "kube-system", repositoryOpts: { repo: "https://aws.github.io/eks-charts" } });
    expect(release.version).toMatch(/^\d+\.\d+\.\d+$/);
    const role = named(r.resources, "aws:iam/role:Role", "svc-lbc");
    expect(at(release, "values")).toMatchObject({
      clusterName: "svc-cluster",
      region: "us-east-1",
      vpcId: "vpc-test",
      serviceAccount: { name: "aws-load-balancer-controller", annotations: { "eks.amazonaws.com/role-arn": role.state.arn } },
    });
    const trust = JSON.parse(textAt(role.inputs, "assumeRolePolicy")).Statement[0];
    expect(Object.values(trust.Condition.StringEquals)).toContain("system:serviceaccount:kube-system:aws-load-balancer-controller");
    const policy = named(r.resources, "aws:iam/policy:Policy", "svc-lbc");
    expect(JSON.parse(textAt(policy.inputs, "policy"))).toEqual(AWS_LOAD_BALANCER_CONTROLLER_POLICY);
    expect(named(r.resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "svc-lbc").inputs).toEqual({ role: role.state.name, policyArn: policy.state.arn });
  });

  it("lets the ALB reach pod IPs on the service port through the nodes' compute security group, and opens no NodePort", () => {
    const lt = one(r.resources, "aws:ec2/launchTemplate:LaunchTemplate").inputs;
    expect(lt.vpcSecurityGroupIds).toContain(COMPUTE_SG);
    expect(r.resources.filter((x) => x.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")).toEqual([]);
  });

  it("drains a terminating pod: preStop sleep, then the service's shutdown grace, within the termination grace period", () => {
    const podSpec = at(one(r.resources, "kubernetes:apps/v1:Deployment").inputs, "spec", "template", "spec");
    const sleep = Number(at(container(), "lifecycle", "preStop", "sleep", "seconds"));
    expect(sleep).toBeGreaterThanOrEqual(10);
    expect(Number(at(podSpec, "terminationGracePeriodSeconds"))).toBeGreaterThan(sleep + SERVICE_DEFAULTS.shutdownGraceMs / 1000);
    expect(at(one(r.resources, "kubernetes:core/v1:Namespace").inputs, "metadata", "labels")).toEqual({ "elbv2.k8s.aws/pod-readiness-gate-inject": "enabled" });
  });

  it("gives the model its whole load budget before liveness counts", () => {
    const startup = at(container(), "startupProbe") as { periodSeconds: number; failureThreshold: number };
    expect(startup.periodSeconds * startup.failureThreshold * 1000).toBeGreaterThan(SERVICE_DEFAULTS.modelLoadTimeoutMs);
  });

  it("ships pod logs to CloudWatch with the stack's retention, through IRSA for the add-on", () => {
    const addon = named(r.resources, "aws:eks/addon:Addon", "svc-cloudwatch").inputs;
    const role = named(r.resources, "aws:iam/role:Role", "svc-cw");
    expect(addon).toMatchObject({ addonName: "amazon-cloudwatch-observability", clusterName: "svc-cluster", serviceAccountRoleArn: role.state.arn });
    expect(Object.values(JSON.parse(textAt(role.inputs, "assumeRolePolicy")).Statement[0].Condition.StringEquals)).toContain(
      "system:serviceaccount:amazon-cloudwatch:cloudwatch-agent",
    );
    const groups = r.resources.filter((x) => x.type === "aws:cloudwatch/logGroup:LogGroup").map((g) => g.inputs);
    expect(groups.map((g) => g.name).sort()).toEqual(["application", "dataplane", "host", "performance"].map((k) => `/aws/containerinsights/svc-cluster/${k}`));
    for (const g of groups) expect(g.retentionInDays).toBe(30);
  });

  it("keeps the Kubernetes API reachable inside the VPC, and from the internet only as configured", () => {
    expect(one(r.resources, "eks:index:Cluster").inputs).toMatchObject({ endpointPrivateAccess: true, endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] });
  });

  it("creates Kubernetes objects through the cluster's provider", () => {
    const provider = one(r.resources, "pulumi:providers:kubernetes");
    expect(provider.inputs.kubeconfig).toBe(one(r.resources, "eks:index:Cluster").state.kubeconfigJson);
  });
});

it("a private API endpoint sets no public CIDRs", async () => {
  const r = await runComponent((c) => new c.EksTarget("svc", computeArgs(), { ...sizing, endpointPublicAccess: false }));
  const cluster = one(r.resources, "eks:index:Cluster").inputs;
  expect(cluster).toMatchObject({ endpointPrivateAccess: true, endpointPublicAccess: false });
  expect(cluster.publicAccessCidrs).toBeUndefined();
});

it("refuses an HPA minimum of zero replicas", async () => {
  await expect(
    runComponent((c) => new c.EksTarget("svc", computeArgs(), { ...sizing, scaling: { ...sizing.scaling, minCount: 0 } })),
  ).rejects.toThrow(/minReplicas ≥ 1/);
});
