import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJson, startApp, type TestApp, unique } from "./helpers.js";

let app: TestApp;
const fingerprint = `unpriced_model:test-${unique()}`;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app.db.alert.deleteMany({ where: { fingerprint } });
  await app.close();
});

describe("admin alert rules", () => {
  it("lists every kind with its defaults", async () => {
    const rules = await readJson(await app.admin("GET", "/admin/alert-rules"));
    expect(rules.map((r: { kind: string }) => r.kind)).toEqual([
      "large_call",
      "cost_spike",
      "parse_failure_rate",
      "unpriced_model",
      "metering_lag",
    ]);
    expect(rules.find((r: { kind: string }) => r.kind === "cost_spike")).toMatchObject({
      enabled: expect.any(Boolean),
      params: {
        factor: expect.any(Number),
        floor_usd: expect.any(String),
        baseline_days: expect.any(Number),
      },
    });
  });

  it("PUT sets parameters (defaults fill the rest), keeps them on enable/disable, and refuses bad ones", async () => {
    const put = await app.admin("PUT", "/admin/alert-rules/large_call", { params: { max_tokens: 5000 } });
    expect(put.status).toBe(200);
    expect(await readJson(put)).toEqual({
      kind: "large_call",
      enabled: true,
      params: { max_tokens: 5000, max_cost_usd: "5", window_minutes: 15 },
    });
    const off = await readJson(await app.admin("PUT", "/admin/alert-rules/large_call", { enabled: false }));
    expect(off).toMatchObject({ enabled: false, params: { max_tokens: 5000 } });
    for (const params of [{ max_tokens: -1 }, { max_cost_usd: "1e9" }, { surprise: 1 }]) {
      const bad = await app.admin("PUT", "/admin/alert-rules/large_call", { params });
      expect(bad.status).toBe(400);
      expect((await readJson(bad)).code).toBe("invalid_rule");
    }
    expect((await app.admin("PUT", "/admin/alert-rules/nope", {})).status).toBe(404);
    await app.admin("PUT", "/admin/alert-rules/large_call", { enabled: true, params: {} });
  });
});

describe("GET /admin/alerts", () => {
  it("lists alerts with state and evidence, filtered by state", async () => {
    const alert = await app.db.alert.create({
      data: {
        kind: "unpriced_model",
        fingerprint,
        openKey: fingerprint,
        summary: "model has no price",
        evidence: { model: "x", calls: 2 },
      },
    });
    const open = await readJson(await app.admin("GET", "/admin/alerts?state=open&kind=unpriced_model"));
    expect(open).toContainEqual(
      expect.objectContaining({
        id: Number(alert.id),
        state: "open",
        fingerprint,
        evidence: { model: "x", calls: 2 },
        resolved_at: null,
      }),
    );
    const resolved = await readJson(await app.admin("GET", "/admin/alerts?state=resolved"));
    expect(resolved.map((a: { id: number }) => a.id)).not.toContain(Number(alert.id));
    expect((await app.admin("GET", "/admin/alerts?state=bogus")).status).toBe(400);
  });

  it("requires the admin token", async () => {
    expect((await fetch(`${app.base}/admin/alerts`)).status).toBe(401);
  });
});
