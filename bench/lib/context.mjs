// What every phase shares: the throwaway database and queue prefixes, the seeded buyer/key/services, the fake
// upstream, how to start the built apps, the load tool, and the cleanup that removes it all.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fmtCpu, fmtInt, fmtMs, log, lpad, pad } from "./format.mjs";
import { chooseLoadTool, loadToolVersion, runLoad } from "./load.mjs";
import { spawnChild, stopAllChildren, stopChild, waitForPort } from "./proc.mjs";
import { checkServices, dbClient, randomTag, removeQueues, seed, withDatabase } from "./setup.mjs";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export const BIN = {
  upstream: path.join(root, "packages/fake-upstream/dist/cli.js"),
  proxy: path.join(root, "apps/proxy/dist/main.js"),
  worker: path.join(root, "apps/worker/dist/main.js"),
  bare: path.join(root, "bench/bare-proxy.mjs"),
  hpm: path.join(root, "bench/hpm-proxy.mjs"),
};

export const REQUEST_BODY = JSON.stringify({
  model: "gpt-3.5-turbo",
  messages: [{ role: "user", content: "Say hello in one short sentence." }],
  max_tokens: 32,
});

/** Refuses to start when the apps are not built; returns the apps whose sources are newer than their build. */
export function requireBuilt() {
  const missing = Object.values(BIN).filter((f) => !fs.existsSync(f));
  if (missing.length > 0) {
    throw new Error(
      `not built: ${missing.map((f) => path.relative(root, f)).join(", ")}\n` +
        "  build first: npx turbo run build --output-logs=errors-only",
    );
  }
  const newest = (dir) => {
    let t = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (e.isFile() && e.name.endsWith(".ts"))
        t = Math.max(t, fs.statSync(path.join(e.parentPath ?? e.path, e.name)).mtimeMs);
    }
    return t;
  };
  const stale = [];
  for (const app of ["proxy", "worker"]) {
    const src = path.join(root, "apps", app, "src");
    if (fs.existsSync(src) && newest(src) > fs.statSync(BIN[app]).mtimeMs) stale.push(`apps/${app}`);
  }
  return stale;
}

/** The pid of a process by its command name (the shared redis-server, to meter its CPU), or null. */
function findProcess(comm) {
  for (const pid of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() === comm) return Number(pid);
    } catch {
      // gone
    }
  }
  return null;
}

/** The run's shared state and helpers; `cleanup()` undoes everything `setup()` made. */
export class BenchContext {
  constructor(cfg) {
    this.cfg = cfg;
    this.tag = randomTag();
    // Proxy and worker of one bench run share a throwaway capture signing secret and secrets key.
    this.signingKey = randomBytes(32).toString("base64url");
    this.secretsKey = randomBytes(32).toString("base64");
    this.dbUrl = null;
    this.dbCreated = false;
    this.prefixes = [];
    this.queues = [];
    this.tmpDir = null;
    this.pg = null;
    this.cleaning = null;
  }

