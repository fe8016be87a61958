/**
 * Hand-kept inputs of the built-in table, merged by `npm run prices:update` with the price database.
 * Everything else in the table is generated.
 */

/** The seed document's eight prices (USD per 1K tokens). They win over the price database for these names. */
export const SEED_PRICES: ReadonlyArray<{ model: string; input: string; output: string }> = [
  { model: "gpt-4", input: "0.03", output: "0.06" },
  { model: "gpt-4-32k", input: "0.06", output: "0.12" },
  { model: "gpt-3.5-turbo", input: "0.0015", output: "0.002" },
  { model: "gpt-3.5-turbo-16k", input: "0.003", output: "0.004" },
  { model: "claude-3-opus", input: "0.015", output: "0.075" },
  { model: "claude-3-sonnet", input: "0.003", output: "0.015" },
  { model: "claude-3-haiku", input: "0.00025", output: "0.00125" },
  { model: "gemini-pro", input: "0.0005", output: "0.0015" },
];

/**
 * Other names of a priced model that no match rule of the price database yields: Google renamed gemini-pro
 * to gemini-1.0-pro (same model, the seed's price); Vertex AI names the October 2024 Claude 3.5 Sonnet
 * "claude-3-5-sonnet-v2@20241022".
 */
export const EXTRA_NAMES: Readonly<Record<string, string>> = {
  "gemini-1.0-pro": "gemini-pro",
  "claude-3-5-sonnet-v2": "claude-3-5-sonnet",
};

/** When a price without a date in the price database takes effect (also the seed's). */
export const UNDATED_EFFECTIVE_FROM = "2024-01-01T00:00:00.000Z";
