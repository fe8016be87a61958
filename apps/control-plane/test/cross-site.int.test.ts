import { CAPTURE_QUEUE_NAME } from "@tokenmeter/capture";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, startApp, type TestApp, unique } from "./helpers.js";

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app.close();
});

const basic = `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString("base64")}`;
const bearer = `Bearer ${ADMIN_TOKEN}`;
const post = (path: string, headers: Record<string, string>, body: string, authorization = basic) =>
  fetch(`${app.base}${path}`, { method: "POST", headers: { authorization, ...headers }, body });

describe("state-changing admin routes", () => {
  it("refuse form and text/plain bodies, which a cross-site page can send without a preflight", async () => {
    const name = `csrf-${unique()}`;
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      const res = await fetch(`${app.base}/admin/buyers`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": type },
        body: JSON.stringify({ name }),
      });
      expect(res.status, type).toBe(415);
    }
    expect(await app.db.buyer.count({ where: { name } })).toBe(0);
  });

  it("refuse requests a browser marks as cross-site or sends from another origin", async () => {
    const json = { "content-type": "application/json" };
    const body = JSON.stringify({ name: `csrf-${unique()}` });
    for (const headers of [
      { ...json, "sec-fetch-site": "cross-site" },
      { ...json, "sec-fetch-site": "same-site" },
      { ...json, origin: "https://evil.example" },
      { ...json, origin: "null" },
    ]) {
      const res = await post("/admin/buyers", headers, body, bearer);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(((await res.json()) as { code: string }).code).toBe("cross_site_request");
    }
    // The same request from the page's own origin, or from a client that is not a browser, goes through.
    const own = await post(
      "/admin/buyers",
      { ...json, origin: app.base, "sec-fetch-site": "same-origin" },
      body,
      bearer,
    );
    expect(own.status).toBe(201);
    expect((await app.admin("POST", "/admin/buyers", { name: `cli-${unique()}` })).status).toBe(201);
  });
});

describe("Bull Board", () => {
  it("cannot add, edit or empty capture jobs, even with admin credentials", async () => {
    const api = `/admin/queues/api/queues/${CAPTURE_QUEUE_NAME}`;
    const json = { "content-type": "application/json" };
    const add = await post(`${api}/add`, json, JSON.stringify({ name: "capture-batch", data: { v: 1 } }));
    expect(add.status).toBe(403);
    expect(((await add.json()) as { code: string }).code).toBe("read_only");
    const edit = await fetch(`${app.base}${api}/some-job/update-data`, {
      method: "PATCH",
      headers: { authorization: basic, ...json },
      body: JSON.stringify({ data: {} }),
    });
    expect(edit.status).toBe(403);
    const empty = await fetch(`${app.base}${api}/empty`, {
      method: "PUT",
      headers: { authorization: basic },
    });
    expect(empty.status).toBe(403);
    expect(await app.queue.count()).toBe(0);
    // Reading still works.
    const list = await fetch(`${app.base}/admin/queues/api/queues`, { headers: { authorization: basic } });
    expect(list.status).toBe(200);
  });

  it("refuses a cross-site form post to its API", async () => {
    const res = await post(
      `/admin/queues/api/queues/${CAPTURE_QUEUE_NAME}/retry/failed`,
      { "content-type": "text/plain", "sec-fetch-site": "cross-site" },
      "{}",
    );
    expect(res.status).toBe(403);
  });
});
