// Every failure leaves as `{ "error": "...", "field"?: "..." }` with a 4xx/503 status that
// names what was wrong and what is expected. A 500 is a bug in the service, never the client's.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ErrorKind, ServiceMetrics } from "./metrics";

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly kind: ErrorKind,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function pathOf(instancePath: string): string {
  return instancePath
    .split("/")
    .filter(Boolean)
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join("");
}

function valueAt(body: unknown, instancePath: string): unknown {
  let value = body;
  for (const part of instancePath.split("/").filter(Boolean)) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}

/** Turns the first ajv error into one sentence: `features.amount: expected number, got string "12a"`. */
export function validationMessage(errors: AjvError[], body: unknown, schemaProperties?: (path: string) => string[]): { message: string; field: string } {
  // anyOf/oneOf report every branch; the first concrete error is the useful one.
  const e = errors.find((x) => x.keyword !== "anyOf" && x.keyword !== "oneOf") ?? errors[0];
  const at = pathOf(e.instancePath);
  const join = (child: string) => (at ? `${at}.${child}` : child);
  switch (e.keyword) {
    case "required": {
      const field = join(String(e.params.missingProperty));
      return { field, message: `${field}: required field is missing` };
    }
    case "additionalProperties": {
      const field = join(String(e.params.additionalProperty));
      const allowed = schemaProperties?.(e.instancePath) ?? [];
      const expected = allowed.length > 0 ? `; expected one of ${allowed.join(", ")}` : "";
      return { field, message: `${field}: unknown field${expected}` };
    }
    case "type":
      return {
        field: at,
        message: `${at || "body"}: expected ${String(e.params.type)}, got ${describe(valueAt(body, e.instancePath))}`,
      };
    default:
      return { field: at, message: `${at || "body"}: ${e.message ?? "is invalid"} (got ${describe(valueAt(body, e.instancePath))})` };
  }
}

type SchemaNode = { properties?: Record<string, SchemaNode>; items?: SchemaNode; anyOf?: SchemaNode[] };

/** The property names the schema allows at `instancePath`, to list them beside an unknown field. */
export function propertiesAt(schema: unknown, instancePath: string): string[] {
  let node = schema as SchemaNode | undefined;
  for (const part of instancePath.split("/").filter(Boolean)) {
    node = node?.anyOf?.find((n) => n.properties || n.items) ?? node;
    node = /^\d+$/.test(part) ? node?.items : node?.properties?.[part];
  }
  node = node?.anyOf?.find((n) => n.properties) ?? node;
  return Object.keys(node?.properties ?? {});
}

/** The app-wide error and not-found handlers. */
export function installErrorHandlers(app: FastifyInstance, metrics: ServiceMetrics): void {
  app.setErrorHandler((err: FastifyError | HttpError, request: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof HttpError) {
      metrics.error(err.kind);
      return reply.code(err.statusCode).send(err.field ? { error: err.message, field: err.field } : { error: err.message });
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      metrics.error("bad_request");
      const bodySchema = request.routeOptions.schema?.body;
      const { message, field } = validationMessage(fe.validation as AjvError[], request.body, (p) =>
        propertiesAt(bodySchema, p),
      );
      const where = fe.validationContext && fe.validationContext !== "body" ? `${fe.validationContext} ` : "";
      return reply.code(400).send({ error: `${where}${message}`, field });
    }
    const status = fe.statusCode ?? 500;
    if (status === 413) {
      metrics.error("payload_too_large");
      return reply.code(413).send({ error: `request body is larger than the limit of ${app.initialConfig.bodyLimit} bytes` });
    }
    if (status >= 400 && status < 500) {
      metrics.error("bad_request");
      const message =
        fe.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE"
          ? `unsupported content-type "${request.headers["content-type"] ?? ""}": expected application/json`
          : fe.code === "FST_ERR_CTP_EMPTY_JSON_BODY"
            ? "request body is empty: expected a JSON object"
            : fe instanceof SyntaxError || fe.code === "FST_ERR_CTP_INVALID_JSON_BODY"
              ? `invalid JSON body: ${fe.message}`
              : fe.message;
      return reply.code(status).send({ error: message });
    }
    metrics.error("internal");
    request.log.error({ err }, "unhandled error");
    return reply.code(500).send({ error: "internal error; see the service log" });
  });

  app.setNotFoundHandler((request, reply) => {
    metrics.error("not_found");
    return reply.code(404).send({ error: `no route ${request.method} ${request.url.split("?")[0]}; see /openapi.json` });
  });
}
