export { secretsKeyringEnvSchema } from "./keyring-env.js";
export {
  openHeaders,
  openSecret,
  parseSecretsKeyring,
  SecretsError,
  type SecretsErrorCode,
  type SecretsKey,
  type SecretsKeyring,
  sealedWith,
  sealHeaders,
  sealSecret,
} from "./sealed-secret.js";
