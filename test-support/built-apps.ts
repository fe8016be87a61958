import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** A built app running as its own process, as `npm start` runs it. */
export interface RunningApp {
  name: string;
  port: number;
  url: string;
  child: ChildProcess;
  logs: string[];
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `apps/<name>/dist/main.js` and waits for its "listening" log line (ports are ephemeral). */
export function startApp(name: string, env: Record<string, string>, timeoutMs = 30_000): Promise<RunningApp> {
  const child = spawn(process.execPath, ["dist/main.js"], {
    cwd: path.join(root, "apps", name),
    // One proxy process unless a test asks for more (the cluster has its own test): forking one worker per CPU
    // multiplies start-up time on a busy machine. A first key lookup waits on the database other test files
    // keep busy: the production 2 s would turn a slow moment into a 503 auth_unavailable.
    env: { PROXY_WORKERS: "1", LOOKUP_TIMEOUT_MS: "15000", ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${logs.join("\n")}`));
    }, timeoutMs);
    let buf = "";
    const onLine = (line: string) => {
      logs.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg === "listening" && typeof entry.port === "number") {
          clearTimeout(timer);
          resolve({
            name,
            port: entry.port,
            url: `http://127.0.0.1:${entry.port}`,
            child,
            logs,
            async stop() {
              if (child.exitCode !== null) return child.exitCode;
              child.kill("SIGTERM");
              return exited;
            },
          });
        }
      } catch {
        // not JSON: kept in logs
      }
    };
    const feed = (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf("\n");
      while (nl !== -1) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        nl = buf.indexOf("\n");
      }
    };
    child.stdout?.on("data", feed);
    child.stderr?.on("data", feed);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${logs.join("\n")}`));
    });
  });
}
