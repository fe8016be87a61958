import { z } from "zod";

/** Content encodings the worker can decode. Anything else is recorded as a parse failure. */
const bodyEncodingSchema = z.string().max(64);

/**
 * A bounded copy of one HTTP body: the first and last bytes (base64) and its true size.
 * When the whole body fit, `head` holds all of it, `tail` is empty and `truncated` is false.
 * `encoding` is the content-encoding of the captured bytes ("identity" when plain). When the proxy had to
 * decode a large compressed body in the tee, `encoding` is "identity" and `decodedFrom` names the original.
 */
export const bodyCaptureSchema = z.object({
  size: z.number().int().nonnegative(),
  head: z.string(),
  tail: z.string(),
  truncated: z.boolean(),
  encoding: bodyEncodingSchema,
  decodedFrom: bodyEncodingSchema.optional(),
  /** Set by the worker (never the proxy) when it refused to decode the body, saying why. */
  undecodable: z.string().max(200).optional(),
});
export type BodyCapture = z.infer<typeof bodyCaptureSchema>;

/** Why a call did not get a normal upstream response. Absent when the upstream answered. */
export const captureErrorCodeSchema = z.enum([
  "request_too_large",
  "request_timeout",
  "invalid_path",
  "method_not_allowed",
  "rate_limited",
  "internal_error",
  "upstream_unreachable",
  "upstream_timeout",
  "upstream_aborted",
  "client_aborted",
]);
export type CaptureErrorCode = z.infer<typeof captureErrorCodeSchema>;

/** Version 1 of the capture of one proxied exchange: what the proxy enqueues and the worker meters. */
export const captureV1Schema = z.object({
  v: z.literal(1),
  requestId: z.uuid(),
  /** When the proxy received the request (ISO 8601, UTC). */
  receivedAt: z.iso.datetime({ offset: true }),
  buyerId: z.number().int().positive(),
  apiKeyId: z.number().int().positive(),
  serviceId: z.number().int().positive(),
  serviceSlug: z.string().max(63),
  method: z.string().max(16),
  /** Path below the service slug, with the query string minus any `key` parameter. */
  path: z.string().max(4096),
  request: z.object({
    contentType: z.string().max(256).optional(),
    body: bodyCaptureSchema,
  }),
  response: z.object({
    /** The status the buyer got: the upstream's, or ours (413/499/502/504) when `errorCode` says why. */
    status: z.number().int().min(0).max(999),
    contentType: z.string().max(256).optional(),
    upstreamRequestId: z.string().max(200).optional(),
    body: bodyCaptureSchema,
  }),
  streamed: z.boolean(),
  upstreamReached: z.boolean(),
  errorCode: captureErrorCodeSchema.optional(),
  ttfbMs: z.number().int().nonnegative().optional(),
  latencyMs: z.number().int().nonnegative(),
});
export type CaptureV1 = z.infer<typeof captureV1Schema>;

/** Every capture version the worker accepts. */
export const captureSchema = z.discriminatedUnion("v", [captureV1Schema]);
export type Capture = z.infer<typeof captureSchema>;
