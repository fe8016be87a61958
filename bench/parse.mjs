#!/usr/bin/env node
// `npm run bench:parse`: usage parsing alone, as the worker runs it — captures/s per wire format, for 2 MB bodies
// and hostile bodies, and the longest single parse (the time one capture blocks the event loop). No services.
// Runs the built package (dist/): build first with `npx turbo run build --output-logs=errors-only`.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { HeadTailBuffer } from "@tokenmeter/capture";
import { decodeBodyBounded, extractUsage, RESPONSE_DECODE_LIMITS } from "@tokenmeter/usage";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const fixtures = path.join(root, "packages/usage/test/fixtures");
const perCaseMs = Number(process.env.BENCH_PARSE_MS || 400);
const CAP = 128 * 1024; // the proxy's default CAPTURE_MAX_BYTES (head and tail each)

/** A body captured like the proxy does (head + tail of `cap` bytes each, or whole), as the worker receives it. */
function capture(body, { cap = 1 << 30, encoding = "identity" } = {}) {
  const buffer = new HeadTailBuffer(cap, cap);
  for (let i = 0; i < body.length; i += 16 * 1024) buffer.push(body.subarray(i, i + 16 * 1024));
  return JSON.parse(JSON.stringify(buffer.toCapture(encoding)));
}

function exchange(pathName, response, { contentType, request } = {}) {
  return {
    method: "POST",
    path: pathName,
    status: 200,
    request: { body: capture(Buffer.from(JSON.stringify(request ?? { model: "m", messages: [] }))) },
    response: { body: response, ...(contentType ? { contentType } : {}) },
  };
}

const file = (name) => fs.readFileSync(path.join(fixtures, name));
const SSE = "text/event-stream";
const BEDROCK = "/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0";

// One representative fixture per wire format (the test suite covers every fixture).
const formats = [
  ["openai-chat json", "/v1/chat/completions", "openai-chat.json"],
  ["openai-chat sse (include_usage)", "/v1/chat/completions", "openai-chat-stream.sse", SSE],
  ["openrouter sse (keep-alives)", "/api/v1/chat/completions", "openrouter-chat-stream.sse", SSE],
  ["groq sse (x_groq.usage)", "/openai/v1/chat/completions", "groq-chat-stream.sse", SSE],
  ["deepseek json", "/chat/completions", "deepseek-chat.json"],
  ["openai-responses json", "/v1/responses", "openai-responses.json"],
  ["openai-responses sse", "/v1/responses", "openai-responses-stream.sse", SSE],
  ["openai-embeddings json", "/v1/embeddings", "openai-embeddings.json"],
  ["anthropic json", "/v1/messages", "anthropic-message-1h.json"],
  ["anthropic sse (server tools)", "/v1/messages", "anthropic-stream-server-tools.sse", SSE],
  ["gemini json", "/v1beta/models/gemini-2.5-pro:generateContent", "gemini-generate.json"],
  ["gemini sse (CRLF)", "/v1beta/models/gemini-2.5-pro:streamGenerateContent", "gemini-stream-crlf.sse", SSE],
  ["gemini json array stream", "/v1beta/models/g:streamGenerateContent", "gemini-stream-array.json"],
  ["bedrock converse json", `${BEDROCK}/converse`, "bedrock-converse.json"],
  ["bedrock converse-stream (binary)", `${BEDROCK}/converse-stream`, "bedrock-converse-stream.bin"],
  ["cohere v2 json", "/v2/chat", "cohere-chat.json"],
  ["cohere v2 sse", "/v2/chat", "cohere-chat-stream.sse", SSE],
  ["ollama json", "/api/chat", "ollama-chat.json"],
  ["ollama ndjson stream", "/api/generate", "ollama-generate-stream.ndjson"],
].map(([name, p, f, type]) => [name, exchange(p, capture(file(f)), { contentType: type })]);

// Large and hostile bodies.
const chunk = (text) =>
  `data: ${JSON.stringify({ object: "chat.completion.chunk", model: "gpt-4o", choices: [{ index: 0, delta: { content: text } }] })}\n\n`;
