#!/usr/bin/env node
// `node bench/pricing.mjs` (after `npx turbo run build`): the built-in price table's cost in the worker —
// building the PriceBook (each price reload) and PriceBook.find + computeCost per metered row, over a mix of
// exact, dated, path-style, Bedrock, aliased and unknown model names.
import { performance } from "node:perf_hooks";
import { BUILTIN_PRICES, builtinModelPrices, computeCost, PriceBook } from "@tokenmeter/pricing";

const time = (fn) => {
  const start = performance.now();
  const value = fn();
  return { value, ms: performance.now() - start };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const builds = [];
let book;
for (let i = 0; i < 20; i++) {
  const { value, ms } = time(() => new PriceBook(builtinModelPrices()));
  builds.push(ms);
  book = value;
}
console.log(
  `built-in versions: ${BUILTIN_PRICES.length}; PriceBook build median ${median(builds).toFixed(1)} ms`,
);

const names = [
  "gpt-4o",
  "gpt-4o-2024-08-06",
  "models/gemini-2.5-flash",
  "claude-sonnet-4-20250514",
  "us.anthropic.claude-3-5-sonnet-20241022-v2%3A0",
  "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
  "meta-llama/Llama-3.3-70B-Instruct-Turbo",
  "prod-deployment",
  "no-such-model-2025-01-01",
];
const aliases = { "prod-deployment": "gpt-4.1" };
const tokens = {
  inputTokens: 250_000,
  cachedInputTokens: 1000,
  cacheWriteTokens: 500,
  cacheWrite1hTokens: 100,
  outputTokens: 800,
  reasoningTokens: 0,
};
const at = new Date();
const rounds = 200_000;
for (let warm = 0; warm < 2; warm++) {
  let priced = 0;
  const { ms } = time(() => {
    for (let i = 0; i < rounds; i++) {
      const price = book.find(names[i % names.length], at, aliases);
      if (price !== null) {
        computeCost(tokens, price);
        priced++;
      }
    }
  });
  if (warm === 1) {
    console.log(
      `find + computeCost: ${Math.round(rounds / (ms / 1000)).toLocaleString("en")} rows/s ` +
        `(${((ms * 1000) / rounds).toFixed(2)} µs/row; ${priced} of ${rounds} priced)`,
    );
  }
}
