import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { recordUsage } from "@tokenmeter/db";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_TOKEN,
  cleanup,
  createBuyerWithKey,
  readJson,
  startApp,
  type TestApp,
  unique,
} from "./helpers.js";
import { cleanupSellers, createSellerWithKey, usageRow } from "./usage-rows.js";

// The pages in a real headless Chromium (Debian's, driven by playwright-core): figures checked against the API
// the page reads, no console errors, no request leaving the app (the pages must work offline, no CDN).
const CHROMIUM = "/usr/bin/chromium";
const SHOTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../artifacts/screenshots");

let app: TestApp;
let browser: Browser;
let buyer: Awaited<ReturnType<typeof createBuyerWithKey>>;
let seller: Awaited<ReturnType<typeof createSellerWithKey>>;
const serviceIds: bigint[] = [];
const problems: string[] = [];

type PageOptions = {
  timezoneId?: string;
  basicAuth?: boolean;
  // Console errors this page is meant to produce (a refused key's 401s, one per request the page tried): kept
  // apart, not counted as problems, however late Chromium reports them.
  expectedConsole?: { pattern: RegExp; seen: string[] };
};

async function openPage(options: PageOptions = {}): Promise<Page> {
  const context = await browser.newContext({
    timezoneId: options.timezoneId ?? "UTC",
    httpCredentials: options.basicAuth ? { username: "operator", password: ADMIN_TOKEN } : undefined,
  });
  // Offline: anything not served by the app is refused and reported.
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(app.base)) return route.continue();
    problems.push(`external request: ${url}`);
    return route.abort();
  });
  const page = await context.newPage();
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const expected = options.expectedConsole;
    if (expected?.pattern.test(msg.text())) expected.seen.push(msg.text());
    else problems.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  return page;
}

const api = async (key: string, path: string) =>
  readJson(await fetch(`${app.base}${path}`, { headers: { authorization: `Bearer ${key}` } }));
const fmt = (n: number) => n.toLocaleString("en-US");

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  mkdirSync(SHOTS, { recursive: true });
  app = await startApp();
  seller = await createSellerWithKey(app.db, `Page Seller ${unique()}`);
  buyer = await createBuyerWithKey(app.db, `Page Buyer ${unique()}`);
  const other = await createBuyerWithKey(app.db, `Other Buyer ${unique()}`);
  const services = [];
  for (const name of ["Chat", "Embeddings"]) {
    const s = await app.db.apiService.create({
      data: {
        sellerId: seller.sellerId,
        name: `${name} ${unique()}`,
        slug: `p-${unique()}`,
        upstreamUrl: "http://127.0.0.1:9",
      },
    });
    services.push(s);
    serviceIds.push(s.id);
  }
  const now = Date.now();
  const rows = [];
  for (let i = 0; i < 40; i++) {
    const who = i % 4 === 0 ? other : buyer;
    rows.push(
      usageRow(
        { buyerId: who.buyerId, keyId: who.keyId, serviceId: (services[i % 2] as { id: bigint }).id },
        new Date(now - i * 60_000),
        {
          modelName: ["gpt-4o-mini", "claude-3-haiku", "mystery"][i % 3] as string,
          totalTokens: 100 + i,
          tokenCost: i % 3 === 2 ? "0" : `0.00${i + 1}`,
          modelPriceId: i % 3 === 2 ? null : 1n,
          statusCode: i % 10 === 0 ? 502 : 200,
        },
      ),
    );
  }
  await recordUsage(app.db, rows);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await cleanup(app.db, [buyer.buyerId], serviceIds);
  await cleanupSellers(app.db, [seller.sellerId]);
  await app.close();
});

describe("usage page in Chromium", () => {
  it("a buyer sees their own figures, in their browser's zone, with the key kept in sessionStorage", async () => {
    const page = await openPage({ timezoneId: "Asia/Kolkata" });
    await page.goto(`${app.base}/usage`);
    await page.fill("#key", buyer.key);
    await page.click("#login button");
    await page.locator("#report").waitFor({ state: "visible" });
    const truth = await api(buyer.key, "/api/v1/usage/summary?period=monthly&tz=Asia/Kolkata");
    expect(await page.textContent("#calls")).toBe(fmt(truth.calls_made));
    expect(await page.textContent("#tokens")).toBe(fmt(truth.total_tokens));
    expect(await page.textContent("#cost")).toBe(`$${truth.indicative_cost_exact}`);
    expect(await page.textContent("#unpriced")).toBe(fmt(truth.unpriced_calls));
    expect(await page.textContent("#errors")).toBe(fmt(truth.error_calls));
    // Chromium names the zone by its ICU id (Asia/Calcutta); PostgreSQL knows both names.
    expect(await page.textContent("#range")).toMatch(/Asia\/(Kolkata|Calcutta)/);
    expect(await page.locator("#apis tr").count()).toBe(1 + truth.usage_details_by_api.length);
    expect(await page.locator("#chart-models rect").count()).toBe(3);
    expect(await page.evaluate("sessionStorage.getItem('tokenmeter.key')")).toBe(buyer.key);
    expect(await page.isHidden("#buyers-section")).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, "usage-buyer.png"), fullPage: true });
    await page.context().close();
  });

  it("a seller sees their services and top buyers", async () => {
    const page = await openPage();
    await page.goto(`${app.base}/usage`);
    await page.fill("#key", seller.key);
    await page.click("#login button");
    await page.locator("#report").waitFor({ state: "visible" });
    const truth = await api(seller.key, "/api/v1/seller/usage/summary?period=monthly&tz=UTC");
    expect(await page.textContent("#calls")).toBe(fmt(truth.calls_made));
    expect(await page.textContent("#cost")).toBe(`$${truth.indicative_cost_exact}`);
    expect(await page.textContent("#who")).toBe(`seller #${Number(seller.sellerId)}`);
    const buyersTable = await page.textContent("#buyers");
    expect(buyersTable).toContain("Page Buyer");
    expect(buyersTable).toContain("Other Buyer");
    await page.screenshot({ path: path.join(SHOTS, "usage-seller.png"), fullPage: true });
    await page.context().close();
  });

  it("a wrong key shows the API's error and is forgotten", async () => {
    // The 401 is the page working as intended, not a script error. Chromium reports it on the console
    // asynchronously, possibly after the page shows the error, so it is awaited, not filtered after the fact.
    const refused = { pattern: /status of 401/, seen: [] as string[] };
    const page = await openPage({ expectedConsole: refused });
    await page.goto(`${app.base}/usage`);
    await page.fill("#key", "tm_notavalidkey");
    await page.click("#login button");
    await expect.poll(() => page.textContent("#error")).toContain("not valid");
    expect(await page.evaluate("sessionStorage.getItem('tokenmeter.key')")).toBeNull();
    await expect.poll(() => refused.seen.length).toBeGreaterThan(0);
    await page.context().close();
  });

  it("the operator dashboard renders for HTTP Basic with the admin token", async () => {
    const page = await openPage({ basicAuth: true });
    const res = await page.goto(`${app.base}/dashboard`);
    expect(res?.status()).toBe(200);
    expect(await page.textContent("body")).toContain("Alerts");
    await page.screenshot({ path: path.join(SHOTS, "dashboard-operator.png"), fullPage: true });
    await page.context().close();
  });

  it("no page made an external request or logged an error", () => {
    expect(problems).toEqual([]);
  });
});
