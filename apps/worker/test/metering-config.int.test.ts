import { createDbClient, createPgPool, type DbClient, notifyConfigChange } from "@tokenmeter/db";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { MeteringConfig } from "../src/metering-config.js";

let db: DbClient;

beforeAll(() => {
  db = createDbClient({ databaseUrl: inject("databaseUrl") });
});

afterAll(async () => {
  await db.$disconnect();
});

function configWith(counters: ReturnType<typeof createPgPool>) {
  const errors: string[] = [];
  const caughtUp: string[] = [];
  const config = new MeteringConfig(db, {
    refreshMs: 600_000,
    missRecheckMs: 600_000,
    counters,
    onError: (what) => errors.push(what),
    onCaughtUp: (topic) => caughtUp.push(topic),
  });
  return { config, errors, caughtUp };
}

describe("MeteringConfig.catchUp", () => {
  it("reloads a topic whose counter moved since it was loaded, once for the batches that check together", async () => {
    const pool = createPgPool({ databaseUrl: inject("databaseUrl"), poolMax: 1 });
    const { config, caughtUp } = configWith(pool);
    await config.start();
    const loads = config.rules.loads;
    await db.$transaction(async (tx) => notifyConfigChange(tx, "rules"));
    await Promise.all([1, 2, 3].map(() => config.catchUp(performance.now())));
    // Other test files may move other counters (or this one again) meanwhile: at least this change was found.
    expect(caughtUp).toContain("rules");
    expect(config.rules.loads).toBeGreaterThan(loads);
    // Nothing moved since: no reload.
    const settled = config.rules.loads;
    const found = caughtUp.length;
    await config.catchUp(performance.now());
    if (caughtUp.length === found) expect(config.rules.loads).toBe(settled);
    config.stop();
    await pool.end();
  });

  it("meters on with what it has when the counters cannot be read, and says so once per failed read", async () => {
    const pool = createPgPool({ databaseUrl: inject("databaseUrl"), poolMax: 1 });
    const { config, errors } = configWith(pool);
    await config.start();
    await pool.end();
    const reads = config.versions.loads;
    // Three batches starting one after another: the first starts a read, the two others wait for one that
    // started after them (a second read, shared). Each failed read is reported once, and no batch is held up.
    await Promise.all([1, 2, 3].map(() => config.catchUp(performance.now())));
    expect(config.versions.loads - reads).toBe(2);
    expect(errors).toEqual(["configuration counters", "configuration counters"]);
    config.stop();
  });
});
