import type { IncomingMessage } from "node:http";

/** Largest request body that is buffered to add `stream_options.include_usage`. */
const INJECT_MAX_BYTES = 1024 * 1024;

/** Deepest JSON nesting the rewrite accepts (OpenAI's own limit on tool schemas is far below it). */
export const MAX_REWRITE_DEPTH = 64;

/** Whether `body`'s JSON nesting (arrays and objects, outside strings) goes deeper than `limit`. Linear. */
export function jsonNestingExceeds(body: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > limit) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return false;
}

/**
 * Whether a request is a candidate for the opt-in rewrite: an OpenAI-style chat completion with a JSON body of
 * known, modest size. Only then is the body buffered; everything else streams through untouched.
 */
export function wantsStreamUsageRewrite(req: IncomingMessage, upstreamPath: string): boolean {
  if (req.method !== "POST") return false;
  const path = upstreamPath.split("?")[0] ?? "";
  if (!path.endsWith("/chat/completions")) return false;
  if (!String(req.headers["content-type"] ?? "").includes("json")) return false;
  if (req.headers["content-encoding"]) return false;
  const length = Number(req.headers["content-length"] ?? Number.NaN);
  return Number.isFinite(length) && length > 0 && length <= INJECT_MAX_BYTES;
}

/**
 * Adds `stream_options: {include_usage: true}` to a streaming chat request that lacks it, so the upstream
 * reports usage in a final chunk (OpenAI sends none otherwise). Returns null when nothing needs to change
 * (not streaming, already asked, or not a JSON object) — the original bytes are then sent as they are.
 */
export function addStreamUsageOption(body: Buffer): Buffer | null {
  // JSON.parse copes with deep nesting but JSON.stringify recurses: 10,000 levels overflow the stack.
  // A chat request has no reason to nest deeply, so such a body is forwarded as it came.
  if (jsonNestingExceeds(body, MAX_REWRITE_DEPTH)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return null;
  const request = parsed as Record<string, unknown>;
  if (request.stream !== true) return null;
  const options = request.stream_options;
  if (options && typeof options === "object" && (options as Record<string, unknown>).include_usage === true)
    return null;
  request.stream_options = {
    ...(options && typeof options === "object" ? options : {}),
    include_usage: true,
  };
  return Buffer.from(JSON.stringify(request));
}
