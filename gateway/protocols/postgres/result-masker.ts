import type { SessionMasking } from "../../../core/masking/compile-rules";
import { ValueMasker } from "../../../core/masking/value-masker";
import type { StatementAnalyzer } from "../../../core/sql/statement-analyzer";
import { Backend, Frontend } from "./message-codes";
import { readBind, readExecute, readParse, readTargetedName } from "./frontend-messages";
import { maskDataRow, readBindResultFormats, readRowDescription, type ColumnMask, type Field } from "./data-row";
import { maskNoticeFields, maskNotification } from "./notice-masking";
import { maskCopyRow, type CopyPlan } from "./copy-out";
import { ruleMasked, scanBinaryValue, scanTextValue, typeInfo, FIRST_USER_OID, type TypeInfo } from "./pg-value-masking";
import { callsOpaqueRoutine } from "../../../core/sql/routine-calls";
import { columnsToMask, copyPlanOf, statementInfo, viewNamesToLoad, type FieldRule, type StatementInfo } from "./result-columns";
import type { TargetCatalog } from "./column-catalog";
import type { RequestRecord, StatementTracker } from "./statement-tracker";
import type { MaskedCounts } from "./statement-events";
import type { BackendFilter } from "./guard-types";
import { OutputSlab } from "./segment-writer";
import { DescribePlanner } from "./describe-planner";

type Described = { info: StatementInfo; fields?: Field[]; rules?: Array<FieldRule | undefined> };
type Portal = { described: Described; formats: number[]; fields?: Field[]; rules?: Array<FieldRule | undefined>; masks?: Array<ColumnMask | undefined> | null };

const UNKNOWN_STATEMENT: StatementInfo = { tree: null, lineage: null, touchesRules: true, failClosed: true, runsCode: false, relations: [], calls: { functions: [], operators: [] } };
const DDL_TAG = /^(ALTER|CREATE|DROP|COMMENT|GRANT|REVOKE)\b/;
/** The first letters of those tags (a SELECT's or an INSERT's tag is not read as text). */
const DDL_FIRST = new Set([..."ACDGR"].map((c) => c.charCodeAt(0)));

/**
 * Masks what the target sends one session, as it streams (the relay's BackendFilter): DataRows
 * of simple and extended queries in text and binary format, COPY TO STDOUT rows, errors, notices
 * and notifications. Each result's columns are resolved once, at its RowDescription, to the source
 * columns the server names (table OID + attribute number, through the target's catalog) or, for
 * computed columns, to what the parsed query reads; then every row costs one pass over its
 * columns, and a row that needs nothing is forwarded as the bytes it arrived in.
 */
export class ResultMasker implements BackendFilter {
  private readonly statements = new Map<string, Described>();
  private readonly portals = new Map<string, Portal>();
  private readonly plan = new DescribePlanner(() => this.tracker.idle, {
    statement: (name) => this.statements.get(name)?.fields !== undefined,
    portal: (name) => {
      const p = this.portals.get(name);
      return (p?.fields ?? p?.described.fields) !== undefined;
    },
  });
  private simple: Array<ColumnMask | undefined> | null = null;
  private copy: { plan: CopyPlan; header: boolean } | null = null;
  private readonly copyColumns = new Map<string, Awaited<ReturnType<TargetCatalog["columnsOf"]>>>();
  private masker: ValueMasker | null = null;
  private readonly slab = new OutputSlab();
  private readonly alloc = (n: number) => this.slab.alloc(n);
  // What masking replaced, per request, for its audit events (kept here, not in the tracker's records).
  private readonly counts = new WeakMap<RequestRecord, MaskedCounts>();

  constructor(
    private readonly masking: () => SessionMasking | null,
    private readonly key: Buffer,
    private readonly catalog: TargetCatalog,
    private readonly analyzer: StatementAnalyzer,
    private readonly tracker: StatementTracker,
    private readonly log: (m: string) => void,
  ) {}

