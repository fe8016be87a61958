// `npm test`: the unit tests (no services) and the integration and end-to-end tests against the real
// PostgreSQL and Redis (vitest projects "unit" and "int", see vitest.config.ts). Each run uses its own database
// (created, migrated, dropped) and its own Redis key prefix, so it can run beside a live instance. Builds
// first: the end-to-end tests start the real, built apps. Extra arguments go to vitest (`npm test --
// --project unit`). Ends with "N passed, N failed".
import { runTests } from "./lib/test-run.mjs";

await runTests({ resultsFile: "test-results.json", args: process.argv.slice(2) });
