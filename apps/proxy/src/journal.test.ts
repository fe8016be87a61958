import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Journal } from "./journal.js";
import { claimJournalSlot } from "./journal-slot.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-journal-test-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const capture = (id: string) => JSON.stringify({ v: 1, requestId: id });
const journal = (maxBytes = 1 << 20) =>
  new Journal({ dir, maxBytes, segmentBytes: 1 << 20, segmentMs: 60_000, fsyncMs: 0 });

describe("journal", () => {
  it("writes each capture to disk at once, one line each", () => {
    const j = journal();
    j.open();
    const a = j.append(capture("a"));
    const b = j.append(capture("b"));
    expect(a?.index).toBe(0);
    expect(b?.index).toBe(1);
    expect(a?.segment).toBe(b?.segment);
    // No flush, no close: what a SIGKILL would leave.
    const text = fs.readFileSync(a!.segment.path, "utf8");
    expect(
      text
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).requestId),
    ).toEqual(["a", "b"]);
    j.close();
  });

  it("deletes a segment only once it is sealed, fully batched and every batch is settled", async () => {
    const j = journal();
    j.open();
    const at = j.append(capture("a"))!;
    const segment = at.segment;
    expect(await j.release(segment)).toBe(false); // still open
    j.seal();
    expect(await j.release(segment)).toBe(false); // its line is in no batch yet
    segment.assigned = 1;
    segment.pending = 1;
    expect(await j.release(segment)).toBe(false); // its batch is not recorded yet
    segment.pending = 0;
    expect(await j.release(segment)).toBe(true);
    expect(fs.existsSync(segment.path)).toBe(false);
    expect(j.segments).toBe(0);
    expect(j.bytes).toBe(0);
  });

  it("refuses captures past its bound", () => {
    const j = journal(200);
    j.open();
    expect(j.append(capture("a"))).not.toBeNull();
    expect(j.append(capture("x".repeat(300)))).toBeNull();
    j.close();
  });

  it("hands back everything an earlier process left, interrupted spool writes included, and reports other files", () => {
    fs.writeFileSync(path.join(dir, "000001764500000000-000000.jsonl"), "{}\n");
    fs.writeFileSync(path.join(dir, ".000001764500000001-000000001-abcd.jsonl.tmp"), "{}\n");
    fs.writeFileSync(path.join(dir, "notes.txt"), "hello");
    const j = journal();
    const inherited = j.open();
    expect(inherited.map((s) => s.name).sort()).toEqual([
      ".000001764500000001-000000001-abcd.jsonl.tmp",
      "000001764500000000-000000.jsonl",
    ]);
    expect(inherited.every((s) => s.inherited && s.sealed && !s.scanned)).toBe(true);
    expect(j.foreignFiles).toEqual(["notes.txt"]);
  });
});

describe("journal slots", () => {
  it("gives a second live process its own directory and adopts a dead owner's segments", async () => {
    const { spawn } = await import("node:child_process");
    const sleeper = spawn("sleep", ["30"]);
    const dead = spawn("true");
    await new Promise((r) => dead.once("exit", r));
    try {
      // proxy-0 held by a live process, proxy-1 by a dead one that left a segment behind.
      fs.writeFileSync(path.join(dir, "proxy-0.lock"), String(sleeper.pid));
      fs.mkdirSync(path.join(dir, "proxy-0"));
      fs.writeFileSync(path.join(dir, "proxy-1.lock"), String(dead.pid));
      fs.mkdirSync(path.join(dir, "proxy-1"));
      fs.writeFileSync(path.join(dir, "proxy-1", "0001-000000.jsonl"), "{}\n");
      // And an old spool's file at the top.
      fs.writeFileSync(path.join(dir, "000000000000001-000000001-abcdef12.jsonl"), "{}\n");

      const slot = claimJournalSlot(dir);
      expect(slot.name).toBe("proxy-1");
      expect(fs.readFileSync(path.join(dir, "proxy-1.lock"), "utf8")).toBe(String(process.pid));
      expect(fs.readdirSync(slot.dir).sort()).toEqual([
        "000000000000001-000000001-abcdef12.jsonl",
        "0001-000000.jsonl",
      ]);
      expect(fs.existsSync(path.join(dir, "proxy-0.lock"))).toBe(true);
      slot.release();
      expect(fs.existsSync(path.join(dir, "proxy-1.lock"))).toBe(false);
    } finally {
      sleeper.kill();
    }
  });

  it("adopts the segments of a slot whose owner died", async () => {
    const { spawn } = await import("node:child_process");
    const dead = spawn("true");
    await new Promise((r) => dead.once("exit", r));
    fs.writeFileSync(path.join(dir, "proxy-3.lock"), String(dead.pid));
    fs.mkdirSync(path.join(dir, "proxy-3"));
    fs.writeFileSync(path.join(dir, "proxy-3", "0002-000000.jsonl"), "{}\n");
    const slot = claimJournalSlot(dir);
    expect(slot.name).toBe("proxy-0");
    expect(slot.adopted).toBe(1);
    expect(fs.readdirSync(slot.dir)).toEqual(["0002-000000.jsonl"]);
    expect(fs.existsSync(path.join(dir, "proxy-3.lock"))).toBe(false);
  });
});
