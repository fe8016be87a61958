import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { BUYER_KEY_HEADERS } from "./buyer-key.js";

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, never the next one. `transfer-encoding`
 * is hop-by-hop too, but Node re-frames bodies itself and http-proxy relies on it to stream a chunked body.
 */
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "upgrade",
] as const;

/** Headers the buyer may not set for the upstream: we set the forwarding ones ourselves. */
const FORWARDING = ["forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip"];

/** Methods never forwarded: TRACE/TRACK echo the request, and with it the seller's credentials. */
export const REFUSED_METHODS: ReadonlySet<string> = new Set(["TRACE", "TRACK", "CONNECT"]);

/** Removes hop-by-hop headers, and every header the `Connection` header names, from `headers`. */
function stripHopByHop(headers: IncomingHttpHeaders): void {
  const connection = headers.connection;
  if (connection) {
    const listed = Array.isArray(connection) ? connection.join(",") : connection;
    for (const name of listed.split(",")) {
      const n = name.trim().toLowerCase();
      // `Connection: authorization` must not let a buyer strip what we add after this.
      if (n) delete headers[n];
    }
  }
  for (const name of HOP_BY_HOP) delete headers[name];
}

/**
 * Turns the buyer's request headers into the upstream's, in place: hop-by-hop and buyer key headers removed,
 * forwarding headers set by us (never the buyer's), then the seller's credentials added last so nothing the
 * buyer sent can remove or override them.
 */
export function prepareUpstreamHeaders(
  req: IncomingMessage,
  sellerHeaders: Readonly<Record<string, string>>,
): void {
  const headers = req.headers;
  const host = typeof headers.host === "string" ? headers.host : undefined;
  stripHopByHop(headers);
  for (const h of BUYER_KEY_HEADERS) delete headers[h];
  for (const h of FORWARDING) delete headers[h];
  // http-proxy skips its proxyReq event for Expect: 100-continue; we answer the buyer's body ourselves anyway.
  delete headers.expect;
  const remote = req.socket.remoteAddress;
  if (remote) headers["x-forwarded-for"] = remote;
  headers["x-forwarded-proto"] = "encrypted" in req.socket ? "https" : "http";
  if (host) headers["x-forwarded-host"] = host;
  for (const name in sellerHeaders) headers[name] = sellerHeaders[name];
}

/** Cleans the upstream's response headers, in place, before they are copied to the buyer. */
export function prepareBuyerHeaders(headers: IncomingHttpHeaders): void {
  stripHopByHop(headers);
}
