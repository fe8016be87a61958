import { z } from "zod";
import { parseSecretsKeyring } from "./sealed-secret.js";

/**
 * The `SECRETS_KEY` variable as the control plane (which seals) and the proxy (which opens) read it: required,
 * 32-byte base64 keys, comma-separated, the first one sealing.
 */
export const secretsKeyringEnvSchema = z
  .string({ error: "required: 32-byte base64 keys, comma-separated (the first one seals)" })
  .transform((value, ctx) => {
    try {
      return parseSecretsKeyring(value);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  });