const usageChunk = `data: ${JSON.stringify({ object: "chat.completion.chunk", model: "gpt-4o", choices: [], usage: { prompt_tokens: 10, completion_tokens: 20000, total_tokens: 20010 } })}\n\ndata: [DONE]\n\n`;
const bigJson = Buffer.from(
  JSON.stringify({
    object: "chat.completion",
    model: "gpt-4o",
    choices: [{ message: { content: "é word ".repeat(300_000) } }],
    usage: { prompt_tokens: 1, completion_tokens: 600_000 },
  }),
);
const bigSse = Buffer.from(`${chunk(" word").repeat(2_000_000 / 120)}${usageChunk}`);
const bigSseNoUsage = Buffer.from(chunk(" word é").repeat(2_000_000 / 120));
const big = [
  ["2 MB chat JSON, whole", exchange("/v1/chat/completions", capture(bigJson))],
  // The worker inflates compressed bodies on the thread pool first (decodeBodyBounded): only the parse blocks.
  [
    "2 MB chat JSON, gzip, inflated off-loop",
    exchange(
      "/v1/chat/completions",
      await decodeBodyBounded(capture(gzipSync(bigJson), { encoding: "gzip" }), RESPONSE_DECODE_LIMITS),
    ),
  ],
  [
    "2 MB chat JSON, gzip, inflated on-loop",
    exchange("/v1/chat/completions", capture(gzipSync(bigJson), { encoding: "gzip" })),
  ],
  ["2 MB chat JSON, proxy capture", exchange("/v1/chat/completions", capture(bigJson, { cap: CAP }))],
  ["2 MB chat SSE, whole", exchange("/v1/chat/completions", capture(bigSse), { contentType: SSE })],
  [
    "2 MB chat SSE, no usage (estimate)",
    exchange("/v1/chat/completions", capture(bigSseNoUsage), { contentType: SSE }),
  ],
  [
    "2 MB JSON nested 1e6 deep",
    exchange("/custom", capture(Buffer.from(`${"[".repeat(1e6)}${"]".repeat(1e6)}`))),
  ],
  [
    "256 KB JSON nested 131072 deep",
    exchange("/custom", capture(Buffer.from(`${"[".repeat(131072)}${"]".repeat(131072)}`))),
  ],
  [
    "2 MB random bytes",
    exchange("/custom", capture(Buffer.from(Array.from({ length: 2e6 }, (_, i) => (i * 7919) % 251)))),
  ],
  [
    '2 MB of "usage": { (unbalanced)',
    exchange("/v1/chat/completions", capture(Buffer.from('"usage": {'.repeat(200_000)))),
  ],
];

function measure(name, ex) {
  // Warm up (JIT, and the tokenizer's first load for estimates, reported apart).
  const first = performance.now();
  extractUsage(ex);
  const firstMs = performance.now() - first;
  for (let i = 0; i < 20; i++) extractUsage(ex);
  const wall = [];
  const cpu = [];
  let usage;
  const start = performance.now();
  while (performance.now() - start < perCaseMs || wall.length < 20) {
    const c = process.cpuUsage();
    const t = performance.now();
    usage = extractUsage(ex);
    wall.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  const elapsed = performance.now() - start;
  const sorted = (a) => [...a].sort((x, y) => x - y);
  const wallSorted = sorted(wall);
  const cpuSorted = sorted(cpu);
  return {
    name,
    perS: Math.round((wall.length * 1000) / elapsed),
    medianMs: wallSorted[Math.floor(wall.length / 2)],
    worstMs: wallSorted.at(-1),
    cpuMedianMs: cpuSorted[Math.floor(cpu.length / 2)],
    cpuP99Ms: cpuSorted[Math.floor(cpu.length * 0.99)],
    firstMs,
    result: `${usage.source} ${usage.totalTokens}${usage.parseError ? ` (${usage.parseError.slice(0, 40)})` : ""}`,
  };
}

const pad = (s, n) => String(s).padEnd(n);
const fmt = (ms) => (ms < 1 ? ms.toFixed(3) : ms.toFixed(2));
function table(title, rows) {
  console.log(`\n${title}`);
  console.log(
    `${pad("capture", 36)} ${pad("captures/s", 11)} ${pad("median ms", 10)} ${pad("worst ms", 9)} ${pad("cpu med", 8)} ${pad("cpu p99", 8)} result`,
  );
  for (const r of rows) {
    console.log(
      `${pad(r.name, 36)} ${pad(r.perS, 11)} ${pad(fmt(r.medianMs), 10)} ${pad(fmt(r.worstMs), 9)} ${pad(fmt(r.cpuMedianMs), 8)} ${pad(fmt(r.cpuP99Ms), 8)} ${r.result}`,
    );
  }
}

console.log(
  `node ${process.version}, ${perCaseMs} ms per capture kind, one thread (the worker's event loop)`,
);
const formatRows = formats.map(([name, ex]) => measure(name, ex));
table("Per wire format (fixture bodies, 0.3–6 KB)", formatRows);
const bigRows = big.map(([name, ex]) => measure(name, ex));
table("Large and hostile bodies", bigRows);
// The on-loop gzip row is a reference for what the worker avoids; it is not the worker's path.
const all = [...formatRows, ...bigRows].filter((r) => !r.name.endsWith("on-loop"));
const worst = all.reduce((a, b) => (b.worstMs > a.worstMs ? b : a));
const worstCpu = all.reduce((a, b) => (b.cpuP99Ms > a.cpuP99Ms ? b : a));
const firstUse = all.reduce((a, b) => (b.firstMs > a.firstMs ? b : a));
console.log(
  `\nworst single-capture parse, wall clock (event-loop block): ${fmt(worst.worstMs)} ms — ${worst.name}`,
);
console.log(
  `worst p99 CPU time of one capture (the block without other processes' preemption): ${fmt(worstCpu.cpuP99Ms)} ms — ${worstCpu.name}`,
);
console.log(
  `machine load average: ${(await import("node:os"))
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")} on ${(await import("node:os")).cpus().length} cores`,
);
console.log(
  `slowest first call (includes loading a tokenizer encoding once): ${fmt(firstUse.firstMs)} ms — ${firstUse.name}`,
);
