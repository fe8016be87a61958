import { CAPTURE_BATCH_JOB_NAME } from "@tokenmeter/capture";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  cleanup,
  createBuyerWithKey,
  createService,
  dayOffset,
  readJson,
  startApp,
  type TestApp,
} from "./helpers.js";
import { recordTotals } from "./usage-rows.js";

let app: TestApp;
const buyers: bigint[] = [];
const services: bigint[] = [];
const EVIL = `<script>alert("x")</script>`;
// The fixture's day, far from the days other files record on: the dashboard ranks the day's top 50 by cost,
// and this fixture's cost is tiny, so on a shared busy day it could fall out of the tables.
const DAY = dayOffset(-1777);
const ON_DAY = `/dashboard?from=${DAY}&to=${DAY}`;

const basic = (password: string, user = "admin") =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const get = (path: string, authorization?: string) =>
  fetch(`${app.base}${path}`, { headers: authorization ? { authorization } : {} });

beforeAll(async () => {
  app = await startApp();
  const buyer = await createBuyerWithKey(app.db, EVIL);
  const service = await createService(app.db, `svc & "co"`);
  buyers.push(buyer.buyerId);
  services.push(service.id);
  await recordTotals(app.db, { buyerId: buyer.buyerId, serviceId: service.id }, DAY, "model<b>", {
    calls: 7,
    totalTokens: 70,
    tokenCost: "0.0000000007",
  });
  await app.queue.add(CAPTURE_BATCH_JOB_NAME, { test: true }, { jobId: "dashboard-test-job" });
});

afterAll(async () => {
  await cleanup(app.db, buyers, services);
  await app.close();
});

describe("/dashboard", () => {
  it("asks for Basic auth with 401 and WWW-Authenticate when no credentials are sent", async () => {
    const res = await get("/dashboard");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm="tokenmeter"/);
  });

  it("rejects a wrong Basic password", async () => {
    expect((await get("/dashboard", basic("wrong-password-123456"))).status).toBe(401);
  });

  it("renders HTML with Basic auth (any username) and with Bearer", async () => {
    const res = await get(ON_DAY, basic(ADMIN_TOKEN, "anyone"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const page = await res.text();
    expect(page).toContain("<svg");
    expect(page).toContain("0.0000000007");
    expect((await get("/dashboard", `Bearer ${ADMIN_TOKEN}`)).status).toBe(200);
  });

  it("escapes names from the database", async () => {
    const page = await (await get(ON_DAY, basic(ADMIN_TOKEN))).text();
    expect(page).not.toContain(EVIL);
    expect(page).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(page).toContain("svc &amp; &quot;co&quot;");
    expect(page).toContain("model&lt;b&gt;");
  });

  it("shows the captures queue's counts", async () => {
    const page = await (await get("/dashboard", basic(ADMIN_TOKEN))).text();
    expect(page).toMatch(/<td>waiting<\/td><td>1<\/td>/);
  });

  it("treats empty form fields as absent and rejects a bad period with 400", async () => {
    expect((await get("/dashboard?period=monthly&from=&to=", basic(ADMIN_TOKEN))).status).toBe(200);
    expect((await get("/dashboard?period=hourly", basic(ADMIN_TOKEN))).status).toBe(400);
  });
});

describe("/admin/queues (Bull Board)", () => {
  it("answers 401 with WWW-Authenticate without credentials", async () => {
    const res = await get("/admin/queues");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Basic/);
  });

  it("serves the UI and its static assets with Basic auth whose password is the admin token", async () => {
    const res = await get("/admin/queues", basic(ADMIN_TOKEN));
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<base href="/admin/queues/"');
    const script = /<script[^>]+src="([^"]+\.js)"/.exec(page)?.[1];
    expect(script).toBeDefined();
    expect((await get(`/admin/queues/${script}`, basic(ADMIN_TOKEN))).status).toBe(200);
    expect((await get(`/admin/queues/${script}`)).status).toBe(401);
  });

  it("serves its API for the captures queue behind the same auth", async () => {
    expect((await get("/admin/queues/api/queues")).status).toBe(401);
    const res = await get("/admin/queues/api/queues?activeQueue=captures&status=waiting", basic(ADMIN_TOKEN));
    expect(res.status).toBe(200);
    const body = await readJson(res);
    const names = body.queues.map((q: { name: string }) => q.name);
    expect(names).toContain("captures");
  });
});