  /**
   * Statements and portals change when the target says they did (see StatementTracker.whenDone).
   * An Execute whose columns the masking would not know is preceded by the gateway's own Describe
   * (see DescribePlanner).
   */
  onFrontend(type: number, buf: Buffer, start: number, end: number): Buffer | undefined {
    if (!this.current()) return undefined;
    const plan = this.plan;
    switch (type) {
      case Frontend.Parse: {
        const { name, text } = readParse(buf, start, end);
        const described: Described = { info: statementInfo(this.analyzer, text, 0) };
        plan.parse(name);
        this.tracker.whenDone(() => this.statements.set(name, described));
        break;
      }
      case Frontend.Bind: {
        const { portal, statement } = readBind(buf, start, end);
        const formats = readBindResultFormats(buf, start, end);
        plan.bind(portal, statement);
        this.tracker.whenDone(() => this.portals.set(portal, { described: this.statements.get(statement) ?? { info: UNKNOWN_STATEMENT }, formats }));
        break;
      }
      case Frontend.Describe: {
        const { kind, name } = readTargetedName(buf, start, end);
        plan.describe(kind, name);
        break;
      }
      case Frontend.Close: {
        const { kind, name } = readTargetedName(buf, start, end);
        plan.close(kind, name);
        this.tracker.whenDone(() => (kind === "S" ? this.statements : this.portals).delete(name));
        break;
      }
      case Frontend.Execute: {
        const { portal } = readExecute(buf, start, end);
        return plan.execute(portal) ? this.tracker.describeFirst(portal) : undefined;
      }
      case Frontend.Sync:
        plan.sync();
    }
    return undefined;
  }

  onBackend(type: number, buf: Buffer, start: number, end: number): Buffer | undefined | Promise<void> {
    // DDL may change what the catalog knows (a view, a function guardrails judge calls by): read again, masked or not.
    if (type === Backend.CommandComplete && DDL_FIRST.has(buf[start + 5]) && DDL_TAG.test(buf.toString("latin1", start + 5, Math.min(end, start + 13)))) this.catalog.invalidate();
    const m = this.current();
    if (!m) return undefined;
    switch (type) {
      case Backend.DataRow: {
        const masks = this.simple ?? this.portalMasks();
        return masks ? maskDataRow(buf, start, end, masks, this.alloc) : undefined;
      }
      case Backend.RowDescription:
        return this.onRowDescription(buf, start, end);
      case Backend.CopyData:
        if (!this.copy) return undefined;
        try {
          return maskCopyRow(buf, start, end, this.copy.plan, this.copy.header, m);
        } finally {
          this.copy.header = false;
        }
      case Backend.CopyOutResponse:
      case Backend.CopyBothResponse:
        return this.onCopyOut(buf, start);
      case Backend.CommandComplete: {
        this.simple = null;
        this.copy = null;
        this.attachCounts();
        return undefined;
      }
      case Backend.ErrorResponse:
      case Backend.NoticeResponse: {
        const info = this.respondingInfo();
        // Whether the statement runs code of its own depends on the target's built-in routines: known first (the stream waits once per target).
        const routines = info && this.loadBuiltinRoutines(info);
        if (routines) return routines;
        const runsCode = info && (info.runsCode || callsOpaqueRoutine(info.calls, this.catalog.builtinRoutines()));
        const withheld = m.masking.columns.length === 0 ? "none" : runsCode ? "all" : (info?.touchesRules ?? true) ? "quoted" : "none";
        const out = maskNoticeFields(buf, start, end, m, withheld, this.tracker.respondingNames());
        if (type === Backend.ErrorResponse) {
          this.simple = null;
          this.copy = null;
        }
        this.attachCounts();
        return out;
      }
      case Backend.NotificationResponse:
        return maskNotification(buf, start, end, m);
      case Backend.ReadyForQuery:
        this.simple = null;
        this.attachCounts();
        return undefined;
    }
    return undefined;
  }

