import "server-only";
import { and, ilike, isNotNull, isNull, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "../../drizzle/client";
import { auditEvents, auditStatementShapes } from "../../drizzle/schema/index";
import { digitRuns, statementShape } from "../../core/audit/statement-shape";
import { likeEscape } from "../sessions/like-escape";

/** Past this many shapes the search does not list them: a text that common among shapes is common among events, found walking them newest first. */
const MAX_SHAPES = 1000;

/**
 * A free-text search, resolved: the pattern, the keys of the statement shapes that contain the
 * text with its digit runs each `0` (null: more than MAX_SHAPES), and the text's digit runs.
 */
export type TextTerm = { pattern: string; shapes: string[] | null; runs: string[] };

/** Finds the shapes a search text can be in (one query on the shapes' trigram index). */
export async function textTerm(db: Db, q: string): Promise<TextTerm> {
  const rows = await db
    // As text: a bigint read as a JavaScript number may lose digits.
    .select({ hash: sql<string>`${auditStatementShapes.hash}::text` })
    .from(auditStatementShapes)
    .where(ilike(auditStatementShapes.shape, `%${likeEscape(statementShape(q))}%`))
    .limit(MAX_SHAPES + 1);
  const shapes = rows.length > MAX_SHAPES ? null : rows.map((r) => r.hash);
  return { pattern: `%${likeEscape(q)}%`, shapes, runs: digitRuns(q) };
}

/**
 * Events whose statement or message holds the text, case aside (`ilike`, `%` and `_` literal): a
 * statement of a matching shape whose digit runs hold the text's (each a necessary condition, served
 * by an index), then the statement itself; a statement stored without a shape by its own index.
 */
export function textCondition(t: TextTerm): SQL {
  const shaped = and(
    isNotNull(auditEvents.shapeHash),
    t.shapes === null ? undefined : shapeIn(t.shapes),
    ...t.runs.map((run) => ilike(auditEvents.numbers, `%${run}%`)),
    ilike(auditEvents.statement, t.pattern),
  )!;
  return or(shaped, and(isNull(auditEvents.shapeHash), ilike(auditEvents.statement, t.pattern)), ilike(auditEvents.message, t.pattern))!;
}

/** Among the shapes, by their keys as text (the planner reads the list: a common shape walks the events newest first, a rare one its index). */
const shapeIn = (keys: string[]): SQL => (keys.length === 0 ? sql`false` : sql`${auditEvents.shapeHash} = any(${`{${keys.join(",")}}`}::bigint[])`);
