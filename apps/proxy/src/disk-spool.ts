import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { Capture } from "@tokenmeter/capture";

/**
 * A bounded on-disk queue of captures for when Redis is unreachable. Each batch is one JSON-lines file,
 * written to a temporary name and renamed, so a crash never leaves half a batch. When the spool holds
 * `maxBytes`, new batches are refused (the caller counts them as dropped): disk is finite, and an operator
 * is alerted by the spool metrics long before that.
 */
export class DiskSpool {
  private bytes = 0;
  private files = 0;
  private seq = 0;

  constructor(
    readonly dir: string,
    private readonly maxBytes: number,
  ) {}

  /** Creates the folder and counts what an earlier process left behind. */
  async open(): Promise<void> {
    // Captures hold prompts and answers: the spool is private to the proxy's user.
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    await fs.chmod(this.dir, 0o700);
    const names = await this.list();
    this.files = names.length;
    this.bytes = 0;
    for (const name of names) {
      const st = await fs.stat(path.join(this.dir, name)).catch(() => null);
      this.bytes += st?.size ?? 0;
    }
  }

  get depthBytes(): number {
    return this.bytes;
  }

  get depthFiles(): number {
    return this.files;
  }

  /** Writes a batch; returns false (writing nothing) when the spool is full. */
  async write(captures: readonly Capture[]): Promise<boolean> {
    const text = `${captures.map((c) => JSON.stringify(c)).join("\n")}\n`;
    const size = Buffer.byteLength(text);
    if (this.bytes + size > this.maxBytes) return false;
    const name = `${Date.now().toString().padStart(15, "0")}-${String(this.seq++).padStart(9, "0")}-${randomUUID().slice(0, 8)}.jsonl`;
    const tmp = path.join(this.dir, `.${name}.tmp`);
    await fs.writeFile(tmp, text, { mode: 0o600 });
    await fs.rename(tmp, path.join(this.dir, name));
    this.bytes += size;
    this.files += 1;
    return true;
  }

  /** Spool files, oldest first. */
  async list(): Promise<string[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => n.endsWith(".jsonl") && !n.startsWith(".")).sort();
  }

  /** Reads one spool file; lines that are not JSON are returned as errors, never thrown. */
  async read(name: string): Promise<{ captures: unknown[]; badLines: number }> {
    const text = await fs.readFile(path.join(this.dir, name), "utf8");
    const captures: unknown[] = [];
    let badLines = 0;
    for (const line of text.split("\n")) {
      if (!line) continue;
      try {
        captures.push(JSON.parse(line));
      } catch {
        badLines += 1;
      }
    }
    return { captures, badLines };
  }

  /** Removes a file once its captures are safely in Redis. */
  async remove(name: string): Promise<void> {
    const file = path.join(this.dir, name);
    const st = await fs.stat(file).catch(() => null);
    await fs.rm(file, { force: true });
    if (st) {
      this.bytes = Math.max(0, this.bytes - st.size);
      this.files = Math.max(0, this.files - 1);
    }
  }
}
