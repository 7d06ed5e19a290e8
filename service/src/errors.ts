// Every failure leaves as `{ "error": "...", "field"?: "..." }` with a 4xx/503 status that
// names what was wrong and what is expected. A 500 is a bug in the service, never the client's.
import * as http from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from "fastify";
import Router from "find-my-way";
import type { ErrorKind, ServiceMetrics } from "./metrics";

/** Longest piece of the request quoted back in an error message. */
export const MAX_ECHO = 64;

/** Input quoted back to the caller, cut so a huge field name or value cannot inflate the answer. */
export function echo(text: string, max = MAX_ECHO): string {
  return text.length > max ? `${text.slice(0, max)}…(${text.length} characters)` : text;
}

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
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? echo(part) : `.${echo(part)}`))
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
  return `${typeof value} ${echo(JSON.stringify(value), 40)}`;
}

/** Turns the first ajv error into one sentence: `features.amount: expected number, got string "12a"`. */
export function validationMessage(errors: AjvError[], body: unknown, schemaProperties?: (path: string) => string[]): { message: string; field: string } {
  // anyOf/oneOf report every branch; the first concrete error is the useful one.
  const e = errors.find((x) => x.keyword !== "anyOf" && x.keyword !== "oneOf") ?? errors[0];
  const at = pathOf(e.instancePath);
  const join = (child: string) => (at ? `${at}.${child}` : child);
  switch (e.keyword) {
    case "required": {
      const field = join(echo(String(e.params.missingProperty)));
      return { field, message: `${field}: required field is missing` };
    }
    case "additionalProperties": {
      const field = join(echo(String(e.params.additionalProperty)));
      const allowed = schemaProperties?.(e.instancePath) ?? [];
      const expected = allowed.length > 0 ? `; expected one of ${allowed.join(", ")}` : "";
      return { field, message: `${field}: unknown field${expected}` };
    }
    case "type":
      return {
        field: at,
        message: `${at || "body"}: expected ${String(e.params.type)}, got ${describe(valueAt(body, e.instancePath))}`,
      };
    case "minimum":
    case "maximum": {
      const limit = Number(e.params.limit);
      const hint = Math.abs(limit) === Number.MAX_SAFE_INTEGER ? " (send larger int64 values as decimal strings where the API accepts them)" : "";
      return {
        field: at,
        message: `${at || "body"}: expected ${e.keyword === "minimum" ? "at least" : "at most"} ${limit}, got ${describe(valueAt(body, e.instancePath))}${hint}`,
      };
    }
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

/** Longest path parameter (a model name, a version); Fastify answers 414 beyond it. */
const MAX_PARAM_LENGTH = 100;

/** The body every error leaves with. */
function errorBody(message: string, field?: string): { error: string; field?: string } {
  return field ? { error: message, field } : { error: message };
}

/**
 * Fastify options that keep its own answers in the service's shape: malformed URLs and
 * over-long path parameters (414), and errors Node's HTTP parser raises before any route runs
 * (malformed request line or chunk, headers over the size limit, request timeout).
 */
export const errorShapeOptions: Pick<
  FastifyServerOptions,
  "frameworkErrors" | "clientErrorHandler" | "return503OnClosing" | "routerOptions"
> = {
  routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
  frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
    const message =
      err.code === "FST_ERR_MAX_PARAM_LENGTH"
        ? `URL path parameter is too long: at most ${MAX_PARAM_LENGTH} characters`
        : `malformed URL: ${echo(err.message, 200)}`;
    void reply.code(err.statusCode ?? 400).send(errorBody(message));
  },
  clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket) {
    if (err.code === "ECONNRESET" || socket.destroyed) return;
    const [status, message]: [number, string] =
      err.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "the request was not received in time"]
        : err.code === "HPE_HEADER_OVERFLOW"
          ? [431, `request line and headers exceed ${http.maxHeaderSize} bytes`]
          : [400, `malformed HTTP request (${err.code ?? "parse error"}): ${echo(err.message, 200)}`];
    if (socket.writable) {
      const body = JSON.stringify(errorBody(message));
      socket.write(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy(err);
  },
  // Requests arriving during the drain get the hook's 503 below, in the service's shape.
  return503OnClosing: false,
};

const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] as const;

/** The app-wide error, not-found (404), wrong-method (405) and shutting-down (503) handlers. */
export function installErrorHandlers(app: FastifyInstance, metrics: ServiceMetrics): void {
  // A second router holding the same routes answers "which methods does this path take?".
  const routes = Router();
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) {
      if ((METHODS as readonly string[]).includes(method) && !routes.hasRoute(method as Router.HTTPMethod, route.url)) {
        routes.on(method as Router.HTTPMethod, route.url, () => {});
      }
    }
  });
  app.setErrorHandler((err: FastifyError | HttpError, request: FastifyRequest, reply: FastifyReply) => {
    // Set explicitly: a route that chose its own serializer (reply.serializer) leaves no content type.
    void reply.type("application/json; charset=utf-8");
    if (err instanceof HttpError) {
      metrics.error(err.kind);
      return reply.code(err.statusCode).send(errorBody(err.message, err.field));
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
          ? `unsupported content-type "${echo(request.headers["content-type"] ?? "")}": expected application/json`
          : echo(fe.message, 300);
      return reply.code(status).send({ error: message });
    }
    metrics.error("internal");
    request.log.error({ err }, "unhandled error");
    return reply.code(500).send({ error: "internal error; see the service log" });
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0];
    const allowed = METHODS.filter((m) => m !== request.method && routes.find(m, path) !== null);
    if (allowed.length > 0) {
      metrics.error("method_not_allowed");
      return reply
        .code(405)
        .header("allow", allowed.join(", "))
        .send(errorBody(`method ${echo(request.method)} is not allowed on ${echo(path)}; expected ${allowed.join(" or ")}`));
    }
    metrics.error("not_found");
    return reply.code(404).send(errorBody(`no route ${echo(request.method)} ${echo(path)}; see /openapi.json`));
  });
}
