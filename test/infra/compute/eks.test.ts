// The EKS target under mocks: cluster, node group, IRSA, the Kubernetes objects and the ALB path.
import { HEALTH_PATH, PORT, READY_PATH } from "../../../service/src/config";
import { NODE_PORT } from "../../../infra/compute/eks";
import type { EksSizing } from "../../../infra/compute/target";
import { at, textAt } from "../mocks";
import {
  ALB_SG, COMPUTE_SG, ENVIRONMENT, IMAGE_URI, LISTENER_ARN, RUNTIME_POLICY_JSON,
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

  it("exposes the pods on a NodePort and scales them with an HPA and a disruption budget", () => {
    const svc = one(r.resources, "kubernetes:core/v1:Service").inputs.spec;
    expect(at(svc, "type")).toBe("NodePort");
    expect(at(svc, "ports")).toEqual([{ name: "http", protocol: "TCP", port: PORT, targetPort: PORT, nodePort: NODE_PORT }]);
    const hpa = one(r.resources, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").inputs.spec;
    expect(hpa).toMatchObject({ minReplicas: 2, maxReplicas: 8, scaleTargetRef: { kind: "Deployment", name: "inference-service" } });
    expect(at(hpa, "metrics", 0, "resource")).toEqual({ name: "cpu", target: { type: "Utilization", averageUtilization: 65 } });
    expect(at(one(r.resources, "kubernetes:policy/v1:PodDisruptionBudget").inputs, "spec", "maxUnavailable")).toBe(1);
    expect(one(r.resources, "aws:eks/addon:Addon").inputs).toMatchObject({ addonName: "metrics-server", clusterName: "svc-cluster" });
  });

  it("registers the node group's Auto Scaling group in an `instance` target group on the NodePort", () => {
    const tg = one(r.resources, "aws:lb/targetGroup:TargetGroup");
    expect(tg.inputs).toMatchObject({ targetType: "instance", port: NODE_PORT, protocol: "HTTP" });
    expect(at(tg.inputs, "healthCheck", "path")).toBe(HEALTH_PATH);
    const attachment = one(r.resources, "aws:autoscaling/attachment:Attachment").inputs;
    expect(attachment).toEqual({ autoscalingGroupName: "eks-svc-nodes-asg", lbTargetGroupArn: tg.state.arn });
    expect(one(r.resources, "aws:lb/listenerRule:ListenerRule").inputs.listenerArn).toBe(LISTENER_ARN);
  });

  it("opens the NodePort to the ALB's security group only", () => {
    const rule = one(r.resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").inputs;
    expect(rule).toMatchObject({ securityGroupId: COMPUTE_SG, referencedSecurityGroupId: ALB_SG, ipProtocol: "tcp", fromPort: NODE_PORT, toPort: NODE_PORT });
    expect(rule.cidrIpv4).toBeUndefined();
  });

  it("creates Kubernetes objects through the cluster's provider", () => {
    const provider = one(r.resources, "pulumi:providers:kubernetes");
    expect(provider.inputs.kubeconfig).toBe(one(r.resources, "eks:index:Cluster").state.kubeconfigJson);
  });
});

it("refuses an HPA minimum of zero replicas", async () => {
  await expect(
    runComponent((c) => new c.EksTarget("svc", computeArgs(), { ...sizing, scaling: { ...sizing.scaling, minCount: 0 } })),
  ).rejects.toThrow(/minReplicas ≥ 1/);
});
