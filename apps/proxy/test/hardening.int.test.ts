import http from "node:http";
import type { AddressInfo } from "node:net";
import { generateApiKey } from "@tokenmeter/keys";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProxyHarness, sealedHeaders, startProxyHarness, waitFor } from "./harness.js";

let h: ProxyHarness;
beforeAll(async () => {
  h = await startProxyHarness({ REQUEST_BODY_TIMEOUT_MS: "400" });
});
afterAll(async () => {
  await h.close();
});

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request through node:http: fetch refuses to send hop-by-hop headers, TRACE and unnormalised paths. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
  keepOpen = false,
): Promise<RawResponse> {
  const { port } = new URL(h.base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    if (!keepOpen) req.end();
  });
}

const auth = () => ({ authorization: `Bearer ${h.key}`, "content-type": "application/json" });

async function captureFor(requestId: string) {
  return waitFor(async () => (await h.captures()).find((c) => c.requestId === requestId));
}

describe("hostile requests", () => {
  it("survives a deeply nested body sent to a service that rewrites stream options, and records it", async () => {
    const svc = await h.db.apiService.create({
      data: {
        name: "inject",
        slug: `inj-${h.slug}`,
        upstreamUrl: h.upstream.url,
        injectStreamUsage: true,
      },
    });
    const deep = `{"model":"gpt-4","stream":true,"x":${"[".repeat(10_000)}${"]".repeat(10_000)}}`;
    const res = await raw("POST", `/${svc.slug}/v1/chat/completions`, auth(), deep);
    expect(res.status).toBe(200);
    // The body went upstream as sent: no rewrite was attempted on it.
    expect(h.upstream.received.at(-1)!.body.toString()).toBe(deep);
    const capture = await captureFor(String(res.headers["x-request-id"]));
    expect(capture.response.status).toBe(200);
    // And the proxy still serves the next call.
    const next = await raw("POST", `/${h.slug}/v1/chat/completions`, auth(), '{"model":"gpt-4"}');
    expect(next.status).toBe(200);
  });

  it("refuses paths that climb out of the service's base URL with 400 invalid_path, and records them", async () => {
    const before = h.upstream.received.length;
    for (const path of [
      "/v1/../../secret",
      "/v1/%2e%2e/%2e%2e/secret",
      "/v1/.%2e/secret",
      "/v1/..\\..\\secret",
      `/../${h.slug}-other/messages`,
    ]) {
      const res = await raw("GET", `/${h.slug}${path}`, auth());
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.body).code).toBe("invalid_path");
      const capture = await captureFor(String(res.headers["x-request-id"]));
      expect(capture.errorCode).toBe("invalid_path");
      expect(capture.upstreamReached).toBe(false);
    }
    expect(h.upstream.received.length).toBe(before);
  });

  it("refuses TRACE and TRACK, which would echo the seller's credentials", async () => {
    const before = h.upstream.received.length;
    const res = await raw("TRACE", `/${h.slug}/v1/models`, auth());
    expect(res.status).toBe(405);
    expect(JSON.parse(res.body).code).toBe("method_not_allowed");
    expect((await captureFor(String(res.headers["x-request-id"]))).errorCode).toBe("method_not_allowed");
    // TRACK is not even an HTTP method to Node's parser: it answers 400 before any handler runs.
    expect((await raw("TRACK", `/${h.slug}/v1/models`, auth())).status).toBe(400);
    expect(h.upstream.received.length).toBe(before);
  });

  it("strips hop-by-hop headers and those named in Connection, and sets X-Forwarded-* itself", async () => {
    const res = await raw(
      "POST",
      `/${h.slug}/v1/chat/completions`,
      {
        ...auth(),
        connection: "keep-alive, x-hop-secret, authorization",
        "x-hop-secret": "1",
        "keep-alive": "timeout=5",
        "proxy-authorization": "Basic c2VjcmV0",
        te: "trailers",
        "x-forwarded-for": "6.6.6.6",
        "x-forwarded-host": "evil.example",
        forwarded: "for=6.6.6.6",
        "x-real-ip": "6.6.6.6",
      },
      '{"model":"gpt-4"}',
    );
    expect(res.status).toBe(200);
    const seen = h.upstream.received.at(-1)!.headers;
    for (const name of [
      "x-hop-secret",
      "keep-alive",
      "proxy-authorization",
      "te",
      "forwarded",
      "x-real-ip",
    ]) {
      expect(seen[name], name).toBeUndefined();
    }
    expect(seen["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen["x-forwarded-proto"]).toBe("http");
    expect(seen["x-forwarded-host"]).toBe(new URL(h.base).host);
    // Naming `authorization` in Connection does not remove the seller's credentials.
    expect(seen.authorization).toBe("Bearer sk-seller-secret");
  });

  it("strips hop-by-hop headers from the upstream's response", async () => {
    const upstream = http.createServer((_req, res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        connection: "x-internal",
        "x-internal": "seller-secret",
        "keep-alive": "timeout=1",
        "proxy-authenticate": "Basic realm=x",
        "x-kept": "yes",
      });
      res.end('{"usage":{"prompt_tokens":1,"completion_tokens":1}}');
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const svc = await h.db.apiService.create({
      data: {
        name: "hop",
        slug: `hop-${h.slug}`,
        upstreamUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      },
    });
    try {
      const res = await raw("GET", `/${svc.slug}/v1/x`, auth());
      expect(res.status).toBe(200);
      expect(res.headers["x-kept"]).toBe("yes");
      expect(res.headers["x-internal"]).toBeUndefined();
      expect(res.headers["keep-alive"]).toBeUndefined();
      expect(res.headers["proxy-authenticate"]).toBeUndefined();
    } finally {
      upstream.close();
    }
  });

  it("answers 503 and forwards nothing when a service's sealed credentials do not open", async () => {
    const svc = await h.db.apiService.create({
      data: {
        name: "tampered",
        slug: `tmp-${h.slug}`,
        upstreamUrl: h.upstream.url,
        // Sealed for another service: bound to its slug, it does not open here.
        ...sealedHeaders(`other-${h.slug}`, { authorization: "Bearer sk-other" }),
      },
    });
    const before = h.upstream.received.length;
    const res = await raw("GET", `/${svc.slug}/v1/models`, auth());
    expect(res.status).toBe(503);
    expect(h.upstream.received.length).toBe(before);
  });

  it("cuts a request body that stops arriving with 408 request_timeout, and records it", async () => {
    const res = await raw(
      "POST",
      `/${h.slug}/v1/chat/completions`,
      { ...auth(), "content-length": "1000" },
      '{"model":"gpt-4"',
      true,
    );
    expect(res.status).toBe(408);
    expect(JSON.parse(res.body).code).toBe("request_timeout");
    const capture = await captureFor(String(res.headers["x-request-id"]));
    expect(capture.errorCode).toBe("request_timeout");
    expect(capture.response.status).toBe(408);
  });
});

