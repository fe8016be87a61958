import { decodeBody } from "./decode.js";
import { estimateOpenAiChatStream } from "./estimate.js";
import { jsonDoc } from "./json-scan.js";
import { anthropicMessagesParser } from "./parsers/anthropic-messages.js";
import type { FormatParser, ParseInput } from "./parsers/format-parser.js";
import { geminiParser } from "./parsers/gemini.js";
import { parseGeneric } from "./parsers/generic-json.js";
import { openAiChatParser } from "./parsers/openai-chat.js";
import { openAiEmbeddingsParser } from "./parsers/openai-embeddings.js";
import { openAiResponsesParser } from "./parsers/openai-responses.js";
import { pathModel, readRequest } from "./request.js";
import { applyRules, DEFAULT_RULES, ruleText } from "./rules.js";
import { looksLikeSse, parseSse, stripBom } from "./sse.js";
import type { ExchangeForParsing, ParseOutcome, TokenUsage, UsageRule } from "./types.js";

const PARSERS: readonly FormatParser[] = [
  openAiChatParser,
  openAiResponsesParser,
  openAiEmbeddingsParser,
  anthropicMessagesParser,
  geminiParser,
];

/** Every value TokenUsage.parser takes, apart from "rule:<name>". */
export const PARSER_NAMES: readonly string[] = [
  ...PARSERS.flatMap((p) => [p.name, `${p.name}-sse`]).filter((n) => n !== "openai-embeddings-sse"),
  "generic-json",
  "generic-sse",
];

// Token-counting endpoints answer with a count of a prompt that was not run: nothing to bill.
const TOKEN_COUNTING = /(?:\/count_tokens|:countTokens|\/responses\/input_tokens)$/;

/**
 * Extracts the token usage of one exchange: path-matched parser, then content-detected parsers, then a
 * generic JSON key search, then regex rules (the caller's, then DEFAULT_RULES), then — for an OpenAI-style
 * stream that reported nothing — a tokenizer estimate. Never throws.
 */
export function extractUsage(exchange: ExchangeForParsing, rules: readonly UsageRule[] = []): TokenUsage {
  try {
    return extract(exchange, rules);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return none(null, null, `internal error: ${message.slice(0, 120)}`);
  }
}

function extract(exchange: ExchangeForParsing, rules: readonly UsageRule[]): TokenUsage {
  const path = typeof exchange.path === "string" ? exchange.path : "";
  const bare = path.split("?")[0] ?? "";
  const request = readRequest(exchange.request?.body);
  // Model precedence: the response's own model (resolved snapshot, e.g. Gemini modelVersion), else the
  // request body's "model", else the path's (Gemini, Vertex, Bedrock).
  const fallbackModel = request.model ?? pathModel(path);
  if (TOKEN_COUNTING.test(bare)) return none(fallbackModel, null, null);
  // Failed calls (4xx/5xx), redirects and calls without a response (status 0) carry no usage; that is
  // not a parse failure.
  const status = exchange.status;
  if (!(status >= 200 && status < 300)) return none(fallbackModel, null, null);

  const decoded = decodeBody(exchange.response.body);
  if (decoded.error) return none(fallbackModel, null, decoded.error);
  const { bytes } = decoded;
  if (bytes.head.length + bytes.tail.length === 0) return none(fallbackModel, null, "response body is empty");
  const start = stripBom(bytes.head.subarray(0, 256).toString("utf8"));
  const input: ParseInput = looksLikeSse(start, exchange.response.contentType)
    ? { kind: "sse", stream: parseSse(bytes), request }
    : { kind: "json", doc: jsonDoc(bytes), request };

  const byPath = PARSERS.filter((p) => p.matchesPath(bare));
  const tried: ParseOutcome[] = [];
  const modelSoFar = () => tried.find((o) => o.model)?.model ?? fallbackModel;
  const attempt = (outcome: ParseOutcome): TokenUsage | null => {
    tried.push(outcome);
    // Counts found, or found and rejected as bogus: either way no later, vaguer parser may guess.
    if (!outcome.counts && !outcome.rejected) return null;
    return usageOf(outcome, "reported", outcome.model ?? modelSoFar());
  };
  for (const parser of byPath) {
    const usage = attempt(parser.parse(input));
    if (usage) return usage;
  }
  for (const parser of PARSERS) {
    if (byPath.includes(parser) || !parser.detect(input)) continue;
    const usage = attempt(parser.parse(input));
    if (usage) return usage;
  }
  const generic = attempt(parseGeneric(input));
  if (generic) return generic;
  const model = modelSoFar();

  const text = ruleText(bytes.head.toString("utf8"), bytes.tail.toString("utf8"));
  const { outcome, invalid } = applyRules(text, [...rules, ...DEFAULT_RULES]);
  if (outcome) return usageOf(outcome, "rule", outcome.model ?? model);
  // The first parser tried is the one the path or content pointed at: its reason is the useful one.
  const first = tried[0]!;
  const reason = first.error ?? "no usage found";
  // An OpenAI-style stream without usage (no include_usage): count it with the model's tokenizer.
  if (input.kind === "sse" && bare.endsWith("/chat/completions")) {
    const estimate = estimateOpenAiChatStream(exchange.request?.body, input.stream, model, reason);
    if (estimate) return estimate;
  }
  return none(model, tried.length > 1 ? first.parser : null, invalid ? `${reason}; ${invalid}` : reason);
}

function usageOf(outcome: ParseOutcome, source: "reported" | "rule", model: string | null): TokenUsage {
  if (!outcome.counts) return none(model, outcome.parser, outcome.error ?? "usage rejected");
  return { model, ...outcome.counts, source, parser: outcome.parser, parseError: null };
}

function none(model: string | null, parser: string | null, parseError: string | null): TokenUsage {
  return {
    model,
    inputTokens: 0,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
    totalTokens: 0,
    source: "none",
    parser,
    parseError,
  };
}
