/**
 * Decides, as the client's messages go by, whether an Execute's rows will arrive with their
 * columns known to the masking, or whether the gateway must send its own Describe of the portal
 * first (Parse, Bind, Execute without a Describe is legal: the client knows its columns).
 *
 * A Describe sent in the same Sync segment as the Execute is reliable: if anything before it fails,
 * the server skips the Execute too. Knowledge from earlier segments (`known`) is used only when
 * they were all answered before this segment began; otherwise the gateway asks again, which costs
 * one message pair and is never wrong.
 */
export class DescribePlanner {
  private described = { statements: new Set<string>(), portals: new Set<string>() };
  private parsed = new Set<string>();
  private bound = new Map<string, string>();
  private segmentStarted = false;
  private answeredBefore = false;

  constructor(
    /** Nothing sent earlier is still waiting for the target's answer. */
    private readonly idle: () => boolean,
    /** What the target's answers have established: is this statement's or portal's result shape known? */
    private readonly known: { statement: (name: string) => boolean; portal: (name: string) => boolean },
  ) {}

  parse(name: string): void {
    this.begin();
    this.parsed.add(name);
    this.described.statements.delete(name);
  }

  bind(portal: string, statement: string): void {
    this.begin();
    this.bound.set(portal, statement);
    if (this.described.statements.has(statement)) this.described.portals.add(portal);
    else this.described.portals.delete(portal);
  }

  describe(kind: "S" | "P", name: string): void {
    this.begin();
    (kind === "S" ? this.described.statements : this.described.portals).add(name);
  }

  close(kind: "S" | "P", name: string): void {
    this.begin();
    (kind === "S" ? this.described.statements : this.described.portals).delete(name);
  }

  /** True when the gateway must describe `portal` itself before this Execute. */
  execute(portal: string): boolean {
    this.begin();
    if (this.described.portals.has(portal)) return false;
    this.described.portals.add(portal);
    if (!this.answeredBefore) return true;
    const statement = this.bound.get(portal);
    if (statement === undefined) return !this.known.portal(portal);
    return this.parsed.has(statement) || !this.known.statement(statement);
  }

  sync(): void {
    this.described = { statements: new Set(), portals: new Set() };
    this.parsed.clear();
    this.bound.clear();
    this.segmentStarted = false;
  }

  private begin(): void {
    if (this.segmentStarted) return;
    this.segmentStarted = true;
    this.answeredBefore = this.idle();
  }
}
