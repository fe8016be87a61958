import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanup, readJson, startApp, type TestApp, unique } from "./helpers.js";
import { cleanupSellers } from "./usage-rows.js";

let app: TestApp;
const sellers: bigint[] = [];
const services: bigint[] = [];

async function createSeller(name = `seller-${unique()}`) {
  const res = await app.admin("POST", "/admin/sellers", { name });
  const json = await readJson(res);
  if (res.status === 201) sellers.push(BigInt(json.id));
  return { res, json };
}

const sellerSummaryStatus = async (key: string) =>
  (await fetch(`${app.base}/api/v1/seller/usage/summary`, { headers: { authorization: `Bearer ${key}` } }))
    .status;

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await cleanup(app.db, [], services);
  await cleanupSellers(app.db, sellers);
  await app.close();
});

describe("admin sellers", () => {
  it("creates a seller as 201 {id, name, created_at}, shows it and lists it", async () => {
    const name = `Seller ${unique()}`;
    const { res, json } = await createSeller(name);
    expect(res.status).toBe(201);
    expect(json).toEqual({ id: expect.any(Number), name, created_at: expect.any(String) });
    expect(await readJson(await app.admin("GET", `/admin/sellers/${json.id}`))).toEqual(json);
    expect(await readJson(await app.admin("GET", "/admin/sellers?limit=1000"))).toContainEqual(json);
  });

  it("rejects a missing name and 404s unknown sellers", async () => {
    expect((await app.admin("POST", "/admin/sellers", {})).status).toBe(400);
    expect((await app.admin("GET", "/admin/sellers/999999999")).status).toBe(404);
    expect((await app.admin("POST", "/admin/sellers/999999999/api-keys", {})).status).toBe(404);
  });

  it("requires the admin token", async () => {
    const res = await fetch(`${app.base}/admin/sellers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "x" }),
    });
    expect(res.status).toBe(401);
  });
});

describe("seller keys", () => {
  it("issues a tms_ key once as 201 {id, key, prefix, created_at}; only its SHA-256 is stored", async () => {
    const { json: seller } = await createSeller();
    const res = await app.admin("POST", `/admin/sellers/${seller.id}/api-keys`);
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const created = await readJson(res);
    expect(created).toMatchObject({ id: expect.any(Number), created_at: expect.any(String) });
    expect(created.key).toMatch(/^tms_[0-9A-Za-z]{32}$/);
    expect(created.prefix).toBe(created.key.slice(0, 8));
    const row = await app.db.sellerApiKey.findUniqueOrThrow({ where: { id: BigInt(created.id) } });
    expect(row.keyHash).toBe(createHash("sha256").update(created.key).digest("hex"));
    const listed = await readJson(await app.admin("GET", `/admin/sellers/${seller.id}/api-keys`));
    expect(listed).toEqual([
      expect.objectContaining({ id: created.id, prefix: created.prefix, revoked_at: null }),
    ]);
    expect(JSON.stringify(listed)).not.toContain(created.key);
    expect(JSON.stringify(listed)).not.toContain(row.keyHash);
    expect(await sellerSummaryStatus(created.key)).toBe(200);
  });

  it("DELETE /admin/seller-keys/:id revokes (204, idempotent); the key stops working; unknown is 404", async () => {
    const { json: seller } = await createSeller();
    const created = await readJson(await app.admin("POST", `/admin/sellers/${seller.id}/api-keys`, {}));
    expect((await app.admin("DELETE", `/admin/seller-keys/${created.id}`)).status).toBe(204);
    expect((await app.admin("DELETE", `/admin/seller-keys/${created.id}`)).status).toBe(204);
    expect(await sellerSummaryStatus(created.key)).toBe(401);
    expect((await app.admin("DELETE", "/admin/seller-keys/999999999")).status).toBe(404);
  });

  it("a buyer-key route never revokes a seller key", async () => {
    const { json: seller } = await createSeller();
    const created = await readJson(await app.admin("POST", `/admin/sellers/${seller.id}/api-keys`, {}));
    // Same numeric id, other table: the buyer-key route must not touch seller keys.
    await app.admin("DELETE", `/admin/api-keys/${created.id}`);
    expect(await sellerSummaryStatus(created.key)).toBe(200);
  });
});

describe("services carry seller_id", () => {
  const serviceBody = (extra: object = {}) => ({
    name: `svc ${unique()}`,
    slug: `s-${unique()}`,
    upstream_url: "https://llm.example.com/v1",
    ...extra,
  });

  it("POST takes seller_id and PATCH moves the service; both answer it", async () => {
    const { json: one } = await createSeller();
    const { json: two } = await createSeller();
    const res = await app.admin("POST", "/admin/api-services", serviceBody({ seller_id: one.id }));
    expect(res.status).toBe(201);
    const service = await readJson(res);
    services.push(BigInt(service.id));
    expect(service.seller_id).toBe(one.id);
    const patched = await app.admin("PATCH", `/admin/api-services/${service.id}`, { seller_id: two.id });
    expect(patched.status).toBe(200);
    expect((await readJson(patched)).seller_id).toBe(two.id);
    expect((await readJson(await app.admin("GET", `/admin/api-services/${service.id}`))).seller_id).toBe(
      two.id,
    );
  });

  it("without seller_id a service belongs to the default seller (id 1)", async () => {
    const res = await app.admin("POST", "/admin/api-services", serviceBody());
    const service = await readJson(res);
    services.push(BigInt(service.id));
    expect(service.seller_id).toBe(1);
    expect((await readJson(await app.admin("GET", "/admin/sellers/1"))).name).toBe("Default seller");
  });

  it("an unknown seller_id is 400 unknown_seller on create and update", async () => {
    const create = await app.admin("POST", "/admin/api-services", serviceBody({ seller_id: 999999999 }));
    expect(create.status).toBe(400);
    expect((await readJson(create)).code).toBe("unknown_seller");
    const service = await readJson(await app.admin("POST", "/admin/api-services", serviceBody()));
    services.push(BigInt(service.id));
    const patch = await app.admin("PATCH", `/admin/api-services/${service.id}`, { seller_id: 999999999 });
    expect(patch.status).toBe(400);
    expect((await readJson(patch)).code).toBe("unknown_seller");
  });
});
