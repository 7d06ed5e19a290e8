// The VPC every target runs in: public subnets for the ALB and NAT, private subnets for compute
// and Redis, in at least two AZs because an ALB refuses fewer.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import type { NatStrategy } from "./config";

export interface NetworkArgs {
  availabilityZones: number;
  natStrategy: NatStrategy;
  /** The region's S3 service name for the gateway endpoint, e.g. com.amazonaws.us-east-1.s3. */
  region: string;
  cidrBlock?: string;
  /** Also a DynamoDB gateway endpoint, so feature reads from the private subnets skip NAT. */
  dynamodbEndpoint?: boolean;
  tags?: Record<string, string>;
}

const NAT: Record<NatStrategy, awsx.types.enums.ec2.NatGatewayStrategy> = {
  none: awsx.ec2.NatGatewayStrategy.None,
  single: awsx.ec2.NatGatewayStrategy.Single,
  onePerAz: awsx.ec2.NatGatewayStrategy.OnePerAz,
};

export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly publicSubnetIds: pulumi.Output<string[]>;
  readonly privateSubnetIds: pulumi.Output<string[]>;
  readonly s3EndpointId: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-blueprint:network:Network", name, {}, opts);
    if (args.availabilityZones < 2) {
      throw new Error(`Network ${name}: availabilityZones is ${args.availabilityZones}; an ALB needs subnets in at least 2`);
    }
    const vpc = new awsx.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: args.cidrBlock ?? "10.0.0.0/16",
        numberOfAvailabilityZones: args.availabilityZones,
        // Auto lays subnets out in spec order; the default (Legacy) is kept only for old stacks.
        subnetStrategy: awsx.ec2.SubnetAllocationStrategy.Auto,
        subnetSpecs: [
          { type: awsx.ec2.SubnetType.Public, cidrMask: 22 },
          { type: awsx.ec2.SubnetType.Private, cidrMask: 20 },
        ],
        natGateways: { strategy: NAT[args.natStrategy] },
        // Interface endpoints (ECR, Secrets Manager) and Keyspaces resolve by DNS inside the VPC.
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags: args.tags,
      },
      { parent: this },
    );
    this.vpcId = vpc.vpcId;
    this.publicSubnetIds = vpc.publicSubnetIds;
    this.privateSubnetIds = vpc.privateSubnetIds;

    // Model downloads from the private subnets go to S3 directly, not through (paid) NAT.
    const privateRouteTables = aws.ec2.getRouteTablesOutput(
      { vpcId: vpc.vpcId, filters: [{ name: "association.subnet-id", values: vpc.privateSubnetIds }] },
      { parent: this },
    );
    const s3Endpoint = new aws.ec2.VpcEndpoint(
      `${name}-s3`,
      {
        vpcId: vpc.vpcId,
        serviceName: `com.amazonaws.${args.region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: privateRouteTables.ids,
        tags: args.tags,
      },
      { parent: this },
    );
    this.s3EndpointId = s3Endpoint.id;
    if (args.dynamodbEndpoint) {
      new aws.ec2.VpcEndpoint(
        `${name}-dynamodb`,
        {
          vpcId: vpc.vpcId,
          serviceName: `com.amazonaws.${args.region}.dynamodb`,
          vpcEndpointType: "Gateway",
          routeTableIds: privateRouteTables.ids,
          tags: args.tags,
        },
        { parent: this },
      );
    }
    this.registerOutputs({ vpcId: this.vpcId, publicSubnetIds: this.publicSubnetIds, privateSubnetIds: this.privateSubnetIds });
  }
}
