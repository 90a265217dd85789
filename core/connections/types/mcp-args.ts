/** The stdio program's arguments, stored as a JSON array of strings; undefined when the text is not one. */
export function parseArgsList(text: string | undefined): string[] | undefined {
  if (text === undefined || text.trim() === "") return [];
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) && v.length <= 100 && v.every((a) => typeof a === "string" && a.length <= 4096) ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}
