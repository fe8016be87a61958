import { generateApiKey } from "@tokenmeter/keys";
import { startTcpRelay, type TcpRelay } from "@tokenmeter/test-support";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ProxyHarness, startProxyHarness, waitFor } from "./harness.js";

// The proxy reaches PostgreSQL through a relay we can cut; the shared server keeps running.
let relay: TcpRelay;
let h: ProxyHarness;
beforeAll(async () => {
  const url = new URL(inject("databaseUrl"));
  relay = await startTcpRelay(Number(url.port || 5432));
  url.port = String(relay.port);
  h = await startProxyHarness({
    DATABASE_URL: url.toString(),
    KEY_CACHE_TTL_MS: "200",
    LOOKUP_TIMEOUT_MS: "2000",
  });
});
afterAll(async () => {
  await relay.restore().catch(() => undefined);
  await h.close();
  await relay.close();
});

const call = (key: string) =>
  fetch(`${h.base}/${h.slug}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: "gpt-4" }),
  });

describe("PostgreSQL outage", () => {
  it("keeps serving keys it has seen, answers 503 for keys it has not, and meters every served call", async () => {
    const before = await call(h.key);
    expect(before.status).toBe(200);
    await before.arrayBuffer();

    await relay.cut();
    await new Promise((r) => setTimeout(r, 300)); // past the cache TTL: a refresh is due and will fail
    const served: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await call(h.key);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      served.push(res.headers.get("x-request-id")!);
    }
    const unknown = await call(generateApiKey().key);
    expect(unknown.status).toBe(503);
    expect(((await unknown.json()) as { code: string }).code).toBe("auth_unavailable");

    // Metering never needed PostgreSQL on the proxy side: the captures are all in the queue.
    const found = await waitFor(async () => {
      const ids = new Set((await h.captures()).map((c) => c.requestId));
      return served.every((id) => ids.has(id)) ? ids : undefined;
    });
    expect(served.filter((id) => found.has(id))).toHaveLength(5);
  }, 30_000);
});
