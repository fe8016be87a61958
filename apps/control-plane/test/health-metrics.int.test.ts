import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, readJson, startApp, type TestApp } from "./helpers.js";

let app: TestApp;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app.close();
});

describe("GET /healthz", () => {
  it("answers 200 with db and redis up against the real services", async () => {
    const res = await fetch(`${app.base}/healthz`);
    expect(res.status).toBe(200);
    expect(await readJson(res)).toEqual({
      status: "ok",
      db: "up",
      redis: "up",
      redis_persistence: "unknown",
    });
  });

  it("answers 503 with db down when PostgreSQL cannot be reached", async () => {
    const down = await startApp({ databaseUrl: "postgresql://postgres@127.0.0.1:1/tokenmeter" });
    try {
      const res = await fetch(`${down.base}/healthz`);
      expect(res.status).toBe(503);
      expect(await readJson(res)).toMatchObject({ status: "unavailable", db: "down", redis: "up" });
      // A failing query is a generic 500 JSON body: no driver message reaches the client.
      const admin = await down.admin("GET", "/admin/buyers");
      expect(admin.status).toBe(500);
      expect(await readJson(admin)).toEqual({ code: "internal_error", message: "internal error" });
    } finally {
      await down.close();
    }
  });

  it("stays 200 but reports redis down when Redis cannot be reached", async () => {
    const noRedis = await startApp({ redisUrl: "redis://127.0.0.1:1" });
    try {
      const res = await fetch(`${noRedis.base}/healthz`);
      expect(res.status).toBe(200);
      expect(await readJson(res)).toEqual({
        status: "ok",
        db: "up",
        redis: "down",
        redis_persistence: "unknown",
      });
      const metrics = await fetch(`${noRedis.base}/metrics`);
      expect(metrics.status).toBe(200);
      const text = await metrics.text();
      expect(text).toMatch(/tokenmeter_queue_redis_up\{app="control-plane"\} 0/);
      expect(text).not.toMatch(/tokenmeter_queue_jobs\{/);
    } finally {
      await noRedis.close();
    }
  });
});

describe("GET /metrics", () => {
  it("exposes Prometheus text with default, HTTP and queue metrics", async () => {
    await fetch(`${app.base}/healthz`);
    await fetch(`${app.base}/admin/buyers/123`);
    const res = await fetch(`${app.base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain("process_cpu_user_seconds_total");
    expect(text).toMatch(/tokenmeter_queue_jobs\{state="waiting",app="control-plane"\} 0/);
    expect(text).toMatch(/tokenmeter_queue_redis_up\{app="control-plane"\} 1/);
    expect(text).toContain(
      'tokenmeter_http_requests_total{method="GET",route="/healthz",status="200",app="control-plane"}',
    );
    // Unauthenticated requests to unknown ids are labelled by outcome, never by raw URL.
    expect(text).not.toContain("/admin/buyers/123");
  });

  it("labels matched routes with their pattern", async () => {
    await app.admin("GET", "/admin/buyers/999999999");
    await fetch(`${app.base}/admin/queues/api/queues`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const text = await (await fetch(`${app.base}/metrics`)).text();
    expect(text).toContain('route="/admin/buyers/:id",status="404"');
    expect(text).toContain('route="/admin/queues/api/queues",status="200"');
  });
});
