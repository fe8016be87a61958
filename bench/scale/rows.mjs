// Synthetic usage_logs rows for COPY … FROM STDIN (BINARY): Zipf-like buyers, a few models per service,
// realistic token counts, exact costs, errors and unpriced calls, UUIDv7 request ids whose timestamp is the
// row's request_timestamp. Binary COPY because building text rows cost the loader more CPU than PostgreSQL
// spent storing them.
import { pick, prng } from "./catalog.mjs";

/** The columns the loader writes, in COPY order (id comes from its sequence), with their binary encodings. */
export const COPY_COLUMNS = [
  "request_id",
  "buyer_user_id",
  "api_key_id",
  "api_service_id",
  "request_timestamp",
  "http_method",
  "path",
  "status_code",
  "latency_ms",
  "ttfb_ms",
  "streamed",
  "upstream_reached",
  "error_code",
  "model_name",
  "input_tokens",
  "output_tokens",
  "total_tokens",
  "cached_input_tokens",
  "cache_write_tokens",
  "cache_write_1h_tokens",
  "reasoning_tokens",
  "token_cost",
  "model_price_id",
  "usage_source",
  "parser",
  "parse_error",
  "request_size_bytes",
  "response_size_bytes",
  "upstream_request_id",
  "created_at",
];

/** The binary COPY header (signature, flags, no extension) and trailer. */
export const COPY_HEADER = Buffer.concat([Buffer.from("PGCOPY\n\xff\r\n\0", "latin1"), Buffer.alloc(8)]);
export const COPY_TRAILER = Buffer.from([0xff, 0xff]);

// A service's models are chosen with these weights (its main model first).
const MODEL_WEIGHTS = [0.55, 0.8, 0.95, 1];
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO_32 = 2 ** 32;
const MAX_ROW_BYTES = 512;

// Constant strings are encoded once.
const text = (s) => Buffer.from(s, "latin1");
const TEXTS = {
  POST: text("POST"),
  chat: text("/v1/chat/completions"),
  messages: text("/v1/messages"),
  embeddings: text("/v1/embeddings"),
  unreachable: text("upstream_unreachable"),
  reported: text("reported"),
  none: text("none"),
  openai: text("openai-chat"),
  openaiSse: text("openai-chat-sse"),
  anthropic: text("anthropic-messages"),
  anthropicSse: text("anthropic-messages-sse"),
  noUsage: text("no usage in the response"),
};

