// Phase "sse": time to the first byte of a streamed answer (SSE), one call at a time, directly from the fake
// upstream and through tokenmeter's proxy (metering on, no worker). The fake upstream sends the first event as
// soon as it has the request, so the difference is what the proxy adds before a buyer sees a token.
import { fmtMs, log, percentile } from "./lib/format.mjs";
import { sequentialLatency } from "./lib/latency.mjs";

export const name = "sse";

/** One streamed call per wire format the fake upstream speaks (packages/fake-upstream). */
const FORMATS = [
  {
    label: "OpenAI chat SSE",
    path: "/v1/chat/completions",
    body: {
      model: "gpt-4o-mini",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "Say hello." }],
    },
  },
  {
    label: "Anthropic messages SSE",
    path: "/v1/messages",
    body: {
      model: "claude-3-5-haiku-20241022",
      stream: true,
      max_tokens: 32,
      messages: [{ role: "user", content: "Say hello." }],
    },
  },
  {
    label: "Gemini streamGenerateContent",
    path: "/v1beta/models/gemini-1.5-flash:streamGenerateContent?alt=sse",
    body: { contents: [{ role: "user", parts: [{ text: "Say hello." }] }] },
  },
];

export async function run(ctx) {
  const { cfg } = ctx;
  const prefix = ctx.prefix("sse");
  const proxy = await ctx.startProxy(prefix);
  await ctx.sanityCheck("tokenmeter proxy (sse)", `${proxy.url}/${ctx.slug}/bench`);
  const rounds = 4;
  const n = Math.max(10, Math.round(cfg.sseSamples / rounds));
  log(`  ${n * rounds} sequential streamed calls per format and target (${rounds} alternating rounds)`);
  const formats = [];
  try {
    for (const f of FORMATS) {
      const opts = { n, warmup: 20, headers: ctx.headers, body: JSON.stringify(f.body) };
      const direct = [];
      const through = [];
      for (let i = 0; i < rounds; i++) {
        direct.push((await sequentialLatency(`${ctx.upstream.url}${f.path}`, opts)).firstByte.p50);
        through.push((await sequentialLatency(`${proxy.url}/${ctx.slug}${f.path}`, opts)).firstByte.p50);
      }
      const r = {
        label: f.label,
        directMs: percentile(direct, 50),
        proxyMs: percentile(through, 50),
      };
      r.addedMs = r.proxyMs - r.directMs;
      formats.push(r);
      log(
        `  ${f.label.padEnd(30)} TTFB p50 direct ${fmtMs(r.directMs)}, through tokenmeter ${fmtMs(r.proxyMs)} → +${r.addedMs.toFixed(2)} ms`,
      );
    }
  } finally {
    await ctx.stopChild(proxy.record);
  }
  return { formats, n: n * rounds, worstAddedMs: Math.max(...formats.map((f) => f.addedMs)) };
}

export function summary(r) {
  const lines = [
    `SSE TTFB p50 (${r.n} calls each): ${r.formats.map((f) => `${f.label} ${fmtMs(f.directMs)} → ${fmtMs(f.proxyMs)}`).join("; ")}`,
  ];
  return {
    lines,
    goals: [
      {
        figure: "SSE time to first byte added (worst format, p50)",
        value: `+${r.worstAddedMs.toFixed(2)} ms`,
        goal: "≤ 1 ms",
        ok: r.worstAddedMs <= 1,
      },
    ],
  };
}
