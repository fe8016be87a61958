// Runs a set of child processes and restarts any that dies, with exponential backoff (base doubling to max, reset
// once a process has stayed up for `resetAfterMs`); the others keep running. For `npm start` (development); in
// production each app runs under a real supervisor (systemd, a container runtime), see the README.
import { spawn } from "node:child_process";

/**
 * @param {Array<{name: string, command: string, args: string[], cwd?: string}>} specs
 * @param {{env?: NodeJS.ProcessEnv, onLine?: (name: string, line: string, stream: "out"|"err") => void,
 *          onRestart?: (name: string, exit: string, delayMs: number) => void, baseMs?: number, maxMs?: number,
 *          resetAfterMs?: number, killAfterMs?: number}} options
 */
export function supervise(specs, options = {}) {
  const {
    env = process.env,
    baseMs = 1000,
    maxMs = 30_000,
    resetAfterMs = 60_000,
    killAfterMs = 15_000,
  } = options;
  const children = new Map();
  const failures = new Map();
  let stopping = false;
  let resolveStopped;
  const stopped = new Promise((resolve) => {
    resolveStopped = resolve;
  });

  const start = (spec) => {
    const startedAt = Date.now();
    const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    children.set(spec.name, child);
    for (const [stream, tag] of [
      [child.stdout, "out"],
      [child.stderr, "err"],
    ]) {
      let buf = "";
      stream.on("data", (d) => {
        buf += d.toString();
        let nl = buf.indexOf("\n");
        while (nl !== -1) {
          options.onLine?.(spec.name, buf.slice(0, nl), tag);
          buf = buf.slice(nl + 1);
          nl = buf.indexOf("\n");
        }
      });
    }
    child.on("exit", (code, signal) => {
      if (children.get(spec.name) === child) children.delete(spec.name);
      if (stopping) {
        if (children.size === 0) resolveStopped();
        return;
      }
      const previous = Date.now() - startedAt >= resetAfterMs ? 0 : (failures.get(spec.name) ?? 0);
      const delay = Math.min(maxMs, baseMs * 2 ** previous);
      failures.set(spec.name, previous + 1);
      options.onRestart?.(spec.name, String(signal ?? code), delay);
      setTimeout(() => {
        if (!stopping) start(spec);
      }, delay);
    });
  };
  for (const spec of specs) start(spec);

  return {
    /** The running child of `name`, if any. */
    child: (name) => children.get(name),
    /** SIGTERM to every child, SIGKILL after killAfterMs; resolves when all have exited. */
    stop() {
      if (!stopping) {
        stopping = true;
        if (children.size === 0) resolveStopped();
        for (const child of children.values()) child.kill("SIGTERM");
        setTimeout(() => {
          for (const child of children.values()) child.kill("SIGKILL");
        }, killAfterMs).unref();
      }
      return stopped;
    },
  };
}
