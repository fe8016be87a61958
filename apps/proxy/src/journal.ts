import fs from "node:fs";
import path from "node:path";
import { type SegmentLines, splitSegment } from "./journal-records.js";

/** One append-only file of captures, one JSON line each. */
export interface Segment {
  readonly name: string;
  readonly path: string;
  bytes: number;
  /** Lines written (the index of the next capture). */
  records: number;
  /** No more appends: deletable once every batch made from it is settled. */
  sealed: boolean;
  /** Left by an earlier process: its lines are validated and re-batched when it is replayed. */
  inherited: boolean;
  /** Batches made from this segment and not yet settled. */
  pending: number;
  /** Lines already put in a batch (all of them, once the segment is sealed and batched). */
  assigned: number;
  /** Its lines have been counted (an inherited segment is read once before it is re-batched). */
  scanned: boolean;
  readonly createdAt: number;
  fd: number | null;
}

/** Where an appended capture landed. */
export interface JournalPosition {
  segment: Segment;
  index: number;
}

/** Segment file names: written by this journal, or by an earlier version's spool (complete or interrupted). */
const SEGMENT_FILE = /\.jsonl(\.tmp)?(\.adopted-\d+)?$/;

/** Knobs of the journal. */
export interface JournalOptions {
  dir: string;
  maxBytes: number;
  /** A segment is sealed (at a flush) once it holds this many bytes… */
  segmentBytes: number;
  /** …or is this old. */
  segmentMs: number;
  /** 0: never fsync (a process kill loses nothing; a machine crash may lose what the kernel had not written). */
  fsyncMs: number;
}

/**
 * The proxy's capture journal: captures are appended with a plain synchronous `write` (no fsync) the moment a
 * call ends, and a segment file is deleted only when every batch made from it has been recorded. What an
 * earlier process left behind is handed back by `open()` to be replayed.
 */
export class Journal {
  private current: Segment | null = null;
  private readonly live = new Set<Segment>();
  private totalBytes = 0;
  private seq = 0;
  private fsyncTimer: NodeJS.Timeout | null = null;
  private dirty = false;
  foreignFiles: string[] = [];

  constructor(private readonly options: JournalOptions) {}

  /** Lists what an earlier process left: segments to replay (oldest first); anything else is reported. */
  open(): Segment[] {
    const inherited: Segment[] = [];
    this.foreignFiles = [];
    for (const name of fs.readdirSync(this.options.dir).sort()) {
      const file = path.join(this.options.dir, name);
      const st = fs.statSync(file, { throwIfNoEntry: false });
      if (!st?.isFile() || !SEGMENT_FILE.test(name)) {
        this.foreignFiles.push(name);
        continue;
      }
      const segment: Segment = {
        name,
        path: file,
        bytes: st.size,
        records: 0,
        sealed: true,
        inherited: true,
        pending: 0,
        assigned: 0,
        scanned: false,
        createdAt: st.mtimeMs,
        fd: null,
      };
      inherited.push(segment);
      this.live.add(segment);
      this.totalBytes += st.size;
    }
    if (this.options.fsyncMs > 0) {
      this.fsyncTimer = setInterval(() => this.sync(), this.options.fsyncMs);
      this.fsyncTimer.unref();
    }
    return inherited;
  }

  get segments(): number {
    return this.live.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  /** Appends one capture (its JSON); null when the journal is full; throws when the write failed (nothing is left half-written). */
  append(json: string): JournalPosition | null {
    const line = `${json}\n`;
    // UTF-16 length ≤ UTF-8 bytes: exact for the (ASCII, base64-bodied) captures, and cheaper than counting.
    if (this.totalBytes + line.length > this.options.maxBytes) return null;
    const segment = this.current ?? this.create();
    const fd = segment.fd as number;
    let written: number;
    try {
      // One synchronous write per capture, the moment its call ends: batching per event-loop turn would save
      // ≈ 3 µs per call but leave answered calls in memory only until the turn ends, where a kill loses them.
      written = fs.writeSync(fd, line);
      if (written < line.length) throw new Error(`short write (${written} of ${line.length} bytes)`);
    } catch (error) {
      // Leave no partial line behind: the next record must start on a line of its own.
      try {
        fs.ftruncateSync(fd, segment.bytes);
      } catch {
        this.seal();
      }
      throw error;
    }
    segment.bytes += written;
    this.totalBytes += written;
    this.dirty = true;
    return { segment, index: segment.records++ };
  }

  /** The segment being appended to, if any. */
  get head(): Segment | null {
    return this.current;
  }

  /** Seals the current segment when it is big or old enough (called at a flush, after its batches are made). */
  sealIfDue(now = Date.now()): void {
    const c = this.current;
    if (!c) return;
    if (c.bytes >= this.options.segmentBytes || now - c.createdAt >= this.options.segmentMs) this.seal();
  }

  /** Seals the current segment. */
  seal(): void {
    const c = this.current;
    if (!c) return;
    this.current = null;
    c.sealed = true;
    const fd = c.fd;
    c.fd = null;
    if (fd === null) return;
    if (this.options.fsyncMs > 0 && this.dirty) fs.fdatasync(fd, () => fs.close(fd, () => undefined));
    else fs.close(fd, () => undefined);
  }

  /** Reads a segment back (an open segment too: only lines already written are complete). */
  async read(segment: Segment): Promise<SegmentLines> {
    return splitSegment(await fs.promises.readFile(segment.path, "utf8"));
  }

  /** Deletes a sealed segment none of whose batches is pending; returns whether it did. */
  async release(segment: Segment): Promise<boolean> {
    if (!segment.sealed || !segment.scanned || segment.pending > 0 || segment.assigned < segment.records)
      return false;
    if (!this.live.has(segment)) return false;
    this.live.delete(segment);
    this.totalBytes = Math.max(0, this.totalBytes - segment.bytes);
    await fs.promises.rm(segment.path, { force: true });
    return true;
  }

  /** Stops the fsync timer and closes the open segment (its content stays for the next start). */
  close(): void {
    if (this.fsyncTimer) clearInterval(this.fsyncTimer);
    const c = this.current;
    if (c?.fd != null) {
      if (this.options.fsyncMs > 0) fs.fdatasyncSync(c.fd);
      fs.closeSync(c.fd);
      c.fd = null;
    }
    this.current = null;
  }

  private create(): Segment {
    const name = `${Date.now().toString().padStart(15, "0")}-${String(this.seq++).padStart(6, "0")}.jsonl`;
    const file = path.join(this.options.dir, name);
    const fd = fs.openSync(file, "ax", 0o600);
    const segment: Segment = {
      name,
      path: file,
      bytes: 0,
      records: 0,
      sealed: false,
      inherited: false,
      pending: 0,
      assigned: 0,
      scanned: true,
      createdAt: Date.now(),
      fd,
    };
    this.current = segment;
    this.live.add(segment);
    // The new file's directory entry must reach the disk too, or a machine crash could lose the whole file.
    if (this.options.fsyncMs > 0) this.syncDir();
    return segment;
  }

  private sync(): void {
    const fd = this.current?.fd;
    if (!this.dirty || fd == null) return;
    this.dirty = false;
    fs.fdatasync(fd, () => undefined);
  }

  private syncDir(): void {
    fs.open(this.options.dir, "r", (error, fd) => {
      if (error) return;
      fs.fsync(fd, () => fs.close(fd, () => undefined));
    });
  }
}
