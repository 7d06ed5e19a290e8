// The blueprint, read top to bottom: validated config, then the shared platform, then the one
// compute target the stack chose. Every resource is described in its own module.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { toEnvironment, type DeploymentSettings } from "../service/src/config";
import { readConfig, readRegion } from "./config";
import { resourceNamePrefix } from "./naming";
import { loadManifest, modelPackageDir } from "./model-package";
import { Network } from "./network";
import { ModelArtifacts } from "./model-artifacts";
import { ImageRepository } from "./image-repository";
import { FeatureStores, KEYSPACES_PORT } from "./feature-stores";
import { LoadBalancer } from "./load-balancer";
import { ApiKeys } from "./api-keys";
import { Observability } from "./observability";
import { runtimePolicy } from "./runtime-policy";
import { createComputeTarget } from "./compute";

const region = readRegion();
const config = readConfig(region);
const packageDir = modelPackageDir(config.modelName, config.modelVersion);
const manifest = loadManifest(packageDir);
// Resource names start from the stack, so two stacks of one account never collide; a stack name
// S3, the ALB or ElastiCache would refuse is refused here, before anything is created.
const name = resourceNamePrefix(pulumi.getStack());
const tags = { project: "inference-blueprint", stack: pulumi.getStack(), model: `${config.modelName}-${config.modelVersion}` };
const vpcCidrBlock = "10.0.0.0/16";

const network = new Network(name, {
  availabilityZones: config.availabilityZones,
  natStrategy: config.natStrategy,
  region,
  cidrBlock: vpcCidrBlock,
  dynamodbEndpoint: config.provisionDynamoDB,
  tags,
});

const artifacts = new ModelArtifacts(name, {
  packageDir,
  modelName: config.modelName,
  modelVersion: config.modelVersion,
  forceDestroy: config.modelBucketForceDestroy,
  tags,
});

const image = new ImageRepository(name, {
  architecture: config.architecture,
  keepImages: config.image.keepImages,
  releaseTag: config.image.releaseTag,
  tags,
});

const loadBalancer = new LoadBalancer(name, {
  vpcId: network.vpcId,
  vpcCidrBlock,
  scheme: config.loadBalancer.scheme,
  publicSubnetIds: network.publicSubnetIds,
  privateSubnetIds: network.privateSubnetIds,
  certificateArn: config.certificateArn,
  grpc: config.grpc.enabled,
  tags,
});

// Anyone on the internet can reach an internet-facing stack: the service then requires API keys.
const apiKeys =
  config.loadBalancer.scheme === "internet-facing" ? new ApiKeys(name, { keyIds: config.apiKeyIds, tags }) : undefined;

const featureStores = new FeatureStores(name, {
  manifest,
  vpcId: network.vpcId,
  privateSubnetIds: network.privateSubnetIds,
  computeSecurityGroupId: loadBalancer.computeSecurityGroupId,
  redis: config.provisionRedis ? config.redis : undefined,
  keyspaces: config.provisionKeyspaces ? config.keyspaces : undefined,
  dynamodb: config.provisionDynamoDB ? config.dynamodb : undefined,
  tags,
});

const observability = new Observability(name, {
  logRetentionDays: config.logRetentionDays,
  loadBalancerArnSuffix: loadBalancer.arnSuffix,
  tags,
});

const identity = aws.getCallerIdentityOutput();
const partition = aws.getPartitionOutput();
const runtimePolicyJson = pulumi
  .all([identity.accountId, partition.partition, artifacts.bucketArn, featureStores.keyspace, featureStores.redisAuthSecretArn, apiKeys?.secretArn, pulumi.all(featureStores.dynamodbTableArns)])
  .apply(([accountId, partitionName, bucketArn, keyspace, redisSecretArn, apiKeysSecretArn, dynamodbTableArns]) =>
    JSON.stringify(
      runtimePolicy({
        partition: partitionName,
        region,
        accountId,
        bucketArn,
        modelPrefix: artifacts.prefix,
        keyspace,
        keyspacesTables: featureStores.keyspacesTableNames,
        redisSecretArn,
        apiKeysSecretArn,
        // Only the tables the service reads; writes belong to the materializer's own principal.
        dynamodbTableArns: config.featureStore === "dynamodb" ? dynamodbTableArns : [],
      }),
    ),
  );

// The service's environment comes from its own config module; only the chosen store is wired.
const environment = pulumi
  .all([artifacts.modelUri, featureStores.redisEndpoint, featureStores.redisAuthSecretArn, featureStores.keyspace, apiKeys?.secretArn])
  .apply(([modelUri, redisHost, redisSecretArn, keyspace, apiKeysSecretArn]) => {
    const settings: DeploymentSettings = {
      modelUri,
      featureStore: config.featureStore,
      awsRegion: region,
      feastProject: manifest.project,
      apiKeysSecretArn,
      grpc: config.grpc.enabled,
    };
    if (config.featureStore === "redis" && redisHost) {
      settings.redis = { host: redisHost, port: featureStores.redisPort ?? 6379, tls: true, authSecretArn: redisSecretArn };
    }
    if (config.featureStore === "keyspaces" && keyspace) {
      settings.cassandra = {
        contactPoints: [`cassandra.${region}.amazonaws.com`],
        port: KEYSPACES_PORT,
        localDataCenter: region,
        keyspace,
        // Keyspaces reads at LOCAL_ONE or LOCAL_QUORUM only.
        consistency: "LOCAL_ONE",
        tls: true,
        sigV4: true,
      };
    }
    if (config.featureStore === "dynamodb") settings.dynamodb = { consistentReads: false };
    return toEnvironment(settings);
  });

const target = createComputeTarget(
  config.computeTarget,
  name,
  {
    imageUri: image.imageUri,
    architecture: config.architecture,
    environment,
    vpcId: network.vpcId,
    privateSubnetIds: network.privateSubnetIds,
    computeSecurityGroupId: loadBalancer.computeSecurityGroupId,
    albSecurityGroupId: loadBalancer.securityGroupId,
    listenerArn: loadBalancer.listenerArn,
    grpc: config.grpc.enabled,
    runtimePolicyJson,
    logGroupName: observability.logGroupName,
    logRetentionDays: config.logRetentionDays,
    tags,
  },
  config,
  { dependsOn: [featureStores] },
);

export const url = config.domainName
  ? pulumi.output(`https://${config.domainName}`)
  : pulumi.interpolate`${loadBalancer.https ? "https" : "http"}://${loadBalancer.dnsName}`;
export const bucket = artifacts.bucketName;
export const modelUri = artifacts.modelUri;
export const repositoryUrl = image.repositoryUrl;
export const imageUri = image.imageUri;
export const imageTag = image.imageTag;
export const redisEndpoint = featureStores.redisEndpoint;
export const keyspace = featureStores.keyspace;
export const computeTarget = config.computeTarget;
export const apiEndpoint = target.apiEndpoint;
export const logGroupName = observability.logGroupName;
export const loadBalancerScheme = config.loadBalancer.scheme;
/** Secrets Manager secret holding the API keys (internet-facing stacks): read a key from it to call the service. */
export const apiKeysSecretArn = apiKeys?.secretArn;
