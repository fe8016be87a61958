import { createRequire } from "node:module";
import type { BodyCapture } from "@tokenmeter/capture";
import { isRecord } from "./counts.js";
import { decodeBody } from "./decode.js";
import type { SseStream } from "./sse.js";
import type { TokenUsage } from "./types.js";

/** The offline tokenizer used for a model: o200k_base for the GPT-4o generation and later, else cl100k_base. */
export function encodingFor(model: string | null): "o200k_base" | "cl100k_base" {
  return /^(?:gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|chatgpt-4o)/i.test(model ?? "")
    ? "o200k_base"
    : "cl100k_base";
}

// User text may contain special-token strings ("<|endoftext|>"); they are counted as plain text.
const PLAIN = { disallowedSpecial: new Set<string>() };

type CountTokens = (text: string, options: typeof PLAIN) => number;
const require = createRequire(import.meta.url);
const counters = new Map<string, CountTokens>();

// Each encoding costs ≈ 40 MB and ≈ 0.25 s to load: loaded on first use, as most calls report their usage.
function count(text: string, encoding: "o200k_base" | "cl100k_base"): number {
  if (!text) return 0;
  let countTokens = counters.get(encoding);
  if (!countTokens) {
    countTokens = (require(`gpt-tokenizer/cjs/encoding/${encoding}`) as { countTokens: CountTokens })
      .countTokens;
    counters.set(encoding, countTokens);
  }
  return countTokens(text, PLAIN);
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => (isRecord(part) && typeof part.text === "string" ? part.text : "")).join("");
}

/**
 * Estimates the usage of an OpenAI-style chat stream that reported none (the request lacked
 * `stream_options.include_usage`), with the model's offline tokenizer: prompt = each message's role, name and
 * text plus the chat format's fixed overhead (3 tokens per message, 3 to prime the reply), output = the
 * streamed text, refusals and tool-call arguments. Images, audio and tool schemas are not counted, so this
 * errs low. Returns null when a body is incomplete (a truncated capture cannot be counted honestly).
 */
export function estimateOpenAiChatStream(
  requestBody: BodyCapture | undefined,
  stream: SseStream,
  model: string | null,
  reason: string,
): TokenUsage | null {
  if (!requestBody || stream.truncated) return null;
  const decoded = decodeBody(requestBody);
  if (decoded.error || decoded.bytes.truncated) return null;
  let request: unknown;
  try {
    request = JSON.parse(decoded.bytes.head.toString("utf8"));
  } catch {
    return null;
  }
  if (!isRecord(request) || !Array.isArray(request.messages)) return null;
  const encoding = encodingFor(model);

  let inputTokens = 3;
  for (const message of request.messages) {
    if (!isRecord(message)) continue;
    inputTokens += 3 + count(typeof message.role === "string" ? message.role : "", encoding);
    inputTokens += count(contentText(message.content), encoding);
    if (typeof message.name === "string") inputTokens += 1 + count(message.name, encoding);
  }

  let output = "";
  for (const event of stream.events) {
    if (!isRecord(event.json) || !Array.isArray(event.json.choices)) continue;
    for (const choice of event.json.choices) {
      const delta = isRecord(choice) && isRecord(choice.delta) ? choice.delta : null;
      if (!delta) continue;
      if (typeof delta.content === "string") output += delta.content;
      if (typeof delta.refusal === "string") output += delta.refusal;
      if (Array.isArray(delta.tool_calls)) {
        for (const call of delta.tool_calls) {
          if (isRecord(call) && isRecord(call.function) && typeof call.function.arguments === "string") {
            output += call.function.arguments;
          }
        }
      }
    }
  }
  const outputTokens = count(output, encoding);
  return {
    model,
    inputTokens,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens,
    reasoningTokens: 0,
    totalTokens: inputTokens + outputTokens,
    source: "estimated",
    parser: `estimate:${encoding}`,
    parseError: `${reason}; estimated with ${encoding}`,
  };
}
