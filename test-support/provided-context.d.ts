// What test-support/global-setup.ts provides to every test through vitest's inject().
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
    queuePrefix: string;
    captureSigningKey: string;
    secretsKey: string;
  }
}
