import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJson, startApp, type TestApp, unique } from "./helpers.js";

let app: TestApp;
const ids: number[] = [];

beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app.db.apiService.deleteMany({ where: { id: { in: ids.map(BigInt) } } });
  await app.close();
});

describe("services' metering settings", () => {
  it("defaults to estimating cut-off streams with no aliases, and takes both on create and update", async () => {
    const plain = await app.admin("POST", "/admin/api-services", {
      name: "plain",
      slug: `plain-${unique()}`,
      upstream_url: "https://llm.example.com/v1",
    });
    expect(plain.status).toBe(201);
    const created = await readJson(plain);
    ids.push(created.id);
    expect(created).toMatchObject({ truncated_stream_policy: "estimate", model_aliases: {} });

    const azure = await readJson(
      await app.admin("POST", "/admin/api-services", {
        name: "azure",
        slug: `azure-${unique()}`,
        upstream_url: "https://azure.example.com/openai",
        truncated_stream_policy: "zero",
        model_aliases: { "prod-gpt4o": "gpt-4o" },
      }),
    );
    ids.push(azure.id);
    expect(azure).toMatchObject({
      truncated_stream_policy: "zero",
      model_aliases: { "prod-gpt4o": "gpt-4o" },
    });

    const patched = await readJson(
      await app.admin("PATCH", `/admin/api-services/${azure.id}`, { model_aliases: { "eu-gpt4": "gpt-4" } }),
    );
    expect(patched).toMatchObject({ truncated_stream_policy: "zero", model_aliases: { "eu-gpt4": "gpt-4" } });
  });

  it.each([
    [{ truncated_stream_policy: "guess" }],
    [{ model_aliases: { "": "gpt-4" } }],
    [{ model_aliases: { deployment: 4 } }],
    [{ model_aliases: ["gpt-4"] }],
  ])("refuses %j with 400", async (settings) => {
    const res = await app.admin("POST", "/admin/api-services", {
      name: "bad",
      slug: `bad-${unique()}`,
      upstream_url: "https://llm.example.com/v1",
      ...settings,
    });
    expect(res.status).toBe(400);
  });
});
