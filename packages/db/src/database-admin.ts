import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

/** The repository's prisma folder (schema, migrations, prisma.config.ts). */
export const PRISMA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../prisma");

function databaseName(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ""));
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(name))
    throw new Error(`unsupported database name in DATABASE_URL: "${name}"`);
  return name;
}

function maintenanceUrl(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.pathname = "/postgres";
  return url.toString();
}

async function withMaintenanceClient<T>(databaseUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: maintenanceUrl(databaseUrl),
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates the database named in the URL when it does not exist. Returns true when it was created. */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const name = databaseName(databaseUrl);
  return withMaintenanceClient(databaseUrl, async (client) => {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE "${name}"`);
    } catch (error) {
      // Another process created it between the check and the CREATE.
      if ((error as { code?: string }).code !== "42P04") throw error;
      return false;
    }
    return true;
  });
}

/** Drops the database named in the URL (tests), ending its other connections first. */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const name = databaseName(databaseUrl);
  await withMaintenanceClient(databaseUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });
}

/**
 * Runs a Prisma CLI command against the repository's prisma config with the given DATABASE_URL.
 * When `doneWhen` matches the output, the command counts as succeeded and the CLI is ended: Prisma 6.19's
 * WebAssembly schema engine leaves a 10 s timer that otherwise holds the process open after it has finished.
 */
export function runPrismaCli(
  args: string[],
  databaseUrl: string,
  doneWhen?: RegExp,
): Promise<{ code: number; output: string }> {
  const require = createRequire(import.meta.url);
  const cli = require.resolve("prisma/build/index.js");
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [cli, ...args, "--config", path.join(PRISMA_DIR, "prisma.config.ts")],
      {
        cwd: PRISMA_DIR,
        // The CLI child inherits the environment (PATH, HOME…); only DATABASE_URL is chosen here.
        env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    let done = false;
    child.stdout.on("data", (d: Buffer) => {
      output += d.toString();
      if (!done && doneWhen?.test(output)) {
        done = true;
        child.kill("SIGTERM");
      }
    });
    child.stderr.on("data", (d: Buffer) => {
      output += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: done ? 0 : (code ?? 1), output }));
  });
}

/** Applies pending migrations (`prisma migrate deploy`). Throws with Prisma's output on failure. */
export async function migrateDatabase(databaseUrl: string): Promise<void> {
  const { code, output } = await runPrismaCli(
    ["migrate", "deploy"],
    databaseUrl,
    /All migrations have been successfully applied|No pending migrations to apply/,
  );
  if (code !== 0) throw new Error(`prisma migrate deploy failed:\n${output}`);
}

/** Creates the database if missing and applies migrations. */
export async function prepareDatabase(databaseUrl: string): Promise<{ created: boolean }> {
  const created = await ensureDatabase(databaseUrl);
  await migrateDatabase(databaseUrl);
  return { created };
}
