// `npm start`: build once, create and migrate the database, then run the proxy, the worker and the control
// plane in one terminal with readable, prefixed logs. Ctrl-C stops all three cleanly.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { prettyFactory } from "pino-pretty";
import { turbo } from "./lib/run.mjs";
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, requireServices } from "./lib/services.mjs";
import { supervise } from "./lib/supervisor.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const env = { ...process.env };
env.DATABASE_URL ||= DEFAULT_DATABASE_URL;
env.REDIS_URL ||= DEFAULT_REDIS_URL;

await requireServices(env.DATABASE_URL, env.REDIS_URL);

if (!process.argv.includes("--no-build")) {
  console.log("▸ building (turbo: prisma generate + tsc)…");
  await turbo(["run", "build", "--output-logs=errors-only"], { cwd: root });
}

console.log("▸ preparing the database…");
const { prepareDatabase } = await import("@tokenmeter/db");
const { created } = await prepareDatabase(env.DATABASE_URL);
console.log(
  `  ${created ? "created and migrated" : "migrated"} ${new URL(env.DATABASE_URL).pathname.slice(1)}`,
);

// A generated admin token is kept in a git-ignored file and reused on the next start.
let tokenNote = "from ADMIN_TOKEN";
if (!env.ADMIN_TOKEN) {
  const file = path.join(root, ".tokenmeter", "admin-token");
  if (fs.existsSync(file)) {
    env.ADMIN_TOKEN = fs.readFileSync(file, "utf8").trim();
    tokenNote = `saved in ${path.relative(root, file)}`;
  } else {
    env.ADMIN_TOKEN = `tmadmin_${randomBytes(24).toString("base64url")}`;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${env.ADMIN_TOKEN}\n`, { mode: 0o600 });
    tokenNote = `generated, saved in ${path.relative(root, file)}`;
  }
}

// Development secrets are generated once and kept beside the admin token (git-ignored, owner-only). In
// production set them yourself and share CAPTURE_SIGNING_KEY between proxies and workers.
env.CAPTURE_SIGNING_KEY ||= keptSecret("capture-signing-key", () => randomBytes(32).toString("base64url"));
env.SECRETS_KEY ||= keptSecret("secrets-key", () => randomBytes(32).toString("base64"));
// Development talks to local fake upstreams; production leaves private targets refused unless listed.
env.ALLOW_PRIVATE_UPSTREAMS ||= "true";

function keptSecret(name, make) {
  const file = path.join(root, ".tokenmeter", name);
  if (fs.existsSync(file)) return fs.readFileSync(file, "utf8").trim();
  const value = make();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

const apps = [
  { name: "proxy", dir: "apps/proxy" },
  { name: "worker", dir: "apps/worker" },
  { name: "control-plane", dir: "apps/control-plane" },
];
// Readable logs for a terminal: "proxy          [12:00:00] INFO: message {fields}"; LOG_FORMAT=json keeps pino's
// lines as they are. Lines that are not JSON (a crash's stack trace) pass through unchanged.
const pretty =
  process.env.LOG_FORMAT === "json"
    ? null
    : prettyFactory({
        colorize: process.stdout.isTTY === true,
        translateTime: "HH:MM:ss",
        ignore: "pid,hostname,app",
        singleLine: true,
      });
const formatLine = (name, line) => (pretty ? `${name.padEnd(14)} ${pretty(line).trimEnd()}` : line);

// A crashed app is restarted with backoff (1 s doubling to 30 s) while the others keep running.
const supervisor = supervise(
  apps.map((app) => ({
    name: app.name,
    command: process.execPath,
    args: ["--enable-source-maps", "dist/main.js"],
    cwd: path.join(root, app.dir),
  })),
  {
    env,
    onLine: (name, line, stream) =>
      (stream === "err" ? process.stderr : process.stdout).write(`${formatLine(name, line)}\n`),
    onRestart: (name, exit, delayMs) =>
      console.error(`✖ ${name} exited (${exit}); restarting in ${delayMs / 1000} s`),
  },
);

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  void supervisor.stop().then(() => process.exit(0));
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);

const host = "http://localhost";
console.log(`
  tokenmeter is starting
  proxy          ${host}:${env.PROXY_PORT || 8080}/{service-slug}/…   (${env.PROXY_WORKERS || os.availableParallelism()} processes, PROXY_WORKERS)
  control plane  ${host}:${env.API_PORT || 8081}   (summary: /api/v1/usage/summary · admin: /admin/… · /dashboard · /admin/queues)
  worker         ${host}:${env.WORKER_PORT || 8082}/healthz
  admin token    ${env.ADMIN_TOKEN}   (${tokenNote})
  Ctrl-C stops all three.
`);
