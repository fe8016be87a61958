import http from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProxyHarness, startProxyHarness, waitFor } from "./harness.js";

// Random and adversarial requests at the running proxy. Whatever arrives, the process stays up (an exception
// would surface as an unhandled error and fail the run), every request gets an answer, and every call that got
// our x-request-id (an authenticated call to a known service) is exactly one capture.
let h: ProxyHarness;
let injectSlug: string;
const answered = new Set<string>();

beforeAll(async () => {
  h = await startProxyHarness({
    REQUEST_BODY_TIMEOUT_MS: "2000",
    UPSTREAM_IDLE_TIMEOUT_MS: "3000",
    MAX_REQUEST_BYTES: String(256 * 1024),
  });
  const svc = await h.db.apiService.create({
    data: { name: "fuzz inject", slug: `fz-${h.slug}`, upstreamUrl: h.upstream.url, injectStreamUsage: true },
  });
  injectSlug = svc.slug;
});
afterAll(async () => {
  await h.close();
});

interface Shot {
  method: string;
  slug: "plain" | "inject";
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

function send(shot: Shot): Promise<{ status: number; requestId: string | undefined } | null> {
  const { port } = new URL(h.base);
  const slug = shot.slug === "inject" ? injectSlug : h.slug;
  return new Promise((resolve) => {
    let req: http.ClientRequest;
    try {
      req = http.request(
        {
          host: "127.0.0.1",
          port,
          method: shot.method,
          path: `/${slug}${shot.path}`,
          headers: {
            ...shot.headers,
            authorization: `Bearer ${h.key}`,
            "content-length": String(shot.body.length),
          },
          agent: false,
        },
        (res) => {
          res.resume();
          const done = () => {
            const id = res.headers["x-request-id"];
            resolve({ status: res.statusCode ?? 0, requestId: typeof id === "string" ? id : undefined });
          };
          res.on("end", done);
          res.on("error", done);
        },
      );
    } catch {
      resolve(null); // the client itself refused to send it (e.g. a character not allowed in a path)
      return;
    }
    req.on("error", () => resolve(null));
    req.end(shot.body);
  });
}

const segment = fc.oneof(
  fc.constantFrom(
    "v1",
    "chat",
    "completions",
    "..",
    ".",
    "%2e%2e",
    ".%2E",
    "%2e",
    "%5c",
    "%2f",
    "%00",
    "%",
    "%zz",
  ),
  fc.constantFrom(
    "messages",
    "models",
    "gemini-2.5-flash:generateContent",
    "..%2f..",
    "a\\b",
    "ü",
    "~",
    ";x=1",
  ),
  fc.stringMatching(/^[A-Za-z0-9._~%-]{0,12}$/),
);
const path = fc
  .tuple(fc.array(segment, { maxLength: 8 }), fc.option(fc.stringMatching(/^[a-z=&%0-9.]{0,20}$/)))
  .map(([segs, q]) => `/${segs.join("/")}${q === null ? "" : `?${q}`}`);

const headerName = fc.oneof(
  fc.constantFrom(
    "connection",
    "keep-alive",
    "te",
    "upgrade",
    "proxy-authorization",
    "x-forwarded-for",
    "forwarded",
    "content-encoding",
    "content-type",
    "expect",
    "x-request-id",
    "x-api-key",
    "x-goog-api-key",
    "x-fake-behavior",
    "x-fake-usage",
  ),
  fc.stringMatching(/^x-[a-z0-9-]{1,20}$/),
);
const headerValue = fc.oneof(
  fc.constantFrom(
    "gzip",
    "close",
    "authorization, x-api-key",
    "100-continue",
    "websocket",
    "error:500",
    "drop",
    "1,2,3",
  ),
  fc.stringMatching(/^[ -~]{0,64}$/).map((v) => v.trim()),
);

const deepJson = fc
  .integer({ min: 1, max: 20_000 })
  .map((n) => Buffer.from(`{"model":"gpt-4","stream":true,"x":${"[".repeat(n)}${"]".repeat(n)}}`));
const body = fc.oneof(
  fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a)),
  fc.json({ maxDepth: 6 }).map((j) => Buffer.from(j)),
  deepJson,
  fc.constant(Buffer.from('{"model":"gpt-4","stream":true,"stream_options":null}')),
  fc.constant(Buffer.alloc(300 * 1024, 97)), // past MAX_REQUEST_BYTES
);

const anyShot: fc.Arbitrary<Shot> = fc.record({
  method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"),
  slug: fc.constantFrom("plain" as const, "inject" as const),
  path,
  headers: fc.dictionary(headerName, headerValue, { maxKeys: 6 }),
  body,
});
// Half the shots take the opt-in stream-usage rewrite's path, the one place the proxy reads a body.
const chatShot: fc.Arbitrary<Shot> = fc.record({
  method: fc.constant("POST"),
  slug: fc.constant("inject" as const),
  path: fc.constant("/v1/chat/completions"),
  headers: fc
    .dictionary(headerName, headerValue, { maxKeys: 3 })
    .map((h) => ({ ...h, "content-type": "application/json" })),
  body,
});
const shot = fc.oneof(anyShot, chatShot);

describe("the proxy under random and adversarial requests", () => {
  it("answers every request, stays up, and records each call with our request id exactly once", async () => {
    await fc.assert(
      fc.asyncProperty(shot, async (s) => {
        const res = await send(s);
        if (res === null) return;
        expect(res.status).toBeGreaterThanOrEqual(100);
        if (res.requestId) answered.add(res.requestId);
      }),
      { numRuns: 250, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31) },
    );
    expect(answered.size).toBeGreaterThan(100);
    // Every answered call becomes one capture, once.
    const counts = await waitFor(async () => {
      const c = new Map<string, number>();
      for (const capture of await h.captures()) c.set(capture.requestId, (c.get(capture.requestId) ?? 0) + 1);
      return [...answered].every((id) => c.has(id)) ? c : undefined;
    }, 20_000);
    for (const id of answered) expect(counts.get(id), id).toBe(1);
    // And the proxy still serves an ordinary call.
    const ok = await send({
      method: "POST",
      slug: "plain",
      path: "/v1/chat/completions",
      headers: {},
      body: Buffer.from('{"model":"gpt-4"}'),
    });
    expect(ok?.status).toBe(200);
  }, 120_000);
});
