// `npm run lint:cycles`: fails on any import cycle among the TypeScript sources (type-only imports included:
// a cycle of types is still two modules that cannot be understood apart). Prisma's generated client is left
// out; it is not ours to untangle.
import path from "node:path";
import { fileURLToPath } from "node:url";
import madge from "madge";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

// Cycles tolerated while being removed; each entry is one cycle as madge prints it. Empty: none is tolerated
// (a stale entry fails the check too, so the list cannot rot).
const KNOWN = new Set([]);

const result = await madge(["apps", "packages", "e2e", "faults", "test-support"], {
  baseDir: root,
  fileExtensions: ["ts"],
  tsConfig: path.join(root, "tsconfig.base.json"),
  excludeRegExp: [/\/generated\//, /\/dist\//, /node_modules/],
});
const cycles = result.circular().map((cycle) => cycle.join(" > "));
const unexpected = cycles.filter((c) => !KNOWN.has(c));
const stale = [...KNOWN].filter((c) => !cycles.includes(c));
for (const c of unexpected) console.error(`✖ import cycle: ${c}`);
for (const c of stale) console.error(`✖ listed in scripts/check-cycles.mjs but no longer a cycle: ${c}`);
const files = Object.keys(result.obj()).length;
if (unexpected.length > 0 || stale.length > 0) process.exit(1);
console.log(`no import cycles in ${files} files${KNOWN.size ? ` (${KNOWN.size} known, listed)` : ""}`);
