import { classifyDbError, type DbClient, notifyConfigChange, type Prisma } from "@tokenmeter/db";
import { modelAliasesSchema, TRUNCATED_STREAM_POLICIES } from "@tokenmeter/metering";
import type { SecretsKeyring } from "@tokenmeter/secrets";
import express, { type Router } from "express";
import { z } from "zod";
import { ApiError } from "../errors.js";
import { idJson, idSchema, parseWith, pathId } from "../http/validation.js";
import { type CredentialColumns, credentialColumns, headerNames } from "../services/service-credentials.js";
import { type PrivateUpstreams, privateTargetProblem, upstreamUrlProblem } from "../services/upstream-url.js";

// Slugs are the first path segment of proxied URLs, so they must not shadow the platform's own routes.
const RESERVED_SLUGS = new Set(["healthz", "metrics", "admin", "api", "dashboard"]);
// Headers the proxy computes itself; letting a seller pin them would corrupt the forwarded request.
const FORBIDDEN_HEADERS = new Set(["host", "content-length", "transfer-encoding", "connection"]);

const slugSchema = z
  .string()
  .refine((slug) => /^[a-z0-9][a-z0-9-]{0,62}$/.test(slug), {
    message: "must be 1-63 characters of a-z, 0-9 and '-', not starting with '-'",
    params: { code: "invalid_slug" },
  })
  .refine((slug) => !RESERVED_SLUGS.has(slug), {
    message: "is reserved",
    params: { code: "reserved_slug" },
  });

