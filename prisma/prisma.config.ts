import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { defineConfig } from "prisma/config";

// Prisma issue #27403: through @prisma/adapter-pg the schema engine's catalog queries return columns of
// PostgreSQL type `name` (oid 19) and `"char"` (oid 18), which the adapter cannot deserialize. Report them
// as `text` (oid 25). Both the promise and the callback call styles are wrapped (pg.Pool uses callbacks).
// This patch lives here only: it affects the Prisma CLI (migrate/diff), never the apps.
const TEXT_OID = 25;
type QueryResultLike = { fields?: { dataTypeID: number }[] };
const fixFields = (result: unknown): void => {
  const results = Array.isArray(result) ? result : [result];
  for (const r of results as QueryResultLike[]) {
    for (const f of r?.fields ?? []) {
      if (f.dataTypeID === 19 || f.dataTypeID === 18) f.dataTypeID = TEXT_OID;
    }
  }
};
const patched = Symbol.for("tokenmeter.prisma-27403");
const proto = pg.Client.prototype as unknown as Record<string | symbol, unknown> & {
  query: (...args: unknown[]) => unknown;
};
if (!proto[patched]) {
  proto[patched] = true;
  const original = proto.query;
  proto.query = function patchedQuery(this: unknown, ...args: unknown[]) {
    const last = args.length - 1;
    const cb = args[last];
    if (typeof cb === "function") {
      args[last] = (err: unknown, res: unknown) => {
        if (!err) fixFields(res);
        return (cb as (e: unknown, r: unknown) => unknown)(err, res);
      };
      return original.apply(this, args);
    }
    const out = original.apply(this, args);
    if (out && typeof (out as Promise<unknown>).then === "function") {
      return (out as Promise<unknown>).then((res) => {
        fixFields(res);
        return res;
      });
    }
    return out;
  };
}

// schema.prisma reads env("DATABASE_URL") to validate; without it the CLI falls back to downloading engines.
if (!process.env.DATABASE_URL) process.env.DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/tokenmeter";
const databaseUrl = process.env.DATABASE_URL;

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "schema.prisma",
  migrations: { path: "migrations" },
  async adapter() {
    // allowExitOnIdle: the CLI exits as soon as it is done instead of waiting out the pool's idle timeout.
    return new PrismaPg({ connectionString: databaseUrl, allowExitOnIdle: true, idleTimeoutMillis: 200 });
  },
});