  /** Checks the services, creates and migrates the database, seeds it, starts the fake upstream. */
  async setup() {
    const { cfg } = this;
    this.tool = chooseLoadTool();
    this.toolVersion = await loadToolVersion(this.tool);
    for (const url of [cfg.databaseUrl, cfg.redisUrl]) {
      const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
      if (!["127.0.0.1", "localhost", "::1"].includes(host)) {
        throw new Error(
          `the bench only runs against loopback services; ${host} is not (check DATABASE_URL / REDIS_URL)`,
        );
      }
    }
    await checkServices(cfg.databaseUrl, cfg.redisUrl);
    this.tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "tokenmeter-bench-"));
    for (const dir of [cfg.cpuProfDir, cfg.workerCpuProfDir]) if (dir) fs.mkdirSync(dir, { recursive: true });
    const dbName = `tokenmeter_bench_${this.tag}`;
    this.dbUrl = withDatabase(cfg.databaseUrl, dbName);
    const { prepareDatabase } = await import("@tokenmeter/db");
    const { generateApiKey } = await import("@tokenmeter/keys");
    const tDb = performance.now();
    this.dbCreated = true; // dropped at the end even if migration fails halfway
    await prepareDatabase(this.dbUrl);
    log(`  database ${dbName} created and migrated (${((performance.now() - tDb) / 1000).toFixed(1)} s)`);

    this.upstream = await this.startNode("fake-upstream", BIN.upstream, ["0"], {});
    log(`  fake upstream (own process, pid ${this.upstream.record.pid}) on ${this.upstream.url}`);
    this.apiKey = generateApiKey();
    this.slug = `bench-${this.tag}`;
    this.ids = await seed(this.dbUrl, {
      upstreamUrl: this.upstream.url,
      apiKey: this.apiKey,
      slug: this.slug,
    });
    log(
      `  seeded buyer ${this.ids.buyerId}, key ${this.apiKey.prefix}… (id ${this.ids.keyId}), service "${this.slug}" (id ${this.ids.serviceId}) → fake upstream`,
    );
    this.pg = await dbClient(this.dbUrl);
    this.redisPid = findProcess("redis-server");
    this.headers = { "content-type": "application/json", authorization: `Bearer ${this.apiKey.key}` };
  }

  /** A fresh queue prefix of this run (swept at the end). */
  prefix(name) {
    const p = `{tmbench_${this.tag}_${name}}`;
    if (!this.prefixes.includes(p)) this.prefixes.push(p);
    return p;
  }

  /** The environment of a built app on this run's database, Redis and queue prefix. */
  appEnv(queuePrefix, extra = {}) {
    return {
      DATABASE_URL: this.dbUrl,
      REDIS_URL: this.cfg.redisUrl,
      QUEUE_PREFIX: queuePrefix,
      LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      CAPTURE_SIGNING_KEY: this.signingKey,
      SECRETS_KEY: this.secretsKey,
      ...extra,
    };
  }

  /** Starts a Node script as a child process and waits for its listening port. */
  async startNode(name, script, args, env, { cpuProfDir = null, nodeArgs = [] } = {}) {
    const flags = [...nodeArgs, ...(cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] : [])];
    const record = spawnChild(name, process.execPath, [...flags, script, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
    });
    const port = await waitForPort(record);
    return { record, port, url: `http://127.0.0.1:${port}` };
  }

  /** The proxy (one process unless `extra` says otherwise) on a queue prefix, with the bench's extra node flags. */
  startProxy(queuePrefix, extra = {}, opts = {}) {
    return this.startNode(
      "proxy",
      BIN.proxy,
      [],
      this.appEnv(queuePrefix, {
        PROXY_PORT: "0",
        // One process unless a phase asks for more (phase "cluster"): the figures are per process.
        PROXY_WORKERS: "1",
        JOURNAL_DIR: path.join(this.tmpDir, `journal-${queuePrefix.replace(/\W/g, "")}-${Date.now()}`),
        ...extra,
      }),
      { nodeArgs: this.cfg.proxyNodeArgs, ...opts },
    );
  }

  startWorker(queuePrefix, extra = {}) {
    return this.startNode(
      "worker",
      BIN.worker,
      [],
      this.appEnv(queuePrefix, { WORKER_PORT: "0", ...extra }),
      {
        nodeArgs: this.cfg.workerNodeArgs,
      },
    );
  }

  /** One request must answer 200 with a chat.completion body before a target is loaded. */
  async sanityCheck(label, url) {
    let res;
    let text;
    // A proxy just started may answer 503 (its key lookup could not reach PostgreSQL yet): retry, as a client would.
    for (let attempt = 0; ; attempt++) {
      res = await fetch(url, { method: "POST", headers: this.headers, body: REQUEST_BODY });
      text = await res.text();
      if (res.status !== 503 || attempt >= 20) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    let ok = res.status === 200;
    try {
      ok &&= JSON.parse(text).object === "chat.completion";
    } catch {
      ok = false;
    }
    if (!ok) throw new Error(`${label}: POST ${url} answered ${res.status}: ${text.slice(0, 300)}`);
    return { bytes: Buffer.byteLength(text), requestId: res.headers.get("x-request-id") };
  }

  /**
   * Warm-up, then the measured run. Refuses results with socket errors or non-2xx answers (an auth failure
   * would otherwise look fast). `warmupRequests` is kept so the queue check can count every call.
   */
  async measure(label, url, watch, { headers = this.headers, body = REQUEST_BODY, durationS } = {}) {
    const { cfg } = this;
    const base = { url, connections: cfg.connections, headers, body, tmpDir: this.tmpDir };
    let warm = 0;
    if (cfg.warmupS > 0) {
      const w = await runLoad(this.tool, { ...base, durationS: cfg.warmupS });
      if (w.non2xx > 0 || w.socketErrors > 0)
        throw new Error(`${label} warm-up: ${w.socketErrors} socket errors, ${w.non2xx} non-2xx`);
      warm = w.requests;
    }
    const live = watch.filter((w) => w.pid);
    const r = await runLoad(this.tool, {
      ...base,
      durationS: durationS ?? cfg.durationS,
      watchPids: live.map((w) => w.pid),
    });
    r.label = label;
    r.warmupRequests = warm;
    r.watch = Object.fromEntries(live.map((w, i) => [w.name, r.cpu?.[i + 1] ?? null]));
    r.loadCpu = r.cpu?.[0] ?? null;
    // What the machine used beyond the bench's own processes (other people's builds and tests): noise.
    const ours = [r.loadCpu, ...Object.values(r.watch)].reduce((a, b) => a + (b ?? 0), 0);
    r.otherCpu = r.machineCpu === null ? null : Math.max(0, r.machineCpu - ours);
    log(
      `  ${pad(label, 34)} ${lpad(fmtInt(r.rps), 8)} req/s   p50 ${lpad(fmtMs(r.p50Ms), 9)}   p99 ${lpad(fmtMs(r.p99Ms), 9)}` +
        `   cpu% ${[["load", r.loadCpu], ...Object.entries(r.watch), ["other", r.otherCpu]].map(([n, v]) => `${n} ${fmtCpu(v).trim()}`).join(", ")}`,
    );
    if (r.socketErrors > 0 || r.non2xx > 0) {
      throw new Error(
        `${label}: ${r.socketErrors} socket errors, ${r.non2xx} non-2xx answers: the figures would be meaningless`,
      );
    }
    return r;
  }

  /** Counts usage_logs rows of a service. */
  async rowCount(serviceId) {
    const { rows } = await this.pg.query("SELECT count(*) FROM usage_logs WHERE api_service_id = $1", [
      serviceId,
    ]);
    return Number(rows[0].count);
  }

  /** Closes a queue handle and sweeps its prefix now (frees Redis memory; the final sweep repeats it). */
  async dropQueue(handle, prefix) {
    await handle.close();
    this.queues = this.queues.filter((q) => q !== handle);
    await removeQueues(this.cfg.redisUrl, [prefix]);
  }

  /** Stops the children, removes the queues, drops the database; returns notes for the log. Runs once. */
  cleanup() {
    if (this.cleaning) return this.cleaning;
    this.cleaning = (async () => {
      const notes = [];
      await stopAllChildren().catch((e) => notes.push(`stopping children: ${e.message}`));
      for (const q of this.queues) await q.close().catch(() => undefined);
      await this.pg?.end().catch(() => undefined);
      if (this.prefixes.length > 0) {
        try {
          const removed = await removeQueues(this.cfg.redisUrl, this.prefixes);
          notes.push(`queues removed (${this.prefixes.join(", ")}; ${removed} leftover keys swept)`);
        } catch (e) {
          notes.push(`queue cleanup failed: ${e.message}`);
        }
      }
      if (this.dbCreated) {
        try {
          const { dropDatabase } = await import("@tokenmeter/db");
          await dropDatabase(this.dbUrl);
          notes.push(`database ${new URL(this.dbUrl).pathname.slice(1)} dropped`);
        } catch (e) {
          notes.push(`dropping the database failed: ${e.message}`);
        }
      }
      if (this.tmpDir) fs.rmSync(this.tmpDir, { recursive: true, force: true });
      return notes;
    })();
    return this.cleaning;
  }

  stopChild(record) {
    return stopChild(record);
  }
}
