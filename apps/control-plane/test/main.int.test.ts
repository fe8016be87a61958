import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, inject, it } from "vitest";
import { ADMIN_TOKEN, readJson, unique } from "./helpers.js";

const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let child: ChildProcess | undefined;

// Runs src/main.ts as the real entry point would run (tsx, workspace packages from source).
function start(env: Record<string, string>) {
  child = spawn(process.execPath, ["--conditions=@tokenmeter/source", "--import", "tsx", "src/main.ts"], {
    cwd: APP_DIR,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { process: child, output: () => output };
}

async function listeningLine(output: () => string): Promise<{ port: number; url: string; app: string }> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const line = output()
      .split("\n")
      .find((l) => l.includes('"msg":"listening"'));
    if (line) return JSON.parse(line);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no listening line:\n${output()}`);
}

afterEach(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  child = undefined;
});

describe("main", () => {
  it("logs a listening line with the actual port, serves, and exits 0 on SIGTERM", async () => {
    const app = start({
      DATABASE_URL: inject("databaseUrl"),
      REDIS_URL: inject("redisUrl"),
      QUEUE_PREFIX: `${inject("queuePrefix")}_main_${unique()}`,
      ADMIN_TOKEN,
      SECRETS_KEY: inject("secretsKey"),
      API_PORT: "0",
    });
    const line = await listeningLine(app.output);
    expect(line.app).toBe("control-plane");
    expect(line.port).toBeGreaterThan(0);
    expect(line.url).toBe(`http://127.0.0.1:${line.port}`);
    const health = await fetch(`${line.url}/healthz`);
    // The machine's Redis decides which: the app reports it, whatever it is.
    expect(await readJson(health)).toEqual({
      status: "ok",
      db: "up",
      redis: "up",
      redis_persistence: expect.stringMatching(/^(aof|rdb|none|unknown)$/),
    });
    // "close", not "exit": output still in the pipes is read before it fires.
    const exited = once(app.process, "close");
    app.process.kill("SIGTERM");
    const [code] = await exited;
    expect(code).toBe(0);
    expect(app.output()).toContain('"msg":"stopped"');
    expect(app.output()).not.toContain(ADMIN_TOKEN);
  });

  it("exits 1 with a message naming the variable when the environment is invalid", async () => {
    const app = start({ ADMIN_TOKEN: "short", API_PORT: "0" });
    const [code] = await once(app.process, "close");
    expect(code).toBe(1);
    expect(app.output()).toContain("ADMIN_TOKEN");
  });
});
