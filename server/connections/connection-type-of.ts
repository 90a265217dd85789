import "server-only";
import { ConnectionFieldError, InvalidConnectionSettings, UnknownConnectionType, type ConnectionTypeModule, type FormPlan, type StoredState } from "../../core/connections/connection-type";
import { connectionTypeOf } from "../../core/connections/registry";
import { AppError } from "../errors/app-error";

/** The registry's module for a type, with an unknown type (a row a newer Gatehouse wrote) as a message for the admin. */
export function consoleConnectionType(type: string, connectionName?: string): ConnectionTypeModule {
  try {
    return connectionTypeOf(type, connectionName);
  } catch (err) {
    if (err instanceof UnknownConnectionType) throw new AppError("INVALID_INPUT", err.message);
    throw err;
  }
}

/** The stored settings as the type reads them; settings it cannot use are a message, not an internal error. */
export function consoleConnectionSettings(type: ConnectionTypeModule, connection: { name: string; type: string; settings: Record<string, unknown> }) {
  try {
    return type.parseSettings(connection);
  } catch (err) {
    if (err instanceof InvalidConnectionSettings) throw new AppError("INVALID_INPUT", err.message);
    throw err;
  }
}

/** What a save or a test of the form writes, with a refused value shown under its field. */
export async function planConnectionForm(type: ConnectionTypeModule, form: Parameters<ConnectionTypeModule["form"]["plan"]>[0], stored: StoredState, email: string): Promise<FormPlan> {
  try {
    return await type.form.plan(form, stored, { email, now: new Date() });
  } catch (err) {
    if (err instanceof ConnectionFieldError) throw new AppError("INVALID_INPUT", err.message, err.fields);
    throw err;
  }
}
