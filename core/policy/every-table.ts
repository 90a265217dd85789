import type { Classification } from "./classify-statement";

/** `c` touches every table of `schema` (`*`: of every schema) without naming them: deny and review rules on those tables meet it (possibleResources). In place. */
export function addEveryTableOf(c: Classification, schema: string): Classification {
  const every = (c.everyTableOf ??= []);
  if (!every.includes(schema)) every.push(schema);
  return c;
}
