import zlib from "node:zlib";
import { type BodyCapture, HeadTailBuffer } from "@tokenmeter/capture";

type Decoder = zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress;

/** The most decoded bytes the tee produces for one body (the worker applies the same bound). */
const MAX_DECODED_BYTES = 64 * 1024 * 1024;
/** The most compressed bytes allowed to wait for the decoder (decoding runs on the thread pool). */
const MAX_DECODER_BACKLOG_BYTES = 16 * 1024 * 1024;

function makeDecoder(encoding: string): Decoder | null {
  switch (encoding) {
    case "gzip":
    case "x-gzip":
      return zlib.createGunzip();
    case "deflate":
      return zlib.createInflate();
    case "br":
      return zlib.createBrotliDecompress();
    default:
      return null;
  }
}

/**
 * A bounded copy of a body as it streams past (never delaying it). Plain bodies keep head + tail + size.
 * A compressed tail cannot be decoded without what precedes it, so a compressed body that outgrows the
 * capture is decoded here, in the tee, from its first byte: the capture then holds the decoded head + tail.
 * Small compressed bodies are kept as they are and decoded by the worker.
 */
export class BodyTee {
  private raw: HeadTailBuffer;
  private rawChunks: Buffer[] | null = [];
  private decoder: Decoder | null = null;
  private decoded: HeadTailBuffer | null = null;
  private decodeFailed = false;
  private readonly encoding: string;

  constructor(
    private readonly capBytes: number,
    contentEncoding: string | undefined,
    decodeLarge = true,
  ) {
    this.encoding = (contentEncoding ?? "identity").trim().toLowerCase() || "identity";
    this.raw = new HeadTailBuffer(capBytes, capBytes);
    if (this.encoding === "identity" || !decodeLarge) this.rawChunks = null;
  }

  /** True size of the body as it went over the wire. */
  get size(): number {
    return this.raw.size;
  }

  push(chunk: Buffer): void {
    this.raw.push(chunk);
    if (this.decoder) {
      // The decoder runs beside the stream and must not buffer without bound when it falls behind.
      if (this.decoder.writableLength > MAX_DECODER_BACKLOG_BYTES) this.abandonDecoding();
      else this.decoder.write(chunk);
      return;
    }
    if (!this.rawChunks) return;
    this.rawChunks.push(chunk);
    // Whole compressed bodies up to 2 × cap travel as they are; past that, start decoding in the tee.
    if (this.raw.size > 2 * this.capBytes) this.startDecoding();
  }

  private startDecoding(): void {
    const chunks = this.rawChunks ?? [];
    this.rawChunks = null;
    const decoder = makeDecoder(this.encoding);
    if (!decoder) return; // unknown encoding: the worker records it as a parse failure
    this.decoder = decoder;
    this.decoded = new HeadTailBuffer(this.capBytes, this.capBytes);
    decoder.on("data", (d: Buffer) => {
      this.decoded?.push(d);
      // A decompression bomb is not worth decoding: past the bound the capture stays compressed.
      if ((this.decoded?.size ?? 0) > MAX_DECODED_BYTES) this.abandonDecoding();
    });
    decoder.on("error", () => {
      this.decodeFailed = true;
    });
    for (const c of chunks) decoder.write(c);
  }

  private abandonDecoding(): void {
    this.decodeFailed = true;
    this.decoder?.destroy();
    this.decoder = null;
    this.decoded = null;
  }

  /** Whether finishing must wait for the tee's decoder to flush. */
  get pending(): boolean {
    return this.decoder !== null && !this.decodeFailed;
  }

  /** Finishes the capture; waits for the tee's decoder (if any) to flush. */
  async finish(): Promise<BodyCapture> {
    const decoder = this.decoder;
    if (decoder && !this.decodeFailed) {
      await new Promise<void>((resolve) => {
        decoder.once("end", resolve);
        decoder.once("error", () => resolve());
        // Abandoned mid-flush (a bomb, or too far behind): a destroyed decoder only emits "close".
        decoder.once("close", () => resolve());
        decoder.end();
      });
    }
    return this.finishNow();
  }

  /** Finishes the capture at once; only when nothing is `pending`. */
  finishNow(): BodyCapture {
    if (this.decoded && !this.decodeFailed) {
      const capture = this.decoded.toCapture("identity", this.encoding);
      capture.size = this.raw.size; // the wire size is what the buyer was sent
      return capture;
    }
    return this.raw.toCapture(this.encoding);
  }
}
