// A DynamoDB-compatible server for the DynamoDB store: moto's server (PyPI `moto[server]`, the
// same install as the S3 test server), on a free loopback port. DynamoDB Local is not used: it
// ships under Amazon's own licence, not an open-source one. moto answers the calls the store
// makes (BatchGetItem with projections and its 100-key and 16 MB limits, BatchWriteItem, GetItem).
import { startMoto } from "./moto";
import type { TestServer } from "./server";

/** Where the test files find the shared instance, e.g. http://127.0.0.1:41234. */
export const TEST_DYNAMODB_ENDPOINT = "TEST_DYNAMODB_ENDPOINT";
/** moto accepts any credentials and region; the SDK still wants some. */
export const TEST_AWS_ENV = { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_REGION: "us-east-1" } as const;

export interface DynamoDBServer extends TestServer {
  readonly port: number;
  readonly endpoint: string;
}

/** Starts moto's server; `port` lets a test restart one where its clients expect it. */
export async function startDynamoDB(options: { port?: number } = {}): Promise<DynamoDBServer> {
  const moto = await startMoto("DynamoDB", options.port);
  return { name: "dynamodb", port: moto.port, endpoint: moto.endpoint, env: { [TEST_DYNAMODB_ENDPOINT]: moto.endpoint }, stop: moto.stop };
}
