import { defineConfig } from "vitest/config";

// Workspace packages are tested from source: the "@tokenmeter/source" export condition points at src/index.ts.
// No "module" condition: vitest passes these to Node's own resolver too, and packages whose "module" build
// is meant for bundlers only (@smithy/core) would then fail to load; production Node does not use it either.
const conditions = ["@tokenmeter/source", "node", "development|production"];
const project = (name: string, dir: string) => ({
  extends: true as const,
  test: { name, include: [`${dir}/src/**/*.test.ts`, `${dir}/test/**/*.test.ts`] },
});

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    globalSetup: ["./test-support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    projects: [
      project("@tokenmeter/capture", "packages/capture"),
      project("@tokenmeter/usage", "packages/usage"),
      project("@tokenmeter/pricing", "packages/pricing"),
      project("@tokenmeter/db", "packages/db"),
      project("@tokenmeter/metering", "packages/metering"),
      project("@tokenmeter/keys", "packages/keys"),
      project("@tokenmeter/alerts", "packages/alerts"),
      project("@tokenmeter/secrets", "packages/secrets"),
      project("@tokenmeter/runtime", "packages/runtime"),
      project("@tokenmeter/fake-upstream", "packages/fake-upstream"),
      project("@tokenmeter/proxy", "apps/proxy"),
      project("@tokenmeter/worker", "apps/worker"),
      project("@tokenmeter/control-plane", "apps/control-plane"),
      { extends: true as const, test: { name: "e2e", include: ["e2e/**/*.test.ts"] } },
    ],
  },
});
