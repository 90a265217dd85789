import { StatementAnalyzer } from "../sql/statement-analyzer";
import { classifyStatement } from "./classify-statement";

// Shared by the Postgres policy tests: each loads the parser first (beforeAll(() => loadSqlParser())).
export const analyzer = new StatementAnalyzer();

/** Statement `i` of a text, classified as the gateway classifies it. */
export const classified = (sql: string, i = 0) => {
  const a = analyzer.analyze(sql);
  if (!a.ok) throw new Error(a.error);
  return classifyStatement(a.statements[i]);
};
