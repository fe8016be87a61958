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

/** Headers never forwarded upstream: hop-by-hop, the buyer's key, forwarding ones (we set our own) and Expect. */
const NOT_UPSTREAM: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP,
  ...BUYER_KEY_HEADERS,
  ...FORWARDING,
  "expect",
]);
const NOT_TO_BUYER: ReadonlySet<string> = new Set(HOP_BY_HOP);

/**
 * Removes the headers `drop` names, and every header the `Connection` header names, from `headers`. One pass
 * over the headers present: `delete` of an absent name still costs a runtime call, ≈ 20 of them per call.
 */
function dropHeaders(headers: IncomingHttpHeaders, drop: ReadonlySet<string>): void {
  const connection = headers.connection;
  let listed: Set<string> | null = null;
  if (connection) {
    listed = new Set();
    for (const name of (Array.isArray(connection) ? connection.join(",") : connection).split(","))
      listed.add(name.trim().toLowerCase());
  }
  for (const name in headers) if (drop.has(name) || listed?.has(name)) delete headers[name];
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
  // (Expect goes too: http-proxy skips its proxyReq event for Expect: 100-continue; we answer the buyer's body
  // ourselves anyway. `Connection: authorization` cannot strip what we add below.)
  dropHeaders(headers, NOT_UPSTREAM);
  const remote = req.socket.remoteAddress;
  if (remote) headers["x-forwarded-for"] = remote;
  headers["x-forwarded-proto"] = "encrypted" in req.socket ? "https" : "http";
  if (host) headers["x-forwarded-host"] = host;
  for (const name in sellerHeaders) headers[name] = sellerHeaders[name];
}

/** Cleans the upstream's response headers, in place, before they are copied to the buyer. */
export function prepareBuyerHeaders(headers: IncomingHttpHeaders): void {
  dropHeaders(headers, NOT_TO_BUYER);
}
