-- Sellers own API services and read their usage with their own keys (tms_…).

-- CreateTable
CREATE TABLE "sellers" (
    "id" BIGSERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sellers_pkey" PRIMARY KEY ("id")
);

-- The default seller (id 1) owns every service created before sellers existed, and any service created
-- without a seller_id.
INSERT INTO "sellers" ("id", "name") VALUES (1, 'Default seller');
SELECT setval(pg_get_serial_sequence('"sellers"', 'id'), (SELECT max("id") FROM "sellers"));

-- CreateTable
CREATE TABLE "seller_api_keys" (
    "id" BIGSERIAL NOT NULL,
    "seller_id" BIGINT NOT NULL,
    "key_hash" CHAR(64) NOT NULL,
    "prefix" VARCHAR(16) NOT NULL,
    "name" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "seller_api_keys_pkey" PRIMARY KEY ("id")
);

-- AlterTable: existing services go to the default seller.
ALTER TABLE "api_services" ADD COLUMN     "seller_id" BIGINT NOT NULL DEFAULT 1;

-- CreateIndex
CREATE UNIQUE INDEX "seller_api_keys_key_hash_key" ON "seller_api_keys"("key_hash");

-- CreateIndex
CREATE INDEX "seller_api_keys_seller_id_idx" ON "seller_api_keys"("seller_id");

-- CreateIndex
CREATE INDEX "api_services_seller_id_idx" ON "api_services"("seller_id");

-- AddForeignKey
ALTER TABLE "seller_api_keys" ADD CONSTRAINT "seller_api_keys_seller_id_fkey" FOREIGN KEY ("seller_id") REFERENCES "sellers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "api_services" ADD CONSTRAINT "api_services_seller_id_fkey" FOREIGN KEY ("seller_id") REFERENCES "sellers"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
