import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startProxyHarness, waitFor } from "./harness.js";

const capture = (requestId: string) => ({
  v: 1,
  requestId,
  receivedAt: new Date().toISOString(),
  buyerId: 1,
  apiKeyId: 1,
  serviceId: 1,
  serviceSlug: "svc",
  method: "POST",
  path: "/v1/chat/completions",
  request: { body: { size: 2, head: "e30=", tail: "", truncated: false, encoding: "identity" } },
  response: { status: 200, body: { size: 0, head: "", tail: "", truncated: false, encoding: "identity" } },
  streamed: false,
  upstreamReached: true,
  latencyMs: 1,
});

describe("journal left by a killed process", () => {
  it("re-sends every complete record, from segments and interrupted spool writes, and counts the torn one", async () => {
    const root = path.join(os.tmpdir(), `tm-journal-${randomUUID()}`);
    const slot = path.join(root, "proxy-0");
    fs.mkdirSync(slot, { recursive: true });
    const ids = Array.from({ length: 5 }, () => randomUUID());
    const lines = ids.map((id) => JSON.stringify(capture(id)));
    // A segment cut mid-record by a kill, and an old spool's temporary file a kill left before its rename.
    fs.writeFileSync(
      path.join(slot, "000001764500000000-000000.jsonl"),
      `${lines[0]}\n${lines[1]}\n${lines[2]}\n${JSON.stringify(capture(randomUUID())).slice(0, 50)}`,
    );
    fs.writeFileSync(
      path.join(root, ".000001764500000001-000000001-abcd1234.jsonl.tmp"),
      `${lines[3]}\n${lines[4]}\n`,
    );

    const h = await startProxyHarness({ JOURNAL_DIR: root, SPOOL_DIR: "" });
    try {
      const found = await waitFor(async () => {
        const seen = new Set((await h.captures()).map((c) => c.requestId));
        return ids.every((id) => seen.has(id)) ? seen : undefined;
      }, 10_000);
      expect(found.size).toBe(5);
      const metrics = await (await fetch(`${h.base}/metrics`)).text();
      expect(metrics).toMatch(/tokenmeter_proxy_journal_torn_records_total\{kind="torn"\} 1/);
      expect(metrics).toMatch(/tokenmeter_proxy_journal_replayed_total 5/);
      // Not recorded yet (no worker here): both files stay on disk until a worker has recorded them.
      expect(fs.readdirSync(h.proxy.slot.dir)).toHaveLength(2);
    } finally {
      await h.close();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
