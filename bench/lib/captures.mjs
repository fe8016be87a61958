// Realistic captures for the worker benchmark: an OpenAI chat completion request and JSON response with usage,
// as the proxy would capture them (base64 head, nothing truncated).
import { randomUUID } from "node:crypto";
import { captureSchema, packCaptureJobs, parseSigningKeys } from "@tokenmeter/capture";

const MODELS = ["gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini", "gpt-3.5-turbo"];

function body(text) {
  const buf = Buffer.from(text, "utf8");
  return { size: buf.length, head: buf.toString("base64"), tail: "", truncated: false, encoding: "identity" };
}

/** Capture number `i`; returns it with the tokens it reports (to check the rollups). */
export function makeCapture(i, ids, now = Date.now()) {
  const model = MODELS[i % MODELS.length];
  const prompt = 20 + (i % 200);
  const completion = 5 + (i % 97);
  const request = JSON.stringify({
    model,
    messages: [
      { role: "system", content: "You are a helpful assistant." },
      {
        role: "user",
        content: `Benchmark question number ${i}: summarise the plot of a short story in two lines.`,
      },
    ],
    temperature: 0.2,
  });
  const response = JSON.stringify({
    id: `chatcmpl-bench${i}`,
    object: "chat.completion",
    created: Math.floor(now / 1000),
    model: model === "gpt-4o-mini" ? "gpt-4o-mini-2024-07-18" : "gpt-3.5-turbo-0125",
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: "A traveller finds a lost letter and returns it. ".repeat(12),
          refusal: null,
        },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    service_tier: "default",
    system_fingerprint: "fp_bench",
  });
  const capture = {
    v: 1,
    requestId: randomUUID(),
    receivedAt: new Date(now - 1000 + (i % 1000)).toISOString(),
    buyerId: ids.buyerId,
    apiKeyId: ids.keyId,
    serviceId: ids.serviceId,
    serviceSlug: ids.slug,
    method: "POST",
    path: "/v1/chat/completions",
    request: { contentType: "application/json", body: body(request) },
    response: {
      status: 200,
      contentType: "application/json",
      upstreamRequestId: `req_bench_${i}`,
      body: body(response),
    },
    streamed: false,
    upstreamReached: true,
    ttfbMs: 180 + (i % 50),
    latencyMs: 200 + (i % 80),
  };
  return { capture, totalTokens: prompt + completion };
}

/**
 * Adds `n` captures with addBulk in chunks, packed into batch jobs exactly as the proxy packs them. The first
 * capture is checked against captureSchema. Returns { seconds, totalTokens, jobs }.
 */
export async function prefillCaptures(queue, n, ids, signingKey, chunk = 1000) {
  const [key] = parseSigningKeys(signingKey);
  const started = performance.now();
  const now = Date.now();
  let totalTokens = 0;
  let jobCount = 0;
  for (let from = 0; from < n; from += chunk) {
    const captures = [];
    for (let i = from; i < Math.min(n, from + chunk); i++) {
      const { capture, totalTokens: t } = makeCapture(i, ids, now);
      if (i === 0) {
        const parsed = captureSchema.safeParse(capture);
        if (!parsed.success) throw new Error(`bench capture is invalid: ${parsed.error.message}`);
      }
      totalTokens += t;
      captures.push(capture);
    }
    const jobs = packCaptureJobs(captures, key);
    jobCount += jobs.length;
    await queue.addBulk(jobs);
  }
  return { seconds: (performance.now() - started) / 1000, totalTokens, jobs: jobCount };
}
