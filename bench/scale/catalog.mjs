// The scale bench's marketplace: 30 models with list prices, 50 services each offering a few of them, a
// Zipf-like buyer popularity. Prices are whole multiples of 1e-7 USD per 1K tokens, so a row's cost
// (tokens × rate / 1000) is a whole number of 1e-10 USD: exact in the ledger's NUMERIC(20,10).

/** [model, input, output] in USD per 1K tokens (list prices of late 2025, rounded). */
const MODELS = [
  ["gpt-4o-mini", "0.00015", "0.0006"],
  ["gpt-4o", "0.0025", "0.01"],
  ["gpt-4.1", "0.002", "0.008"],
  ["gpt-4.1-mini", "0.0004", "0.0016"],
  ["gpt-4.1-nano", "0.0001", "0.0004"],
  ["o3", "0.002", "0.008"],
  ["o3-mini", "0.0011", "0.0044"],
  ["o4-mini", "0.0011", "0.0044"],
  ["gpt-3.5-turbo", "0.0005", "0.0015"],
  ["claude-3-5-sonnet-20241022", "0.003", "0.015"],
  ["claude-3-5-haiku-20241022", "0.0008", "0.004"],
  ["claude-3-7-sonnet-20250219", "0.003", "0.015"],
  ["claude-sonnet-4-20250514", "0.003", "0.015"],
  ["claude-opus-4-20250514", "0.015", "0.075"],
  ["claude-3-haiku-20240307", "0.00025", "0.00125"],
  ["gemini-2.0-flash", "0.0001", "0.0004"],
  ["gemini-2.5-flash", "0.0003", "0.0025"],
  ["gemini-2.5-pro", "0.00125", "0.01"],
  ["gemini-1.5-pro", "0.00125", "0.005"],
  ["mistral-large-latest", "0.002", "0.006"],
  ["mistral-small-latest", "0.0001", "0.0003"],
  ["codestral-latest", "0.0003", "0.0009"],
  ["command-r-plus", "0.0025", "0.01"],
  ["command-r", "0.00015", "0.0006"],
  ["llama-3.1-70b-instruct", "0.00088", "0.00088"],
  ["llama-3.1-8b-instruct", "0.00018", "0.00018"],
  ["deepseek-chat", "0.00027", "0.0011"],
  ["deepseek-reasoner", "0.00055", "0.00219"],
  ["qwen2.5-72b-instruct", "0.0004", "0.0012"],
  ["text-embedding-3-small", "0.00002", "0"],
];

/** A decimal string of USD per 1K tokens as whole units of 1e-7 (throws if it is finer). */
function units(rate) {
  const [whole, frac = ""] = rate.split(".");
  if (frac.length > 7) throw new Error(`rate ${rate} is finer than 1e-7`);
  return Number(whole) * 1e7 + Number(frac.padEnd(7, "0"));
}

/** Whole units of 1e-7 back to a decimal string. */
function rateString(u) {
  const s = String(u).padStart(8, "0");
  return `${s.slice(0, -7)}.${s.slice(-7)}`.replace(/\.?0+$/, "") || "0";
}

/**
 * The models of a run (the first `count` of the list, at most 30): names, rates in 1e-7 units, and the
 * decimal strings stored in model_prices. Cached input costs half, cache writes 1.25× input (Anthropic-like).
 */
export function modelCatalog(count) {
  if (count < 1 || count > MODELS.length) throw new Error(`--models must be 1..${MODELS.length}`);
  return MODELS.slice(0, count).map(([name, input, output]) => {
    const inU = units(input);
    const outU = units(output);
    const cachedU = inU / 2;
    const writeU = (inU * 5) / 4;
    if (!Number.isInteger(cachedU) || !Number.isInteger(writeU)) throw new Error(`rate of ${name}`);
    return {
      name,
      inU,
      outU,
      cachedU,
      writeU,
      anthropic: name.startsWith("claude"),
      reasoning: /^(o\d|deepseek-reasoner)/.test(name),
      embedding: name.startsWith("text-embedding"),
      price: {
        input: rateString(inU),
        output: rateString(outU),
        cached: rateString(cachedU),
        write: rateString(writeU),
      },
    };
  });
}

/** The Zipf exponent s for which the most popular of `n` items gets `share` of the draws (bisection). */
export function zipfExponent(n, share) {
  let lo = 0;
  let hi = 4;
  for (let i = 0; i < 60; i++) {
    const s = (lo + hi) / 2;
    let h = 0;
    for (let k = 1; k <= n; k++) h += k ** -s;
    if (1 / h > share) hi = s;
    else lo = s;
  }
  return (lo + hi) / 2;
}

/** Cumulative weights of ranks 1..n for 1/k^s, normalised to end at 1 (sample with `pick`). */
export function zipfCdf(n, s) {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let k = 1; k <= n; k++) {
    total += k ** -s;
    cdf[k - 1] = total;
  }
  for (let i = 0; i < n; i++) cdf[i] /= total;
  cdf[n - 1] = 1;
  return cdf;
}

/** Index in 0..n-1 drawn from a CDF with a uniform u in [0, 1): binary search. */
export function pick(cdf, u) {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same rows. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded Fisher–Yates permutation of 0..n-1. */
export function permutation(n, random) {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}
