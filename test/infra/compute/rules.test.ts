// The plain functions the targets are built from, tested directly.
import * as http from "node:http";
import { spawn } from "node:child_process";
import type { AddressInfo } from "node:net";
import { HEALTH_PATH, PORT } from "../../../service/src/config";
import { checkTargetGroupName, loadBalancerArnSuffix } from "../../../infra/compute/alb";
import { containerHealthCheckCommand } from "../../../infra/compute/ecs-service";
import { ecsUserData } from "../../../infra/compute/ec2";
import { irsaTrustPolicy, nodeGroupAutoScalingGroupName } from "../../../infra/compute/eks";
import { fargateCapacityStrategy } from "../../../infra/compute/fargate";

describe("ALB wiring", () => {
  it("takes the load balancer's ARN suffix from a listener ARN", () => {
    expect(loadBalancerArnSuffix("arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/my-alb/50dc6c495c0c9188/f2f7dc8efc522ab2")).toBe("app/my-alb/50dc6c495c0c9188");
  });
  it("refuses an ARN that is not an ALB listener's, showing the expected form", () => {
    expect(() => loadBalancerArnSuffix("arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/x/1")).toThrow(/listener\/app\/<name>\/<id>\/<listener-id>/);
  });
  it("accepts a 24-character target group name and refuses 25 (Pulumi appends 8)", () => {
    expect(() => checkTargetGroupName("a".repeat(24))).not.toThrow();
    expect(() => checkTargetGroupName("a".repeat(25))).toThrow(/33-character name; AWS allows 32/);
  });
});

describe("Fargate capacity strategy", () => {
  it("is all on-demand at 0% and all Spot at 100%", () => {
    expect(fargateCapacityStrategy(0)).toEqual([{ capacityProvider: "FARGATE", weight: 1 }]);
    expect(fargateCapacityStrategy(100)).toEqual([{ capacityProvider: "FARGATE_SPOT", weight: 1 }]);
  });
  it("keeps one on-demand task as a base in between", () => {
    expect(fargateCapacityStrategy(25)).toEqual([
      { capacityProvider: "FARGATE", weight: 75, base: 1 },
      { capacityProvider: "FARGATE_SPOT", weight: 25 },
    ]);
  });
  it("refuses out-of-range shares", () => {
    expect(() => fargateCapacityStrategy(101)).toThrow(/0 to 100/);
    expect(() => fargateCapacityStrategy(12.5)).toThrow(/integer/);
  });
});

describe("ECS on EC2 user data", () => {
  it("names the cluster and keeps awsvpc tasks off the instance metadata", () => {
    const script = ecsUserData("prod-cluster-1a2b");
    expect(script.startsWith("#!/bin/bash\n")).toBe(true);
    expect(script).toContain("\nECS_CLUSTER=prod-cluster-1a2b\n");
    expect(script).toContain("\nECS_AWSVPC_BLOCK_IMDS=true\n");
  });
});

describe("IRSA", () => {
  it("trusts only the service account, for STS, through the issuer without its scheme", () => {
    const doc = JSON.parse(irsaTrustPolicy("arn:aws:iam::1:oidc-provider/oidc.eks.x/id/AB", "https://oidc.eks.x/id/AB", "ns", "sa"));
    expect(doc.Statement[0].Condition.StringEquals).toEqual({
      "oidc.eks.x/id/AB:sub": "system:serviceaccount:ns:sa",
      "oidc.eks.x/id/AB:aud": "sts.amazonaws.com",
    });
  });
  it("says so when the node group has no Auto Scaling group to attach", () => {
    expect(nodeGroupAutoScalingGroupName([{ autoscalingGroups: [{ name: "eks-abc" }], remoteAccessSecurityGroupId: "" }])).toBe("eks-abc");
    expect(() => nodeGroupAutoScalingGroupName([])).toThrow(/no Auto Scaling group/);
  });
});

describe("container health check command", () => {
  // Runs the command's script for real against a loopback server standing in for the service.
  async function exitCodeAgainst(status: number | "closed"): Promise<number | null> {
    const server = http.createServer((req, res) => {
      res.statusCode = req.url === HEALTH_PATH ? (status as number) : 404;
      res.end();
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    const port = (server.address() as AddressInfo).port;
    if (status === "closed") await new Promise((done) => server.close(done));
    const [, , , script] = containerHealthCheckCommand();
    // Asynchronous: the server answering it lives on this process's event loop.
    const child = spawn(process.execPath, ["-e", (script as string).replace(`:${PORT}/`, `:${port}/`)], { timeout: 10_000 });
    const code = await new Promise<number | null>((done) => child.on("exit", done));
    if (status !== "closed") await new Promise((done) => server.close(done));
    return code;
  }

  it("probes the service's port and health path", () => {
    expect(containerHealthCheckCommand()[3]).toContain(`http://127.0.0.1:${PORT}${HEALTH_PATH}`);
  });
  it("exits 0 when the health path answers 200", async () => {
    expect(await exitCodeAgainst(200)).toBe(0);
  });
  it("exits 1 when it answers 503", async () => {
    expect(await exitCodeAgainst(503)).toBe(1);
  });
  it("exits 1 when nothing listens", async () => {
    expect(await exitCodeAgainst("closed")).toBe(1);
  });
});
