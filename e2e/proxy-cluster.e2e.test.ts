import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDbClient } from "@tokenmeter/db";
import { startFakeUpstream } from "@tokenmeter/fake-upstream";
import { generateApiKey } from "@tokenmeter/keys";
import { parseSecretsKeyring, sealHeaders } from "@tokenmeter/secrets";
import { type RunningApp, startApp, startPrivateRedis } from "@tokenmeter/test-support";
import { describe, expect, inject, it } from "vitest";

interface LogLine {
  msg?: string;
  worker?: number;
  pid?: number;
}
const lines = (app: RunningApp): LogLine[] =>
  app.logs.flatMap((l) => {
    try {
      return [JSON.parse(l) as LogLine];
    } catch {
      return [];
    }
  });

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 60_000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("PROXY_WORKERS", () => {
  it("serves one port from two processes; a killed worker's journal is replayed by its restart", async () => {
    const tag = randomUUID().slice(0, 8);
    const upstream = await startFakeUpstream();
    const db = createDbClient({ databaseUrl: inject("databaseUrl") });
    const buyer = await db.buyer.create({ data: { name: `cluster ${tag}` } });
    const k = generateApiKey();
    await db.apiKey.create({ data: { buyerId: buyer.id, keyHash: k.hash, prefix: k.prefix } });
    const slug = `cluster-${tag}`;
    const keyring = parseSecretsKeyring(inject("secretsKey"));
    await db.apiService.create({
      data: {
        name: "Fake OpenAI",
        slug,
        upstreamUrl: upstream.url,
        upstreamHeadersSealed: sealHeaders({ authorization: "Bearer sk-seller" }, keyring, slug),
      },
    });
    const journalDir = fs.mkdtempSync(path.join(os.tmpdir(), "tm-cluster-"));
    // A Redis of the test's own, stopped while the calls are made: their captures can only be in the journals.
    const redis = await startPrivateRedis();
    const env = {
      DATABASE_URL: inject("databaseUrl"),
      REDIS_URL: redis.url,
      QUEUE_PREFIX: `${inject("queuePrefix")}:cluster${tag}`,
      CAPTURE_SIGNING_KEY: inject("captureSigningKey"),
      SECRETS_KEY: inject("secretsKey"),
      PROXY_PORT: "0",
      WORKER_PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      PROXY_WORKERS: "2",
      JOURNAL_DIR: journalDir,
      ENQUEUE_INTERVAL_MS: "20",
    };
    const [proxy, worker] = await Promise.all([
      startApp("proxy", env, 120_000),
      startApp("worker", env, 120_000),
    ]);
    const rows = (ids: string[]) => db.usageLog.count({ where: { requestId: { in: ids } } });
    try {
      const listening = await until("both workers", () => {
        const found = lines(proxy).filter((l) => l.msg === "listening" && l.worker !== undefined);
        return found.length >= 2 ? found : undefined;
      });
      expect(new Set(listening.map((l) => l.worker))).toEqual(new Set([0, 1]));
      const answered: string[] = [];
      const call = async () => {
        const res = await fetch(`${proxy.url}/${slug}/v1/chat/completions`, {
          // node:cluster's round-robin primary hands each connection to a worker and keeps its own copy until
          // the worker acknowledges it; a worker killed in between never does, so that one connection is
          // held open, unserved, until the client gives up (undici's default: 300 s). A client deadline ends
          // it; such a call was never answered and never reached a worker, so it is no row either.
          signal: AbortSignal.timeout(20_000),
          method: "POST",
          headers: { authorization: `Bearer ${k.key}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "gpt-4", messages: [{ role: "user", content: "hi" }] }),
        });
        await res.arrayBuffer();
        if (res.status === 200) answered.push(res.headers.get("x-request-id")!);
      };
      const burst = (n: number) =>
        Promise.all(Array.from({ length: n }, () => call().catch(() => undefined)));

      // Warm up: until both workers have answered (round robin), the first key lookups may still wait on
      // PostgreSQL connections and answer 503 on a busy machine.
      let streak = 0;
      await until("warm workers", async () => {
        const before = answered.length;
        await call().catch(() => undefined);
        streak = answered.length > before ? streak + 1 : 0;
        return streak >= 6 ? true : undefined;
      });
      await until("the warm-up calls as rows", async () =>
        (await rows(answered)) === answered.length ? true : undefined,
      );

      await redis.stop();
      await burst(40);
      // Kill worker 1 (no clean-up) while more calls are in flight: what it answered is only in its journal.
      const victim = listening.find((l) => l.worker === 1)!;
      const during = burst(40);
      process.kill(victim.pid!, "SIGKILL");
      await during;
      await burst(20);
      expect(answered.length).toBeGreaterThanOrEqual(46);
      // Restarted under the same index, it claims its own journal slot and finds the segments it left.
      await until(
        "worker 1 restarted",
        () =>
          lines(proxy).some((l) => l.msg === "listening" && l.worker === 1 && l.pid !== victim.pid) ||
          undefined,
      );
      expect(lines(proxy).some((l) => l.msg === "proxy worker died; restarting it")).toBe(true);
      expect(
        lines(proxy).some(
          (l) => l.msg === "journal segments from an earlier process: re-sending" && l.worker === 1,
        ),
      ).toBe(true);
      await redis.start();
      await until("every answered call as a row", async () =>
        (await rows(answered)) === answered.length ? true : undefined,
      );

      // /metrics through the one port adds both workers up.
      const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
      expect(metrics).toMatch(/^tokenmeter_proxy_workers 2$/m);
      expect(metrics).toMatch(/^tokenmeter_proxy_worker_restarts_total 1$/m);

      expect(await proxy.stop()).toBe(0);
      // Exactly one row per answered call: the re-sent segments collapsed onto what was already recorded.
      expect(await db.usageLog.count({ where: { buyerUserId: buyer.id } })).toBe(answered.length);
    } finally {
      await proxy.stop();
      await worker.stop();
      await upstream.close();
      await redis.stop();
      await db.$disconnect();
      fs.rmSync(journalDir, { recursive: true, force: true });
    }
  }, 540_000);
});
