import { describe, expect, it } from "vitest";
import { LiveSessions } from "./live-sessions";

const session = (id: string, identityId: string, killed: string[]) => ({ id, identityId, kill: (reason: string) => killed.push(`${id}: ${reason}`) });

describe("[SESSIONS][LIVE] ending sessions from outside", () => {
  it("ends the identity's sessions on revocation and leaves others", () => {
    const killed: string[] = [];
    const live = new LiveSessions();
    live.add(session("a", "id-1", killed), undefined, Date.now());
    live.add(session("b", "id-2", killed), undefined, Date.now());
    expect(live.revokeIdentity("id-1")).toBe(1);
    expect(killed).toEqual(["a: the keys of this identity were revoked"]);
  });

  it("ends a session whose sign-in raced the revocation, but not one that signed in after it", async () => {
    const killed: string[] = [];
    const live = new LiveSessions();
    const signedIn = Date.now() - 50; // key checked just before the revocation arrived
    live.revokeIdentity("id-1");
    live.add(session("raced", "id-1", killed), undefined, signedIn);
    live.add(session("new-key", "id-1", killed), undefined, Date.now() + 10);
    await Promise.resolve();
    expect(killed).toEqual(["raced: the keys of this identity were revoked"]);
  });

  it("ends a session when its credential expires", async () => {
    const killed: string[] = [];
    const live = new LiveSessions();
    live.add(session("short", "id-1", killed), Date.now() + 30, Date.now());
    await new Promise((r) => setTimeout(r, 80));
    expect(killed).toEqual(["short: the credential of this session has expired"]);
  });
});
