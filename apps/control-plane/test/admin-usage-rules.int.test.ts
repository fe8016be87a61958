import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJson, startApp, type TestApp, unique } from "./helpers.js";

let app: TestApp;
const names: string[] = [];

function ruleName() {
  const name = `rule-${unique()}`;
  names.push(name);
  return name;
}

beforeAll(async () => {
  app = await startApp();
});

afterAll(async () => {
  await app.db.usageRule.deleteMany({ where: { name: { in: names } } });
  await app.close();
});

describe("admin usage rules", () => {
  it("stores a rule (201), replaces it (200) and lists it", async () => {
    const name = ruleName();
    const created = await app.admin("PUT", `/admin/usage-rules/${name}`, {
      input_tokens: '"in_tok":(\\d+)',
      output_tokens: '"out_tok":(\\d+)',
    });
    expect(created.status).toBe(201);
    expect(await readJson(created)).toMatchObject({ name, input_tokens: '"in_tok":(\\d+)', enabled: true });
    const replaced = await app.admin("PUT", `/admin/usage-rules/${name}`, {
      total_tokens: '"n":(\\d+)',
      enabled: false,
    });
    expect(replaced.status).toBe(200);
    expect(await readJson(replaced)).toMatchObject({
      name,
      input_tokens: null,
      total_tokens: '"n":(\\d+)',
      enabled: false,
    });
    const list = (await readJson(await app.admin("GET", "/admin/usage-rules"))) as { name: string }[];
    expect(list.filter((r) => r.name === name)).toHaveLength(1);
  });

  it("refuses a pattern that is not RE2 or captures nothing, and a rule without token patterns", async () => {
    for (const body of [{ input_tokens: "(a+)\\1" }, { input_tokens: "\\d+" }, { model: '"m":"(\\w+)"' }]) {
      const res = await app.admin("PUT", `/admin/usage-rules/${ruleName()}`, body);
      expect(res.status).toBe(400);
      expect(((await readJson(res)) as { code: string }).code).toBe("invalid_rule");
    }
  });

  it("refuses a rule scoped to an unknown service and deletes rules by name", async () => {
    const name = ruleName();
    const unknown = await app.admin("PUT", `/admin/usage-rules/${name}`, {
      input_tokens: '"a":(\\d+)',
      api_service_id: 999_999_999,
    });
    expect(unknown.status).toBe(404);
    expect(
      (await app.admin("PUT", `/admin/usage-rules/${name}`, { input_tokens: '"a":(\\d+)' })).status,
    ).toBe(201);
    expect((await app.admin("DELETE", `/admin/usage-rules/${name}`)).status).toBe(204);
    expect((await app.admin("DELETE", `/admin/usage-rules/${name}`)).status).toBe(404);
  });

  it("requires the admin token", async () => {
    const res = await fetch(`${app.base}/admin/usage-rules`);
    expect(res.status).toBe(401);
  });
});
