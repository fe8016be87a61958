import { createHmac, timingSafeEqual } from "node:crypto";

/** The header carrying `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const ALERT_SIGNATURE_HEADER = "x-tokenmeter-signature";

/** What a webhook receives for each alert event. */
export interface AlertEvent {
  event: "alert.opened" | "alert.resolved";
  alert: {
    id: number;
    kind: string;
    fingerprint: string;
    state: "open" | "resolved";
    summary: string;
    evidence: Record<string, unknown>;
    opened_at: string;
    resolved_at: string | null;
  };
}

/** Signs a body: `sha256=` + hex HMAC-SHA256 with the shared secret. */
export function signAlertBody(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

/** Checks a signature header against a body in constant time (for receivers, and tests). */
export function verifyAlertSignature(body: string, signature: string | undefined, secret: string): boolean {
  if (!signature) return false;
  const expected = Buffer.from(signAlertBody(body, secret));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
