// `npm run test:faults`: the zero-loss fault suite. Builds first (it runs the built apps), then runs
// faults/*.fault.test.ts against a private redis-server with AOF and a TCP relay in front of PostgreSQL (never
// the machine's shared services), with its own database. Ends with "N passed, N failed".
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

const results = path.join(root, ".tokenmeter", "fault-results.json");
fs.mkdirSync(path.dirname(results), { recursive: true });
fs.rmSync(results, { force: true });
let failedRun = false;
try {
  await run(
    "npx",
    [
      "vitest",
      "run",
      "--config",
      "vitest.faults.config.ts",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${results}`,
      ...process.argv.slice(2),
    ],
    { cwd: root },
  );
} catch {
  failedRun = true;
}
let passed = 0;
let failed = 0;
if (fs.existsSync(results)) {
  const r = JSON.parse(fs.readFileSync(results, "utf8"));
  passed = r.numPassedTests ?? 0;
  failed = r.numFailedTests ?? 0;
  if (failedRun && failed === 0) failed = Math.max(1, r.numFailedTestSuites ?? 1);
} else if (failedRun) {
  failed = 1;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failedRun || failed > 0 ? 1 : 0);
