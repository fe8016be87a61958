// Synthetic usage_logs rows as COPY text: Zipf-like buyers, a few models per service, realistic token counts,
// exact costs, errors and unpriced calls, UUIDv7 request ids whose timestamp is the row's request_timestamp.
import { pick, prng } from "./catalog.mjs";

/** The columns the loader writes, in COPY order (id comes from its sequence). */
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

// A service's models are chosen with these weights (its main model first).
const MODEL_WEIGHTS = [0.55, 0.8, 0.95, 1];
const HEX = "0123456789abcdef";

// Eight hex digits from one draw (building strings digit by digit costs more than the rest of a row).
const hex8 = (random) => ((random() * 0x100000000) >>> 0).toString(16).padStart(8, "0");

/**
 * A UUIDv7 (RFC 9562) for a millisecond timestamp: 48-bit time, version 7, random bits, variant 10. The last 48
 * bits are the row's index in the load, so ids are unique without a check.
 */
export function uuidv7(ms, index, random) {
  const t = ms.toString(16).padStart(12, "0");
  const tail = index.toString(16).padStart(12, "0");
  const r = hex8(random);
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${r.slice(0, 3)}-${HEX[8 + ((random() * 4) | 0)]}${r.slice(3, 6)}-${tail}`;
}

/** Whole units of 1e-10 USD as a NUMERIC(20,10) string. */
export function costString(units) {
  const s = String(units).padStart(11, "0");
  return `${s.slice(0, -10)}.${s.slice(-10)}`;
}

// A standard normal draw (Box–Muller).
function normal(random) {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * An ISO-8601 UTC formatter for mostly increasing timestamps: it reuses the "YYYY-MM-DDTHH:MM:" prefix of the
 * last minute it saw (Date#toISOString was most of the cost of a row).
 */
function isoFormatter() {
  let minute = -1;
  let prefix = "";
  return (ms) => {
    const m = Math.floor(ms / 60_000);
    if (m !== minute) {
      minute = m;
      prefix = new Date(m * 60_000).toISOString().slice(0, 17);
    }
    const rest = ms - m * 60_000;
    return `${prefix}${String(Math.floor(rest / 1000)).padStart(2, "0")}.${String(rest % 1000).padStart(3, "0")}Z`;
  };
}

const clamp = (x, lo, hi) => Math.max(lo, Math.min(hi, Math.round(x)));

/**
 * Writes rows `index` = from, from + step, … (< to) as COPY text lines. `world` holds the fixtures:
 * { startMs, spanMs, rows, buyerCdf, buyers: [{ id, keyIds }] by popularity rank, serviceCdf,
 *   services: [{ id, models: [catalog index] }], catalog, priceIds: [id by catalog index] }.
 */
export function rowLines(world, from, to, step, seed) {
  const random = prng(seed);
  const { catalog } = world;
  const requestIso = isoFormatter();
  const createdIso = isoFormatter();
  const lines = [];
  for (let index = from; index < to; index += step) {
    const ms = world.startMs + Math.floor(((index + random()) * world.spanMs) / world.rows);
    const buyerRank = pick(world.buyerCdf, random());
    const buyer = world.buyers[buyerRank];
    const keyId = buyer.keyIds[(random() * buyer.keyIds.length) | 0];
    // Each buyer prefers its own services: the shared popularity order shifted by the buyer's rank.
    const serviceRank = (pick(world.serviceCdf, random()) + buyerRank * 7) % world.services.length;
    const service = world.services[serviceRank];
    const slot = pick(MODEL_WEIGHTS.slice(0, service.models.length), random());
    const model = catalog[service.models[slot]];
    const streamed = !model.embedding && random() < 0.4;
    const path = model.embedding
      ? "/v1/embeddings"
      : model.anthropic
        ? "/v1/messages"
        : "/v1/chat/completions";
    const ttfb = clamp(150 + Math.exp(5.5 + 0.6 * normal(random)), 20, 60_000);

    let status = 200;
    let reached = true;
    let errorCode = "\\N";
    let modelName = model.name;
    let input = 0;
    let output = 0;
    let cached = 0;
    let write = 0;
    let reasoning = 0;
    let cost = "0";
    let priceId = String(world.priceIds[service.models[slot]]);
    let source = "none";
    let parser = "\\N";
    let parseError = "\\N";
    const outcome = random();
    if (outcome < 0.002) {
      // The upstream could not be reached.
      status = 502;
      reached = false;
      errorCode = "upstream_unreachable";
      priceId = "\\N";
    } else if (outcome < 0.017) {
      // The upstream answered an error: no usage.
      const e = random();
      status = e < 0.6 ? 429 : e < 0.85 ? 500 : 503;
      priceId = "\\N";
    } else if (outcome < 0.019) {
      // A 200 without any usage the parsers could read.
      modelName = "\\N";
      priceId = "\\N";
      parser = streamed ? "openai-chat-sse" : "openai-chat";
      parseError = "no usage in the response";
    } else {
      input = clamp(Math.exp(5.8 + 1.3 * normal(random)), 1, 200_000);
      output = model.embedding ? 0 : clamp(Math.exp(4.8 + 1.0 * normal(random)), 1, 16_000);
      if (random() < 0.3) cached = Math.floor(input * 0.8 * random());
      if (model.anthropic && random() < 0.1) write = Math.floor((input - cached) * 0.5 * random());
      if (model.reasoning) reasoning = Math.floor(output * 0.7 * random());
      source = "reported";
      parser = `${model.anthropic ? "anthropic-messages" : "openai-chat"}${streamed ? "-sse" : ""}`;
      if (outcome < 0.022) {
        // A fine-tuned model nobody priced: tokens, no cost (NULL), repairable by reprice.
        modelName = `ft:${model.name}:acme:${(random() * 5) | 0}`;
        cost = "\\N";
        priceId = "\\N";
      } else {
        cost = costString(
          (input - cached - write) * model.inU +
            cached * model.cachedU +
            write * model.writeU +
            output * model.outU,
        );
      }
    }
    const latency = ttfb + (streamed ? output * 12 : Math.floor(output * 8 * random()));
    const requestBytes = 280 + input * 4;
    const responseBytes = status >= 400 ? 180 : 420 + output * (streamed ? 9 : 4);
    lines.push(
      `${uuidv7(ms, index, random)}\t${buyer.id}\t${keyId}\t${service.id}\t${requestIso(ms)}\tPOST\t${path}\t` +
        `${status}\t${latency}\t${reached ? ttfb : "\\N"}\t${streamed ? "t" : "f"}\t${reached ? "t" : "f"}\t${errorCode}\t` +
        `${modelName}\t${input}\t${output}\t${input + output}\t${cached}\t${write}\t0\t${reasoning}\t${cost}\t${priceId}\t` +
        `${source}\t${parser}\t${parseError}\t${requestBytes}\t${responseBytes}\t` +
        `${reached ? `req_${hex8(random)}${hex8(random)}${hex8(random)}` : "\\N"}\t${createdIso(ms + latency)}\n`,
    );
  }
  return lines.join("");
}
