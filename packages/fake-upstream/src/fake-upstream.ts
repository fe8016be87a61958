import http from "node:http";
import type { AddressInfo } from "node:net";
import zlib from "node:zlib";
import {
  anthropicJson,
  anthropicSse,
  type FakeUsage,
  geminiJson,
  geminiSse,
  openaiChatJson,
  openaiChatSse,
} from "./wire-formats.js";

/** A request the fake upstream received (for assertions: which headers reached the "provider"). */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A running fake provider. */
export interface FakeUpstream {
  url: string;
  port: number;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * A local HTTP server that answers like OpenAI, Anthropic and Gemini, byte for byte in their wire formats.
 * Request headers steer it: `x-fake-usage: input,output[,cached[,reasoning[,cacheWrite]]]` sets the reported
 * usage; `x-fake-behavior` is a comma-separated list of `gzip`, `error:<status>`, `malformed`, `slow:<ms>`, `hang`,
 * `big:<bytes>`, `drop` (cut the stream midway), `chunk-delay:<ms>`. `/bench` answers a fixed 1 KB chat
 * completion and `/bench/big?bytes=N` one of N bytes (cached), for benchmarks.
 */
export async function startFakeUpstream(port = 0, host = "127.0.0.1"): Promise<FakeUpstream> {
  const received: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      received.push({ method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body });
      if (received.length > 1000) received.shift();
      respond(req, res, body);
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${actual}`,
    port: actual,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const BENCH_BODY = JSON.stringify({
  id: "bench",
  object: "chat.completion",
  model: "gpt-3.5-turbo",
  choices: [{ index: 0, message: { role: "assistant", content: "x".repeat(780) }, finish_reason: "stop" }],
  usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 },
});

const BIG_BENCH_MAX_BYTES = 64 * 1024 * 1024;
const bigBodies = new Map<number, Buffer>();

/** A chat completion of about `bytes` bytes (at most 64 MiB), usage at the end, cached per size. */
function bigBenchBody(requested: number): Buffer {
  const bytes = Number.isSafeInteger(requested)
    ? Math.min(Math.max(requested, 256), BIG_BENCH_MAX_BYTES)
    : 1024;
  let body = bigBodies.get(bytes);
  if (!body) {
    const shell = (content: string) =>
      JSON.stringify({
        id: "bench-big",
        object: "chat.completion",
        model: "gpt-4o-mini",
        choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
        usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30 },
      });
    body = Buffer.from(shell(noise(Math.max(0, bytes - shell("").length))));
    if (bigBodies.size >= 4) bigBodies.clear();
    bigBodies.set(bytes, body);
  }
  return body;
}

/** Deterministic text that compresses poorly, so large bodies stay large when gzipped. */
function noise(length: number): string {
  let seed = 42;
  let out = "";
  while (out.length < length) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    out += seed.toString(36);
  }
  return out.slice(0, length);
}

function parseUsage(header: string | undefined): FakeUsage {
  const n = (header ?? "12,34").split(",").map((s) => Number.parseInt(s, 10));
  return { input: n[0] ?? 12, output: n[1] ?? 34, cached: n[2], reasoning: n[3], cacheWrite: n[4] };
}

function respond(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
  const behaviors = new Map<string, string>();
  for (const b of String(req.headers["x-fake-behavior"] ?? "").split(",")) {
    const [k, v] = b.trim().split(":");
    if (k) behaviors.set(k, v ?? "");
  }
  const usage = parseUsage(req.headers["x-fake-usage"] as string | undefined);
  if (behaviors.has("hang")) return;
  const delay = Number(behaviors.get("slow") ?? 0);
  setTimeout(() => answer(req, res, body, behaviors, usage), delay);
}

function answer(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  raw: Buffer,
  behaviors: Map<string, string>,
  usage: FakeUsage,
): void {
  const url = new URL(req.url ?? "/", "http://fake");
  const path = url.pathname;
  res.setHeader("x-request-id", `req_upstream_${Math.random().toString(36).slice(2, 10)}`);
  if (path === "/bench/big") {
    // Benchmarks of large answers: one body per size, built once, so the upstream costs only the copy.
    const body = bigBenchBody(Number(url.searchParams.get("bytes") ?? 5 * 1024 * 1024));
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.end(body);
    return;
  }
  if (path === "/bench") {
    res.writeHead(200, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(BENCH_BODY),
    });
    res.end(BENCH_BODY);
    return;
  }
  if (behaviors.has("error")) {
    const status = Number(behaviors.get("error")) || 500;
    send(res, status, JSON.stringify({ error: { message: "fake upstream error", type: "server_error" } }));
    return;
  }
  if (behaviors.has("malformed")) {
    send(res, 200, '{"id": "x", "usage": {"prompt_tokens": 1', "application/json");
    return;
  }
  let request: Record<string, unknown> = {};
  try {
    const parsed: unknown = raw.length ? JSON.parse(raw.toString("utf8")) : {};
    // Any JSON value may arrive (tests send hostile bodies); only an object is a request.
    request =
      parsed && typeof parsed === "object" && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : {};
  } catch {
    send(
      res,
      400,
      JSON.stringify({ error: { message: "invalid JSON body", type: "invalid_request_error" } }),
    );
    return;
  }
  const pad = behaviors.has("big") ? noise(Number(behaviors.get("big"))) : "";
  const text = `Hello from the fake upstream.${pad}`;
  // `big` pads a stream's first piece too, so a big stream is big in its events as well.
  const pieces = [`Hello${pad}`, " from", " the", " fake", " upstream."];
  const model = typeof request.model === "string" ? request.model : "unknown-model";
  const stream = request.stream === true;
  const gzip = behaviors.has("gzip");
  const chunkDelay = Number(behaviors.get("chunk-delay") ?? 0);
  const drop = behaviors.has("drop");
  const reply = (json: string, events: string[]) => {
    if (stream) sendSse(res, events, chunkDelay, drop, gzip);
    else send(res, 200, json, "application/json", gzip);
  };

  if (path.endsWith("/chat/completions")) {
    const opts = request.stream_options as { include_usage?: boolean } | undefined;
    reply(
      openaiChatJson(model, text, usage),
      openaiChatSse(model, pieces, usage, opts?.include_usage === true),
    );
    return;
  }
  if (path.endsWith("/messages")) {
    reply(anthropicJson(model, text, usage), anthropicSse(model, pieces, usage));
    return;
  }
  const gemini = /\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
  if (gemini) {
    const geminiModel = gemini[1] ?? "gemini-pro";
    if (gemini[2] === "generateContent")
      send(res, 200, geminiJson(geminiModel, text, usage), "application/json", gzip);
    else sendSse(res, geminiSse(geminiModel, pieces, usage), chunkDelay, drop, gzip);
    return;
  }
  send(res, 404, JSON.stringify({ error: { message: `no route ${path}`, type: "not_found" } }));
}

function send(
  res: http.ServerResponse,
  status: number,
  text: string,
  type = "application/json",
  gzip = false,
): void {
  const body = gzip ? zlib.gzipSync(text) : Buffer.from(text);
  const headers: http.OutgoingHttpHeaders = { "content-type": type, "content-length": body.length };
  if (gzip) headers["content-encoding"] = "gzip";
  res.writeHead(status, headers);
  res.end(body);
}

function sendSse(
  res: http.ServerResponse,
  events: string[],
  delayMs: number,
  drop: boolean,
  gzip: boolean,
): void {
  const headers: http.OutgoingHttpHeaders = {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
  };
  if (gzip) headers["content-encoding"] = "gzip";
  res.writeHead(200, headers);
  const out: NodeJS.WritableStream = gzip ? zlib.createGzip({ flush: zlib.constants.Z_SYNC_FLUSH }) : res;
  if (gzip) (out as zlib.Gzip).pipe(res);
  let i = 0;
  const next = () => {
    if (drop && i === Math.floor(events.length / 2)) {
      res.destroy();
      return;
    }
    const event = events[i++];
    if (event === undefined) {
      out.end();
      return;
    }
    out.write(event);
    if (delayMs > 0) setTimeout(next, delayMs);
    else setImmediate(next);
  };
  next();
}
