export {
  API_KEY_PREFIX,
  generateApiKey,
  hashApiKey,
  hashesEqual,
  looksLikeApiKey,
  type NewApiKey,
  VISIBLE_PREFIX_LENGTH,
} from "./api-key.js";
