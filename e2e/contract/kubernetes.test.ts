import { Client } from "undici";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describePipelineContract, type ClientOutcome, type ContractAdapter, type ContractSession, type Refused } from "./pipeline-contract";
import { forgedKey } from "../support/seed";
import { addConnection } from "../../core/connections/add-connection";
import { startStandInApiServer, type StandInApiServer } from "../kubernetes/stand-in/api-server";

// undici over TLS (one socket: one gateway session, as kubectl keeps) against /k8s/<connection>/,
// in front of the stand-in API server (e2e/kubernetes/stand-in/: no Kubernetes API server runs on
// these machines).
//
// How the cases map: a command is an API request, `get configmaps <name>`, which the driver turns
// into GET /api/v1/namespaces/default/configmaps/<name> after putting a ConfigMap of that name,
// holding the name as its data, into the stand-in (so the answer carries the text); a refusal is
// the Kubernetes Status the gateway answers, as `<code> <reason>` ("401 Unauthorized", "403
// Forbidden"); a live session ended from outside ends its watch in flight with an ERROR event whose
// Status says why, as an API server ends a watch. Every case applies.
type Status = { kind?: string; code?: number; reason?: string; message?: string };

const kubernetesContract: ContractAdapter = {
  name: "kubernetes (undici)",
  sessionProtocol: "kubernetes",
  codes: { badCredential: "401 Unauthorized", noConnection: "403 Forbidden", refused: "403 Forbidden", ended: "403 Forbidden" },
  cases: {
    "bad-credential": true,
    "no-connection": true,
    "deny-rule": true,
    "hold-approve": true,
    "hold-reject": true,
    "hold-timeout": true,
    "admin-kill": true,
    "key-revocation": true,
    "access-expiry": true,
    "audit-per-command": true,
    masking: true,
  },
  echo: (text) => `get configmaps ${text}`,
  async start(gw, seed) {
    const api: StandInApiServer = await startStandInApiServer();
    const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-kube-contract-"));
    const caFile = path.join(dir, "ca.pem");
    writeFileSync(caFile, api.ca);
    const gatewayCa = readFileSync(path.join(gw.env.GATEHOUSE_DATA_DIR, "tls-cert.pem"), "utf8");
    const clients = new Set<Client>();
    const refusal = (status: number, text: string): Refused => {
      let s: Status = {};
      try {
        s = JSON.parse(text) as Status;
      } catch {
        s = { message: text };
      }
      return { ok: false, code: `${status} ${s.reason ?? "?"}`, message: s.message ?? text };
    };
    return {
      addConnection: async (name) => void (await addConnection(seed.db, seed.box, { name, type: "kubernetes", flags: { server: api.url, "ca-file": caFile, token: api.token } })),
      credential: async (who) => who.key,
      forgedCredential: forgedKey,
      async open(credential, connection) {
        const client = new Client(`https://127.0.0.1:${gw.gw.ports.http}`, { pipelining: 1, headersTimeout: 120_000, bodyTimeout: 0, connect: { ca: gatewayCa } });
        clients.add(client);
        let transcript = "";
        const base = `/k8s/${connection}/api/v1/namespaces/default/configmaps`;
        const headers = { authorization: `Bearer ${credential}`, accept: "application/json" };
        const call = async (command: string): Promise<ClientOutcome> => {
          const name = command.replace(/^get configmaps /, "");
          if (!api.store.has({ resource: "configmaps", namespaced: true } as never, "default", name)) api.seed("configmaps", "default", { metadata: { name }, data: { value: name } });
          const r = await client
            .request({ method: "GET", path: `${base}/${encodeURIComponent(name)}`, headers })
            .then(async (res): Promise<ClientOutcome> => {
              const text = await res.body.text();
              return res.statusCode >= 200 && res.statusCode < 300 ? { ok: true, output: text } : refusal(res.statusCode, text);
            })
            .catch((err: Error): ClientOutcome => ({ ok: false, code: "none", message: err.message }));
          transcript += `${command} -> ${r.ok ? r.output : `${r.code} ${r.message}`}\n`;
          return r;
        };
        const first = await call("get configmaps contract-open");
        if (!first.ok) {
          clients.delete(client);
          await client.close();
          return first;
        }
        const session: ContractSession = {
          run: call,
          // A watch in flight: the end arrives as its ERROR event.
          async holdOpen() {
            const before = api.seen.length;
            const ended = client
              .request({ method: "GET", path: `${base}?watch=1&resourceVersion=${api.store.resourceVersion}`, headers })
              .then(async (res): Promise<Refused> => {
                if (res.statusCode !== 200) return refusal(res.statusCode, await res.body.text());
                let text = "";
                for await (const chunk of res.body) {
                  text += String(chunk);
                  for (const line of text.split("\n").slice(0, -1)) {
                    const e = JSON.parse(line) as { type: string; object: Status };
                    if (e.type === "ERROR") return { ok: false, code: `${e.object.code} ${e.object.reason}`, message: e.object.message ?? "" };
                  }
                }
                return { ok: false, code: "none", message: `the watch ended without an ERROR event: ${text}` };
              })
              .catch((err: Error): Refused => ({ ok: false, code: "none", message: err.message }));
            while (!api.seen.slice(before).some((s) => s.url.includes("watch=1"))) await new Promise((r) => setTimeout(r, 25));
            transcript += "watch configmaps (held open)\n";
            return { ended };
          },
          transcript: () => transcript,
          async close() {
            clients.delete(client);
            await client.destroy();
          },
        };
        return { ok: true, session };
      },
      async stop() {
        await Promise.all([...clients].map((c) => c.destroy()));
        await api.stop();
        rmSync(dir, { recursive: true, force: true });
        if (api.leaks.length) throw new Error(`the API server saw a Gatehouse key:\n${api.leaks.join("\n")}`);
      },
    };
  },
};

describePipelineContract(kubernetesContract);
