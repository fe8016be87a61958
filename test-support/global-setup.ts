/// <reference path="./provided-context.d.ts" />
import { randomBytes } from "node:crypto";
import { dropDatabase, prepareDatabase } from "@tokenmeter/db";
import type { TestProject } from "vitest/node";

/**
 * One fresh, migrated PostgreSQL database and one Redis key prefix per test run, so tests run beside a
 * running instance; the database is dropped afterwards.
 */
export default async function setup(project: TestProject) {
  const base = process.env.TEST_DATABASE_BASE_URL || "postgresql://postgres@127.0.0.1:5432/postgres";
  const runId = `${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const url = new URL(base);
  url.pathname = `/tokenmeter_test_${runId}`;
  const databaseUrl = url.toString();
  await prepareDatabase(databaseUrl);
  project.provide("databaseUrl", databaseUrl);
  project.provide("redisUrl", process.env.TEST_REDIS_URL || "redis://127.0.0.1:6379");
  project.provide("queuePrefix", `{tmtest_${runId}}`);
  // The proxy signs capture batches with it and the worker verifies them; generated per run like any secret.
  project.provide("captureSigningKey", randomBytes(32).toString("base64url"));
  project.provide("secretsKey", randomBytes(32).toString("base64"));
  return async () => {
    await dropDatabase(databaseUrl);
  };
}