/** A standard normal draw (Box–Muller). */
function normal(random) {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const randomId = (random) => ((random() * TWO_32) >>> 0).toString(36).padStart(7, "0");

const clamp = (x, lo, hi) => Math.max(lo, Math.min(hi, Math.round(x)));

/** Writes binary COPY fields into a buffer; `off` is the write position. */
class FieldWriter {
  constructor(buf) {
    this.buf = buf;
    this.off = 0;
  }
  null() {
    this.off = this.buf.writeInt32BE(-1, this.off);
  }
  int4(v) {
    this.off = this.buf.writeInt32BE(4, this.off);
    this.off = this.buf.writeInt32BE(v, this.off);
  }
  /** A non-negative int8 below 2^53. */
  int8(v) {
    this.off = this.buf.writeInt32BE(8, this.off);
    this.off = this.buf.writeUInt32BE(Math.floor(v / TWO_32), this.off);
    this.off = this.buf.writeUInt32BE(v % TWO_32, this.off);
  }
  bool(v) {
    this.off = this.buf.writeInt32BE(1, this.off);
    this.buf[this.off++] = v ? 1 : 0;
  }
  /** timestamptz: microseconds since 2000-01-01 UTC, from epoch milliseconds. */
  timestamp(ms) {
    const us = (ms - PG_EPOCH_MS) * 1000;
    this.off = this.buf.writeInt32BE(8, this.off);
    this.off = this.buf.writeInt32BE(Math.floor(us / TWO_32), this.off);
    this.off = this.buf.writeUInt32BE(((us % TWO_32) + TWO_32) % TWO_32, this.off);
  }
  bytes(b) {
    this.off = this.buf.writeInt32BE(b.length, this.off);
    this.off += b.copy(this.buf, this.off);
  }
  ascii(s) {
    this.off = this.buf.writeInt32BE(s.length, this.off);
    this.off += this.buf.latin1Write(s, this.off);
  }
  /**
   * UUIDv7 (RFC 9562): 48-bit millisecond time, version 7, 12 random bits, variant 10, then 14 random bits and
   * the row's 48-bit index in the load, so ids are unique without a check.
   */
  uuidv7(ms, index, random) {
    const b = this.buf;
    this.off = b.writeInt32BE(16, this.off);
    const o = this.off;
    b.writeUIntBE(ms, o, 6);
    const r = (random() * TWO_32) >>> 0;
    b[o + 6] = 0x70 | (r & 0x0f);
    b[o + 7] = (r >>> 4) & 0xff;
    b[o + 8] = 0x80 | ((r >>> 12) & 0x3f);
    b[o + 9] = (r >>> 18) & 0xff;
    b.writeUIntBE(index, o + 10, 6);
    this.off = o + 16;
  }
  /**
   * NUMERIC from whole units of 1e-10 (a non-negative integer below 2^53): base-10000 digits with display scale
   * 10. Ten decimals are two and a half base-10000 digits, so the value is scaled by 100 to twelve decimals.
   */
  numeric10(units) {
    const b = this.buf;
    const digits = [];
    // units × 100 may pass 2^53: take the digits of units first, then shift by two decimal places.
    let n = units;
    const low = [];
    while (n > 0) {
      low.push(n % 10000);
      n = Math.floor(n / 10000);
    }
    // low is little-endian base 10000 of `units`; multiply by 100 with carry.
    let carry = 0;
    for (let i = 0; i < low.length; i++) {
      const v = low[i] * 100 + carry;
      digits.push(v % 10000);
      carry = Math.floor(v / 10000);
    }
    if (carry > 0) digits.push(carry);
    // digits (little-endian) represent units × 100 = value × 10^12: the last three are fractional.
    let lo = 0;
    while (lo < digits.length && digits[lo] === 0) lo++;
    let hi = digits.length - 1;
    while (hi >= 0 && digits[hi] === 0) hi--;
    const ndigits = hi >= lo ? hi - lo + 1 : 0;
    const weight = ndigits > 0 ? hi - 3 : 0;
    this.off = b.writeInt32BE(8 + 2 * ndigits, this.off);
    this.off = b.writeInt16BE(ndigits, this.off);
    this.off = b.writeInt16BE(weight, this.off);
    this.off = b.writeUInt16BE(0, this.off);
    this.off = b.writeInt16BE(10, this.off);
    for (let i = hi; i >= lo && ndigits > 0; i--) this.off = b.writeInt16BE(digits[i], this.off);
  }
}

/**
 * Encodes rows `index` = from, from + step, … (< to) as binary COPY tuples and returns
 * { buffer, costUnits, tokens, unpriced }: the sums let the loader check what PostgreSQL stored. `world` holds
 * { startMs, spanMs, rows, buyerCdf, buyers: [{ id, keyIds }] by popularity rank, serviceCdf,
 *   services: [{ id, models: [catalog index] }], catalog, priceIds: [id by catalog index] }.
 */
export function encodeRows(world, from, to, step, seed) {
  const random = prng(seed);
  const { catalog } = world;
  const count = Math.max(0, Math.ceil((to - from) / step));
  const w = new FieldWriter(Buffer.allocUnsafe(count * MAX_ROW_BYTES));
  let costUnits = 0n;
  let tokens = 0;
  let unpriced = 0;
  const modelNames = world.modelNameBuffers ?? catalog.map((m) => text(m.name));
  for (let index = from; index < to; index += step) {
    const ms = world.startMs + Math.floor(((index + random()) * world.spanMs) / world.rows);
    const buyerRank = pick(world.buyerCdf, random());
    const buyer = world.buyers[buyerRank];
    const keyId = buyer.keyIds[(random() * buyer.keyIds.length) | 0];
    // Each buyer prefers its own services: the shared popularity order shifted by the buyer's rank.
    const serviceRank = (pick(world.serviceCdf, random()) + buyerRank * 7) % world.services.length;
    const service = world.services[serviceRank];
    const slot = pick(MODEL_WEIGHTS, random() * MODEL_WEIGHTS[service.models.length - 1]);
    const modelIndex = service.models[slot];
    const model = catalog[modelIndex];
    const streamed = !model.embedding && random() < 0.4;
    const ttfb = clamp(150 + Math.exp(5.5 + 0.6 * normal(random)), 20, 60_000);

    let status = 200;
    let reached = true;
    let modelName = modelNames[modelIndex];
    let input = 0;
    let output = 0;
    let cached = 0;
    let write = 0;
    let reasoning = 0;
    let cost = 0; // units of 1e-10 USD; -1 = NULL (unpriced)
    let priced = true;
    let parser = null;
    let parseError = false;
    const outcome = random();
    if (outcome < 0.002) {
      // The upstream could not be reached.
      status = 502;
      reached = false;
      priced = false;
    } else if (outcome < 0.017) {
      // The upstream answered an error: no usage.
      const e = random();
      status = e < 0.6 ? 429 : e < 0.85 ? 500 : 503;
      priced = false;
    } else if (outcome < 0.019) {
      // A 200 without any usage the parsers could read.
      modelName = null;
      priced = false;
      parser = streamed ? TEXTS.openaiSse : TEXTS.openai;
      parseError = true;
    } else {
      input = clamp(Math.exp(5.8 + 1.3 * normal(random)), 1, 200_000);
      output = model.embedding ? 0 : clamp(Math.exp(4.8 + 1.0 * normal(random)), 1, 16_000);
      if (random() < 0.3) cached = Math.floor(input * 0.8 * random());
      if (model.anthropic && random() < 0.1) write = Math.floor((input - cached) * 0.5 * random());
      if (model.reasoning) reasoning = Math.floor(output * 0.7 * random());
      parser = model.anthropic
        ? streamed
          ? TEXTS.anthropicSse
          : TEXTS.anthropic
        : streamed
          ? TEXTS.openaiSse
          : TEXTS.openai;
      if (outcome < 0.022) {
        // A fine-tuned model nobody priced: tokens, no cost (NULL), repairable by reprice.
        modelName = text(`ft:${model.name}:acme:${(random() * 5) | 0}`);
        cost = -1;
        priced = false;
        unpriced++;
      } else {
        cost =
          (input - cached - write) * model.inU +
          cached * model.cachedU +
          write * model.writeU +
          output * model.outU;
        costUnits += BigInt(cost);
      }
    }
    tokens += input + output;
    const latency = ttfb + (streamed ? output * 12 : Math.floor(output * 8 * random()));

    w.off = w.buf.writeInt16BE(COPY_COLUMNS.length, w.off);
    w.uuidv7(ms, index, random);
    w.int8(buyer.id);
    w.int8(keyId);
    w.int8(service.id);
    w.timestamp(ms);
    w.bytes(TEXTS.POST);
    w.bytes(model.embedding ? TEXTS.embeddings : model.anthropic ? TEXTS.messages : TEXTS.chat);
    w.int4(status);
    w.int4(latency);
    if (reached) w.int4(ttfb);
    else w.null();
    w.bool(streamed);
    w.bool(reached);
    if (reached) w.null();
    else w.bytes(TEXTS.unreachable);
    if (modelName) w.bytes(modelName);
    else w.null();
    w.int4(input);
    w.int4(output);
    w.int4(input + output);
    w.int4(cached);
    w.int4(write);
    w.int4(0);
    w.int4(reasoning);
    if (cost < 0) w.null();
    else w.numeric10(cost);
    if (priced) w.int8(world.priceIds[modelIndex]);
    else w.null();
    w.bytes(parser && !parseError ? TEXTS.reported : TEXTS.none);
    if (parser) w.bytes(parser);
    else w.null();
    if (parseError) w.bytes(TEXTS.noUsage);
    else w.null();
    w.int8(280 + input * 4);
    w.int8(status >= 400 ? 180 : 420 + output * (streamed ? 9 : 4));
    if (reached) w.ascii(`req_${randomId(random)}${randomId(random)}${randomId(random)}`);
    else w.null();
    w.timestamp(ms + latency);
  }
  return { buffer: w.buf.subarray(0, w.off), costUnits, tokens, unpriced };
}
