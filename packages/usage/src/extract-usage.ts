import { estimateUsage } from "./estimate.js";
import { looksLikeEventStream, parseEventStream } from "./eventstream.js";
import { jsonDoc, stripBom } from "./json-scan.js";
import { anthropicMessagesParser } from "./parsers/anthropic-messages.js";
import { bedrockConverseParser } from "./parsers/bedrock-converse.js";
import { cohereChatParser } from "./parsers/cohere-chat.js";
import type { FormatParser, ParseInput } from "./parsers/format-parser.js";
import { geminiParser } from "./parsers/gemini.js";
import { parseGeneric } from "./parsers/generic-json.js";
import { ollamaParser } from "./parsers/ollama.js";
import { openAiChatParser } from "./parsers/openai-chat.js";
import { openAiEmbeddingsParser } from "./parsers/openai-embeddings.js";
import { openAiResponsesParser } from "./parsers/openai-responses.js";
import { pathModel, readRequest } from "./request.js";
import { applyRules, DEFAULT_RULES, ruleTextOf } from "./rules.js";
import { looksLikeSse, parseSse } from "./sse.js";
import type { ExchangeForParsing, ExtractOptions, ParseOutcome, TokenUsage, UsageRule } from "./types.js";
import { boundedBody } from "./window.js";

const PARSERS: readonly FormatParser[] = [
  openAiChatParser,
  openAiResponsesParser,
  openAiEmbeddingsParser,
  anthropicMessagesParser,
  geminiParser,
  bedrockConverseParser,
  cohereChatParser,
  ollamaParser,
];

// Formats that are never server-sent events.
const NOT_SSE = new Set(["openai-embeddings", "ollama", "bedrock-converse"]);

/** Every value TokenUsage.parser takes, apart from "rule:<name>" and "estimate:<encoding>". */
export const PARSER_NAMES: readonly string[] = [
  ...PARSERS.flatMap((p) => [
    p.name,
    ...(NOT_SSE.has(p.name) ? [] : [`${p.name}-sse`]),
    ...(p.eventStream ? [`${p.name}-stream`] : []),
  ]),
  "generic-json",
  "generic-sse",
  "generic-stream",
];

// Token-counting endpoints answer with a count of a prompt that was not run: nothing to bill.
const TOKEN_COUNTING = /(?:\/count_tokens|:countTokens|\/responses\/input_tokens)$/;

/**
 * Extracts the token usage of one exchange: path-matched parser, then content-detected parsers, then a
 * generic search of the known usage positions, then regex rules (the caller's, then DEFAULT_RULES for
 * bodies that are not whole JSON), then — for a stream that ended without its usage — the caller's
 * missing-usage policy (estimate with a tokenizer, or zero). Never throws.
 *
 * The second argument is either the options or, as before, the service's rules alone.
 */
export function extractUsage(
  exchange: ExchangeForParsing,
  options: ExtractOptions | readonly UsageRule[] = {},
): TokenUsage {
  const opts: ExtractOptions = Array.isArray(options) ? { rules: options } : (options as ExtractOptions);
  try {
    return extract(exchange, opts);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return none(null, null, `internal error: ${message.slice(0, 120)}`);
  }
}

function inputOf(exchange: ExchangeForParsing, request: ParseInput["request"]) {
  const { bytes, scale, error } = boundedBody(exchange.response.body);
  if (error) return { error } as const;
  if (bytes.head.length + bytes.tail.length === 0) return { error: "response body is empty" } as const;
  const contentType = exchange.response.contentType;
  let input: ParseInput;
  if (looksLikeEventStream(bytes.head, contentType)) {
    input = { kind: "eventstream", stream: parseEventStream(bytes), request };
  } else {
    const start = stripBom(bytes.head.subarray(0, 256).toString("utf8"));
    input = looksLikeSse(start, contentType)
      ? { kind: "sse", stream: parseSse(bytes), request }
      : { kind: "json", doc: jsonDoc(bytes), request };
  }
  return { input, bytes, scale } as const;
}

function extract(exchange: ExchangeForParsing, options: ExtractOptions): TokenUsage {
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

  const prepared = inputOf(exchange, request);
  if (prepared.error !== undefined) return none(fallbackModel, null, prepared.error);
  const { input, bytes, scale } = prepared;

  const candidates = input.kind === "eventstream" ? PARSERS.filter((p) => p.eventStream) : PARSERS;
  const byPath = candidates.filter((p) => p.matchesPath(bare));
  const tried: ParseOutcome[] = [];
  const modelSoFar = () => tried.find((o) => o.model)?.model ?? fallbackModel;
  const attempt = (outcome: ParseOutcome): TokenUsage | null => {
    tried.push(outcome);
    // Counts found, or found and rejected as bogus: either way no later, vaguer parser may guess.
    if (!outcome.counts && !outcome.rejected) return null;
    return usageOf(outcome, "reported", outcome.model ?? modelSoFar());
  };
  // A parser that recognised its stream and found it unfinished has the last word on it: a vaguer search
  // must not take its running totals (Gemini) or partial counts (Anthropic message_start) as final.
  const unfinished = () => tried.find((o) => o.remains);
  for (const parser of byPath) {
    const usage = attempt(parser.parse(input));
    if (usage) return usage;
  }
  for (const parser of candidates) {
    if (unfinished()) break;
    if (byPath.includes(parser) || !parser.detect(input)) continue;
    const usage = attempt(parser.parse(input));
    if (usage) return usage;
  }
  if (!unfinished()) {
    const generic = attempt(parseGeneric(input));
    if (generic) return generic;
  }
  const model = modelSoFar();

  // Operator rules always run; the default key patterns only where structure could not be read (a
  // truncated or non-JSON body): on whole JSON the structural search above is the authority, and a key
  // pattern could only find what a model or user wrote.
  const structured = input.kind !== "json" || input.doc.value !== undefined;
  const rules = [...(options.rules ?? []), ...(structured || unfinished() ? [] : DEFAULT_RULES)];
  let invalid: string | null = null;
  if (rules.length > 0) {
    const text = ruleTextOf(bytes);
    const applied = applyRules(text, rules);
    if (applied.outcome) return usageOf(applied.outcome, "rule", applied.outcome.model ?? model);
    invalid = applied.invalid;
  }
  // The first parser tried is the one the path or content pointed at: its reason is the useful one.
  const first = tried[0]!;
  const stream = unfinished();
  if (stream?.remains) {
    if ((options.missingUsage ?? "estimate") === "estimate") {
      return estimateUsage({
        requestBody: exchange.request?.body,
        remains: stream.remains,
        model: stream.model ?? model,
        responseScale: scale,
      });
    }
    return none(
      stream.model ?? model,
      stream.parser,
      `${stream.remains.reason}; not estimated (policy zero)`,
    );
  }
  const reason = first.error ?? "no usage found";
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
    cacheWrite1hTokens: 0,
    outputTokens: 0,
    reasoningTokens: 0,
    totalTokens: 0,
    source: "none",
    parser,
    parseError,
  };
}
