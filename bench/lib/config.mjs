// The bench's settings: BENCH_* environment variables, overridden by command-line options
// (`npm run bench -- --phases sse,lag --worker-rows 100000`).
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from "./setup.mjs";

/** Every phase, in the order the runner runs them. */
export const ALL_PHASES = ["proxy", "sse", "big", "lag", "journal", "outage", "worker", "cluster"];

const OPTIONS = {
  phases: { type: "string", env: "BENCH_PHASES", help: `comma-separated, from ${ALL_PHASES.join(",")}` },
  duration: { type: "string", env: "BENCH_DURATION_S", help: "measured seconds per load run" },
  warmup: { type: "string", env: "BENCH_WARMUP_S", help: "warm-up seconds per load run" },
  connections: { type: "string", env: "BENCH_CONNECTIONS", help: "keep-alive connections" },
  "worker-captures": { type: "string", env: "BENCH_WORKER_CAPTURES", help: "captures per worker run" },
  "worker-rows": { type: "string", env: "BENCH_WORKER_ROWS", help: "usage_logs rows before the 2nd run" },
  help: { type: "boolean" },
};

function usage() {
  const lines = ["usage: node bench/run.mjs [options]   (or npm run bench -- [options])"];
  for (const [name, o] of Object.entries(OPTIONS)) {
    if (o.env) lines.push(`  --${name.padEnd(16)} ${o.help} (env ${o.env})`);
  }
  lines.push("  every BENCH_* variable is listed in bench/README.md");
  return lines.join("\n");
}

/** Reads the settings; throws on a bad value, prints usage for --help. */
export function readConfig(argv = process.argv.slice(2), env = process.env) {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(Object.entries(OPTIONS).map(([k, o]) => [k, { type: o.type }])),
    strict: true,
  });
  if (values.help) {
    console.log(usage());
    process.exit(0);
  }
  const raw = (name, envName) => values[name] ?? env[envName];
  const num = (name, envName, fallback) => {
    const value = raw(name, envName);
    if (value === undefined || value === "") return fallback;
    const n = Number(String(value).replaceAll("_", ""));
    if (!Number.isFinite(n) || n < 0)
      throw new Error(`${name} must be a non-negative number, got "${value}"`);
    return n;
  };
  const phases = (raw("phases", "BENCH_PHASES") || ALL_PHASES.join(","))
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  const unknown = phases.filter((p) => !ALL_PHASES.includes(p));
  if (unknown.length > 0)
    throw new Error(`unknown phase(s) ${unknown.join(", ")}; known: ${ALL_PHASES.join(", ")}`);
  const cfg = {
    phases: new Set(phases),
    durationS: num("duration", "BENCH_DURATION_S", 10),
    warmupS: num("warmup", "BENCH_WARMUP_S", 2),
    connections: Math.max(1, Math.round(num("connections", "BENCH_CONNECTIONS", 64))),
    workerCaptures: Math.round(num("worker-captures", "BENCH_WORKER_CAPTURES", 50_000)),
    workerRows: Math.round(num("worker-rows", "BENCH_WORKER_ROWS", 10_000_000)),
    withWorkerRun: env.BENCH_WITH_WORKER !== "0",
    outageS: num(null, "BENCH_OUTAGE_S", 30),
    outageRate: num(null, "BENCH_OUTAGE_RATE", 500),
    outageClients: Math.max(1, Math.round(num(null, "BENCH_OUTAGE_CLIENTS", 32))),
    workerTimeoutS: num(null, "BENCH_WORKER_TIMEOUT_S", 90),
    sseSamples: Math.max(10, Math.round(num(null, "BENCH_SSE_SAMPLES", 400))),
    bigBytes: Math.max(1024, Math.round(num(null, "BENCH_BIG_BYTES", 5 * 1024 * 1024))),
    bigDurationS: Math.max(1, num(null, "BENCH_BIG_DURATION_S", 10)),
    lagRate: Math.max(1, num(null, "BENCH_LAG_RATE", 1000)),
    lagS: Math.max(2, num(null, "BENCH_LAG_S", 20)),
    clusterWorkers: Math.round(num(null, "BENCH_PROXY_WORKERS", 0)),
    proxyNodeArgs: (env.BENCH_PROXY_NODE_ARGS ?? "").split(" ").filter(Boolean),
    workerNodeArgs: (env.BENCH_WORKER_NODE_ARGS ?? "").split(" ").filter(Boolean),
    cpuProfDir: env.BENCH_CPU_PROF_DIR ? path.resolve(env.BENCH_CPU_PROF_DIR) : null,
    workerCpuProfDir: env.BENCH_WORKER_CPU_PROF_DIR ? path.resolve(env.BENCH_WORKER_CPU_PROF_DIR) : null,
    databaseUrl: env.DATABASE_URL || DEFAULT_DATABASE_URL,
    redisUrl: env.REDIS_URL || DEFAULT_REDIS_URL,
  };
  if (cfg.durationS < 1) throw new Error("the measured duration must be at least 1 s");
  return cfg;
}
