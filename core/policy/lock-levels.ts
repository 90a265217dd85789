/**
 * PostgreSQL's table-level lock modes, weakest first (docs, "Explicit Locking", table-level locks),
 * and the strongest one a statement takes, read from its parse tree.
 */
export const LOCK_LEVELS = ["ACCESS SHARE", "ROW SHARE", "ROW EXCLUSIVE", "SHARE UPDATE EXCLUSIVE", "SHARE", "SHARE ROW EXCLUSIVE", "EXCLUSIVE", "ACCESS EXCLUSIVE"] as const;
export type LockLevel = (typeof LOCK_LEVELS)[number];

type Node = Record<string, unknown>;

const rank = (l: LockLevel) => LOCK_LEVELS.indexOf(l);
export const strongest = (a: LockLevel | null, b: LockLevel | null): LockLevel | null => (a === null ? b : b === null ? a : rank(a) >= rank(b) ? a : b);
/** `taken` is `level` or stronger. */
export const atLeast = (taken: LockLevel | null, level: LockLevel): boolean => taken !== null && rank(taken) >= rank(level);

const defnames = (options: unknown): string[] => ((options as Node[] | undefined) ?? []).map((o) => String((o.DefElem as Node | undefined)?.defname ?? "").toLowerCase());

// ALTER TABLE subcommands that take less than ACCESS EXCLUSIVE (the docs' list); every other form takes it.
const ALTER_TABLE_LOCK: Record<string, LockLevel> = {
  AT_SetStatistics: "SHARE UPDATE EXCLUSIVE",
  AT_ClusterOn: "SHARE UPDATE EXCLUSIVE",
  AT_DropCluster: "SHARE UPDATE EXCLUSIVE",
  AT_SetRelOptions: "SHARE UPDATE EXCLUSIVE",
  AT_ResetRelOptions: "SHARE UPDATE EXCLUSIVE",
  AT_ValidateConstraint: "SHARE UPDATE EXCLUSIVE",
  AT_AttachPartition: "SHARE UPDATE EXCLUSIVE",
  AT_DetachPartitionFinalize: "SHARE UPDATE EXCLUSIVE",
  AT_EnableTrig: "SHARE ROW EXCLUSIVE",
  AT_EnableAlwaysTrig: "SHARE ROW EXCLUSIVE",
  AT_EnableReplicaTrig: "SHARE ROW EXCLUSIVE",
  AT_DisableTrig: "SHARE ROW EXCLUSIVE",
  AT_EnableTrigAll: "SHARE ROW EXCLUSIVE",
  AT_DisableTrigAll: "SHARE ROW EXCLUSIVE",
  AT_EnableTrigUser: "SHARE ROW EXCLUSIVE",
  AT_DisableTrigUser: "SHARE ROW EXCLUSIVE",
};

function alterTableCmdLock(cmd: Node): LockLevel {
  const subtype = String(cmd.subtype ?? "");
  if (subtype === "AT_DetachPartition" && (cmd.def as Node | undefined)?.PartitionCmd && ((cmd.def as Node).PartitionCmd as Node).concurrent) return "SHARE UPDATE EXCLUSIVE";
  // Adding a foreign key takes SHARE ROW EXCLUSIVE on the table (and the one it references).
  const constraint = ((cmd.def as Node | undefined)?.Constraint as Node | undefined)?.contype;
  if (subtype === "AT_AddConstraint" && constraint === "CONSTR_FOREIGN") return "SHARE ROW EXCLUSIVE";
  return ALTER_TABLE_LOCK[subtype] ?? "ACCESS EXCLUSIVE";
}

const LOCK_STMT_MODES: Record<number, LockLevel> = {
  1: "ACCESS SHARE",
  2: "ROW SHARE",
  3: "ROW EXCLUSIVE",
  4: "SHARE UPDATE EXCLUSIVE",
  5: "SHARE",
  6: "SHARE ROW EXCLUSIVE",
  7: "EXCLUSIVE",
  8: "ACCESS EXCLUSIVE",
};

/** The table lock one node of a parse tree takes by itself (null: none, or not a table lock). */
export function nodeLock(type: string, node: Node): LockLevel | null {
  switch (type) {
    case "SelectStmt":
      return node.lockingClause ? "ROW SHARE" : node.fromClause ? "ACCESS SHARE" : null;
    case "InsertStmt":
    case "UpdateStmt":
    case "DeleteStmt":
    case "MergeStmt":
      return "ROW EXCLUSIVE";
    case "CopyStmt":
      return node.is_from ? "ROW EXCLUSIVE" : "ACCESS SHARE";
    case "LockStmt":
      return LOCK_STMT_MODES[Number(node.mode ?? 8)] ?? "ACCESS EXCLUSIVE";
    case "VacuumStmt":
      // VACUUM FULL rewrites the table; plain VACUUM and ANALYZE let reads and writes go on.
      return defnames(node.options).includes("full") ? "ACCESS EXCLUSIVE" : "SHARE UPDATE EXCLUSIVE";
    case "ClusterStmt":
    case "TruncateStmt":
      return "ACCESS EXCLUSIVE";
    case "ReindexStmt":
      return defnames(node.params).includes("concurrently") ? "SHARE UPDATE EXCLUSIVE" : "ACCESS EXCLUSIVE";
    case "RefreshMatViewStmt":
      return node.concurrent ? "EXCLUSIVE" : "ACCESS EXCLUSIVE";
    case "IndexStmt":
      return node.concurrent ? "SHARE UPDATE EXCLUSIVE" : "SHARE";
    case "CreateTrigStmt":
      return "SHARE ROW EXCLUSIVE";
    case "CreateStatsStmt":
    case "CommentStmt":
      return "SHARE UPDATE EXCLUSIVE";
    case "DropStmt": {
      const t = String(node.removeType ?? "");
      if (t === "OBJECT_INDEX" && node.concurrent) return "SHARE UPDATE EXCLUSIVE";
      return ["OBJECT_TABLE", "OBJECT_INDEX", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_FOREIGN_TABLE", "OBJECT_SEQUENCE"].includes(t) ? "ACCESS EXCLUSIVE" : null;
    }
    case "AlterTableStmt": {
      const cmds = ((node.cmds as Node[] | undefined) ?? []).map((c) => c.AlterTableCmd as Node).filter(Boolean);
      return cmds.reduce<LockLevel | null>((l, c) => strongest(l, alterTableCmdLock(c)), cmds.length ? null : "ACCESS EXCLUSIVE");
    }
    case "RenameStmt":
      return ["OBJECT_TABLE", "OBJECT_COLUMN", "OBJECT_INDEX", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_SEQUENCE", "OBJECT_TABCONSTRAINT", "OBJECT_FOREIGN_TABLE"].includes(
        String(node.renameType ?? ""),
      )
        ? "ACCESS EXCLUSIVE"
        : null;
    default:
      return null;
  }
}
