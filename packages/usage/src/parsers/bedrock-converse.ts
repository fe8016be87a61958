import { CountReader, finishCounts, isRecord } from "../counts.js";
import type { SseStream } from "../sse.js";
import type { CountsResult, ParseOutcome } from "../types.js";
import {
  collectText,
  type FormatParser,
  failure,
  headMatches,
  jsonFailure,
  lastPicked,
  outcomeOf,
  parserName,
  rootOf,
  streamFailure,
  unfinished,
} from "./format-parser.js";

/**
 * Normalises a Bedrock Converse usage object. Like Anthropic's, inputTokens EXCLUDES cache reads and
 * writes (cacheReadInputTokens, cacheWriteInputTokens), so tokenmeter's input is their sum.
 */
export function bedrockCounts(usage: unknown): CountsResult {
  const r = new CountReader();
  const uncached = r.read(usage, "inputTokens");
  const cacheRead = r.read(usage, "cacheReadInputTokens");
  const cacheWrite = r.read(usage, "cacheWriteInputTokens");
  const output = r.read(usage, "outputTokens");
  const reportedTotal = r.read(usage, "totalTokens");
  const input = uncached + cacheRead + cacheWrite;
  return finishCounts(r, { input, cachedInput: cacheRead, cacheWrite, output, reportedTotal });
}

function streamedText(stream: SseStream): string {
  const out: string[] = [];
  for (const e of stream.events) {
    if (e.event !== "contentBlockDelta" || !isRecord(e.json) || !isRecord(e.json.delta)) continue;
    const { delta } = e.json;
    collectText(out, delta, "text");
    collectText(out, delta.toolUse, "input");
    collectText(out, delta.reasoningContent, "text");
  }
  return out.join("");
}

/**
 * ConverseStream: binary event-stream frames (messageStart, contentBlockDelta, …, messageStop, metadata);
 * the usage is in the last event, `metadata`. A stream that ends in an exception frame or before its
 * metadata goes to the missing-usage policy.
 */
function parseStream(name: string, stream: SseStream): ParseOutcome {
  const usage = lastPicked(stream.events, (d) => (isRecord(d.usage) ? d.usage : undefined));
  if (usage) return outcomeOf(name, null, bedrockCounts(usage));
  if (stream.events.length === 0) return failure(name, null, streamFailure(stream, "stream has no events"));
  const exception = stream.events.find((e) => e.event?.startsWith("exception:"));
  const reason = exception
    ? `stream ended with ${exception.event?.slice("exception:".length).slice(0, 60)}`
    : streamFailure(stream, "stream cut off before its metadata event");
  return unfinished(name, null, reason, streamedText(stream));
}

/**
 * AWS Bedrock Converse (`/model/{modelId}/converse`, JSON) and ConverseStream
 * (`/model/{modelId}/converse-stream`, `application/vnd.amazon.eventstream`). Neither body names the
 * model: it is the percent-encoded modelId of the path, read by the orchestration.
 */
export const bedrockConverseParser: FormatParser = {
  name: "bedrock-converse",
  eventStream: true,
  matchesPath: (path) => /\/model\/[^/]+\/converse(?:-stream)?$/.test(path),
  detect(input) {
    if (input.kind === "eventstream") {
      return input.stream.events.some((e) => e.event === "messageStart" || e.event === "metadata");
    }
    if (input.kind === "sse") return false;
    const { doc } = input;
    if (isRecord(doc.value)) return isRecord(doc.value.output) && "stopReason" in doc.value;
    return doc.truncated && headMatches(doc, /^\s*\{\s*"(?:metrics|output)"\s*:/);
  },
  parse(input) {
    const name = parserName("bedrock-converse", input);
    if (input.kind !== "json") return parseStream(name, input.stream);
    const root = rootOf(input.doc, ["usage"], []);
    if (!isRecord(root)) return failure(name, null, jsonFailure(input.doc, "response is not a JSON object"));
    if (!isRecord(root.usage)) return failure(name, null, jsonFailure(input.doc, "response has no usage"));
    return outcomeOf(name, null, bedrockCounts(root.usage));
  },
};