async function keyWith(limits: { rateLimitPerMinute?: number; maxConcurrentRequests?: number }) {
  const k = generateApiKey();
  await h.db.apiKey.create({
    data: { buyerId: BigInt(h.buyerId), keyHash: k.hash, prefix: k.prefix, ...limits },
  });
  return k.key;
}

describe("per-key limits", () => {
  it("answers 429 with Retry-After past a key's calls per minute, records the refusal, and spares other keys", async () => {
    const key = await keyWith({ rateLimitPerMinute: 3 });
    const call = (k: string) =>
      raw(
        "POST",
        `/${h.slug}/v1/chat/completions`,
        { ...auth(), authorization: `Bearer ${k}` },
        '{"model":"gpt-4"}',
      );
    const before = h.upstream.received.length;
    for (let i = 0; i < 3; i++) expect((await call(key)).status).toBe(200);
    const refused = await call(key);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body).code).toBe("rate_limited");
    expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect((await captureFor(String(refused.headers["x-request-id"]))).errorCode).toBe("rate_limited");
    expect(h.upstream.received.length).toBe(before + 3);
    expect((await call(h.key)).status).toBe(200);
  });

  it("answers 429 past a key's calls in flight", async () => {
    const key = await keyWith({ maxConcurrentRequests: 1 });
    const headers = { ...auth(), authorization: `Bearer ${key}` };
    const slow = raw(
      "POST",
      `/${h.slug}/v1/chat/completions`,
      // Long enough that a paused event loop (one process runs the proxy, the upstream and the test) cannot
      // let it finish before the second call arrives.
      { ...headers, "x-fake-behavior": "slow:3000" },
      "{}",
    );
    // Wait until the first call has reached the upstream, so it is in flight.
    await waitFor(async () =>
      h.upstream.received.at(-1)?.headers["x-fake-behavior"] === "slow:3000" ? true : undefined,
    );
    const second = await raw("POST", `/${h.slug}/v1/chat/completions`, headers, "{}");
    expect(second.status).toBe(429);
    expect((await slow).status).toBe(200);
    expect((await raw("POST", `/${h.slug}/v1/chat/completions`, headers, "{}")).status).toBe(200);
  });
});
