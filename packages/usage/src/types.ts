import type { BodyCapture } from "@tokenmeter/capture";

/** Where token counts came from: the provider's own report, an operator regex rule, an estimate, or nowhere. */
export type UsageSource = "reported" | "rule" | "estimated" | "none";

/** Normalised usage of one call. */
export interface TokenUsage {
  model: string | null;
  /** All prompt tokens, including cached reads and cache writes. */
  inputTokens: number;
  /** Subset of inputTokens read from cache. */
  cachedInputTokens: number;
  /** Subset of inputTokens written to cache. */
  cacheWriteTokens: number;
  /** Subset of cacheWriteTokens written with a 1-hour TTL (Anthropic); the rest are 5-minute writes. 0 when not reported. */
  cacheWrite1hTokens: number;
  /** All generated tokens, including reasoning. */
  outputTokens: number;
  /** Subset of outputTokens. */
  reasoningTokens: number;
  /** max(inputTokens + outputTokens, the provider's reported total). */
  totalTokens: number;
  source: UsageSource;
  /** The parser that produced the usage; when none did, the one that recognised the format (or null). */
  parser: string | null;
  /** Why usage could not be found, short and human readable; null when found or not expected. */
  parseError: string | null;
}

/**
 * What to record for a stream whose final usage never came (cut off by the upstream, the buyer or the
 * capture, or an OpenAI-style stream whose request did not ask for usage): "estimate" counts it with an
 * offline tokenizer (source "estimated"), "zero" records no tokens (source "none"). Either way parseError
 * says why.
 */
export type MissingUsagePolicy = "estimate" | "zero";

/** The values of MissingUsagePolicy, default first (for validating a service setting). */
export const MISSING_USAGE_POLICIES: readonly MissingUsagePolicy[] = ["estimate", "zero"];

/** Options of extractUsage; a service's settings map onto them. */
export interface ExtractOptions {
  /** The service's operator regex rules, tried before DEFAULT_RULES. */
  rules?: readonly UsageRule[];
  /** What to do with a stream that ended without its usage; default "estimate". */
  missingUsage?: MissingUsagePolicy;
}

/** The parts of a captured exchange that usage extraction reads. */
export interface ExchangeForParsing {
  method: string;
  /** Path below the service slug, with query, e.g. "/v1/chat/completions". */
  path: string;
  /** Upstream HTTP status (0 = no response). */
  status: number;
  request: { body: BodyCapture; contentType?: string };
  response: { body: BodyCapture; contentType?: string };
}

/** An operator's regex rule: RE2 sources with exactly one capture group each. */
export interface UsageRule {
  name: string;
  inputTokens?: string;
  outputTokens?: string;
  totalTokens?: string;
  model?: string;
}

/** Normalised token counts, validated (see counts.ts). */
export interface UsageCounts {
  inputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  /** Subset of cacheWriteTokens with a 1-hour TTL. */
  cacheWrite1hTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  totalTokens: number;
}

/** A counts-or-reason result of normalising one provider usage object. */
export type CountsResult = { counts: UsageCounts; error?: undefined } | { counts?: undefined; error: string };

/** What a stream that ended without its final usage had said by then. */
export interface StreamRemains {
  /** Why there is no final usage (cut off, or never requested). */
  reason: string;
  /** The text generated so far (content, reasoning, tool arguments), for a tokenizer estimate. */
  text: string;
  /** Counts the provider reported before the end (Anthropic message_start, Gemini running totals). */
  reported: UsageCounts | null;
}

/** What one parser made of a body. */
export interface ParseOutcome {
  parser: string;
  model: string | null;
  counts: UsageCounts | null;
  /** Set when counts is null. */
  error: string | null;
  /** True when a usage object was found but its counts were rejected: no fallback may then guess. */
  rejected?: boolean;
  /** Set when the body is a stream of this format that ended without its final usage. */
  remains?: StreamRemains;
}
