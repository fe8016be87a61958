import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";

/** What the shared listeners call on the exchange an emitter carries. */
export interface ListeningExchange {
  bodyDeadline: number;
  requestData(chunk: Buffer): void;
  upstreamData(chunk: Buffer): void;
  upstreamClosed(proxyRes: IncomingMessage): void;
  upstreamSocket(socket: Socket): void;
  close(): void;
  fail(error: unknown): void;
}

const EXCHANGE = Symbol("tokenmeter.exchange");
type Carrier<X> = { [EXCHANGE]?: X };

/** Makes `emitter` (the buyer's request or response, the upstream's request or response) carry its exchange. */
export function carry<X extends ListeningExchange>(emitter: object, x: X): void {
  (emitter as Carrier<X>)[EXCHANGE] = x;
}

/** The exchange `emitter` carries, if any. */
export function carried<X extends ListeningExchange>(emitter: object): X | undefined {
  return (emitter as Carrier<X>)[EXCHANGE];
}

// Listeners shared by every exchange: Node calls them with the emitter as `this`, which carries its exchange,
// so no call allocates closures for them. An exception ends that exchange, never the process.

export function onResponseClose(this: Carrier<ListeningExchange>): void {
  this[EXCHANGE]?.close();
}

export function onRequestData(this: Carrier<ListeningExchange>, chunk: Buffer): void {
  const x = this[EXCHANGE];
  try {
    x?.requestData(chunk);
  } catch (error) {
    x?.fail(error);
  }
}

export function onRequestEnd(this: Carrier<ListeningExchange>): void {
  const x = this[EXCHANGE];
  if (x) x.bodyDeadline = 0;
}

export function onUpstreamData(this: Carrier<ListeningExchange>, chunk: Buffer): void {
  const x = this[EXCHANGE];
  try {
    x?.upstreamData(chunk);
  } catch (error) {
    x?.fail(error);
  }
}

export function onUpstreamClose(this: Carrier<ListeningExchange>): void {
  const x = this[EXCHANGE];
  try {
    x?.upstreamClosed(this as unknown as IncomingMessage);
  } catch (error) {
    x?.fail(error);
  }
}

export function onUpstreamSocket(this: Carrier<ListeningExchange>, socket: Socket): void {
  const x = this[EXCHANGE];
  try {
    x?.upstreamSocket(socket);
  } catch (error) {
    x?.fail(error);
  }
}

export function ignore(): void {}
