import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { CaptureErrorCode } from "@tokenmeter/capture";
import type { Logger } from "pino";
import type { ProxyEnv } from "./env.js";
import type { Exchange, ExchangeRequest } from "./exchange.js";
import { type ProxyErrorCode, sendJsonError } from "./json-error.js";
import type { KeyLimiter } from "./key-limits.js";
import type { ProxyMetrics } from "./metrics.js";
import type { attachUpstreamEvents } from "./upstream-events.js";

/** How an exchange ends early: refused before forwarding, cut for a stalled body, or failed unexpectedly. */
export function createExchangeGuards(deps: { env: ProxyEnv; logger: Logger; metrics: ProxyMetrics }) {
  const { env, logger, metrics } = deps;
  // The last line of defence: whatever a buyer's or an upstream's bytes trip on ends this exchange (500, or a cut
  // response once headers are out) and still becomes a row; it never ends the process.
  const fail = (x: Exchange, res: ServerResponse, error: unknown) => {
    metrics.internalErrors.inc();
    logger.error({ err: (error as Error)?.message, requestId: x.requestId }, "exchange failed");
    if (!x.errorCode) x.errorCode = "internal_error";
    x.proxyReq?.destroy();
    x.proxyRes?.destroy();
    if (res.headersSent) res.destroy();
    else x.ownStatus = sendJsonError(res, "internal_error", "the gateway failed to handle this request");
  };
  const guard =
    <A extends unknown[]>(x: Exchange, res: ServerResponse, fn: (...args: A) => void) =>
    (...args: A) => {
      try {
        fn(...args);
      } catch (error) {
        fail(x, res, error);
      }
    };

  // Refused before forwarding: the call is still a row (an authenticated call to a known service), the body is
  // never read, so the connection is closed after the answer.
  const refuse = (
    res: ServerResponse,
    x: Exchange,
    code: ProxyErrorCode & CaptureErrorCode,
    message: string,
  ) => {
    x.errorCode = code;
    res.setHeader("connection", "close");
    x.ownStatus = sendJsonError(res, code, message);
  };

  // A body that stops arriving would hold an upstream socket until the idle timeout: cut it with a 408.
  // The socket's idle timer is reset by every byte, so it measures silence, not a slow upload.
  const watchBodyArrival = (req: ExchangeRequest, res: ServerResponse, x: Exchange) => {
    if (req.complete) return;
    req.setTimeout(
      env.REQUEST_BODY_TIMEOUT_MS,
      guard(x, res, () => {
        if (req.complete || x.errorCode) return;
        x.errorCode = "request_timeout";
        req.unpipe();
        x.proxyReq?.destroy();
        if (x.proxyRes || res.headersSent) {
          res.destroy();
          return;
        }
        res.setHeader("connection", "close");
        x.ownStatus = sendJsonError(res, "request_timeout", "the request body stopped arriving");
      }),
    );
    req.once("end", () => req.setTimeout(0));
  };

  // A key's limits (if it has any): 429 with Retry-After and a row when reached; the slot is freed when the
  // response closes.
  const admit = (res: ServerResponse, x: Exchange, limiter: KeyLimiter): boolean => {
    const { key } = x;
    if (key.rateLimitPerMinute === null && key.maxConcurrentRequests === null) return true;
    const verdict = limiter.acquire(key.keyId, key);
    if (!verdict.ok) {
      metrics.rejected.inc({ reason: `rate_limited_${verdict.reason}` });
      res.setHeader("retry-after", String(verdict.retryAfterSeconds));
      const what = verdict.reason === "rate" ? "calls per minute" : "calls in flight";
      refuse(res, x, "rate_limited", `this key's limit of ${what} is reached; retry after the given seconds`);
      return false;
    }
    res.once("close", () => limiter.release(key.keyId));
    return true;
  };

  return { admit, fail, guard, refuse, watchBodyArrival };
}

type UpstreamEvents = ReturnType<typeof attachUpstreamEvents>;
type EventPeer = ServerResponse | Socket;

/** Wraps each http-proxy event handler so an exception in one exchange is reported, never thrown into http-proxy. */
export function guardEvents(
  on: UpstreamEvents,
  onError: (req: IncomingMessage, res: EventPeer, error: unknown) => void,
): UpstreamEvents {
  // Every handler's second and third arguments are the buyer's request and response (or socket).
  const wrap = <F extends (...args: never[]) => void>(fn: F): F =>
    ((...args: Parameters<F>) => {
      try {
        fn(...args);
      } catch (error) {
        onError(args[1] as unknown as IncomingMessage, args[2] as unknown as EventPeer, error);
      }
    }) as F;
  return {
    proxyReq: wrap(on.proxyReq),
    proxyRes: wrap(on.proxyRes),
    error: wrap(on.error),
    econnreset: wrap(on.econnreset),
  };
}
