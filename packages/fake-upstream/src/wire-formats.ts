/** Response bodies in the providers' exact wire formats, with usage numbers chosen by the caller. */

/** Token counts a fake response reports. */
export interface FakeUsage {
  input: number;
  output: number;
  cached?: number;
  reasoning?: number;
  cacheWrite?: number;
}

/** OpenAI Chat Completions JSON (`object: "chat.completion"`). */
export function openaiChatJson(model: string, text: string, u: FakeUsage): string {
  return JSON.stringify({
    id: "chatcmpl-fake123",
    object: "chat.completion",
    created: 1_764_000_000,
    model,
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: text, refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage: {
      prompt_tokens: u.input,
      completion_tokens: u.output,
      total_tokens: u.input + u.output,
      prompt_tokens_details: { cached_tokens: u.cached ?? 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: u.reasoning ?? 0,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
    },
    service_tier: "default",
    system_fingerprint: "fp_fake",
  });
}

/** OpenAI Chat Completions SSE events; the usage chunk only when `includeUsage`. */
export function openaiChatSse(
  model: string,
  pieces: string[],
  u: FakeUsage,
  includeUsage: boolean,
): string[] {
  const base = { id: "chatcmpl-fake123", object: "chat.completion.chunk", created: 1_764_000_000, model };
  const events = [
    {
      ...base,
      choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }],
    },
    ...pieces.map((p) => ({
      ...base,
      choices: [{ index: 0, delta: { content: p }, logprobs: null, finish_reason: null }],
    })),
    { ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }] },
  ].map((e) => `data: ${JSON.stringify(includeUsage ? { ...e, usage: null } : e)}\n\n`);
  if (includeUsage) {
    const usage = JSON.parse(openaiChatJson(model, "", u)).usage;
    events.push(`data: ${JSON.stringify({ ...base, choices: [], usage })}\n\n`);
  }
  events.push("data: [DONE]\n\n");
  return events;
}

/** Anthropic Messages JSON. `u.input` excludes cache reads and writes, as Anthropic reports it. */
export function anthropicJson(model: string, text: string, u: FakeUsage): string {
  return JSON.stringify({
    id: "msg_fake123",
    type: "message",
    role: "assistant",
    model,
    content: [{ type: "text", text }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: {
      input_tokens: u.input,
      cache_creation_input_tokens: u.cacheWrite ?? 0,
      cache_read_input_tokens: u.cached ?? 0,
      output_tokens: u.output,
    },
  });
}

/** Anthropic Messages SSE events: message_start … message_delta (cumulative output_tokens) … message_stop. */
export function anthropicSse(model: string, pieces: string[], u: FakeUsage): string[] {
  const ev = (type: string, data: unknown) => `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
  const out = [
    ev("message_start", {
      type: "message_start",
      message: {
        id: "msg_fake123",
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: {
          input_tokens: u.input,
          cache_creation_input_tokens: u.cacheWrite ?? 0,
          cache_read_input_tokens: u.cached ?? 0,
          output_tokens: 1,
        },
      },
    }),
    ev("content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "text", text: "" },
    }),
    ev("ping", { type: "ping" }),
    ...pieces.map((p) =>
      ev("content_block_delta", {
        type: "content_block_delta",
        index: 0,
        delta: { type: "text_delta", text: p },
      }),
    ),
    ev("content_block_stop", { type: "content_block_stop", index: 0 }),
    ev("message_delta", {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: u.output },
    }),
    ev("message_stop", { type: "message_stop" }),
  ];
  return out;
}

/** Gemini generateContent JSON. `u.input` includes cached tokens; `u.reasoning` is thoughtsTokenCount. */
export function geminiJson(model: string, text: string, u: FakeUsage): string {
  return JSON.stringify(geminiChunk(model, text, u, true));
}

function geminiChunk(model: string, text: string, u: FakeUsage | null, last: boolean) {
  return {
    candidates: [
      { content: { parts: [{ text }], role: "model" }, ...(last ? { finishReason: "STOP" } : {}), index: 0 },
    ],
    ...(u
      ? {
          usageMetadata: {
            promptTokenCount: u.input,
            candidatesTokenCount: u.output - (u.reasoning ?? 0),
            totalTokenCount: u.input + u.output,
            ...(u.cached ? { cachedContentTokenCount: u.cached } : {}),
            ...(u.reasoning ? { thoughtsTokenCount: u.reasoning } : {}),
            promptTokensDetails: [{ modality: "TEXT", tokenCount: u.input }],
          },
        }
      : {}),
    modelVersion: model,
    responseId: "fakeResponseId",
  };
}

/** Gemini streamGenerateContent?alt=sse events; usage grows, the last one is the total. */
export function geminiSse(model: string, pieces: string[], u: FakeUsage): string[] {
  return pieces.map((p, i) => {
    const last = i === pieces.length - 1;
    const partial = last ? u : { input: u.input, output: i + 1 };
    return `data: ${JSON.stringify(geminiChunk(model, p, partial, last))}\r\n\r\n`;
  });
}
