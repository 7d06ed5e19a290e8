// The events Lambda hands the function behind an ALB target group and an API Gateway HTTP API
// (payload 2.0), shaped as AWS sends them: one builder each for the in-process tests, the image
// test under the Runtime Interface Emulator and the benchmarks.
import type { ALBEvent, APIGatewayProxyEventV2 } from "aws-lambda";
import { PREDICT_PATH } from "./fixtures";

export function albEvent(
  body: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; base64?: boolean } = {},
): ALBEvent {
  const base64 = options.base64 ?? false;
  return {
    requestContext: { elb: { targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/inference/abc" } },
    httpMethod: options.method ?? "POST",
    path: options.path ?? PREDICT_PATH,
    queryStringParameters: {},
    headers: options.headers ?? { "content-type": "application/json", host: "inference-123.us-east-1.elb.amazonaws.com", "x-forwarded-for": "203.0.113.7" },
    body: base64 ? Buffer.from(body).toString("base64") : body,
    isBase64Encoded: base64,
  };
}

export function httpApiEvent(method: string, rawPath: string, body?: string): APIGatewayProxyEventV2 {
  return {
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
      time: "30/Nov/2026:10:00:00 +0000",
      timeEpoch: 1796032800000,
    },
    body,
    isBase64Encoded: false,
  };
}
