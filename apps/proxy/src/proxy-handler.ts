import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import { type BodyCapture, emptyBody } from "@tokenmeter/capture";
import { requestTimeOf } from "@tokenmeter/db";
import { createProxyMiddleware, proxyEventsPlugin } from "http-proxy-middleware";
import type { Logger } from "pino";
import { uuidv7 } from "uuidv7";
import { BodyTee } from "./body-tee.js";
import { extractBuyerKey } from "./buyer-key.js";
import type { CaptureSink } from "./capture-sink.js";
import { type Directory, DirectoryUnavailableError, type KeyInfo, type ServiceInfo } from "./directory.js";
import type { ProxyEnv } from "./env.js";
import type { Exchange, ExchangeRequest } from "./exchange.js";
import { buildCapture } from "./exchange-capture.js";
import { createExchangeGuards, guardEvents } from "./exchange-guards.js";
import { prepareUpstreamHeaders, REFUSED_METHODS } from "./header-hygiene.js";
import { sendJsonError } from "./json-error.js";
import type { KeyLimiter } from "./key-limits.js";
import type { ProxyMetrics } from "./metrics.js";
import type { ProxyRoute } from "./routing.js";
import { addStreamUsageOption, wantsStreamUsageRewrite } from "./stream-usage.js";
import { attachUpstreamEvents } from "./upstream-events.js";

/** What the proxy handler needs. */
export interface ProxyHandlerDeps {
  env: ProxyEnv;
  directory: Directory;
  limiter: KeyLimiter;
  sink: CaptureSink;
  metrics: ProxyMetrics;
  logger: Logger;
}

/** Handles one proxied request (`/{slug}/...`); called straight from the HTTP server, not through express. */
export type ProxyHandler = (req: IncomingMessage, res: ServerResponse, route: ProxyRoute) => void;

/**
 * Flow of one call: request id → buyer key → key and service from the in-memory directory (PostgreSQL only
 * on a miss) → size check → forward through http-proxy-middleware with the seller's headers in place of the
 * buyer's key, the response piped back untouched while a bounded tee copies it → when the response closes,
 * the capture is handed to the sink, which enqueues it later in a batch.
 */
