/**
 * `d.toISOString()`, with the text up to the second kept from the last call: V8 formats a date
 * through printf and the time zone tables, about a microsecond, and every audit event of the data
 * path is stamped with one (the events of a second share their prefix).
 */
let cachedSecond = Number.NaN;
let cachedPrefix = "";

export function isoTime(d: Date): string {
  const ms = d.getTime();
  if (!Number.isFinite(ms)) return d.toISOString(); // an invalid date throws as it did
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, -4); // `...T10:00:07.`
    cachedSecond = second;
  }
  const milli = ms - second * 1000;
  return cachedPrefix + (milli < 10 ? "00" : milli < 100 ? "0" : "") + milli + "Z";
}
