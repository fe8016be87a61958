import { parseUsdRate } from "./rates.js";
import type { ModelPrice } from "./types.js";

/** A price shipped with tokenmeter, USD per 1K tokens as exact decimal strings. */
export interface BuiltinPrice {
  readonly model: string;
  readonly usdPer1kInputTokens: string;
  readonly usdPer1kOutputTokens: string;
  /** Cached (cache-read) input rate; absent → the input rate. */
  readonly cached?: string;
  /** Cache-write input rate; absent → the input rate. */
  readonly cacheWrite?: string;
  readonly origin: string;
}

/** When every builtin price takes effect. */
const BUILTIN_EFFECTIVE_FROM = "2024-01-01T00:00:00.000Z";

const SEED = "seed document";
const OPENAI = "https://openai.com/api/pricing/";
const ANTHROPIC = "https://www.anthropic.com/pricing#api";

const p = (
  model: string,
  usdPer1kInputTokens: string,
  usdPer1kOutputTokens: string,
  origin: string,
  cache: { cached?: string; cacheWrite?: string } = {},
): BuiltinPrice => Object.freeze({ model, usdPer1kInputTokens, usdPer1kOutputTokens, ...cache, origin });

/**
 * Prices shipped with tokenmeter: the seed document's eight models, then current models from the
 * providers' public pricing pages. Exact names for snapshots priced unlike their base model
 * (gpt-4o-2024-05-13, the GPT-4 Turbo previews) override the dated-suffix match.
 */
export const BUILTIN_PRICES: readonly BuiltinPrice[] = Object.freeze([
  p("gpt-4", "0.03", "0.06", SEED),
  p("gpt-4-32k", "0.06", "0.12", SEED),
  p("gpt-3.5-turbo", "0.0015", "0.002", SEED),
  p("gpt-3.5-turbo-16k", "0.003", "0.004", SEED),
  p("claude-3-opus", "0.015", "0.075", SEED),
  p("claude-3-sonnet", "0.003", "0.015", SEED),
  p("claude-3-haiku", "0.00025", "0.00125", SEED),
  p("gemini-pro", "0.0005", "0.0015", SEED),
  // Google renamed gemini-pro to gemini-1.0-pro; same model, same price.
  p("gemini-1.0-pro", "0.0005", "0.0015", `${SEED} (gemini-pro under its later name)`),

  p("gpt-4o", "0.0025", "0.01", OPENAI, { cached: "0.00125" }),
  p("gpt-4o-2024-05-13", "0.005", "0.015", OPENAI),
  p("gpt-4o-mini", "0.00015", "0.0006", OPENAI, { cached: "0.000075" }),
  p("gpt-4-turbo", "0.01", "0.03", OPENAI),
  p("gpt-4-turbo-preview", "0.01", "0.03", OPENAI),
  p("gpt-4-1106-preview", "0.01", "0.03", OPENAI),
  p("gpt-4-0125-preview", "0.01", "0.03", OPENAI),
  p("gpt-4-vision-preview", "0.01", "0.03", OPENAI),
  p("gpt-4-1106-vision-preview", "0.01", "0.03", OPENAI),
  p("o1", "0.015", "0.06", OPENAI, { cached: "0.0075" }),
  p("text-embedding-3-small", "0.00002", "0", OPENAI),
  p("text-embedding-3-large", "0.00013", "0", OPENAI),
  p("text-embedding-ada-002", "0.0001", "0", OPENAI),

  p("claude-3-5-sonnet", "0.003", "0.015", ANTHROPIC, { cached: "0.0003", cacheWrite: "0.00375" }),
  // Vertex AI names the October 2024 snapshot "claude-3-5-sonnet-v2@20241022".
  p("claude-3-5-sonnet-v2", "0.003", "0.015", ANTHROPIC, { cached: "0.0003", cacheWrite: "0.00375" }),
  p("claude-3-5-haiku", "0.0008", "0.004", ANTHROPIC, { cached: "0.00008", cacheWrite: "0.001" }),
  p("claude-3-7-sonnet", "0.003", "0.015", ANTHROPIC, { cached: "0.0003", cacheWrite: "0.00375" }),
  p("claude-sonnet-4", "0.003", "0.015", ANTHROPIC, { cached: "0.0003", cacheWrite: "0.00375" }),
  p("claude-opus-4", "0.015", "0.075", ANTHROPIC, { cached: "0.0015", cacheWrite: "0.01875" }),
]);

/** BUILTIN_PRICES as ModelPrice objects (id null, source "builtin", effective 2024-01-01T00:00:00Z). */
export function builtinModelPrices(): ModelPrice[] {
  return BUILTIN_PRICES.map((b) => ({
    id: null,
    model: b.model,
    source: "builtin",
    origin: b.origin,
    usdPer1kInputTokens: parseUsdRate(b.usdPer1kInputTokens),
    usdPer1kOutputTokens: parseUsdRate(b.usdPer1kOutputTokens),
    usdPer1kCachedInputTokens: b.cached === undefined ? null : parseUsdRate(b.cached),
    usdPer1kCacheWriteTokens: b.cacheWrite === undefined ? null : parseUsdRate(b.cacheWrite),
    effectiveFrom: new Date(BUILTIN_EFFECTIVE_FROM),
  }));
}
