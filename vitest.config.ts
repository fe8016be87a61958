import { defineConfig } from "vitest/config";

// Workspace packages are tested from source: the "@tokenmeter/source" export condition points at src/index.ts.
// No "module" condition: vitest passes these to Node's own resolver too, and packages whose "module" build
// is meant for bundlers only (@smithy/core) would then fail to load; production Node does not use it either.
const conditions = ["@tokenmeter/source", "node", "development|production"];

// Two projects, split by what a test needs rather than where it lives:
// - "unit": `*.test.ts` beside the code and in each workspace's test/ folder; no PostgreSQL, no Redis, no build.
// - "int": `*.int.test.ts` (the real PostgreSQL and Redis) and `e2e/*.e2e.test.ts` (the built apps as
//   processes); its global setup creates the run's database and Redis prefix.
// `npx vitest run --project unit` runs without any service; a workspace's own tests: `npx vitest run apps/proxy/`.
const workspaces = ["packages/*", "apps/*"].flatMap((w) => [`${w}/src/**/`, `${w}/test/**/`]);
const SERVICES = ["**/*.int.test.ts", "**/*.e2e.test.ts"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // expect.poll gives up after 1 s by default: short for a page or a process on a loaded two-core machine.
    // It returns as soon as the assertion holds, so a passing run is no slower.
    expect: { poll: { timeout: 15_000 } },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: [...workspaces.map((w) => `${w}*.test.ts`), "e2e/*.test.ts"],
          exclude: ["**/node_modules/**", ...SERVICES],
        },
      },
      {
        extends: true,
        test: {
          name: "int",
          include: [...workspaces.map((w) => `${w}*.int.test.ts`), "e2e/*.e2e.test.ts"],
          exclude: ["**/node_modules/**"],
          globalSetup: ["@tokenmeter/test-support/global-setup"],
        },
      },
    ],
  },
});
