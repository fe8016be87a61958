import type { CapturedBytes } from "@tokenmeter/capture";
import { isRecord } from "./counts.js";

/** A JSON body as captured: parsed whole when possible, otherwise its head and tail text to scan. */
export interface JsonDoc {
  /** The whole body parsed; undefined when the capture is truncated or the body is not valid JSON. */
  value: unknown;
  head: string;
  tail: string;
  truncated: boolean;
  /** Why a whole (untruncated) body is not JSON; null otherwise. */
  error: string | null;
}

// A usage object is small; bounding the scan keeps a pathological body from costing quadratic time.
const MAX_OBJECT_CHARS = 16 * 1024;
const MAX_ATTEMPTS = 8;

/**
 * Deepest nesting parsed. V8's JSON.parse does not overflow the stack, but a megabyte of "[" costs it
 * about a second; real responses nest a few dozen levels.
 */
export const MAX_JSON_DEPTH = 128;

/** Whether `text` holds more than `limit` opening brackets (native substring search, stops early). */
function opensExceed(text: string, limit: number): boolean {
  let n = 0;
  for (const open of ["{", "["]) {
    for (let i = text.indexOf(open); i !== -1; i = text.indexOf(open, i + 1)) if (++n > limit) return true;
  }
  return false;
}

/** The nesting depth of JSON text, counting only brackets outside strings; stops early past `limit`. */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  // Nesting deeper than `limit` needs more than `limit` opening brackets. Counting them with indexOf is many
  // times cheaper than the character loop below, and settles almost every real body (a chat completion has a
  // few dozen brackets).
  if (!opensExceed(text, limit)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > limit) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

// A text this short nests at most half as deep, which JSON.parse handles in well under a millisecond:
// the scan is skipped for the many small events of a stream.
const SCAN_DEPTH_FROM_CHARS = 1024;

/** JSON.parse behind a nesting bound; the error says why a text is not taken. Never throws. */
export function parseJson(
  text: string,
): { value: unknown; error: null } | { value: undefined; error: string } {
  if (text.length > SCAN_DEPTH_FROM_CHARS && jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    return { value: undefined, error: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` };
  }
  try {
    return { value: JSON.parse(text), error: null };
  } catch (err) {
    return { value: undefined, error: err instanceof Error ? err.message.slice(0, 80) : "parse error" };
  }
}

/** Removes a UTF-8 byte order mark. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Builds a JsonDoc from decoded bytes. Only an untruncated body is parsed whole. */
export function jsonDoc(bytes: CapturedBytes): JsonDoc {
  const head = stripBom(bytes.head.toString("utf8"));
  const tail = bytes.tail.toString("utf8");
  if (bytes.truncated) return { value: undefined, head, tail, truncated: true, error: null };
  const parsed = parseJson(head);
  if (parsed.error === null) return { value: parsed.value, head, tail, truncated: false, error: null };
  const why = head.trimStart().startsWith("<")
    ? "response is HTML or XML, not JSON"
    : `response is not valid JSON (${parsed.error})`;
  return { value: undefined, head, tail, truncated: false, error: why };
}

/**
 * The last `"key": {...}` object in `text` that parses, scanning back from the end. Occurrences inside
 * JSON strings are skipped: there the quotes are escaped.
 */
export function lastObjectForKey(text: string, key: string): Record<string, unknown> | null {
  const needle = `"${key}"`;
  let at = text.lastIndexOf(needle);
  for (let attempts = 0; at >= 0 && attempts < MAX_ATTEMPTS; attempts++) {
    if (text[at - 1] !== "\\") {
      const open = skipToValue(text, at + needle.length);
      if (open >= 0 && text[open] === "{") {
        const value = balancedObjectAt(text, open);
        if (isRecord(value)) return value;
      }
    }
    at = at === 0 ? -1 : text.lastIndexOf(needle, at - 1);
  }
  return null;
}

/** Index of the value after `"key"` ends at `from` (skipping whitespace and the colon), or -1. */
function skipToValue(text: string, from: number): number {
  let i = from;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  if (text[i] !== ":") return -1;
  i++;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
}

/** Parses the balanced object starting at `open`; undefined when it is cut off or invalid. */
function balancedObjectAt(text: string, open: number): unknown {
  let depth = 0;
  let inString = false;
  const end = Math.min(text.length, open + MAX_OBJECT_CHARS);
  for (let i = open; i < end; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return parseJson(text.slice(open, i + 1)).value;
    }
  }
  return undefined;
}

const stringPatterns = new Map<string, RegExp>();

/** The first or last JSON string value of `"key"` in `text` (not inside a JSON string), or null. */
export function stringForKey(text: string, key: string, which: "first" | "last"): string | null {
  let re = stringPatterns.get(key);
  if (!re) {
    re = new RegExp(`(?<!\\\\)"${key}"\\s*:\\s*"((?:[^"\\\\\\n]|\\\\.){1,512})"`, "g");
    stringPatterns.set(key, re);
  }
  re.lastIndex = 0;
  let found: string | undefined;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    found = m[1];
    if (which === "first") break;
  }
  if (found === undefined) return null;
  try {
    return JSON.parse(`"${found}"`) as string;
  } catch {
    return null;
  }
}

/**
 * A stand-in root object for a truncated body: each object key from its last occurrence (tail first,
 * since usage sits at the end) and each string key from its first occurrence (head first, since the
 * model usually comes early). Parsers then read it like the whole body.
 */
export function partialRoot(
  doc: JsonDoc,
  objectKeys: readonly string[],
  stringKeys: readonly string[],
): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const key of objectKeys) {
    const found = lastObjectForKey(doc.tail, key) ?? lastObjectForKey(doc.head, key);
    if (found) root[key] = found;
  }
  for (const key of stringKeys) {
    const found = stringForKey(doc.head, key, "first") ?? stringForKey(doc.tail, key, "last");
    if (found !== null) root[key] = found;
  }
  return root;
}

/**
 * JSON values of the complete lines of a body that is not one JSON document, e.g. newline-delimited
 * JSON (Ollama streaming) or a truncated capture of it. The cut lines simply fail to parse.
 */
export function jsonLines(doc: JsonDoc): unknown[] {
  const values: unknown[] = [];
  for (const text of [doc.head, doc.tail]) {
    for (const line of text.split("\n")) {
      const trimmed = line.trim();
      if (!trimmed.startsWith("{")) continue;
      // A line cut at the head/tail boundary does not parse and is skipped.
      const parsed = parseJson(trimmed);
      if (parsed.error === null) values.push(parsed.value);
    }
  }
  return values;
}
