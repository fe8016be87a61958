-- Counters of configuration changes, read by workers before metering a batch (see notifyConfigChange).
-- CreateTable
CREATE TABLE "config_versions" (
    "topic" VARCHAR(16) NOT NULL,
    "version" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "config_versions_pkey" PRIMARY KEY ("topic")
);

INSERT INTO "config_versions" ("topic") VALUES ('prices'), ('rules'), ('services');
