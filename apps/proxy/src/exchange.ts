import type { ClientRequest, IncomingMessage } from "node:http";
import type { CaptureErrorCode } from "@tokenmeter/capture";
import type { BodyTee } from "./body-tee.js";
import type { KeyInfo, ServiceInfo } from "./directory.js";

/** Everything the proxy learns about one exchange while it runs; turned into a capture when it ends. */
export interface Exchange {
  requestId: string;
  receivedAt: number;
  startedAt: number;
  key: KeyInfo;
  service: ServiceInfo;
  method: string;
  upstreamPath: string;
  /** The upstream base URL (http-proxy joins the upstream path to it). */
  target: string;
  requestContentType: string | undefined;
  requestTee: BodyTee;
  /** Set when the request body was never read (refused before proxying): its declared size. */
  declaredRequestBytes: number | null;
  /** The request body as rewritten for the upstream (opt-in stream usage), when it was. */
  rewrittenBody: Buffer | null;
  proxyReq: ClientRequest | null;
  proxyRes: IncomingMessage | null;
  responseTee: BodyTee | null;
  ttfbMs: number | null;
  upstreamRequestId: string | undefined;
  responseContentType: string | undefined;
  connected: boolean;
  timedOut: boolean;
  errorCode: CaptureErrorCode | undefined;
  /** Status we answered with ourselves (413/502/504), when we did. */
  ownStatus: number | null;
  connectTimer: NodeJS.Timeout | null;
  finalized: boolean;
}

/** The request object carries its exchange from our handler to http-proxy's event callbacks. */
export type ExchangeRequest = IncomingMessage & { tmExchange?: Exchange };
