import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

/** A redis-server of the test's own on a free port, to stop and start for outage tests. */
export interface PrivateRedis {
  port: number;
  url: string;
  /** Its data folder (the append-only file lives here when `appendonly` is on). */
  dir: string | null;
  pid(): number | undefined;
  /** Ends the server: SIGKILL (the default: a crash) or SIGTERM (a clean shutdown that flushes the AOF). */
  stop(signal?: "SIGKILL" | "SIGTERM"): Promise<void>;
  start(): Promise<void>;
}

/** Options of a private Redis. */
export interface PrivateRedisOptions {
  /** Run durable, as production should: `appendonly yes`, `appendfsync everysec`, in a private temp folder. */
  appendonly?: boolean;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, up: boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (open === up) return;
    if (Date.now() > until) throw new Error(`redis on ${port} did not go ${up ? "up" : "down"}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts a private redis-server (never the machine's shared one); non-persistent unless asked. */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = options.appendonly ? fs.mkdtempSync(path.join(os.tmpdir(), "tm-redis-")) : null;
  const persistence = dir
    ? ["--dir", dir, "--appendonly", "yes", "--appendfsync", "everysec"]
    : ["--appendonly", "no"];
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", ...persistence],
      {
        stdio: "ignore",
      },
    );
    await waitForPort(port, true);
  };
  const stop = async (signal: "SIGKILL" | "SIGTERM" = "SIGKILL") => {
    if (!child) return;
    const c = child;
    child = null;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill(signal);
    await exited;
    await waitForPort(port, false);
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    pid: () => child?.pid,
    start,
    stop,
  };
}
