import { openHeaders, parseSecretsKeyring } from "@tokenmeter/secrets";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ADMIN_TOKEN, cleanup, readJson, startApp, type TestApp, unique } from "./helpers.js";

let app: TestApp;
const services: bigint[] = [];
const SECRET = `sk-live-${unique()}${unique()}`;

async function create(body: Record<string, unknown>) {
  const res = await app.admin("POST", "/admin/api-services", body);
  const text = await res.text();
  const json = text ? JSON.parse(text) : undefined;
  if (res.status === 201) services.push(BigInt(json.id));
  return { res, text, json };
}

const validBody = () => ({
  name: "Acme LLM",
  slug: `acme-${unique()}`,
  upstream_url: "https://llm.example.com/v1",
  upstream_headers: { Authorization: `Bearer ${SECRET}`, "x-org": "org-1" },
  inject_stream_usage: true,
});

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await cleanup(app.db, [], services);
  await app.close();
});

describe("admin api-services", () => {
  it("creates a service, answers 201 with header names only and stores the header values sealed", async () => {
    const body = validBody();
    const { res, text, json } = await create(body);
    expect(res.status).toBe(201);
    expect(json).toEqual({
      id: expect.any(Number),
      seller_id: 1,
      name: "Acme LLM",
      slug: body.slug,
      upstream_url: body.upstream_url,
      upstream_header_names: ["Authorization", "x-org"],
      inject_stream_usage: true,
      truncated_stream_policy: "estimate",
      model_aliases: {},
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain("upstream_headers");
    const row = await app.db.apiService.findUniqueOrThrow({ where: { id: BigInt(json.id) } });
    expect(JSON.stringify(row, (_k, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain(SECRET);
    expect(row.upstreamHeaders).toEqual({});
    const keyring = parseSecretsKeyring(inject("secretsKey"));
    expect(openHeaders(row.upstreamHeadersSealed!, keyring, body.slug)).toEqual(body.upstream_headers);
  });

  it("never returns header values from list, get or patch", async () => {
    const { json } = await create(validBody());
    const list = await (await app.admin("GET", "/admin/api-services")).text();
    const one = await app.admin("GET", `/admin/api-services/${json.id}`);
    const patched = await app.admin("PATCH", `/admin/api-services/${json.id}`, {
      name: "Renamed",
      upstream_headers: { "x-api-key": SECRET },
      inject_stream_usage: false,
    });
    expect(list).toContain(json.slug);
    expect(one.status).toBe(200);
    expect(patched.status).toBe(200);
    const patchedText = await patched.text();
    for (const text of [list, await one.text(), patchedText]) expect(text).not.toContain(SECRET);
    expect(JSON.parse(patchedText)).toMatchObject({
      name: "Renamed",
      slug: json.slug,
      upstream_header_names: ["x-api-key"],
      inject_stream_usage: false,
    });
  });

  it.each(["healthz", "metrics", "admin", "api", "dashboard"])(
    "rejects the reserved slug %s with 400",
    async (slug) => {
      const { res, json } = await create({ ...validBody(), slug });
      expect(res.status).toBe(400);
      expect(json).toEqual({ code: "reserved_slug", message: expect.any(String) });
    },
  );

  it.each(["Upper", "-lead", "has space", "a".repeat(64), ""])(
    "rejects the malformed slug %j with 400",
    async (slug) => {
      const { res, json } = await create({ ...validBody(), slug });
      expect(res.status).toBe(400);
      expect(["invalid_slug", "invalid_request"]).toContain(json.code);
    },
  );

  it.each([
    "ftp://x.example.com",
    "not a url",
    "https://user:pw@x.example.com",
    "https://x.example.com/v1\u0001",
    "https://x.example.com/v1beta?key=AIza-seller-secret",
    "http://127.0.0.1:8081/metrics",
    "http://localhost:8081",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]:8081",
  ])("rejects the upstream_url %j with 400", async (upstream_url) => {
    const { res, json } = await create({ ...validBody(), upstream_url });
    expect(res.status).toBe(400);
    expect(json.code).toBe("invalid_request");
  });

  it("never stores or echoes a refused upstream_url's secret", async () => {
    const { text } = await create({
      ...validBody(),
      upstream_url: `https://x.example.com/?api_key=${SECRET}`,
    });
    expect(text).not.toContain(SECRET);
  });

  it("rejects header values with line breaks", async () => {
    const { res } = await create({ ...validBody(), upstream_headers: { "x-a": "1\r\nx-b: 2" } });
    expect(res.status).toBe(400);
  });

  it("answers 409 slug_taken for a duplicate slug", async () => {
    const body = validBody();
    expect((await create(body)).res.status).toBe(201);
    const { res, json } = await create({ ...body, name: "Other" });
    expect(res.status).toBe(409);
    expect(json.code).toBe("slug_taken");
  });

  it("refuses to change a slug and 404s unknown ids", async () => {
    const { json } = await create(validBody());
    const res = await app.admin("PATCH", `/admin/api-services/${json.id}`, { slug: "other" });
    expect(res.status).toBe(400);
    expect((await app.admin("GET", "/admin/api-services/999999999")).status).toBe(404);
    expect((await app.admin("GET", "/admin/api-services/abc")).status).toBe(404);
    expect((await app.admin("PATCH", "/admin/api-services/999999999", { name: "x" })).status).toBe(404);
  });

  it("answers 401 without the admin token or with a wrong one", async () => {
    const none = await fetch(`${app.base}/admin/api-services`);
    const wrong = await fetch(`${app.base}/admin/api-services`, {
      headers: { authorization: "Bearer nope" },
    });
    expect(none.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(await readJson(wrong)).toEqual({ code: "unauthorized", message: expect.any(String) });
  });

  it("answers 400 invalid_json for a malformed body", async () => {
    const res = await fetch(`${app.base}/admin/api-services`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: '{"name": ',
    });
    expect(res.status).toBe(400);
    expect(await readJson(res)).toEqual({ code: "invalid_json", message: expect.any(String) });
  });

  it("answers 413 for a body over 1 MB", async () => {
    const res = await app.admin("POST", "/admin/api-services", {
      ...validBody(),
      name: "x".repeat(1_100_000),
    });
    expect(res.status).toBe(413);
  });

  it("answers unknown routes with a 404 JSON body", async () => {
    const res = await fetch(`${app.base}/no/such/route`);
    expect(res.status).toBe(404);
    expect(await readJson(res)).toEqual({ code: "not_found", message: expect.any(String) });
  });
});
