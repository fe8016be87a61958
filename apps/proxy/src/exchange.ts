import type { ClientRequest, IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { type BodyCapture, type CaptureErrorCode, emptyBody } from "@tokenmeter/capture";
import { requestTimeOf } from "@tokenmeter/pg";
import type { Logger } from "pino";
import { BodyTee } from "./body-tee.js";
import type { CaptureSink } from "./capture-sink.js";
import type { DeadlineWheel } from "./deadline-wheel.js";
import type { KeyInfo, ServiceInfo } from "./directory.js";
import type { ProxyEnv } from "./env.js";
import { responseCaptureBytes, serialiseCapture } from "./exchange-capture.js";
import { ExchangeLifecycle } from "./exchange-lifecycle.js";
import {
  carried,
  carry,
  ignore,
  type ListeningExchange,
  onRequestData,
  onRequestEnd,
  onResponseClose,
  onUpstreamClose,
  onUpstreamData,
  onUpstreamSocket,
} from "./exchange-listeners.js";
import { prepareBuyerHeaders, prepareUpstreamHeaders, REFUSED_METHODS } from "./header-hygiene.js";
import { type ProxyErrorCode, sendJsonError } from "./json-error.js";
import type { KeyLimiter } from "./key-limits.js";
import type { ProxyMetrics } from "./metrics.js";
import type { ProxyRoute } from "./routing.js";
import { addStreamUsageOption, wantsStreamUsageRewrite } from "./stream-usage.js";

/** What every exchange shares: configuration, the parts it reports to, and how it reaches the upstream. */
export interface ExchangeContext {
  env: ProxyEnv;
  limiter: KeyLimiter;
  sink: CaptureSink;
  metrics: ProxyMetrics;
  logger: Logger;
  deadlines: DeadlineWheel;
  /** Hands the (prepared) request to http-proxy-middleware. */
  dispatch(x: Exchange): void;
}

/** The exchange a request, response or upstream response belongs to (set when the exchange takes it). */
export function exchangeOf(o: object): Exchange | undefined {
  return carried<Exchange>(o);
}

const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/**
 * One proxied call, from the request to its capture. The state moves received → authorised → forwarded →
 * responding → finished/failed, each step in one method; the error code follows the one rule of
 * `ExchangeLifecycle`. Every event of the call (buyer, upstream, deadlines) lands in a method here, so this is
 * the only place that decides what happens to it. Once authorised, the call becomes exactly one capture when
 * its response closes, however it ends.
 */
export class Exchange extends ExchangeLifecycle implements ListeningExchange {
  /** The call's date: its UUIDv7 id's own millisecond (usage_logs is partitioned by it; see requestTimeOf). */
  readonly receivedAt: number;
  readonly startedAt = performance.now();
  key: KeyInfo | null = null;
  service: ServiceInfo | null = null;
  readonly method: string;
  readonly upstreamPath: string;
  requestTee: BodyTee | null = null;
  requestBytes = 0;
  /** Set when the request body was never read (refused before proxying): its declared size. */
  declaredRequestBytes: number | null = null;
  /** The request body as rewritten for the upstream (opt-in stream usage), when it was. */
  rewrittenBody: Buffer | null = null;
  proxyReq: ClientRequest | null = null;
  proxyRes: IncomingMessage | null = null;
  responseTee: BodyTee | null = null;
  ttfbMs: number | null = null;
  upstreamRequestId: string | undefined = undefined;
  responseContentType: string | undefined = undefined;
  connected = false;
  timedOut = false;
  private holdsLimit = false;
  // Deadlines (epoch ms, 0 = none), checked by the shared wheel.
  bodyDeadline = 0;
  connectDeadline = 0;
  idleDeadline = 0;

  constructor(
    private readonly ctx: ExchangeContext,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly route: ProxyRoute,
    readonly requestId: string,
  ) {
    super();
    this.receivedAt = (requestTimeOf(requestId) as Date).getTime();
    this.method = req.method ?? "GET";
    this.upstreamPath = route.upstreamPath;
    res.setHeader("x-request-id", requestId);
  }

  /** Refused before we know who calls what (no key, unknown key or service, directory down): no capture. */
  reject(reason: string, code: ProxyErrorCode, message: string): void {
    this.moveTo("failed");
    this.ctx.metrics.rejected.inc({ reason });
    sendJsonError(this.res, code, message);
  }

  /** A known key calls a known service: from here the call is captured, whatever happens. */
  authorise(key: KeyInfo, service: ServiceInfo): void {
    this.moveTo("authorised");
    this.key = key;
    this.service = service;
    // Request bodies are kept as sent (never decoded in the proxy): only their head (the model) matters.
    this.requestTee = new BodyTee(
      this.ctx.env.CAPTURE_MAX_BYTES,
      this.req.headers["content-encoding"],
      false,
    );
    carry(this.res, this);
    carry(this.req, this);
    this.res.once("close", onResponseClose);
  }

  /** The checks before forwarding (path, method, the key's limits, declared size); false when it refused. */
  admit(): boolean {
    const { route, ctx } = this;
    if (route.pathError) return this.refuse("invalid_path", route.pathError);
    if (REFUSED_METHODS.has(this.method))
      return this.refuse("method_not_allowed", `${this.method} is not forwarded`);
    if (!this.admitLimits()) return false;
    const declared = Math.min(Number(this.req.headers["content-length"] ?? 0) || 0, Number.MAX_SAFE_INTEGER);
    if (declared > ctx.env.MAX_REQUEST_BYTES) {
      this.declaredRequestBytes = declared;
      return this.refuse("request_too_large", this.tooLargeMessage());
    }
    return true;
  }

  // A key's limits (if it has any): 429 with Retry-After and a row when reached; the slot is freed at close.
  private admitLimits(): boolean {
    const key = this.key as KeyInfo;
    if (key.rateLimitPerMinute === null && key.maxConcurrentRequests === null) return true;
    const verdict = this.ctx.limiter.acquire(key.keyId, key);
    if (verdict.ok) {
      this.holdsLimit = true;
      return true;
    }
    this.ctx.metrics.rejected.inc({ reason: `rate_limited_${verdict.reason}` });
    this.res.setHeader("retry-after", String(verdict.retryAfterSeconds));
    const what = verdict.reason === "rate" ? "calls per minute" : "calls in flight";
    return this.refuse(
      "rate_limited",
      `this key's limit of ${what} is reached; retry after the given seconds`,
    );
  }

  /**
   * Refused before forwarding: still a row (an authenticated call to a known service); the body is never read,
   * so the connection is closed after the answer. Returns false, for `admit`.
   */
  private refuse(code: ProxyErrorCode & CaptureErrorCode, message: string): false {
    this.recordError(code);
    this.res.setHeader("connection", "close");
    sendJsonError(this.res, code, message);
    return false;
  }

  private tooLargeMessage(): string {
    return `request body exceeds ${this.ctx.env.MAX_REQUEST_BYTES} bytes`;
  }

  /** Hands the call to the upstream: headers rewritten, the body teed (or rewritten first), deadlines set. */
  forward(): void {
    this.moveTo("forwarded");
    const { req, ctx } = this;
    const service = this.service as ServiceInfo;
    req.url = this.upstreamPath;
    prepareUpstreamHeaders(req, service.upstreamHeaders);
    ctx.deadlines.add(this);
    // A body that stops arriving would hold an upstream socket until the idle timeout: cut it with a 408.
    // The deadline moves with every byte, so it measures silence, not a slow upload.
    if (!req.complete) {
      this.bodyDeadline = Date.now() + ctx.env.REQUEST_BODY_TIMEOUT_MS;
      req.once("end", onRequestEnd);
    }
    if (service.injectStreamUsage && wantsStreamUsageRewrite(req, this.upstreamPath)) {
      this.readWholeBodyThenDispatch();
      return;
    }
    // The tee listens before anything reads the body; the pause keeps the body from flowing until http-proxy
    // pipes it upstream, so the tee sees every byte the upstream sees.
    req.pause();
    req.on("data", onRequestData);
    ctx.dispatch(this);
  }

  // Opt-in per service: the (small, JSON) body is read whole, `stream_options.include_usage` added when a
  // stream lacks it, and the new body is written upstream when the upstream request exists.
  private readWholeBodyThenDispatch(): void {
    const chunks: Buffer[] = [];
    const { req } = this;
    req.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (this.bodyDeadline) this.bodyDeadline = Date.now() + this.ctx.env.REQUEST_BODY_TIMEOUT_MS;
    });
    req.once("end", () => {
      try {
        const original = Buffer.concat(chunks);
        let body: Buffer = original;
        try {
          body = addStreamUsageOption(original) ?? original;
        } catch (error) {
          // The rewrite is a convenience: whatever it trips on, the buyer's own bytes go upstream.
          this.ctx.logger.warn(
            { err: (error as Error).message, requestId: this.requestId },
            "stream usage rewrite skipped",
          );
        }
        this.rewrittenBody = body;
        this.requestTee?.push(body);
        delete req.headers["transfer-encoding"];
        req.headers["content-length"] = String(body.length);
        this.ctx.dispatch(this);
      } catch (error) {
        this.fail(error);
      }
    });
  }

  /** A chunk of the buyer's body on its way upstream: counted against the limit, teed, the deadline moved. */
  requestData(chunk: Buffer): void {
    if (this.errorCode === "request_too_large") return;
    this.requestBytes += chunk.length;
    if (this.bodyDeadline) this.bodyDeadline = Date.now() + this.ctx.env.REQUEST_BODY_TIMEOUT_MS;
    if (this.idleDeadline) this.idleDeadline = Date.now() + this.ctx.env.UPSTREAM_IDLE_TIMEOUT_MS;
    if (this.requestBytes > this.ctx.env.MAX_REQUEST_BYTES) {
      if (this.recordError("request_too_large")) this.cut("request_too_large", this.tooLargeMessage());
      return;
    }
    this.requestTee?.push(chunk);
  }

  /**
   * Stops a call whose request we will not finish reading (too large, stalled): the upstream request goes, and
   * the buyer gets `code` — or, once the upstream's answer is (about to be) theirs, a cut response, the only
   * honest ending left. The connection closes: the rest of the body is never read.
   */
  private cut(code: "request_too_large" | "request_timeout", message: string): void {
    const { req, res } = this;
    this.bodyDeadline = 0;
    req.unpipe();
    this.proxyReq?.destroy();
    if (this.proxyRes || res.headersSent) {
      res.destroy();
      return;
    }
    for (const name of res.getHeaderNames()) if (name !== "x-request-id") res.removeHeader(name);
    res.setHeader("connection", "close");
    sendJsonError(res, code, message);
  }

  /** http-proxy made the upstream request: write the rewritten body, time the connection and the silence. */
  upstreamRequest(proxyReq: ClientRequest): void {
    this.proxyReq = proxyReq;
    if (this.errorCode === "request_too_large" || this.ended) {
      proxyReq.destroy();
      return;
    }
    if (this.rewrittenBody) proxyReq.write(this.rewrittenBody); // the consumed request then ends proxyReq
    const now = Date.now();
    this.idleDeadline = now + this.ctx.env.UPSTREAM_IDLE_TIMEOUT_MS;
    // The connect deadline covers opening the connection (TCP, and TLS for https); once connected, only the
    // idle deadline applies, so a long non-streaming completion is not cut while the upstream thinks.
    const socket = proxyReq.socket as Socket | null;
    if (socket && !socket.connecting) {
      this.connected = true; // a kept-alive connection: nothing to time
      return;
    }
    this.connectDeadline = now + this.ctx.env.UPSTREAM_CONNECT_TIMEOUT_MS;
    // The agent hands over its socket a tick later, even a kept-alive one: a shared listener, no closure.
    carry(proxyReq, this);
    if (socket) this.upstreamSocket(socket);
    else proxyReq.once("socket", onUpstreamSocket);
  }

  /** The upstream request got its socket: connected already (kept alive), or once it connects. */
  upstreamSocket(socket: Socket): void {
    if (!socket.connecting) {
      this.upstreamConnected();
      return;
    }
    // Only for a new connection (rare with keep-alive), so a closure here costs nothing per call.
    socket.once("encrypted" in socket ? "secureConnect" : "connect", () => this.upstreamConnected());
  }

  upstreamConnected(): void {
    this.connected = true;
    this.connectDeadline = 0;
  }

  /** The upstream's status and headers: cleaned for the buyer, its body teed as it streams past. */
  upstreamResponded(proxyRes: IncomingMessage): void {
    if (this.ended) return; // the buyer left first; http-proxy aborts the rest
    this.moveTo("responding");
    this.connectDeadline = 0;
    this.proxyRes = proxyRes;
    this.ttfbMs = Math.round(performance.now() - this.startedAt);
    const headers = proxyRes.headers;
    prepareBuyerHeaders(headers);
    this.responseContentType = headers["content-type"];
    // Our x-request-id names the usage row; the upstream's own id is passed on beside it.
    const upstreamId = headers["x-request-id"];
    if (upstreamId !== undefined) {
      delete headers["x-request-id"];
      headers["x-upstream-request-id"] = upstreamId;
    }
    const anyId = upstreamId ?? headers["request-id"] ?? headers["x-goog-request-id"];
    this.upstreamRequestId = Array.isArray(anyId) ? anyId[0] : anyId;
    this.responseTee = new BodyTee(
      responseCaptureBytes(this.ctx.env, headers["content-type"]),
      headers["content-encoding"],
    );
    carry(proxyRes, this);
    proxyRes.on("data", onUpstreamData);
    // http-proxy pipes proxyRes into res and ignores its failure: an upstream that dies mid-body would leave
    // the buyer waiting forever. `upstreamClosed` ends the buyer's response the same way (abruptly).
    proxyRes.on("error", ignore);
    proxyRes.once("close", onUpstreamClose);
  }

  upstreamData(chunk: Buffer): void {
    this.responseTee?.push(chunk);
    if (this.idleDeadline) this.idleDeadline = Date.now() + this.ctx.env.UPSTREAM_IDLE_TIMEOUT_MS;
  }

  /** The upstream response closed: whole (nothing to do), or cut — then the buyer's response is cut too. */
  upstreamClosed(proxyRes: IncomingMessage): void {
    this.idleDeadline = 0;
    if (proxyRes.complete || this.errorCode || this.ended) return;
    if (this.req.socket.destroyed) {
      this.recordError("client_aborted"); // the buyer left first; http-proxy then aborted the upstream
      return;
    }
    const code = this.timedOut ? "upstream_timeout" : "upstream_aborted";
    this.recordError(code);
    this.ctx.metrics.upstreamErrors.inc({ kind: code });
    this.res.destroy();
  }

  /** http-proxy's error event: the upstream could not be reached, timed out, or failed mid-response. */
  upstreamFailed(error: Error & { code?: string }): void {
    this.connectDeadline = 0;
    this.idleDeadline = 0;
    if (this.errorCode === "request_too_large" || this.ended) return;
    const code = this.timedOut
      ? "upstream_timeout"
      : this.proxyRes
        ? "upstream_aborted"
        : "upstream_unreachable";
    this.recordError(code);
    this.ctx.metrics.upstreamErrors.inc({ kind: code });
    if (this.proxyRes) {
      // Mid-stream failure: the status is already out, so the buyer sees the connection end early.
      this.res.destroy();
      return;
    }
    // (An answer already sent — a 408 or 413 — stays as it is: sendJsonError writes nothing then.)
    if (code === "upstream_timeout")
      sendJsonError(this.res, code, "the upstream service did not answer in time");
    else {
      const reason = error.code && UNREACHABLE.has(error.code) ? error.code : "connection failed";
      sendJsonError(this.res, code, `could not reach the upstream service (${reason})`);
    }
  }

  /** http-proxy could not even start the upstream request (it called the middleware's `next`). */
  dispatchFailed(error: unknown): void {
    this.ctx.logger.error(
      { err: (error as Error)?.message, requestId: this.requestId },
      "proxy dispatch failed",
    );
    this.recordError("upstream_unreachable");
    sendJsonError(this.res, "upstream_unreachable", "could not reach the upstream service");
  }

  /** The buyer went away; http-proxy aborts the upstream request. */
  buyerReset(): void {
    this.recordError("client_aborted");
  }

  /** The shared wheel's turn: acts on every deadline that passed. */
  expire(now: number): void {
    try {
      if (this.bodyDeadline !== 0 && now >= this.bodyDeadline) {
        this.bodyDeadline = 0;
        if (!this.req.complete && this.recordError("request_timeout"))
          this.cut("request_timeout", "the request body stopped arriving");
      }
      if (this.connectDeadline !== 0 && now >= this.connectDeadline) {
        this.connectDeadline = 0;
        this.timedOut = true;
        this.proxyReq?.destroy(new Error("could not connect to the upstream in time"));
      }
      if (this.idleDeadline !== 0 && now >= this.idleDeadline) {
        this.idleDeadline = 0;
        this.timedOut = true;
        this.proxyReq?.destroy(new Error("upstream idle timeout"));
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /**
   * The last line of defence: whatever a buyer's or an upstream's bytes trip on ends this exchange (500, or a
   * cut response once headers are out) and still becomes a row; it never ends the process.
   */
  fail(error: unknown): void {
    this.ctx.metrics.internalErrors.inc();
    this.ctx.logger.error({ err: (error as Error)?.message, requestId: this.requestId }, "exchange failed");
    if (this.ended) return;
    this.recordError("internal_error");
    this.proxyReq?.destroy();
    this.proxyRes?.destroy();
    if (this.res.headersSent) this.res.destroy();
    else sendJsonError(this.res, "internal_error", "the gateway failed to handle this request");
  }

  /**
   * The buyer's response closed: the exchange ends, and its capture is made — at once, or once a body being
   * decoded in a tee is flushed. A response that closed before it finished, with no other reason known, means
   * the buyer went away.
   */
  close(): void {
    if (this.ended) return;
    const { res, ctx } = this;
    const completed = res.writableFinished;
    if (!completed) {
      // http-proxy does not cancel the upstream call by itself.
      this.proxyReq?.destroy();
      this.proxyRes?.destroy();
      this.recordError("client_aborted");
    }
    this.moveTo(this.terminalState(completed));
    ctx.deadlines.delete(this);
    this.bodyDeadline = this.connectDeadline = this.idleDeadline = 0;
    if (this.holdsLimit) ctx.limiter.release((this.key as KeyInfo).keyId);
    const status = res.headersSent ? res.statusCode : 499;
    const requestTee = this.requestTee as BodyTee;
    const responseTee = this.responseTee;
    try {
      if (requestTee.pending || responseTee?.pending) {
        const finishing = Promise.all([
          requestTee.finish(),
          responseTee ? responseTee.finish() : emptyBody(),
        ]).then(
          ([requestBody, responseBody]) => this.emit(status, requestBody, responseBody),
          (error) => this.captureFailed(error),
        );
        ctx.sink.track(finishing);
        return;
      }
      this.emit(status, requestTee.finishNow(), responseTee ? responseTee.finishNow() : emptyBody());
    } catch (error) {
      this.captureFailed(error);
    }
  }

  private emit(status: number, requestBody: BodyCapture, responseBody: BodyCapture): void {
    const { ctx } = this;
    const latencyMs = Math.round(performance.now() - this.startedAt);
    ctx.sink.push(serialiseCapture(this, status, requestBody, responseBody, latencyMs));
    ctx.metrics.requestsBy(this.errorCode ?? "ok", status).inc();
    ctx.metrics.duration.observe(latencyMs / 1000);
  }

  private captureFailed(error: unknown): void {
    this.ctx.logger.error({ err: (error as Error)?.message, requestId: this.requestId }, "capture failed");
  }
}
