import type { BodyCapture } from "@tokenmeter/capture";
import { isRecord } from "./counts.js";
import { jsonDoc, stringForKey } from "./json-scan.js";
import { boundedBody } from "./window.js";

/** Longest model name kept (the ledger column is VARCHAR(200)). */
export const MAX_MODEL_LENGTH = 200;

/** What usage extraction needs from the request. */
export interface RequestInfo {
  /** The body's top-level "model", if any. */
  model: string | null;
  /** stream_options.include_usage of an OpenAI request; null when unknown. */
  includeUsage: boolean | null;
}

/** Trims a candidate model name; null unless a non-empty string, cut to MAX_MODEL_LENGTH. */
export function cleanModel(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed.slice(0, MAX_MODEL_LENGTH);
}

/** Reads the model and stream options of a request body. Never throws. */
export function readRequest(body: BodyCapture | undefined): RequestInfo {
  const unknown: RequestInfo = { model: null, includeUsage: null };
  if (!body || body.size === 0) return unknown;
  const decoded = boundedBody(body);
  if (decoded.error) return unknown;
  const doc = jsonDoc(decoded.bytes);
  if (doc.value !== undefined) {
    if (!isRecord(doc.value)) return unknown;
    const options = doc.value.stream_options;
    const include = isRecord(options) ? options.include_usage : undefined;
    return { model: cleanModel(doc.value.model), includeUsage: include === true };
  }
  if (!doc.truncated) return unknown;
  // Large prompts get truncated; the SDKs may write "model" before or after "messages".
  const model = stringForKey(doc.head, "model", "first") ?? stringForKey(doc.tail, "model", "last");
  const includeUsage =
    /"include_usage"\s*:\s*true/.test(doc.head) || /"include_usage"\s*:\s*true/.test(doc.tail);
  return { model: cleanModel(model), includeUsage };
}

/**
 * The model named in a path: Gemini/Vertex `models/{model}:method`, or Bedrock `model/{id}/invoke|converse`.
 */
export function pathModel(path: string): string | null {
  const bare = path.split("?")[0] ?? "";
  const match =
    /\/models\/([^/:]+):[A-Za-z]+$/.exec(bare) ?? /\/model\/([^/]+)\/(?:invoke|converse)/.exec(bare);
  if (!match?.[1]) return null;
  try {
    return cleanModel(decodeURIComponent(match[1]));
  } catch {
    return cleanModel(match[1]);
  }
}

/**
 * The model a request asked for: the body's "model" (OpenAI, Anthropic), else the path's (Gemini).
 * Used when the response names none.
 */
export function requestedModel(exchange: { path: string; request: { body: BodyCapture } }): string | null {
  try {
    return readRequest(exchange.request.body).model ?? pathModel(exchange.path);
  } catch {
    return null;
  }
}
