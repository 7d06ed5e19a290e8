// HTTP connection limits, so slow or silent clients cannot hold the process's sockets:
//   - the request line and headers must arrive within HEADERS_TIMEOUT_MS (a silent new
//     connection is closed), the whole request, body included, within REQUEST_TIMEOUT_MS (a
//     trickled body is cut off); both answer 408 in the service's error shape. The request
//     timeout stays below the ALB idle timeout, so a client hears our 408 rather than the ALB's 504;
//   - an idle keep-alive connection is closed after KEEP_ALIVE_TIMEOUT_MS, above the ALB idle
//     timeout, so the ALB always closes first and never sends on a connection we are closing;
//   - at most MAX_CONNECTIONS open connections; one beyond it gets a single 503 with
//     `connection: close` instead of being reset, so a load balancer can pass the answer on.
import type { Socket } from "node:net";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { FastifyHttpOptions, FastifyInstance } from "fastify";
import { ENV, type ServiceConfig } from "./config";

export type ConnectionSettings = Pick<ServiceConfig, "requestTimeoutMs" | "headersTimeoutMs" | "keepAliveTimeoutMs" | "maxConnections">;

/** Fastify's server options for these limits. */
export function connectionOptions(s: ConnectionSettings): FastifyHttpOptions<Server> {
  return {
    requestTimeout: s.requestTimeoutMs,
    keepAliveTimeout: s.keepAliveTimeoutMs,
    http: {
      headersTimeout: s.headersTimeoutMs,
      // Node checks both timeouts on this interval (default 30 s, which would let a 1 s limit
      // run for 31 s).
      connectionsCheckingInterval: Math.min(1_000, s.headersTimeoutMs),
    },
    // A timed-out request is answered 408 by errors.ts's clientErrorHandler, in the service's shape.
  };
}

interface Connections {
  open: Set<Socket>;
  /** Requests in progress per connection. */
  busy: WeakMap<Socket, number>;
}
const tracked = new WeakMap<object, Connections>();

/**
 * Tracks open connections and the requests in progress on each (a drain closes only the idle
 * ones); a request on a connection opened beyond the cap gets 503 with `connection: close`
 * (Node's own `maxConnections` would reset it without a word).
 */
export function capConnections(app: FastifyInstance, maxConnections: number): void {
  const connections: Connections = { open: new Set(), busy: new WeakMap() };
  tracked.set(app.server, connections);
  const overCap = new WeakSet<Socket>();
  app.server.on("connection", (socket: Socket) => {
    connections.open.add(socket);
    if (connections.open.size > maxConnections) overCap.add(socket);
    socket.once("close", () => connections.open.delete(socket));
  });
  app.server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    connections.busy.set(socket, (connections.busy.get(socket) ?? 0) + 1);
    res.once("close", () => connections.busy.set(socket, (connections.busy.get(socket) ?? 1) - 1));
  });
  app.addHook("onRequest", (request, reply, done) => {
    if (!overCap.has(request.raw.socket)) return done();
    reply
      .code(503)
      .header("connection", "close")
      .send({ error: `too many open connections (more than ${maxConnections}, ${ENV.maxConnections}); retry later` });
  });
}

/** The open connections of a server set up by `capConnections`, and whether each is idle. */
export function openConnections(server: object): Array<{ socket: Socket; idle: boolean }> {
  const c = tracked.get(server);
  return c ? [...c.open].map((socket) => ({ socket, idle: (c.busy.get(socket) ?? 0) === 0 })) : [];
}
