/** A string value in a JSON text: where its literal is, what it says, and the path of it (`choices.0.delta.content`). */
export type JsonStringValue = { start: number; end: number; value: string; path: string };

/**
 * The string values of a small JSON document (one Server-Sent Event's data), with their places and
 * paths, or null when the text is not JSON. Keys are not values. The path joins keys and indices with
 * dots, so the same field of successive events (a model's streamed `delta.content`) has the same path.
 */
export function jsonStringValues(text: string): JsonStringValue[] | null {
  try {
    JSON.parse(text);
  } catch {
    return null;
  }
  const out: JsonStringValue[] = [];
  const path: Array<string | number> = [];
  const isObject: boolean[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length;) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const literal = text.slice(i, j + 1);
      const inObject = isObject.length > 0 && isObject[isObject.length - 1];
      if (inObject && expectKey) path[path.length - 1] = JSON.parse(literal) as string;
      else out.push({ start: i, end: j + 1, value: JSON.parse(literal) as string, path: path.join(".") });
      i = j + 1;
      continue;
    }
    if (c === "{" || c === "[") {
      isObject.push(c === "{");
      path.push(c === "{" ? "" : 0);
      expectKey = c === "{";
    } else if (c === "}" || c === "]") {
      isObject.pop();
      path.pop();
      expectKey = false;
    } else if (c === ",") {
      if (isObject[isObject.length - 1]) expectKey = true;
      else if (path.length) path[path.length - 1] = (path[path.length - 1] as number) + 1;
    } else if (c === ":") expectKey = false;
    i++;
  }
  return out;
}
