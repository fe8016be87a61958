-- Seller credentials sealed at rest (AES-256-GCM with SECRETS_KEY). The control plane seals what is left in the
-- plaintext column at start and empties it.
ALTER TABLE "api_services" ADD COLUMN "upstream_headers_sealed" TEXT;
