// The Lambda entry with real event shapes: an ALB target group (type lambda) and an API Gateway
// HTTP API (payload v2). The model loads once per execution environment, not per event.
import type { Context } from "aws-lambda";
import * as serving from "../../service/src/serving";
import { createLambdaHandler, handler, type LambdaEvent } from "../../service/src/lambda";
import { golden, testConfig } from "./fixtures";

const known = golden.cases.find((c) => Object.keys(c.online).length > 0)!;
const payload = JSON.stringify({ entity: known.entity, features: known.request });
const context = { awsRequestId: "req-1", functionName: "inference" } as Context;

const albEvent = (body: string, base64 = false): LambdaEvent => ({
  requestContext: { elb: { targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/inference/abc" } },
  httpMethod: "POST",
  path: "/v1/models/fraud:predict",
  queryStringParameters: {},
  headers: { "content-type": "application/json", host: "inference-123.us-east-1.elb.amazonaws.com", "x-forwarded-for": "203.0.113.7" },
  body: base64 ? Buffer.from(body).toString("base64") : body,
  isBase64Encoded: base64,
});

const httpApiEvent = (method: string, rawPath: string, body?: string): LambdaEvent => ({
  version: "2.0",
  routeKey: "$default",
  rawPath,
  rawQueryString: "",
  headers: { "content-type": "application/json", host: "abc123.execute-api.us-east-1.amazonaws.com" },
  requestContext: {
    accountId: "123456789012",
    apiId: "abc123",
    domainName: "abc123.execute-api.us-east-1.amazonaws.com",
    domainPrefix: "abc123",
    http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "203.0.113.7", userAgent: "curl/8" },
    requestId: "id",
    routeKey: "$default",
    stage: "$default",
    time: "25/Nov/2026:10:00:00 +0000",
    timeEpoch: 1795600000000,
  },
  body,
  isBase64Encoded: false,
});

describe("Lambda handler", () => {
  let lambda: Awaited<ReturnType<typeof createLambdaHandler>>;
  beforeAll(async () => {
    lambda = await createLambdaHandler(testConfig());
  });

  it("answers an ALB event with the prediction", async () => {
    const res = await lambda(albEvent(payload), context);
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body).label).toBe(known.expected.label);
  });

  it("decodes a base64 ALB body", async () => {
    const res = await lambda(albEvent(payload, true), context);
    expect(res.statusCode).toBe(200);
  });

  it("answers API Gateway HTTP API events, including 400s with the same error shape", async () => {
    const ok = await lambda(httpApiEvent("POST", "/v1/models/fraud:predict", payload), context);
    expect(ok.statusCode).toBe(200);
    const bad = await lambda(httpApiEvent("POST", "/v1/models/fraud:predict", '{"entity":'), context);
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).error).toMatch(/invalid JSON body/);
    const health = await lambda(httpApiEvent("GET", "/healthz"), context);
    expect(health.statusCode).toBe(200);
  });

  it("loads the model once, during init, for every event that follows", async () => {
    const load = jest.spyOn(serving, "loadServing");
    const first = await handler(albEvent(payload), context);
    const second = await handler(albEvent(payload), context);
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(load).toHaveBeenCalledTimes(1);
  });
});
