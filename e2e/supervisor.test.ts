import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain ES module of the start script, without type declarations
import { supervise } from "../scripts/lib/supervisor.mjs";

describe("npm start's supervisor", () => {
  it("restarts an app that dies, with backoff, while the others keep running", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-supervisor-"));
    const counter = path.join(dir, "runs");
    // Dies with code 3 on its first two runs, then stays up until SIGTERM.
    const flaky = `const fs = require("node:fs"); const n = Number(fs.existsSync(${JSON.stringify(counter)}) ? fs.readFileSync(${JSON.stringify(counter)}, "utf8") : 0) + 1;
fs.writeFileSync(${JSON.stringify(counter)}, String(n)); console.log("run " + n); if (n <= 2) process.exit(3);
process.on("SIGTERM", () => process.exit(0)); setInterval(() => {}, 1000);`;
    const steady = `console.log("up"); process.on("SIGTERM", () => process.exit(0)); setInterval(() => {}, 1000);`;
    const restarts: Array<[string, string, number]> = [];
    const lines: string[] = [];
    let thirdRun: () => void = () => undefined;
    const running = new Promise<void>((resolve) => {
      thirdRun = resolve;
    });
    const supervisor = supervise(
      [
        { name: "flaky", command: process.execPath, args: ["-e", flaky] },
        { name: "steady", command: process.execPath, args: ["-e", steady] },
      ],
      {
        baseMs: 20,
        onRestart: (name: string, exit: string, delayMs: number) => restarts.push([name, exit, delayMs]),
        onLine: (name: string, line: string) => {
          lines.push(`${name}: ${line}`);
          if (line === "run 3") thirdRun();
        },
      },
    );
    await running;
    expect(restarts).toEqual([
      ["flaky", "3", 20],
      ["flaky", "3", 40],
    ]);
    const steadyChild = supervisor.child("steady");
    expect(steadyChild?.exitCode).toBeNull();
    expect(lines.filter((l) => l === "steady: up")).toHaveLength(1);
    await supervisor.stop();
    expect(steadyChild?.exitCode).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
