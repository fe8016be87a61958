import type { CapturedBytes } from "@tokenmeter/capture";
import { createParser } from "eventsource-parser";
import { parseJson, stripBom } from "./json-scan.js";

/** One server-sent event; `json` is its data parsed, or undefined when the data is not JSON. */
export interface SseEvent {
  event: string | undefined;
  data: string;
  json: unknown;
}

/** The events of a captured stream; `truncated` means events between head and tail were dropped. */
export interface SseStream {
  events: SseEvent[];
  truncated: boolean;
}

const SSE_START = /^\s*(?:(?:data|event|id|retry):|:)/;

/**
 * True when a body (given its first bytes) is an event stream: it starts with an SSE field, or the
 * content type says so and it does not start like JSON.
 */
export function looksLikeSse(headText: string, contentType?: string): boolean {
  if (SSE_START.test(headText)) return true;
  // A JSON body (e.g. an error) sent under an event-stream content type is still JSON.
  if (/^\s*[[{]/.test(headText)) return false;
  return typeof contentType === "string" && contentType.toLowerCase().includes("text/event-stream");
}

/**
 * Splits a captured stream into events. A truncated capture is parsed as two independent pieces: the
 * head (whose last event may be cut, and then fails to parse as JSON) and the tail from its first full
 * line on (its first line is usually the remainder of a dropped one).
 */
export function parseSse(bytes: CapturedBytes): SseStream {
  const events = eventsOf(stripBom(bytes.head.toString("utf8")));
  if (!bytes.truncated) return { events, truncated: false };
  const tail = bytes.tail.toString("utf8");
  const firstBreak = tail.search(/[\r\n]/);
  // The tail's first line is usually the rest of a dropped one, but the cut may fall exactly at a line
  // start: a first line that is a whole `data:` field with complete JSON is kept.
  const firstLine = firstBreak < 0 ? tail : tail.slice(0, firstBreak);
  const whole = /^data: ?[[{]/.test(firstLine) && eventJson(firstLine.replace(/^data: ?/, "")) !== undefined;
  const tailEvents = whole ? eventsOf(tail) : firstBreak < 0 ? [] : eventsOf(tail.slice(firstBreak));
  return { events: [...events, ...tailEvents], truncated: true };
}

function eventsOf(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = createParser({
    onEvent: (e) => events.push({ event: e.event, data: e.data, json: eventJson(e.data) }),
    // Unknown fields are ignored, as the SSE spec says; a cut line can look like one.
    onError: () => {},
  });
  feedByLines(text, (piece) => parser.feed(piece));
  // An event is only dispatched at a blank line; a stream that ends without one still counts.
  parser.feed("\n\n");
  return events;
}

const PIECE = 16 * 1024;
const LINE_BREAK = /\r\n|[\r\n]/g;

/**
 * Feeds text in pieces of about PIECE characters that end at a line break. eventsource-parser copies
 * the unread rest of a chunk per line and re-joins a line split across chunks, so both one huge chunk
 * and fixed-size chunks under one huge line cost quadratic time; pieces cut at line breaks do not.
 */
function feedByLines(text: string, feed: (piece: string) => void): void {
  let start = 0;
  while (start < text.length) {
    let end = text.length;
    if (start + PIECE < text.length) {
      LINE_BREAK.lastIndex = start + PIECE;
      const found = LINE_BREAK.exec(text);
      if (found) end = found.index + found[0].length;
    }
    feed(text.slice(start, end));
    start = end;
  }
}

function eventJson(data: string): unknown {
  const first = data.trimStart()[0];
  if (first !== "{" && first !== "[") return undefined;
  return parseJson(data).value;
}
