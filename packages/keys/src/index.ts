export {
  API_KEY_PREFIX,
  generateApiKey,
  hashApiKey,
  hashesEqual,
  looksLikeApiKey,
  type NewApiKey,
  VISIBLE_PREFIX_LENGTH,
} from "./api-key.js";
export { bearerToken } from "./bearer.js";
export {
  generateSellerKey,
  looksLikeSellerKey,
  SELLER_KEY_PREFIX,
  SELLER_VISIBLE_PREFIX_LENGTH,
} from "./seller-key.js";
