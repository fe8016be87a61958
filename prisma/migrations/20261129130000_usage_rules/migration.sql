-- CreateTable
CREATE TABLE "usage_rules" (
    "id" BIGSERIAL NOT NULL,
    "name" VARCHAR(100) NOT NULL,
    "api_service_id" BIGINT,
    "input_tokens_pattern" TEXT,
    "output_tokens_pattern" TEXT,
    "total_tokens_pattern" TEXT,
    "model_pattern" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_rules_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "usage_rules_name_key" ON "usage_rules"("name");

