import { isRecord } from "../counts.js";
import type { AwsEventStream } from "../eventstream.js";
import { type JsonDoc, partialRoot } from "../json-scan.js";
import type { RequestInfo } from "../request.js";
import type { SseEvent, SseStream } from "../sse.js";
import type { CountsResult, ParseOutcome, StreamRemains, UsageCounts } from "../types.js";

/**
 * A decoded response body as one of the shapes providers use (one JSON document or JSON lines, server-sent
 * events, AWS binary event stream), plus what the request said.
 */
export type ParseInput =
  | { kind: "json"; doc: JsonDoc; request: RequestInfo }
  | { kind: "sse"; stream: SseStream; request: RequestInfo }
  | { kind: "eventstream"; stream: AwsEventStream; request: RequestInfo };

/** One provider wire format (JSON and its SSE streaming variant). */
export interface FormatParser {
  /** Base name; the SSE variant reports `${name}-sse`. */
  name: string;
  /** Whether the request path is this format's endpoint (query string already removed). */
  matchesPath(path: string): boolean;
  /** Whether the format can come as an AWS event stream (only those parsers are tried on one). */
  eventStream?: boolean;
  /** Whether the body looks like this format, for paths that do not say. */
  detect(input: ParseInput): boolean;
  parse(input: ParseInput): ParseOutcome;
}

/** The parser name reported for an input: `${name}-sse` for SSE, `${name}-stream` for event streams. */
export function parserName(base: string, input: ParseInput): string {
  if (input.kind === "sse") return `${base}-sse`;
  return input.kind === "eventstream" ? `${base}-stream` : base;
}

/** Builds the outcome of a normalised usage object. */
export function outcomeOf(parser: string, model: string | null, result: CountsResult): ParseOutcome {
  if (result.counts) return { parser, model, counts: result.counts, error: null };
  return { parser, model, counts: null, error: result.error, rejected: true };
}

/** An outcome without usage. */
export function failure(parser: string, model: string | null, error: string): ParseOutcome {
  return { parser, model, counts: null, error };
}

/**
 * A stream that ended without its final usage: the reason, what the provider had reported by then and
 * the text generated so far, for the caller's missing-usage policy (estimate or zero).
 */
export function unfinished(
  parser: string,
  model: string | null,
  reason: string,
  text: string,
  reported: UsageCounts | null = null,
): ParseOutcome {
  const remains: StreamRemains = { reason, text, reported };
  return { parser, model, counts: null, error: reason, remains };
}

/** Appends the string values of `keys` in `source` to `out` (for the generated-text of a stream). */
export function collectText(out: string[], source: unknown, ...keys: string[]): void {
  if (!isRecord(source)) return;
  for (const key of keys) {
    const value = source[key];
    if (typeof value === "string") out.push(value);
  }
}

/** The last value `pick` returns over the events' JSON data (scanning from the end). */
export function lastPicked<T>(
  events: readonly SseEvent[],
  pick: (data: Record<string, unknown>) => T | undefined,
) {
  for (let i = events.length - 1; i >= 0; i--) {
    const json = events[i]?.json;
    if (!isRecord(json)) continue;
    const value = pick(json);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** The first value `pick` returns over the events' JSON data, in stream order. */
export function firstPicked<T>(
  events: readonly SseEvent[],
  pick: (data: Record<string, unknown>) => T | undefined,
) {
  for (const e of events) {
    if (!isRecord(e.json)) continue;
    const value = pick(e.json);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** Why a JSON body yielded nothing: its parse error, or the given reason. */
export function jsonFailure(doc: JsonDoc, reason: string): string {
  if (doc.error) return doc.error;
  return doc.truncated ? `${reason} in the captured head/tail of a truncated body` : reason;
}

/** Why a stream yielded nothing, noting a truncated capture. */
export function streamFailure(stream: SseStream, reason: string): string {
  return stream.truncated ? `${reason} in the captured head/tail of a truncated stream` : reason;
}

/** Whether the head of a JSON doc (first 4 KiB) matches, for sniffing truncated bodies. */
export function headMatches(doc: JsonDoc, re: RegExp): boolean {
  return re.test(doc.head.slice(0, 4096));
}

/** The root to read: the whole body, a stand-in built by scanning a truncated one, or undefined. */
export function rootOf(doc: JsonDoc, objectKeys: readonly string[], stringKeys: readonly string[]): unknown {
  if (doc.value !== undefined) return doc.value;
  return doc.truncated ? partialRoot(doc, objectKeys, stringKeys) : undefined;
}
