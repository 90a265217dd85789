import { analyzeMysql } from "./classify-mysql";

// Shared by the MySQL policy tests.

/** The first statement of a MySQL text, classified as the gateway classifies it (throws, naming the text, when it does not read). */
export const mysqlClassified = (text: string) => {
  const a = analyzeMysql(text);
  if (!a.ok) throw new Error(`${text}: ${a.error}`);
  return a.statements[0].classification;
};
