import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import { createProxyMiddleware, proxyEventsPlugin } from "http-proxy-middleware";
import type { Logger } from "pino";
import { uuidv7 } from "uuidv7";
import { extractBuyerKey } from "./buyer-key.js";
import type { CaptureSink } from "./capture-sink.js";
import { DeadlineWheel } from "./deadline-wheel.js";
import { type Directory, DirectoryUnavailableError, type KeyInfo, type ServiceInfo } from "./directory.js";
import type { ProxyEnv } from "./env.js";
import { Exchange, type ExchangeContext, exchangeOf } from "./exchange.js";
import type { KeyLimiter } from "./key-limits.js";
import type { ProxyMetrics } from "./metrics.js";
import type { ProxyRoute } from "./routing.js";
import { upstreamEvents } from "./upstream-events.js";

/** What the proxy handler needs. */
export interface ProxyHandlerDeps {
  env: ProxyEnv;
  directory: Directory;
  limiter: KeyLimiter;
  sink: CaptureSink;
  metrics: ProxyMetrics;
  logger: Logger;
}

/** Handles proxied requests (`/{slug}/...`), called straight from the HTTP server, not through express. */
export interface ProxyHandler {
  handle(req: IncomingMessage, res: ServerResponse, route: ProxyRoute): void;
  /** Stops the deadline wheel (when the server closes). */
  stop(): void;
}

/**
 * Flow of one call: an `Exchange` with a request id → buyer key → key and service from the in-memory directory
 * (PostgreSQL only on a miss) → the exchange's checks → forwarded through http-proxy-middleware. Everything
 * after that is the exchange's (see exchange.ts).
 */
export function createProxyHandler(deps: ProxyHandlerDeps): ProxyHandler {
  const { env, directory, logger } = deps;
  // One middleware per upstream protocol, each with a keep-alive agent: without an agent, http-proxy sends
  // `Connection: close` upstream (a new TCP/TLS connection per call) and passes the close on to the buyer.
  // Only the plugin that wires `on` handlers: no logging plugin (cost per request), our own JSON errors.
  const on = upstreamEvents(logger);
  const middleware = (agent: http.Agent) =>
    createProxyMiddleware<IncomingMessage, ServerResponse>({
      router: routeOf,
      changeOrigin: true,
      agent,
      ejectPlugins: true,
      plugins: [proxyEventsPlugin],
      on,
    });
  // No maxSockets cap: a request never waits in the agent's queue, so its socket is assigned before its
  // (already read) body could end it — the opt-in body rewrite relies on that order.
  const agentOptions = {
    keepAlive: true,
    keepAliveMsecs: 30_000,
    maxFreeSockets: 256,
    scheduling: "lifo" as const,
  };
  const viaHttp = middleware(new http.Agent(agentOptions));
  const viaHttps = middleware(new https.Agent(agentOptions));
  const deadlines = new DeadlineWheel(
    Math.min(env.UPSTREAM_CONNECT_TIMEOUT_MS, env.UPSTREAM_IDLE_TIMEOUT_MS, env.REQUEST_BODY_TIMEOUT_MS),
  );
  const ctx: ExchangeContext = {
    env,
    limiter: deps.limiter,
    sink: deps.sink,
    metrics: deps.metrics,
    logger,
    deadlines,
    dispatch(x) {
      const upstream = (x.service as ServiceInfo).upstreamUrl.startsWith("https:") ? viaHttps : viaHttp;
      void upstream(x.req, x.res, (error?: unknown) => x.dispatchFailed(error));
    },
  };

  const begin = (x: Exchange, key: KeyInfo | null, service: ServiceInfo | null, slug: string) => {
    if (!key) return x.reject("invalid_key", "invalid_key", "the API key is unknown or revoked");
    if (!service) return x.reject("unknown_service", "unknown_service", `no API service "${slug}"`);
    x.authorise(key, service);
    try {
      if (x.admit()) x.forward();
    } catch (error) {
      x.fail(error);
    }
  };

  return {
    handle(req, res, route) {
      const x = new Exchange(ctx, req, res, route, uuidv7());
      const rawKey = extractBuyerKey(req.headers, route.queryKey);
      if (!rawKey) {
        x.reject(
          "missing_key",
          "missing_key",
          "an API key is required (Authorization: Bearer, x-api-key, x-goog-api-key or ?key=)",
        );
        return;
      }
      const key = directory.peekKey(rawKey);
      const service = directory.peekService(route.slug);
      if (key !== undefined && service !== undefined) {
        begin(x, key, service, route.slug);
        return;
      }
      // A cache miss: the only case where a request waits on PostgreSQL (once per key or slug per TTL).
      Promise.all([directory.key(rawKey), directory.service(route.slug)]).then(
        ([k, s]) => begin(x, k, s, route.slug),
        (error: unknown) => {
          const unavailable = error instanceof DirectoryUnavailableError;
          logger.error({ err: (error as Error).message, requestId: x.requestId }, "key lookup failed");
          x.reject(
            unavailable ? "auth_unavailable" : "internal",
            "auth_unavailable",
            "cannot verify the API key right now; retry shortly",
          );
        },
      );
    },
    stop: () => deadlines.stop(),
  };
}

/** http-proxy-middleware's router: the target of the request's exchange (parsed once per service). */
function routeOf(req: IncomingMessage) {
  return exchangeOf(req)?.service?.upstreamTarget ?? "http://127.0.0.1:9";
}
