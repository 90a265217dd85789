/**
 * A one-pass summary of what a text contains, so that a value that cannot hold any detector's
 * match is passed without decoding it or running a single regular expression. Each detector names
 * the features its pattern cannot match without (see detectors.ts); most column values (ids,
 * amounts, dates, short words) have none of the needed ones. Reads UTF-8 bytes or a string alike:
 * every feature is ASCII.
 */
export const Feature = {
  At: 1 << 0, // '@'
  Digits4: 1 << 1,
  Digits7: 1 << 2,
  Digits9: 1 << 3,
  Digits13: 1 << 4,
  Dash: 1 << 5,
  Dashes5: 1 << 6, // "-----"
  Colons2: 1 << 7,
  Dots3: 1 << 8,
  PlusOrParen: 1 << 9,
  Underscore: 1 << 10,
  Upper2: 1 << 11, // two capital letters in a row
  EyJ: 1 << 12, // "eyJ", the start of a base64url JSON header
} as const;

const digitBits = (n: number) => (n >= 4 ? Feature.Digits4 : 0) | (n >= 7 ? Feature.Digits7 : 0) | (n >= 9 ? Feature.Digits9 : 0) | (n >= 13 ? Feature.Digits13 : 0);

/** Features of bytes [start, end) of buf. */
export function featuresOfBytes(buf: Buffer, start: number, end: number): number {
  let f = 0;
  let digits = 0;
  let colons = 0;
  let dots = 0;
  let dashRun = 0;
  let upperRun = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c >= 48 && c <= 57) digits++;
    else if (c >= 65 && c <= 90) {
      if (++upperRun >= 2) f |= Feature.Upper2;
      if (c === 74 && i >= start + 2 && buf[i - 1] === 121 && buf[i - 2] === 101) f |= Feature.EyJ;
      dashRun = 0;
      continue;
    } else if (c === 45) {
      f |= Feature.Dash;
      if (++dashRun >= 5) f |= Feature.Dashes5;
      upperRun = 0;
      continue;
    } else if (c === 64) f |= Feature.At;
    else if (c === 58) colons++;
    else if (c === 46) dots++;
    else if (c === 43 || c === 40) f |= Feature.PlusOrParen;
    else if (c === 95) f |= Feature.Underscore;
    dashRun = 0;
    upperRun = 0;
  }
  return f | digitBits(digits) | (colons >= 2 ? Feature.Colons2 : 0) | (dots >= 3 ? Feature.Dots3 : 0);
}

/**
 * Features of characters [start, end) of a string (same bits as featuresOfBytes), read in place:
 * no copy, so a JSON masker can skip a value without slicing it out. Characters past U+00FF have
 * no feature (every feature is ASCII, and so is every character a detector's pattern needs).
 * The same loop as featuresOfBytes, kept twice on purpose: it runs for every value masking sees, and
 * the shared version it replaces copied each string into a buffer first.
 */
export function featuresOfText(text: string, start = 0, end = text.length): number {
  let f = 0;
  let digits = 0;
  let colons = 0;
  let dots = 0;
  let dashRun = 0;
  let upperRun = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c >= 65 && c <= 90) {
      if (++upperRun >= 2) f |= Feature.Upper2;
      if (c === 74 && i >= start + 2 && text.charCodeAt(i - 1) === 121 && text.charCodeAt(i - 2) === 101) f |= Feature.EyJ;
      dashRun = 0;
      continue;
    } else if (c === 45) {
      f |= Feature.Dash;
      if (++dashRun >= 5) f |= Feature.Dashes5;
      upperRun = 0;
      continue;
    } else if (c === 64) f |= Feature.At;
    else if (c === 58) colons++;
    else if (c === 46) dots++;
    else if (c === 43 || c === 40) f |= Feature.PlusOrParen;
    else if (c === 95) f |= Feature.Underscore;
    dashRun = 0;
    upperRun = 0;
  }
  return f | digitBits(digits) | (colons >= 2 ? Feature.Colons2 : 0) | (dots >= 3 ? Feature.Dots3 : 0);
}
