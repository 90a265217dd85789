import { describe, expect, it } from "vitest";
import { pathOf } from "./router";
import { upstreamTarget, upstreamUrl } from "./upstream";

const noQuery = { headers: {}, query: null, forms: [] };
const inQuery = { headers: {}, query: ["api_key", "s3cret"] as [string, string], forms: ["s3cret"] };

describe("upstreamTarget", () => {
  it("names the request upstreamUrl names: origin, path and query, for any path the router passes on", () => {
    const parts = ["/", "a", ".", "..", "%", "2e", "%2F", " ", "~", ":", "@", "'", '"', "é", ";", "+", "{"];
    const searches = ["", "?", "?a=1", "?a=1&b=2", "?q=a b", "?q='x'", "?q=%41", "?a=é", "?x=<y>", "?api_key=mine"];
    let seed = 11;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    for (const baseUrl of ["http://127.0.0.1:8080", "https://api.example.com/v2/", "http://[::1]:9000/base"]) {
      for (let i = 0; i < 3000; i++) {
        let t = "/";
        for (let j = 1 + next(6); j > 0; j--) t += parts[next(parts.length)];
        const rawPath = pathOf(t);
        if (rawPath === null) continue;
        const rawSearch = searches[next(searches.length)];
        for (const cred of [noQuery, inQuery]) {
          const u = upstreamUrl({ baseUrl }, rawPath, rawSearch, cred);
          const target = upstreamTarget({ baseUrl }, rawPath, rawSearch, cred);
          expect(target, `${baseUrl} ${rawPath}${rawSearch}`).toEqual({
            protocol: u.protocol,
            hostname: u.hostname.replace(/^\[(.*)\]$/, "$1"),
            port: u.port || (u.protocol === "https:" ? "443" : "80"),
            path: u.pathname + u.search,
          });
        }
      }
    }
  });
});
