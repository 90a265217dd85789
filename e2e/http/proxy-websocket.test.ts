import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { activeSessionId, killSession, seedMasking, seedPolicy } from "../support/seed";
import { SECRETS, startHttpFixture, type HttpFixture } from "./http-fixture";

// WebSocket upgrades through /proxy/<connection>/: admitted and judged like requests, relayed with
// the injected credential, the credential cut out of the upstream's frames; refused on a masked
// connection; ended by an admin kill.
let f: HttpFixture;
beforeAll(async () => {
  f = await startHttpFixture({ plain: { auth: "bearer" }, masked: { auth: "bearer" }, guarded: { auth: "bearer" } });
  await seedMasking(f.seed, "masked", { detectors: { builtIn: ["email"] } });
  await seedPolicy(f.seed, "guarded", { defaultAction: "allow", rules: [{ name: "no-sockets", action: "deny", match: { kinds: ["GET /ws/**"] } }] });
}, 120_000);
afterAll(async () => {
  expect(f?.upstream.leaks ?? []).toEqual([]);
  await f?.close();
});

const wsUrl = (connection: string, path: string) => f.base(connection).replace(/^http/, "ws") + path;
type Opened = { ws: WebSocket; messages: string[]; closed: Promise<number> };
function open(connection: string, path: string, identityKey = f.agent.key): Promise<Opened | { status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl(connection, path), { headers: { authorization: `Bearer ${identityKey}` }, perMessageDeflate: true });
    const messages: string[] = [];
    ws.on("message", (d) => messages.push(d.toString()));
    const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
    ws.once("open", () => resolve({ ws, messages, closed }));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once("error", () => {});
  });
}
const until = async (test: () => boolean) => {
  for (let i = 0; i < 200 && !test(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(test()).toBe(true);
};

describe("[HTTP][WEBSOCKET] upgrades through the proxy", () => {
  it("relays frames both ways with the injected credential, cut out of what the upstream sends, without compression", async () => {
    const o = await open("plain", "/ws/chat");
    if (!("ws" in o)) throw new Error(`refused: ${o.status} ${o.body}`);
    await until(() => o.messages.length === 1);
    const hello = JSON.parse(o.messages[0]) as { authorization: string; extensions: string | null };
    expect(hello.authorization).toBe(`Bearer ${"*".repeat(SECRETS.bearer.length)}`);
    expect(hello.extensions).toBeNull();
    expect(f.upstream.seen.at(-1)?.headers.authorization).toBe(`Bearer ${SECRETS.bearer}`);
    o.ws.send("ping one");
    o.ws.send(Buffer.alloc(200_000, 7));
    await until(() => o.messages.length === 3);
    expect(o.messages[1]).toBe("ping one");
    expect(o.messages[2].length).toBe(200_000);
    o.ws.close();
    await o.closed;
  });

  it("refuses a denied upgrade with the rule, and any upgrade on a masked connection, as HTTP answers", async () => {
    const denied = await open("guarded", "/ws/chat");
    expect(denied).toMatchObject({ status: 403 });
    expect(JSON.parse((denied as { body: string }).body)).toMatchObject({ error: "refused", rule: "no-sockets" });
    const masked = await open("masked", "/ws/chat");
    expect(masked).toMatchObject({ status: 403 });
    expect(JSON.parse((masked as { body: string }).body)).toMatchObject({ error: "unmaskable_body" });
    const forged = await open("plain", "/ws/chat", "ghk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    expect(forged).toMatchObject({ status: 401 });
  });

  it("ends with the session when an admin kills it", async () => {
    const o = await open("plain", "/ws/kill");
    if (!("ws" in o)) throw new Error(`refused: ${o.status} ${o.body}`);
    await until(() => o.messages.length === 1);
    await killSession(f.seed, await activeSessionId(f.seed, f.agent.name, "http"));
    const code = await o.closed;
    expect(code).toBe(1006); // the connection is cut (no close frame is injected into the upstream's stream)
  });
});
