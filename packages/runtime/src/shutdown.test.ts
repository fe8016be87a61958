import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import { installShutdown } from "./shutdown.js";

const silent = { info: () => {}, warn: () => {}, error: () => {} };

// A stand-in for `process`: signals are emitted by hand and exit is recorded, so the test process lives on.
function host() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  return {
    emitter,
    exits,
    host: { on: emitter.on.bind(emitter), exit: (code: number) => void exits.push(code) },
  };
}

afterEach(() => vi.useRealTimers());

describe("installShutdown", () => {
  it("closes in order, one after the other, then exits 0", async () => {
    const { emitter, exits, host: h } = host();
    const log: string[] = [];
    const slow = (name: string, ms: number) => ({
      name,
      close: () => new Promise<void>((resolve) => setTimeout(() => resolve(void log.push(name)), ms)),
    });
    const done = installShutdown({
      logger: silent,
      host: h,
      closers: [slow("server", 20), slow("queue", 1), { name: "db", close: () => void log.push("db") }],
    });
    emitter.emit("SIGTERM", "SIGTERM");
    await done("again");
    expect(log).toEqual(["server", "queue", "db"]);
    expect(exits).toEqual([0]);
  });

  it("gives up on a closer past its timeout, closes the rest, and exits 1", async () => {
    vi.useFakeTimers();
    const { exits, host: h } = host();
    const closed: string[] = [];
    const errors: unknown[] = [];
    const shutdown = installShutdown({
      logger: { ...silent, error: (obj) => void errors.push(obj) },
      host: h,
      closers: [
        { name: "stuck", close: () => new Promise(() => {}), timeoutMs: 5000 },
        { name: "db", close: () => void closed.push("db") },
      ],
    });
    const done = shutdown("SIGINT");
    await vi.advanceTimersByTimeAsync(4999);
    expect(closed).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(closed).toEqual(["db"]);
    expect(exits).toEqual([1]);
    expect(errors).toMatchObject([{ closer: "stuck", err: { code: "timeout" } }]);
  });

  it("exits 1 at once on a second signal while closing, ignoring the first one's echo", async () => {
    vi.useFakeTimers();
    const { emitter, exits, host: h } = host();
    let release = () => {};
    installShutdown({
      logger: silent,
      host: h,
      closers: [{ name: "slow", close: () => new Promise<void>((resolve) => (release = resolve)) }],
    });
    emitter.emit("SIGINT", "SIGINT");
    // Ctrl-C's SIGINT to the group, then the supervisor's SIGTERM a moment later: one request.
    await vi.advanceTimersByTimeAsync(50);
    emitter.emit("SIGTERM", "SIGTERM");
    expect(exits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    emitter.emit("SIGINT", "SIGINT");
    expect(exits).toEqual([1]);
    release();
  });

  it("runs the closers once however often it is asked", async () => {
    const { exits, host: h } = host();
    let calls = 0;
    const shutdown = installShutdown({
      logger: silent,
      host: h,
      closers: [{ name: "x", close: () => calls++ }],
    });
    await Promise.all([shutdown("a"), shutdown("b")]);
    expect(calls).toBe(1);
    expect(exits).toEqual([0]);
  });
});
