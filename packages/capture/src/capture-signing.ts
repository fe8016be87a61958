import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";

/**
 * Capture batches are signed by the proxy (HMAC-SHA256) and verified by the worker, so nothing else that can
 * write to Redis (Bull Board, a script, a compromised neighbour) can create usage. Keys rotate by listing
 * several: the first signs, every listed one verifies. A key's id is derived from the key, never configured.
 */
export interface CaptureSigningKey {
  /** First 16 hex characters of SHA-256(secret): names the key in a job without revealing it. */
  id: string;
  secret: Buffer;
}

/** Shortest accepted secret, in characters. */
export const MIN_SIGNING_SECRET_CHARS = 32;

/** Parses `CAPTURE_SIGNING_KEY`: one or more secrets separated by commas, the first one signing. */
export function parseSigningKeys(value: string): CaptureSigningKey[] {
  const secrets = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (secrets.length === 0) throw new Error("no capture signing key given");
  return secrets.map((s) => {
    if (s.length < MIN_SIGNING_SECRET_CHARS)
      throw new Error(`each capture signing key needs at least ${MIN_SIGNING_SECRET_CHARS} characters`);
    const secret = Buffer.from(s, "utf8");
    return { id: createHash("sha256").update(secret).digest("hex").slice(0, 16), secret };
  });
}

/**
 * Version 2 of a batch job: the captures as one JSON string (`payload`, serialised once by the proxy) and its
 * signature over `batchId + "." + payload`. Version 1 (unsigned) is refused.
 */
export const signedCaptureBatchSchema = z.object({
  v: z.literal(2),
  kind: z.literal("batch"),
  batchId: z.uuid(),
  kid: z.string().max(64),
  sig: z.string().regex(/^[0-9a-f]{64}$/),
  payload: z.string(),
});
export type SignedCaptureBatch = z.infer<typeof signedCaptureBatchSchema>;

function mac(secret: Buffer, batchId: string, payload: string): Buffer {
  return createHmac("sha256", secret).update(batchId).update(".").update(payload).digest();
}

/** Signs a batch whose captures are already serialised as a JSON array (`payload`). */
export function signCaptureBatch(
  batchId: string,
  payload: string,
  key: CaptureSigningKey,
): SignedCaptureBatch {
  return {
    v: 2,
    kind: "batch",
    batchId,
    kid: key.id,
    sig: mac(key.secret, batchId, payload).toString("hex"),
    payload,
  };
}

/** Why a batch was refused. */
export type BatchRejection = "malformed" | "unsigned" | "unknown_key" | "bad_signature";

/** The outcome of opening a batch job: its captures (still to be validated one by one) or why it was refused. */
export type OpenedBatch =
  | { ok: true; batchId: string; captures: unknown[] }
  | { ok: false; reason: BatchRejection; detail: string };

/** Verifies a job's signature and parses its captures. Never throws. */
export function openCaptureBatch(data: unknown, keys: readonly CaptureSigningKey[]): OpenedBatch {
  const parsed = signedCaptureBatchSchema.safeParse(data);
  if (!parsed.success) {
    const v = (data as { v?: unknown } | null)?.v;
    return v === 2
      ? { ok: false, reason: "malformed", detail: "not a valid signed batch" }
      : {
          ok: false,
          reason: "unsigned",
          detail: "the job carries no signature (only signed batches are metered)",
        };
  }
  const batch = parsed.data;
  const key = keys.find((k) => k.id === batch.kid);
  if (!key)
    return { ok: false, reason: "unknown_key", detail: `no signing key with id ${batch.kid.slice(0, 16)}` };
  const expected = mac(key.secret, batch.batchId, batch.payload);
  if (!timingSafeEqual(expected, Buffer.from(batch.sig, "hex"))) {
    return { ok: false, reason: "bad_signature", detail: "the signature does not match the batch" };
  }
  let captures: unknown;
  try {
    captures = JSON.parse(batch.payload);
  } catch {
    return { ok: false, reason: "malformed", detail: "the payload is not JSON" };
  }
  if (!Array.isArray(captures) || captures.length === 0) {
    return { ok: false, reason: "malformed", detail: "the payload is not a non-empty array of captures" };
  }
  return { ok: true, batchId: batch.batchId, captures };
}

/**
 * The `CAPTURE_SIGNING_KEY` variable as proxy and worker read it: required (a secret has no default), one or
 * more secrets of at least 32 characters, comma-separated; parsed into keys, the first one signing.
 */
export const signingKeysEnvSchema = z
  .string({ error: "required: one or more secrets of at least 32 characters, comma-separated" })
  .transform((value, ctx) => {
    try {
      return parseSigningKeys(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  });
