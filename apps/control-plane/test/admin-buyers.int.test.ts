import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, cleanup, readJson, startApp, type TestApp, unique } from "./helpers.js";

let app: TestApp;
const buyers: bigint[] = [];

async function createBuyer(name = `buyer-${unique()}`) {
  const res = await app.admin("POST", "/admin/buyers", { name });
  const json = await readJson(res);
  if (res.status === 201) buyers.push(BigInt(json.id));
  return { res, json };
}

const summaryStatus = async (key: string) =>
  (await fetch(`${app.base}/api/v1/usage/summary`, { headers: { authorization: `Bearer ${key}` } })).status;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await cleanup(app.db, buyers, []);
  await app.close();
});

describe("admin buyers", () => {
  it("creates a buyer (201), shows it by id and lists it newest first", async () => {
    const name = `Buyer ${unique()}`;
    const { res, json } = await createBuyer(name);
    expect(res.status).toBe(201);
    expect(json).toEqual({ id: expect.any(Number), name, created_at: expect.any(String) });
    expect(await readJson(await app.admin("GET", `/admin/buyers/${json.id}`))).toEqual(json);
    const list = await readJson(await app.admin("GET", "/admin/buyers?limit=1000"));
    expect(list).toContainEqual(json);
    const ids = list.map((b: { id: number }) => b.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });

  it("rejects a missing name with 400 and 404s an unknown buyer", async () => {
    expect((await app.admin("POST", "/admin/buyers", {})).status).toBe(400);
    expect((await app.admin("GET", "/admin/buyers/999999999")).status).toBe(404);
  });
});

describe("admin api keys", () => {
  it("creates a key shown once; the database holds only its SHA-256 and prefix", async () => {
    const { json: buyer } = await createBuyer();
    const res = await app.admin("POST", `/admin/buyers/${buyer.id}/api-keys`, { name: "ci" });
    expect(res.status).toBe(201);
    const created = await readJson(res);
    expect(created).toMatchObject({ id: expect.any(Number), name: "ci", created_at: expect.any(String) });
    expect(created.key).toMatch(/^tm_[0-9A-Za-z]{32}$/);
    expect(created.prefix).toBe(created.key.slice(0, 8));
    const row = await app.db.apiKey.findUniqueOrThrow({ where: { id: BigInt(created.id) } });
    expect(row.keyHash).toBe(createHash("sha256").update(created.key).digest("hex"));
    expect(JSON.stringify(row, (_k, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain(
      created.key,
    );
    expect(await summaryStatus(created.key)).toBe(200);
  });

  it("creates a key without a body and lists keys without hashes", async () => {
    const { json: buyer } = await createBuyer();
    const res = await fetch(`${app.base}/admin/buyers/${buyer.id}/api-keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(201);
    const created = await readJson(res);
    const listRes = await app.admin("GET", `/admin/buyers/${buyer.id}/api-keys`);
    const text = await listRes.text();
    expect(text).not.toContain(created.key);
    expect(text).not.toContain("hash");
    expect(JSON.parse(text)).toEqual([
      {
        id: created.id,
        buyer_id: buyer.id,
        prefix: created.prefix,
        name: null,
        rate_limit_per_minute: null,
        max_concurrent_requests: null,
        created_at: created.created_at,
        revoked_at: null,
      },
    ]);
  });

  it("sets, changes and clears a key's limits", async () => {
    const buyer = await readJson(await app.admin("POST", "/admin/buyers", { name: `limits-${unique()}` }));
    const created = await readJson(
      await app.admin("POST", `/admin/buyers/${buyer.id}/api-keys`, { rate_limit_per_minute: 600 }),
    );
    expect(created).toMatchObject({ rate_limit_per_minute: 600, max_concurrent_requests: null });
    const patched = await app.admin("PATCH", `/admin/api-keys/${created.id}`, {
      rate_limit_per_minute: null,
      max_concurrent_requests: 4,
    });
    expect(await readJson(patched)).toMatchObject({
      rate_limit_per_minute: null,
      max_concurrent_requests: 4,
    });
    const bad = await app.admin("PATCH", `/admin/api-keys/${created.id}`, { rate_limit_per_minute: 0 });
    expect(bad.status).toBe(400);
    expect(
      (await app.admin("PATCH", "/admin/api-keys/999999999", { max_concurrent_requests: 1 })).status,
    ).toBe(404);
  });

  it("answers 404 when creating or listing keys of an unknown buyer", async () => {
    expect((await app.admin("POST", "/admin/buyers/999999999/api-keys", {})).status).toBe(404);
    expect((await app.admin("GET", "/admin/buyers/999999999/api-keys")).status).toBe(404);
  });

  it("revokes a key with 204 (idempotently); the key then gets 401", async () => {
    const { json: buyer } = await createBuyer();
    const created = await readJson(await app.admin("POST", `/admin/buyers/${buyer.id}/api-keys`, {}));
    const first = await app.admin("DELETE", `/admin/api-keys/${created.id}`);
    expect(first.status).toBe(204);
    expect(await first.text()).toBe("");
    const row = await app.db.apiKey.findUniqueOrThrow({ where: { id: BigInt(created.id) } });
    expect(row.revokedAt).toBeInstanceOf(Date);
    expect((await app.admin("DELETE", `/admin/api-keys/${created.id}`)).status).toBe(204);
    const again = await app.db.apiKey.findUniqueOrThrow({ where: { id: BigInt(created.id) } });
    expect(again.revokedAt).toEqual(row.revokedAt);
    expect(await summaryStatus(created.key)).toBe(401);
    const list = await readJson(await app.admin("GET", `/admin/buyers/${buyer.id}/api-keys`));
    expect(list[0].revoked_at).toBe(row.revokedAt?.toISOString());
  });

  it("answers 404 when revoking an unknown key", async () => {
    expect((await app.admin("DELETE", "/admin/api-keys/999999999")).status).toBe(404);
  });
});
