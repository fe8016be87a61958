import type { BodyCapture } from "./capture-schema.js";

/** The bytes of a captured body: head, tail and whether bytes between them were dropped. */
export interface CapturedBytes {
  head: Buffer;
  tail: Buffer;
  truncated: boolean;
}

/** Decodes the base64 parts of a body capture. */
export function capturedBytes(body: BodyCapture): CapturedBytes {
  return {
    head: Buffer.from(body.head, "base64"),
    tail: Buffer.from(body.tail, "base64"),
    truncated: body.truncated,
  };
}

const EMPTY = Buffer.alloc(0);

/** The chunks as one buffer: the chunk itself when there is one (most bodies), else a copy. */
const join = (chunks: Buffer[], bytes: number): Buffer =>
  chunks.length === 1 ? (chunks[0] as Buffer) : chunks.length === 0 ? EMPTY : Buffer.concat(chunks, bytes);

/** Tail chunks kept before they are joined into one (many tiny chunks from a dribbling peer). */
const MAX_TAIL_CHUNKS = 64;

/**
 * Collects the first `headMax` and last `tailMax` bytes of a stream of chunks, and its true size, in memory
 * bounded by headMax + 2 * tailMax. Chunks are kept as they arrive (no copy): a tail chunk is let go whole once
 * the chunks after it hold `tailMax` bytes, and the tail is joined into one buffer only when one chunk is
 * larger than that or too many small ones pile up.
 */
export class HeadTailBuffer {
  private readonly headChunks: Buffer[] = [];
  private headBytes = 0;
  private tailChunks: Buffer[] = [];
  private tailBytes = 0;
  private dropped = false;
  size = 0;

  constructor(
    private readonly headMax: number,
    private readonly tailMax: number,
  ) {}

  push(chunk: Buffer): void {
    this.size += chunk.length;
    let rest = chunk;
    if (this.headBytes < this.headMax) {
      const take = Math.min(this.headMax - this.headBytes, rest.length);
      this.headChunks.push(take === rest.length ? rest : rest.subarray(0, take));
      this.headBytes += take;
      rest = rest.subarray(take);
      if (rest.length === 0) return;
    }
    const tail = this.tailChunks;
    tail.push(rest);
    this.tailBytes += rest.length;
    while (tail.length > 1 && this.tailBytes - (tail[0] as Buffer).length >= this.tailMax) {
      this.tailBytes -= (tail.shift() as Buffer).length;
      this.dropped = true;
    }
    if (this.tailBytes > 2 * this.tailMax || tail.length > MAX_TAIL_CHUNKS) this.compactTail();
  }

  private compactTail(): void {
    const all = Buffer.concat(this.tailChunks, this.tailBytes);
    const cut = Math.max(0, all.length - this.tailMax);
    this.tailChunks = [Buffer.from(all.subarray(cut))];
    this.tailBytes = all.length - cut;
    if (cut > 0) this.dropped = true;
  }

  /** Head, tail and whether anything between them was dropped. */
  bytes(): CapturedBytes {
    let tail = join(this.tailChunks, this.tailBytes);
    let truncated = this.dropped;
    if (tail.length > this.tailMax) {
      tail = tail.subarray(tail.length - this.tailMax);
      truncated = true;
    }
    const head = join(this.headChunks, this.headBytes);
    if (truncated) return { head, tail, truncated };
    return { head: tail.length === 0 ? head : Buffer.concat([head, tail]), tail: EMPTY, truncated };
  }

  /** The capture of what was pushed, labelled with the encoding of those bytes. */
  toCapture(encoding: string, decodedFrom?: string): BodyCapture {
    const { head, tail, truncated } = this.bytes();
    const capture: BodyCapture = {
      size: this.size,
      head: head.toString("base64"),
      tail: tail.toString("base64"),
      truncated,
      encoding,
    };
    if (decodedFrom) capture.decodedFrom = decodedFrom;
    return capture;
  }
}

/** An empty body capture. */
export function emptyBody(): BodyCapture {
  return { size: 0, head: "", tail: "", truncated: false, encoding: "identity" };
}
