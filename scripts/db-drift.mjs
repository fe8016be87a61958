// Fails when prisma/schema.prisma and prisma/migrations disagree. Uses a fresh scratch database (Prisma's
// "shadow" database through the driver adapter) that is dropped afterwards.
//
// `usage_logs` is a partitioned table (monthly RANGE partitions on request_timestamp). Prisma 6.19 compares its
// parent table as any other (columns, the composite keys (id, request_timestamp) and (request_id,
// request_timestamp), the partitioned indexes) and leaves the partitions themselves (usage_logs_pYYYYMM,
// usage_logs_default) out of the comparison: they are created by the migration and by the worker's maintenance
// job, and schema.prisma does not model them. Nothing is excluded here: a difference on the parent still fails.
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
