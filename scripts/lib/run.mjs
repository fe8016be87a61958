// Runs a command, streaming its output; rejects with a short message when it fails.
import { spawn } from "node:child_process";

export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: "inherit", ...options });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code}`));
    });
  });
}

/** Runs turbo without its telemetry notice, which would otherwise be the first thing a fresh clone prints. */
export function turbo(args, options = {}) {
  return run("npx", ["turbo", ...args], {
    ...options,
    env: { ...(options.env ?? process.env), TURBO_TELEMETRY_DISABLED: "1" },
  });
}