export function createProxyHandler(deps: ProxyHandlerDeps): ProxyHandler {
  const { env, directory, metrics, logger } = deps;
  // One middleware per upstream protocol, each with a keep-alive agent: without an agent, http-proxy sends
  // `Connection: close` upstream (a new TCP/TLS connection per call) and passes the close on to the buyer.
  const { admit, fail, guard, refuse, watchBodyArrival } = createExchangeGuards(deps);
  const on = guardEvents(attachUpstreamEvents(deps), (req, res, error) => {
    const x = (req as ExchangeRequest).tmExchange;
    if (x && "writeHead" in res) fail(x, res, error);
    else logger.error({ err: (error as Error)?.message }, "proxy event failed outside an exchange");
  });
  const middleware = (agent: http.Agent) =>
    createProxyMiddleware<IncomingMessage, ServerResponse>({
      router: (req) => (req as ExchangeRequest).tmExchange?.service.upstreamTarget ?? "http://127.0.0.1:9",
      changeOrigin: true,
      agent,
      // Only the plugin that wires `on` handlers: no logging plugin (cost per request) and our own JSON errors.
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

  // 413 and close: the rest of an oversized body is never read.
  const refuseTooLarge = (res: ServerResponse, x: Exchange) => {
    res.setHeader("connection", "close");
    x.ownStatus = sendJsonError(
      res,
      "request_too_large",
      `request body exceeds ${env.MAX_REQUEST_BYTES} bytes`,
    );
  };

  const forward = (req: ExchangeRequest, res: ServerResponse, x: Exchange) => {
    req.tmExchange = x;
    req.url = x.upstreamPath;
    prepareUpstreamHeaders(req, x.service.upstreamHeaders);
    watchBodyArrival(req, res, x);
    if (x.service.injectStreamUsage && wantsStreamUsageRewrite(req, x.upstreamPath)) {
      rewriteThenForward(req, res, x);
      return;
    }
    // The tee listens before anything reads the body; the pause keeps the body from flowing until
    // http-proxy pipes it upstream, so the tee sees every byte the upstream sees.
    req.pause();
    let size = 0;
    req.on(
      "data",
      guard(x, res, (chunk: Buffer) => {
        size += chunk.length;
        if (size > env.MAX_REQUEST_BYTES) {
          if (x.errorCode) return;
          x.errorCode = "request_too_large";
          req.unpipe();
          x.proxyReq?.destroy();
          if (x.proxyRes || res.headersSent) {
            // The upstream already answered: its status and headers are (or are about to be) the buyer's.
            // The only honest ending left is to cut the response.
            res.destroy();
            return;
          }
          for (const name of res.getHeaderNames()) if (name !== "x-request-id") res.removeHeader(name);
          refuseTooLarge(res, x);
          return;
        }
        x.requestTee.push(chunk);
      }),
    );
    send(req, res, x);
  };

  // Opt-in per service: the (small, JSON) body is read whole, `stream_options.include_usage` added when a
  // stream lacks it, and the new body is written upstream by the proxyReq handler.
  const rewriteThenForward = (req: ExchangeRequest, res: ServerResponse, x: Exchange) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once(
      "end",
      guard(x, res, () => {
        const original = Buffer.concat(chunks);
        let body: Buffer = original;
        try {
          body = addStreamUsageOption(original) ?? original;
        } catch (error) {
          // The rewrite is a convenience: whatever it trips on, the buyer's own bytes go upstream.
          logger.warn(
            { err: (error as Error).message, requestId: x.requestId },
            "stream usage rewrite skipped",
          );
        }
        x.rewrittenBody = body;
        x.requestTee.push(body);
        delete req.headers["transfer-encoding"];
        req.headers["content-length"] = String(body.length);
        send(req, res, x);
      }),
    );
  };

  const send = (req: ExchangeRequest, res: ServerResponse, x: Exchange) => {
    const upstream = x.target.startsWith("https:") ? viaHttps : viaHttp;
    void upstream(req, res, (error?: unknown) => {
      logger.error({ err: (error as Error)?.message, requestId: x.requestId }, "proxy dispatch failed");
      x.errorCode = "upstream_unreachable";
      x.ownStatus = sendJsonError(res, "upstream_unreachable", "could not reach the upstream service");
    });
  };

  const start = (
    req: IncomingMessage,
    res: ServerResponse,
    route: ProxyRoute,
    requestId: string,
    receivedAt: number,
    startedAt: number,
    key: KeyInfo | null,
    service: ServiceInfo | null,
  ) => {
    if (!key) {
      metrics.rejected.inc({ reason: "invalid_key" });
      sendJsonError(res, "invalid_key", "the API key is unknown or revoked");
      return;
    }
    if (!service) {
      metrics.rejected.inc({ reason: "unknown_service" });
      sendJsonError(res, "unknown_service", `no API service "${route.slug}"`);
      return;
    }
    const x: Exchange = {
      requestId,
      receivedAt,
      startedAt,
      key,
      service,
      method: req.method ?? "GET",
      upstreamPath: route.upstreamPath,
      target: service.upstreamUrl,
      requestContentType: req.headers["content-type"],
      // Request bodies are kept as sent (never decoded in the proxy): only their head (the model) matters.
      requestTee: new BodyTee(env.CAPTURE_MAX_BYTES, req.headers["content-encoding"], false),
      declaredRequestBytes: null,
      rewrittenBody: null,
      proxyReq: null,
      proxyRes: null,
      responseTee: null,
      ttfbMs: null,
      upstreamRequestId: undefined,
      responseContentType: undefined,
      connected: false,
      timedOut: false,
      errorCode: undefined,
      ownStatus: null,
      connectTimer: null,
      finalized: false,
    };
    res.once("close", () => {
      // The buyer went away before the end: http-proxy does not cancel the upstream call by itself.
      if (!res.writableFinished) {
        x.proxyReq?.destroy();
        x.proxyRes?.destroy();
      }
      try {
        finalize(x, res);
      } catch (error) {
        logger.error({ err: (error as Error).message, requestId }, "capture failed");
      }
    });
    if (route.pathError) {
      refuse(res, x, "invalid_path", route.pathError);
      return;
    }
    if (REFUSED_METHODS.has(x.method)) {
      refuse(res, x, "method_not_allowed", `${x.method} is not forwarded`);
      return;
    }
    if (!admit(res, x, deps.limiter)) return;
    const declared = Math.min(Number(req.headers["content-length"] ?? 0) || 0, Number.MAX_SAFE_INTEGER);
    if (declared > env.MAX_REQUEST_BYTES) {
      x.errorCode = "request_too_large";
      x.declaredRequestBytes = declared;
      refuseTooLarge(res, x);
      return;
    }
    try {
      forward(req as ExchangeRequest, res, x);
    } catch (error) {
      fail(x, res, error);
    }
  };

  // Most exchanges finish synchronously; only a body being decoded in the tee makes the capture wait.
  const finalize = (x: Exchange, res: ServerResponse): void => {
    if (x.finalized) return;
    x.finalized = true;
    if (x.connectTimer) clearTimeout(x.connectTimer);
    const completed = res.writableFinished;
    // The response closed before it finished and nothing else explains it: the buyer went away.
    if (!completed && !x.errorCode) x.errorCode = "client_aborted";
    const status = x.ownStatus ?? (res.headersSent ? res.statusCode : 499);
    const responseTee = x.responseTee;
    if (x.requestTee.pending || responseTee?.pending) {
      const finishing = Promise.all([
        x.requestTee.finish(),
        responseTee ? responseTee.finish() : emptyBody(),
      ]).then(
        ([requestBody, responseBody]) => emit(x, status, requestBody, responseBody),
        (error) => logger.error({ err: (error as Error).message, requestId: x.requestId }, "capture failed"),
      );
      deps.sink.track(finishing);
      return;
    }
    emit(x, status, x.requestTee.finishNow(), responseTee ? responseTee.finishNow() : emptyBody());
  };

  const emit = (x: Exchange, status: number, requestBody: BodyCapture, responseBody: BodyCapture): void => {
    const capture = buildCapture(x, status, requestBody, responseBody);
    const latencyMs = capture.latencyMs;
    deps.sink.push(capture);
    metrics.requests.inc({ outcome: x.errorCode ?? "ok", status: String(status) });
    metrics.duration.observe(latencyMs / 1000);
  };

  return (req, res, route) => {
    const startedAt = performance.now();
    // The call is dated by its id's own millisecond: usage_logs is partitioned by that time and keyed by
    // (request_id, request_timestamp), which is unique only because one is a function of the other.
    const requestId = uuidv7();
    const receivedAt = (requestTimeOf(requestId) as Date).getTime();
    res.setHeader("x-request-id", requestId);
    const rawKey = extractBuyerKey(req.headers, route.queryKey);
    if (!rawKey) {
      metrics.rejected.inc({ reason: "missing_key" });
      sendJsonError(
        res,
        "missing_key",
        "an API key is required (Authorization: Bearer, x-api-key, x-goog-api-key or ?key=)",
      );
      return;
    }
    const key = directory.peekKey(rawKey);
    const service = directory.peekService(route.slug);
    if (key !== undefined && service !== undefined) {
      start(req, res, route, requestId, receivedAt, startedAt, key, service);
      return;
    }
    // A cache miss: the only case where a request waits on PostgreSQL (once per key or slug per TTL).
    Promise.all([directory.key(rawKey), directory.service(route.slug)]).then(
      ([k, s]) => start(req, res, route, requestId, receivedAt, startedAt, k, s),
      (error: unknown) => {
        const unavailable = error instanceof DirectoryUnavailableError;
        metrics.rejected.inc({ reason: unavailable ? "auth_unavailable" : "internal" });
        logger.error({ err: (error as Error).message, requestId }, "key lookup failed");
        sendJsonError(res, "auth_unavailable", "cannot verify the API key right now; retry shortly");
      },
    );
  };
}