  /** DataRows are passed as they are while the rules in force mask nothing in the current result (see onBackend's DataRow). */
  rowsPass(): boolean {
    return !this.current() || !(this.simple ?? this.portalMasks());
  }

  /** The session's masker for the rules in force (rebuilt when they change). */
  private current(): ValueMasker | null {
    const masking = this.masking();
    if (!masking) return (this.masker = null);
    if (this.masker?.masking !== masking) {
      this.masker = new ValueMasker(masking, this.key);
      // Known before the first error or notice arrives, so their text is not withheld for want of it.
      if (masking.columns.length && this.catalog.builtinRoutines() === undefined) this.catalog.loadBuiltinRoutines().catch(() => {});
    }
    return this.masker;
  }

  private respondingInfo(): StatementInfo | undefined {
    const r = this.tracker.responding();
    if (!r) return undefined;
    if (r.op === "query") return statementInfo(this.analyzer, r.record.text, r.statementIndex);
    if (r.op === "execute") return this.portals.get(r.portal)?.described.info;
    return (r.kind === "S" ? this.statements.get(r.name) : this.portals.get(r.name)?.described)?.info;
  }

  private onRowDescription(buf: Buffer, start: number, end: number): undefined | Promise<void> {
    const fields = readRowDescription(buf, start, end);
    const wait = this.loadCatalog(fields);
    if (wait) return wait;
    const r = this.tracker.responding();
    const info = this.respondingInfo() ?? UNKNOWN_STATEMENT;
    const views = this.loadViewNames(viewNamesToLoad(this.masker!.masking, fields, info, this.catalog));
    if (views) return views;
    const routines = fields.some((f) => f.tableOid === 0) ? this.loadBuiltinRoutines(info) : undefined;
    if (routines) return routines;
    const rules = columnsToMask(this.masker!.masking, fields, info, this.catalog);
    if (r?.op === "describe" && r.kind === "S") {
      const d = this.statements.get(r.name);
      if (d) Object.assign(d, { fields, rules });
      return undefined;
    }
    if (r?.op === "describe" && r.kind === "P") {
      const p = this.portals.get(r.name);
      if (p)
        Object.assign(p, {
          fields,
          rules,
          masks: this.masksFor(
            fields,
            rules,
            fields.map((f) => f.format),
          ),
        });
      return undefined;
    }
    this.simple = this.masksFor(
      fields,
      rules,
      fields.map((f) => f.format),
    );
    return undefined;
  }

  /** The masks of the portal being executed; a portal never described gets every column nulled (fail closed). */
  private portalMasks(): Array<ColumnMask | undefined> | null {
    const r = this.tracker.responding();
    if (r?.op !== "execute") return null;
    const p = this.portals.get(r.portal);
    if (p?.masks !== undefined) return p.masks;
    const fields = p?.fields ?? p?.described.fields;
    const rules = p?.rules ?? p?.described.rules;
    if (!p || !fields || !rules) {
      this.log("masking: rows of a statement the gateway never saw described: sent as NULL");
      return new Array<ColumnMask>(1600).fill(() => null);
    }
    p.masks = this.masksFor(fields, rules, p.formats);
    return p.masks;
  }

  private masksFor(fields: Field[], rules: Array<FieldRule | undefined>, formats: number[]): Array<ColumnMask | undefined> | null {
    const m = this.masker!;
    const types = (oid: number): TypeInfo => typeInfo(oid, (o) => this.catalog.type(o) ?? undefined);
    const scan = m.masking.detectors.length > 0;
    let any = false;
    const masks = fields.map((f, i): ColumnMask | undefined => {
      const binary = (formats.length === 1 ? formats[0] : (formats[i] ?? 0)) === 1;
      const t = types(f.typeOid);
      const rule = rules[i];
      any ||= !!rule || scan;
      if (rule) return (buf, s, e) => ruleMasked(t.kind, binary, buf, s, e, rule.style, rule.name, m);
      if (!scan) return undefined;
      return binary ? (buf, s, e) => scanBinaryValue(f.typeOid, buf, s, e, m, types) : (buf, s, e) => scanTextValue(t, buf, s, e, m, types);
    });
    return any ? masks : null;
  }

