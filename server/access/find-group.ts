import "server-only";
import { eq } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { groups } from "../../drizzle/schema/index";
import { AppError } from "../errors/app-error";

export async function findGroup(db: Db, id: string) {
  const [g] = await db.select().from(groups).where(eq(groups.id, id));
  if (!g) throw new AppError("NOT_FOUND", "no such group (it may have been deleted)");
  return g;
}
