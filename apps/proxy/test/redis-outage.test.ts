import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PrivateRedis, startPrivateRedis } from "../../../test-support/private-redis.js";
import { type ProxyHarness, startProxyHarness, waitFor } from "./harness.js";

// A private Redis we can kill: the shared one is never stopped.
let redis: PrivateRedis;
let h: ProxyHarness;
beforeAll(async () => {
  redis = await startPrivateRedis();
  h = await startProxyHarness({ REDIS_URL: redis.url });
});
afterAll(async () => {
  await h.close();
  await redis.stop();
});

async function call(): Promise<string> {
  const res = await fetch(`${h.base}/${h.slug}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${h.key}` },
    body: JSON.stringify({ model: "gpt-4" }),
  });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
  return res.headers.get("x-request-id")!;
}

describe("Redis outage", () => {
  it("keeps serving calls, spools their captures and replays them when Redis returns", async () => {
    const before = await call();
    await waitFor(async () => ((await h.captures()).some((c) => c.requestId === before) ? true : undefined));

    await redis.stop();
    const during: string[] = [];
    for (let i = 0; i < 20; i++) during.push(await call());
    await waitFor(async () => (h.proxy.spool.depthFiles > 0 ? true : undefined));
    const health = (await (await fetch(`${h.base}/healthz`)).json()) as {
      redis: string;
      spool_files: number;
    };
    expect(health.redis).toBe("down");
    expect(health.spool_files).toBeGreaterThan(0);

    // Redis comes back empty (no persistence here): only the spool can bring these captures back.
    await redis.start();
    const ids = await waitFor(async () => {
      const found = new Set((await h.captures()).map((c) => c.requestId));
      return during.every((id) => found.has(id)) ? found : undefined;
    }, 15_000);
    expect(during.filter((id) => ids.has(id))).toHaveLength(20);
    await waitFor(async () => (h.proxy.spool.depthFiles === 0 ? true : undefined));
  }, 30_000);
});
