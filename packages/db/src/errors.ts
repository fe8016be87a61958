import { TokenmeterError } from "@tokenmeter/runtime";
import { Prisma } from "./generated/prisma/client.js";

/** What a failed database call means to its caller. */
export type DbErrorCode = "conflict" | "missing_reference" | "unavailable" | "timeout";

// Prisma's own codes (https://www.prisma.io/docs/orm/reference/error-reference).
const BY_PRISMA_CODE: Readonly<Record<string, DbErrorCode>> = {
  P2002: "conflict", // unique constraint
  P2003: "missing_reference", // foreign key constraint
  P1001: "unavailable", // cannot reach the server
  P1002: "timeout", // server reached, timed out
  P1008: "timeout", // operation timed out
  P1017: "unavailable", // server closed the connection
  P2024: "timeout", // no pool connection in time
};

// The driver adapter's own classification, and PostgreSQL SQLSTATEs it passes through.
const BY_ADAPTER_KIND: Readonly<Record<string, DbErrorCode>> = {
  DatabaseNotReachable: "unavailable",
  ConnectionClosed: "unavailable",
  SocketTimeout: "timeout",
  UniqueConstraintViolation: "conflict",
  ForeignKeyConstraintViolation: "missing_reference",
};
const BY_SQLSTATE: Readonly<Record<string, DbErrorCode>> = {
  "23505": "conflict",
  "23503": "missing_reference",
  "57014": "timeout", // statement_timeout / cancelled
  "57P01": "unavailable", // admin shutdown
  "57P03": "unavailable", // cannot connect now (starting up)
};

interface AdapterCause {
  kind?: string;
  originalCode?: string;
  code?: string;
}

/**
 * Classifies a Prisma (or driver adapter) error as one of the runtime's codes, or undefined when it is none of
 * them (a bug, bad data). Unavailable and timeout are retryable; conflict and missing_reference are not. The
 * message is Prisma's class and code only: its own messages can quote the query's arguments (credentials).
 */
export function classifyDbError(error: unknown): TokenmeterError<DbErrorCode> | undefined {
  let code: DbErrorCode | undefined;
  let prismaCode: string | undefined;
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    prismaCode = error.code;
    const cause = (error.meta as { driverAdapterError?: { cause?: AdapterCause } } | undefined)
      ?.driverAdapterError?.cause;
    const state = cause?.originalCode ?? cause?.code;
    code =
      BY_PRISMA_CODE[error.code] ??
      (cause?.kind ? BY_ADAPTER_KIND[cause.kind] : undefined) ??
      (state ? BY_SQLSTATE[state] : undefined);
  } else if (error instanceof Prisma.PrismaClientInitializationError) {
    prismaCode = error.errorCode;
    code = "unavailable";
  }
  if (!code) return undefined;
  return new TokenmeterError(code, `database ${code} (${prismaCode ?? "no code"})`, {
    cause: error,
    retryable: code === "unavailable" || code === "timeout",
  });
}
