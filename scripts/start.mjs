// `npm start`: build once, create and migrate the database, then run the proxy, the worker and the control
// plane in one terminal with readable, prefixed logs. Ctrl-C stops all three cleanly.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { formatLogLine } from "./lib/log-format.mjs";
import { run } from "./lib/run.mjs";
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, requireServices } from "./lib/services.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const env = { ...process.env };
env.DATABASE_URL ||= DEFAULT_DATABASE_URL;
env.REDIS_URL ||= DEFAULT_REDIS_URL;

await requireServices(env.DATABASE_URL, env.REDIS_URL);

if (!process.argv.includes("--no-build")) {
  console.log("▸ building (turbo: prisma generate + tsc)…");
  await run("npx", ["turbo", "run", "build", "--output-logs=errors-only"], { cwd: root });
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
const pretty = process.env.LOG_FORMAT !== "json";
const children = new Map();
let stopping = false;

function startApp(app) {
  const child = spawn(process.execPath, ["--enable-source-maps", "dist/main.js"], {
    cwd: path.join(root, app.dir),
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.set(app.name, child);
  const forward = (stream, out) => {
    let buf = "";
    stream.on("data", (d) => {
      buf += d.toString();
      let nl = buf.indexOf("\n");
      while (nl !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        out.write(`${pretty ? formatLogLine(app.name, line) : line}\n`);
        nl = buf.indexOf("\n");
      }
    });
  };
  forward(child.stdout, process.stdout);
  forward(child.stderr, process.stderr);
  child.on("exit", (code, signal) => {
    children.delete(app.name);
    if (!stopping) {
      console.error(`✖ ${app.name} exited (${signal ?? code}); stopping the others`);
      stop(1);
    } else if (children.size === 0) {
      process.exit(process.exitCode ?? 0);
    }
  });
}

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  for (const child of children.values()) child.kill("SIGTERM");
  if (children.size === 0) process.exit(code);
  setTimeout(() => {
    for (const child of children.values()) child.kill("SIGKILL");
    process.exit(code || 1);
  }, 15_000).unref();
}

process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));
for (const app of apps) startApp(app);

const host = "http://localhost";
console.log(`
  tokenmeter is starting
  proxy          ${host}:${env.PROXY_PORT || 8080}/{service-slug}/…
  control plane  ${host}:${env.API_PORT || 8081}   (summary: /api/v1/usage/summary · admin: /admin/… · /dashboard · /admin/queues)
  worker         ${host}:${env.WORKER_PORT || 8082}/healthz
  admin token    ${env.ADMIN_TOKEN}   (${tokenNote})
  Ctrl-C stops all three.
`);
