import type { ClientRequest, IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { BodyTee } from "./body-tee.js";
import type { ExchangeRequest } from "./exchange.js";
import { prepareBuyerHeaders } from "./header-hygiene.js";
import { sendJsonError } from "./json-error.js";
import type { ProxyHandlerDeps } from "./proxy-handler.js";

const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** http-proxy event handlers: timers, the response tee, the upstream request id, and JSON errors. */
export function attachUpstreamEvents(deps: ProxyHandlerDeps) {
  const { env, metrics } = deps;
  return {
    proxyReq(proxyReq: ClientRequest, req: IncomingMessage) {
      const x = (req as ExchangeRequest).tmExchange;
      if (!x) return;
      x.proxyReq = proxyReq;
      if (x.errorCode === "request_too_large") {
        proxyReq.destroy();
        return;
      }
      if (x.rewrittenBody) proxyReq.write(x.rewrittenBody); // the consumed request then ends proxyReq
      // The connect timeout covers opening the connection (TCP, and TLS for https); once connected, only the
      // idle timeout applies, so a long non-streaming completion is not cut while the upstream thinks.
      const connected = () => {
        x.connected = true;
        if (x.connectTimer) clearTimeout(x.connectTimer);
        x.connectTimer = null;
      };
      const onSocket = (socket: Socket) => {
        if (!socket.connecting) connected();
        else socket.once("encrypted" in socket ? "secureConnect" : "connect", connected);
      };
      const socket = proxyReq.socket as Socket | null;
      if (socket && !socket.connecting) {
        connected(); // a kept-alive connection: nothing to time
      } else {
        x.connectTimer = setTimeout(() => {
          x.timedOut = true;
          proxyReq.destroy(new Error("could not connect to the upstream in time"));
        }, env.UPSTREAM_CONNECT_TIMEOUT_MS);
        if (socket) onSocket(socket);
        else proxyReq.once("socket", onSocket);
      }
      proxyReq.setTimeout(env.UPSTREAM_IDLE_TIMEOUT_MS, () => {
        x.timedOut = true;
        proxyReq.destroy(new Error("upstream idle timeout"));
      });
    },

    proxyRes(proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse) {
      const x = (req as ExchangeRequest).tmExchange;
      if (!x) return;
      if (x.connectTimer) clearTimeout(x.connectTimer);
      x.connectTimer = null;
      x.proxyRes = proxyRes;
      x.ttfbMs = Math.round(performance.now() - x.startedAt);
      const headers = proxyRes.headers;
      prepareBuyerHeaders(headers);
      x.responseContentType = headers["content-type"];
      // Our x-request-id names the usage row; the upstream's own id is passed on beside it.
      const upstreamId = headers["x-request-id"];
      if (upstreamId !== undefined) {
        delete headers["x-request-id"];
        headers["x-upstream-request-id"] = upstreamId;
      }
      const anyId = upstreamId ?? headers["request-id"] ?? headers["x-goog-request-id"];
      x.upstreamRequestId = Array.isArray(anyId) ? anyId[0] : anyId;
      const tee = new BodyTee(env.CAPTURE_MAX_BYTES, headers["content-encoding"]);
      x.responseTee = tee;
      proxyRes.on("data", (chunk: Buffer) => tee.push(chunk));
      // http-proxy pipes proxyRes into res and ignores its failure: an upstream that dies mid-body would
      // leave the buyer waiting forever. End the buyer's response the same way (abruptly) and say why.
      proxyRes.on("error", () => undefined);
      proxyRes.once("close", () => {
        if (proxyRes.complete) return;
        if (x.errorCode) return;
        if (req.socket.destroyed) {
          x.errorCode = "client_aborted"; // the buyer left first; http-proxy then aborted the upstream
          return;
        }
        x.errorCode = x.timedOut ? "upstream_timeout" : "upstream_aborted";
        metrics.upstreamErrors.inc({ kind: x.errorCode });
        res.destroy();
      });
    },

    error(error: Error & { code?: string }, req: IncomingMessage, res: ServerResponse | Socket) {
      const x = (req as ExchangeRequest).tmExchange;
      if (!x || !("writeHead" in res)) return;
      if (x.connectTimer) clearTimeout(x.connectTimer);
      if (x.errorCode === "request_too_large") return;
      if (x.proxyRes) {
        // Mid-stream failure: the status is already out, so the buyer sees the connection end early.
        x.errorCode = x.timedOut ? "upstream_timeout" : "upstream_aborted";
        metrics.upstreamErrors.inc({ kind: x.errorCode });
        res.destroy();
        return;
      }
      if (x.timedOut) {
        x.errorCode = "upstream_timeout";
        x.ownStatus = sendJsonError(res, "upstream_timeout", "the upstream service did not answer in time");
      } else {
        x.errorCode = "upstream_unreachable";
        const reason = error.code && UNREACHABLE.has(error.code) ? error.code : "connection failed";
        x.ownStatus = sendJsonError(
          res,
          "upstream_unreachable",
          `could not reach the upstream service (${reason})`,
        );
      }
      metrics.upstreamErrors.inc({ kind: x.errorCode });
    },

    econnreset(_error: Error, req: IncomingMessage, _res: ServerResponse) {
      // The buyer went away; http-proxy aborts the upstream request. The capture records client_aborted.
      const x = (req as ExchangeRequest).tmExchange;
      if (x && !x.errorCode) x.errorCode = "client_aborted";
    },
  };
}
