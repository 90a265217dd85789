/**
 * What every writer of a connection agrees on (the CLI, the console forms, the gateway reading it
 * back), whatever its type: the name rule and the shape of what is stored. Each type's own
 * settings are in its module (types/, listed by registry.ts). Pure, so browser code may import it too.
 */

/** Clients give the connection name as their database (or user, or path) name, hence the narrow rule. */
export const CONNECTION_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
export const CONNECTION_NAME_RULE = "1-63 letters, digits, '.', '_' or '-', starting with a letter or digit";

/** What `connections.type` may hold (drizzle/schema/connections.ts); the registry says which of them this Gatehouse serves. */
export const CONNECTION_TYPES = ["postgres", "mysql", "ssh", "http", "kubernetes", "mcp"] as const;
export type ConnectionType = (typeof CONNECTION_TYPES)[number];

export type ConnectionSettings = Record<string, string | number | boolean>;
/** The sealed part of a connection: a password, a private key... never shown, never logged. */
export type ConnectionSecret = Record<string, string>;

/** A pinned SSH host key, as `ssh-keygen -lf` prints it: `SHA256:` and 43 unpadded base64 characters. */
export const SSH_HOST_KEY_FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;
export const SSH_HOST_KEY_FINGERPRINT_RULE = "SHA256: followed by 43 characters, as `ssh-keygen -lf` prints it";
