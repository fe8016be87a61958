// What `npm test` and `npm run test:faults` share: check the services, build (the end-to-end and fault tests
// start the built apps), run vitest with a JSON report beside the terminal one, and end with the line CI reads:
// "N passed, N failed".
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { run, turbo } from "./run.mjs";
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, requireServices } from "./services.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Runs vitest with `args` after the checks and the build, prints the summary line and exits with its verdict. */
export async function runTests({ resultsFile, args }) {
  await requireServices(
    process.env.TEST_DATABASE_BASE_URL || DEFAULT_DATABASE_URL,
    process.env.TEST_REDIS_URL || DEFAULT_REDIS_URL,
  );
  await turbo(["run", "build", "--output-logs=errors-only"], { cwd: root });

  const results = path.join(root, ".tokenmeter", resultsFile);
  fs.mkdirSync(path.dirname(results), { recursive: true });
  fs.rmSync(results, { force: true });
  let failedRun = false;
  try {
    await run(
      "npx",
      ["vitest", "run", ...args, "--reporter=default", "--reporter=json", `--outputFile.json=${results}`],
      { cwd: root },
    );
  } catch {
    failedRun = true;
  }
  const { passed, failed, skipped } = summarise(results, failedRun);
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  process.exit(failedRun || failed > 0 ? 1 : 0);
}

// A run that failed without a failed test (a suite that could not load, a global setup that threw) still
// counts as at least one failure, so CI never reads "0 failed" off a broken run.
function summarise(results, failedRun) {
  if (!fs.existsSync(results)) return { passed: 0, failed: failedRun ? 1 : 0, skipped: 0 };
  const r = JSON.parse(fs.readFileSync(results, "utf8"));
  const passed = r.numPassedTests ?? 0;
  let failed = r.numFailedTests ?? 0;
  if (failedRun && failed === 0) failed = Math.max(1, r.numFailedTestSuites ?? 1);
  return { passed, failed, skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0) };
}
