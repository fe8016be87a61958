// `npm test`: unit, integration and end-to-end tests against the real PostgreSQL and Redis. Each run uses
// its own database (created, migrated, dropped) and its own Redis key prefix, so it can run beside a live
// instance. Builds first: the end-to-end tests start the real, built apps. Ends with "N passed, N failed".
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "./lib/run.mjs";
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, requireServices } from "./lib/services.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
await requireServices(
  process.env.TEST_DATABASE_BASE_URL || DEFAULT_DATABASE_URL,
  process.env.TEST_REDIS_URL || DEFAULT_REDIS_URL,
);
await run("npx", ["turbo", "run", "build", "--output-logs=errors-only"], { cwd: root });

const results = path.join(root, ".tokenmeter", "test-results.json");
fs.mkdirSync(path.dirname(results), { recursive: true });
fs.rmSync(results, { force: true });
let failedRun = false;
try {
  await run(
    "npx",
    [
      "vitest",
      "run",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${results}`,
      ...process.argv.slice(2),
    ],
    {
      cwd: root,
    },
  );
} catch {
  failedRun = true;
}
let passed = 0;
let failed = 0;
let skipped = 0;
if (fs.existsSync(results)) {
  const r = JSON.parse(fs.readFileSync(results, "utf8"));
  passed = r.numPassedTests ?? 0;
  failed = r.numFailedTests ?? 0;
  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  if (failedRun && failed === 0) failed = Math.max(1, r.numFailedTestSuites ?? 1);
} else if (failedRun) {
  failed = 1;
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failedRun || failed > 0 ? 1 : 0);
