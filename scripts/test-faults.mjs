// `npm run test:faults`: the zero-loss fault suite. Runs faults/*.fault.test.ts against a private redis-server
// with AOF and a TCP relay in front of PostgreSQL (never the machine's shared services), with its own
// database. Builds first (it runs the built apps). Ends with "N passed, N failed".
import { runTests } from "./lib/test-run.mjs";

await runTests({
  resultsFile: "fault-results.json",
  args: ["--config", "vitest.faults.config.ts", ...process.argv.slice(2)],
});
