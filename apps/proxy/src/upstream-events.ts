import type { ClientRequest, IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import { type Exchange, exchangeOf } from "./exchange.js";

/**
 * http-proxy's event handlers (the only ones the proxy registers): each finds the exchange its request
 * belongs to and hands it the event. An exception in one exchange ends that exchange (`fail`), never
 * http-proxy or the process.
 */
export function upstreamEvents(logger: Logger) {
  const find = (req: IncomingMessage): Exchange | undefined => {
    const x = exchangeOf(req);
    if (!x) logger.error("proxy event for a request with no exchange");
    return x;
  };
  return {
    proxyReq(proxyReq: ClientRequest, req: IncomingMessage) {
      const x = find(req);
      try {
        x?.upstreamRequest(proxyReq);
      } catch (error) {
        x?.fail(error);
      }
    },
    proxyRes(proxyRes: IncomingMessage, req: IncomingMessage) {
      const x = find(req);
      try {
        x?.upstreamResponded(proxyRes);
      } catch (error) {
        x?.fail(error);
      }
    },
    error(error: Error & { code?: string }, req: IncomingMessage, res: ServerResponse | Socket) {
      if (!("writeHead" in res)) return; // a socket: only for upgrades, which are not proxied
      const x = find(req);
      try {
        x?.upstreamFailed(error);
      } catch (failure) {
        x?.fail(failure);
      }
    },
    econnreset(_error: Error, req: IncomingMessage) {
      exchangeOf(req)?.buyerReset();
    },
  };
}