  /** Loads what the catalog does not know yet; a failure leaves it unknown, and unknown columns are masked. */
  private loadCatalog(fields: Field[]): Promise<void> | undefined {
    const rels = [...new Set(fields.filter((f) => f.tableOid !== 0 && this.catalog.relation(f.tableOid) === undefined).map((f) => f.tableOid))];
    const types = [...new Set(fields.filter((f) => f.typeOid >= FIRST_USER_OID && this.catalog.type(f.typeOid) === undefined).map((f) => f.typeOid))];
    if (this.masker!.masking.columns.length === 0) rels.length = 0; // only column rules need sources
    if (!rels.length && !types.length) return undefined;
    return this.catalog.load(rels, types).catch((err: Error) => {
      this.log(`masking: could not read the target's catalog (${err.message}); its columns are masked`);
      this.catalog.markUnknown(rels, types);
    });
  }

  /** Loads which routine names are built-in, when this statement calls any and they are not known yet. */
  private loadBuiltinRoutines(info: StatementInfo): Promise<void> | undefined {
    if (this.masker!.masking.columns.length === 0 || this.catalog.builtinRoutines() !== undefined) return undefined;
    if (!info.calls.functions.length && !info.calls.operators.length) return undefined;
    return this.catalog.loadBuiltinRoutines().catch((err: Error) => this.log(`masking: could not read the target's routines (${err.message}); computed columns are masked`));
  }

  /** Loads the views these names may denote; a failure leaves them unreadable, and what reads them is masked. */
  private loadViewNames(names: string[]): Promise<void> | undefined {
    if (!names.length || this.masker!.masking.columns.length === 0) return undefined;
    return this.catalog.loadViewNames(names).catch((err: Error) => this.log(`masking: could not read the target's views (${err.message}); columns computed from them are masked`));
  }

  private onCopyOut(buf: Buffer, start: number): undefined | Promise<void> {
    const info = this.respondingInfo();
    if (buf[start + 5] === 1) return Promise.reject(new Error("binary COPY output cannot be masked"));
    if (info?.lineage && !(info.tree?.CopyStmt && Object.hasOwn(info.tree.CopyStmt, "relation"))) {
      const views = this.loadViewNames(info.relations.filter((n) => this.catalog.viewsNamed(n) === undefined)) ?? this.loadBuiltinRoutines(info);
      if (views) return views;
    }
    const plan = copyPlanOf(this.masker!.masking, info, (name) => this.copyColumns.get(name), this.catalog);
    if (plan === "load") {
      const name = copyRelation(info);
      return this.catalog.columnsOf(name).then(
        (cols) => void this.copyColumns.set(name, cols),
        () => void this.copyColumns.set(name, null),
      );
    }
    this.copy = { plan, header: plan.header };
    return undefined;
  }

  /** What masking replaced in this request's results, per statement (for the audit). */
  maskedOf(record: RequestRecord): MaskedCounts | undefined {
    return this.counts.get(record);
  }

  private attachCounts(): void {
    const counts = this.masker?.takeCounts();
    if (!counts) return;
    const r = this.tracker.responding();
    if (!r || r.op === "describe") return;
    const i = r.op === "query" ? r.statementIndex : 0;
    let masked = this.counts.get(r.record);
    if (!masked) this.counts.set(r.record, (masked = []));
    const into = (masked[i] ??= {});
    for (const k in counts) into[k] = (into[k] ?? 0) + counts[k];
  }
}

function copyRelation(info: StatementInfo | undefined): string {
  const rel = (info?.tree?.CopyStmt as { relation?: { schemaname?: string; relname?: string } } | undefined)?.relation;
  return rel?.schemaname ? `${rel.schemaname}.${rel.relname}` : (rel?.relname ?? "");
}
