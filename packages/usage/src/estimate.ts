import { createRequire } from "node:module";
import type { BodyCapture } from "@tokenmeter/capture";
import { isRecord } from "./counts.js";
import { parseJson } from "./json-scan.js";
import type { StreamRemains, TokenUsage } from "./types.js";
import { boundedBody } from "./window.js";

/** The offline tokenizer used for a model: o200k_base for the GPT-4o generation and later, else cl100k_base. */
export function encodingFor(model: string | null): "o200k_base" | "cl100k_base" {
  return /^(?:gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4|chatgpt-4o)/i.test(model ?? "")
    ? "o200k_base"
    : "cl100k_base";
}

type Encoding = ReturnType<typeof encodingFor>;

// User text may contain special-token strings ("<|endoftext|>"); they are counted as plain text.
const PLAIN = { disallowedSpecial: new Set<string>() };

type CountTokens = (text: string, options: typeof PLAIN) => number;
const require = createRequire(import.meta.url);
const counters = new Map<string, CountTokens>();

function exactCount(text: string, encoding: Encoding): number {
  if (!text) return 0;
  let countTokens = counters.get(encoding);
  if (!countTokens) {
    // Each encoding costs ≈ 40 MB and ≈ 0.25 s to load: loaded on first use, as most calls report usage.
    countTokens = (require(`gpt-tokenizer/cjs/encoding/${encoding}`) as { countTokens: CountTokens })
      .countTokens;
    counters.set(encoding, countTokens);
  }
  return countTokens(text, PLAIN);
}

// Tokenizing costs ≈ 0.3 µs a character: past this, a sample of the start and the end is counted and
// scaled to the whole length, so estimating never blocks the event loop for long.
const EXACT_CHARS = 8 * 1024;

/** Tokens in `text`: exact up to EXACT_CHARS characters, extrapolated from a sample beyond. */
function countTokens(text: string, encoding: Encoding): number {
  if (text.length <= EXACT_CHARS) return exactCount(text, encoding);
  const half = EXACT_CHARS / 2;
  const sample = exactCount(text.slice(0, half), encoding) + exactCount(text.slice(-half), encoding);
  return Math.round((sample * text.length) / EXACT_CHARS);
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => (isRecord(part) && typeof part.text === "string" ? part.text : "")).join("");
}

/**
 * An OpenAI-style `messages` prompt: each message's role, name and text plus the chat format's fixed
 * overhead (3 tokens per message, 3 to prime the reply).
 */
function chatPromptTokens(messages: readonly unknown[], encoding: Encoding): number {
  let tokens = 3;
  for (const message of messages) {
    if (!isRecord(message)) continue;
    tokens += 3 + countTokens(typeof message.role === "string" ? message.role : "", encoding);
    tokens += countTokens(contentText(message.content), encoding);
    if (typeof message.name === "string") tokens += 1 + countTokens(message.name, encoding);
  }
  return tokens;
}

// Request keys whose strings are prompt text in the providers' formats (messages, contents, input, system,
// prompt, instructions …); ids, roles, URLs, base64 media and settings are not.
const PROMPT_KEYS = new Set(["content", "text", "prompt", "system", "input", "instructions", "message"]);
const MAX_NODES = 20_000;

/** The prompt text of any provider's request JSON: strings under prompt keys, found breadth-first. */
function promptText(request: unknown): string {
  const out: string[] = [];
  const queue: [unknown, boolean][] = [[request, false]];
  for (let i = 0; i < queue.length && i < MAX_NODES; i++) {
    const [node, underPrompt] = queue[i]!;
    if (typeof node === "string") {
      if (underPrompt) out.push(node);
    } else if (Array.isArray(node)) {
      for (const item of node) queue.push([item, underPrompt]);
    } else if (isRecord(node)) {
      for (const [key, value] of Object.entries(node)) {
        if (key === "messages" || key === "contents" || key === "parts") queue.push([value, true]);
        else if (PROMPT_KEYS.has(key) || key === "systemInstruction") queue.push([value, true]);
        else if (underPrompt && typeof value === "object") queue.push([value, true]);
      }
    }
  }
  return out.join("\n");
}

