import type { IncomingHttpHeaders } from "node:http";
import { bearerToken } from "@tokenmeter/keys";

/** Headers that may carry the buyer's marketplace key; all are removed before forwarding. */
export const BUYER_KEY_HEADERS = ["authorization", "x-api-key", "x-goog-api-key"] as const;

/**
 * The buyer's key, from `Authorization: Bearer`, `x-api-key`, `x-goog-api-key` or `?key=` (first found),
 * so official SDKs work unchanged.
 */
export function extractBuyerKey(headers: IncomingHttpHeaders, queryKey: string | null): string | null {
  const bearer = bearerToken(headers.authorization);
  if (bearer) return bearer;
  const apiKey = headers["x-api-key"];
  if (typeof apiKey === "string" && apiKey) return apiKey.trim();
  const goog = headers["x-goog-api-key"];
  if (typeof goog === "string" && goog) return goog.trim();
  return queryKey || null;
}
