import type { Capture } from "@tokenmeter/capture";
import { decodeBodyBounded, REQUEST_DECODE_LIMITS, RESPONSE_DECODE_LIMITS } from "@tokenmeter/usage";

/**
 * Decodes a capture's compressed bodies on the thread pool, bounded in output and time, before the (synchronous)
 * parsers see them: a compression bomb in a buyer's request or an upstream's response costs at most the bounds,
 * never the event loop. Bodies that do not decode are marked with the reason, which becomes the row's parse error.
 */
export async function decodeCaptureBodies(capture: Capture): Promise<Capture> {
  const [request, response] = await Promise.all([
    decodeBodyBounded(capture.request.body, REQUEST_DECODE_LIMITS),
    decodeBodyBounded(capture.response.body, RESPONSE_DECODE_LIMITS),
  ]);
  if (request === capture.request.body && response === capture.response.body) return capture;
  return {
    ...capture,
    request: { ...capture.request, body: request },
    response: { ...capture.response, body: response },
  };
}