// Credentials belong in upstream_headers, which are sealed and never shown; a URL is echoed back.
const upstreamUrlSchema = z.string().superRefine((value, ctx) => {
  const problem = upstreamUrlProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

const headersSchema = z
  .record(
    z
      .string()
      .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, "must be an HTTP header name")
      .refine((name) => !FORBIDDEN_HEADERS.has(name.toLowerCase()), "is set by the proxy"),
    z
      .string()
      .max(8192)
      .regex(/^[^\r\n\0]*$/, "must not contain line breaks"),
  )
  .refine((headers) => Object.keys(headers).length <= 50, "at most 50 headers");

const nameSchema = z.string().trim().min(1).max(200);
const policySchema = z.enum(TRUNCATED_STREAM_POLICIES as ["estimate", "zero"]);

const createSchema = z.object({
  name: nameSchema,
  slug: slugSchema,
  upstream_url: upstreamUrlSchema,
  upstream_headers: headersSchema.optional(),
  inject_stream_usage: z.boolean().optional(),
  truncated_stream_policy: policySchema.optional(),
  model_aliases: modelAliasesSchema.optional(),
  // Omitted: the default seller (id 1), which owns every service made before sellers existed.
  seller_id: idSchema.optional(),
});

const patchSchema = z
  .object({
    name: nameSchema.optional(),
    upstream_url: upstreamUrlSchema.optional(),
    upstream_headers: headersSchema.optional(),
    inject_stream_usage: z.boolean().optional(),
    truncated_stream_policy: policySchema.optional(),
    model_aliases: modelAliasesSchema.optional(),
    seller_id: idSchema.optional(),
  })
  .refine((body) => Object.values(body).some((v) => v !== undefined), "nothing to update");

type ServiceRow = CredentialColumns & {
  id: bigint;
  sellerId: bigint;
  name: string;
  upstreamUrl: string;
  injectStreamUsage: boolean;
  truncatedStreamPolicy: string;
  modelAliases: Prisma.JsonValue;
  createdAt: Date;
  updatedAt: Date;
};

/** What the service routes need besides the database. */
export interface ServiceRoutesOptions {
  /** Seals the seller's credentials. */
  keyring: SecretsKeyring;
  /** Which private, loopback or link-local upstreams are allowed. */
  privateUpstreams: PrivateUpstreams;
}

/** A service as the admin API shows it: header names only, never their values. */
function renderService(row: ServiceRow, keyring: SecretsKeyring) {
  return {
    id: idJson(row.id),
    seller_id: idJson(row.sellerId),
    name: row.name,
    slug: row.slug,
    upstream_url: row.upstreamUrl,
    upstream_header_names: headerNames(row, keyring),
    inject_stream_usage: row.injectStreamUsage,
    truncated_stream_policy: row.truncatedStreamPolicy,
    model_aliases: row.modelAliases,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

function isUniqueViolation(error: unknown): boolean {
  return classifyDbError(error)?.code === "conflict";
}

// A seller_id that names no seller is the client's mistake (400), not a missing service (404).
async function requireSeller(db: DbClient, sellerId: bigint | undefined): Promise<void> {
  if (sellerId === undefined) return;
  if (!(await db.seller.findUnique({ where: { id: sellerId }, select: { id: true } }))) {
    throw new ApiError("unknown_seller", `seller ${sellerId} does not exist`);
  }
}

function isForeignKeyViolation(error: unknown): boolean {
  return classifyDbError(error)?.code === "missing_reference";
}

/** `/admin/api-services`: register, list, show and update sellers' APIs. */
export function adminServicesRouter(db: DbClient, options: ServiceRoutesOptions): Router {
  const router = express.Router();
  const { keyring } = options;
  const render = (row: ServiceRow) => renderService(row, keyring);
  const checkTarget = async (url: string | undefined) => {
    const problem = url === undefined ? null : await privateTargetProblem(url, options.privateUpstreams);
    if (problem) throw new ApiError("invalid_request", `upstream_url: ${problem}`);
  };

  router.post("/api-services", async (req, res) => {
    const body = parseWith(createSchema, req.body);
    await requireSeller(db, body.seller_id);
    await checkTarget(body.upstream_url);
    try {
      const row = await db.$transaction(async (tx) => {
        const created = await tx.apiService.create({
          data: {
            sellerId: body.seller_id,
            name: body.name,
            slug: body.slug,
            upstreamUrl: body.upstream_url,
            ...credentialColumns(body.upstream_headers ?? {}, keyring, body.slug),
            injectStreamUsage: body.inject_stream_usage ?? false,
            truncatedStreamPolicy: body.truncated_stream_policy ?? "estimate",
            modelAliases: body.model_aliases ?? {},
          },
        });
        // Workers meter with each service's policy and aliases: tell them with the commit.
        await notifyConfigChange(tx, "services");
        return created;
      });
      res.status(201).json(render(row));
    } catch (error) {
      if (isUniqueViolation(error)) throw new ApiError("slug_taken", `slug "${body.slug}" is already taken`);
      if (isForeignKeyViolation(error)) throw new ApiError("unknown_seller", "the seller does not exist");
      throw error;
    }
  });

  router.get("/api-services", async (_req, res) => {
    const rows = await db.apiService.findMany({ orderBy: { id: "asc" } });
    res.json(rows.map(render));
  });

  router.get("/api-services/:id", async (req, res) => {
    const row = await db.apiService.findUnique({ where: { id: pathId(req.params.id, "api service") } });
    if (!row) throw new ApiError("not_found", "api service not found");
    res.json(render(row));
  });

  router.patch("/api-services/:id", async (req, res) => {
    const id = pathId(req.params.id, "api service");
    if (req.body && typeof req.body === "object" && "slug" in req.body) {
      // The slug is part of every buyer's URL; changing it would silently break their clients.
      throw new ApiError("invalid_request", "slug: cannot be changed");
    }
    const body = parseWith(patchSchema, req.body);
    await requireSeller(db, body.seller_id);
    await checkTarget(body.upstream_url);
    const existing = await db.apiService.findUnique({ where: { id }, select: { slug: true } });
    if (!existing) throw new ApiError("not_found", "api service not found");
    const credentials =
      body.upstream_headers === undefined
        ? {}
        : credentialColumns(body.upstream_headers, keyring, existing.slug);
    const count = await db
      .$transaction(async (tx) => {
        const updated = await tx.apiService.updateMany({
          where: { id },
          data: {
            sellerId: body.seller_id,
            name: body.name,
            upstreamUrl: body.upstream_url,
            ...credentials,
            injectStreamUsage: body.inject_stream_usage,
            truncatedStreamPolicy: body.truncated_stream_policy,
            modelAliases: body.model_aliases,
            updatedAt: new Date(),
          },
        });
        if (updated.count > 0) await notifyConfigChange(tx, "services");
        return updated.count;
      })
      .catch((error: unknown) => {
        // The seller was deleted between the check and the update.
        if (isForeignKeyViolation(error)) throw new ApiError("unknown_seller", "the seller does not exist");
        throw error;
      });
    const row = count ? await db.apiService.findUnique({ where: { id } }) : null;
    if (!row) throw new ApiError("not_found", "api service not found");
    res.json(render(row));
  });

  return router;
}
