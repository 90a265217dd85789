import { z } from "zod";

/**
 * The connection form, per type. Postgres is built; the other types are listed so the form shows
 * where they will go, and are refused until their adapters exist.
 */
export const CONNECTION_TYPES = [
  { type: "postgres", label: "PostgreSQL", available: true },
  { type: "mysql", label: "MySQL / MariaDB", available: false },
  { type: "ssh", label: "SSH", available: false },
  { type: "http", label: "HTTP API", available: false },
  { type: "kubernetes", label: "Kubernetes", available: false },
] as const;

export const SSL_MODES = ["disable", "prefer", "require", "verify-full"] as const;

const name = z
  .string()
  .trim()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, "1-63 letters, digits, '.', '_' or '-', starting with a letter or digit (clients use it as the database name)");

export const postgresFormSchema = z.object({
  type: z.literal("postgres"),
  name,
  host: z.string().trim().min(1, "the target's host name or address").max(255),
  port: z.coerce.number().int("a whole number").min(1, "1-65535").max(65535, "1-65535"),
  database: z.string().trim().min(1, "the database on the target").max(63),
  user: z.string().trim().min(1, "the role the gateway signs in as").max(63),
  /** Write-only: empty keeps the stored password; `clearPassword` removes it. */
  password: z.string().max(1000).optional(),
  clearPassword: z.boolean().optional(),
  sslmode: z.enum(SSL_MODES),
});
export type PostgresForm = z.infer<typeof postgresFormSchema>;

export const connectionFormSchema = z.discriminatedUnion("type", [postgresFormSchema]);
export type ConnectionForm = z.infer<typeof connectionFormSchema>;
