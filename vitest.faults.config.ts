import { defineConfig } from "vitest/config";

// The fault suite (`npm run test:faults`): the built apps as processes under load while Redis, PostgreSQL,
// the worker and the proxy fail. Kept out of `npm test`'s projects; `.ci/run` runs both.
const conditions = ["@tokenmeter/source", "module", "node", "development|production"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    globalSetup: ["@tokenmeter/test-support/global-setup"],
    include: ["faults/**/*.fault.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