/** Prompt tokens of a request body, and whether the capture had cut it (then extrapolated by size). */
function promptTokens(body: BodyCapture | undefined, encoding: Encoding): { tokens: number; cut: boolean } {
  if (!body || body.size === 0) return { tokens: 0, cut: false };
  const { bytes, scale, error } = boundedBody(body);
  if (error) return { tokens: 0, cut: true };
  const { head, tail, truncated } = bytes;
  if (truncated) {
    // The JSON is cut: count the captured text as it is and scale it to the body's true size.
    const text = `${head.toString("utf8")}${tail.toString("utf8")}`;
    const size =
      scale > 1 ? scale * (head.length + tail.length) : Math.max(body.size, head.length + tail.length);
    return {
      tokens: Math.round((countTokens(text, encoding) * size) / Math.max(head.length + tail.length, 1)),
      cut: true,
    };
  }
  const parsed = parseJson(head.toString("utf8"));
  const request = parsed.value;
  if (isRecord(request) && Array.isArray(request.messages) && !("system" in request)) {
    return { tokens: chatPromptTokens(request.messages, encoding), cut: false };
  }
  return { tokens: countTokens(promptText(request), encoding), cut: false };
}

export interface EstimateArgs {
  requestBody: BodyCapture | undefined;
  remains: StreamRemains;
  model: string | null;
  /** The response's true size over the bytes parsed (1 when whole): streamed text is scaled by it. */
  responseScale: number;
}

/**
 * Estimates the usage of a stream that ended without its final usage. Input: the provider's own count
 * if it reported one before the end (Anthropic message_start), else the request's prompt text counted
 * with an offline tokenizer (OpenAI chat format overhead included). Output: the streamed text counted
 * the same way, scaled up when the capture dropped the middle of the stream. Images, audio and tool
 * schemas are not counted, so this errs low; non-OpenAI models are counted with OpenAI's encodings.
 */
export function estimateUsage(args: EstimateArgs): TokenUsage {
  const { remains, model } = args;
  const encoding = encodingFor(model);
  const reported = remains.reported;
  const notes: string[] = [];
  let input = { inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, cacheWrite1hTokens: 0 };
  if (reported && reported.inputTokens > 0) {
    input = {
      inputTokens: reported.inputTokens,
      cachedInputTokens: reported.cachedInputTokens,
      cacheWriteTokens: reported.cacheWriteTokens,
      cacheWrite1hTokens: reported.cacheWrite1hTokens,
    };
    notes.push("input as reported");
  } else {
    const prompt = promptTokens(args.requestBody, encoding);
    input.inputTokens = prompt.tokens;
    if (prompt.cut) notes.push("prompt extrapolated from a truncated capture");
  }
  let outputTokens = Math.round(countTokens(remains.text, encoding) * Math.max(args.responseScale, 1));
  if (args.responseScale > 1) notes.push("output extrapolated from a truncated capture");
  if (!remains.text && reported) outputTokens = reported.outputTokens;
  const reasoningTokens = Math.min(reported?.reasoningTokens ?? 0, outputTokens);
  const bounded = (n: number) => Math.min(n, 2 ** 30);
  const inputTokens = bounded(input.inputTokens);
  outputTokens = bounded(outputTokens);
  const detail = notes.length > 0 ? ` (${notes.join(", ")})` : "";
  return {
    model,
    ...input,
    inputTokens,
    outputTokens,
    reasoningTokens,
    totalTokens: inputTokens + outputTokens,
    source: "estimated",
    parser: `estimate:${encoding}`,
    parseError: `${remains.reason}; estimated with ${encoding}${detail}`,
  };
}
