// Fails when prisma/schema.prisma and prisma/migrations disagree. Uses a fresh scratch database (Prisma's
// "shadow" database through the driver adapter) that is dropped afterwards.
import { randomBytes } from "node:crypto";
import { DEFAULT_DATABASE_URL } from "./lib/services.mjs";

const { dropDatabase, ensureDatabase, runPrismaCli } = await import("@tokenmeter/db");
const url = new URL(process.env.DATABASE_URL || DEFAULT_DATABASE_URL);
url.pathname = `/tokenmeter_drift_${randomBytes(4).toString("hex")}`;
const scratch = url.toString();
await ensureDatabase(scratch);
try {
  const { code, output } = await runPrismaCli(
    [
      "migrate",
      "diff",
      "--from-migrations",
      "migrations",
      "--to-schema-datamodel",
      "schema.prisma",
      "--exit-code",
      "--script",
    ],
    scratch,
  );
  if (code === 0) {
    console.log("migrations match schema.prisma: no drift");
  } else if (code === 2) {
    console.error("✖ schema.prisma and prisma/migrations have drifted. Missing migration SQL:\n");
    console.error(
      output
        .split("\n")
        .filter((l) => !l.startsWith("Loaded Prisma config"))
        .join("\n"),
    );
    process.exitCode = 1;
  } else {
    console.error(`✖ drift check could not run (exit ${code}):\n${output}`);
    process.exitCode = 1;
  }
} finally {
  await dropDatabase(scratch);
}
