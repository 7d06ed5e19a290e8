// An S3-compatible server for `s3://` model loading (and Secrets Manager): moto's server.
import { startMoto } from "./moto";
import type { TestServer } from "./server";

/** `port`: a given one (a test that starts the server late, on a port a service already uses). */
export async function startS3(port?: number): Promise<TestServer> {
  const moto = await startMoto("S3", port);
  return { name: "s3", env: { TEST_S3_ENDPOINT: moto.endpoint }, stop: moto.stop };
}
