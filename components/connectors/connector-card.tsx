"use client";
import Link from "next/link";
import type { connectorsOverview } from "../../server/connectors/manage-connectors";
import { Button } from "../ui/button";
import { Badge } from "../ui/page";
import { formatAgo, formatTime, Table, TBody, Td, Th, THead } from "../ui/table";
import { connectorAnchor } from "./connector-command";

export type ConnectorRow = Awaited<ReturnType<typeof connectorsOverview>>[number];
export type ConnectorActions = { issue: (name: string) => void; revoke: (name: string) => void; remove: (name: string) => void };

const STATE_TONE = { connected: "green", disconnected: "amber", "never connected": "slate" } as const;

/** One connector: its state, live links, the connections routed through it and its tokens; `actions` only for admins. */
export function ConnectorCard({ c, now, actions }: { c: ConnectorRow; now: Date; actions?: ConnectorActions }) {
  const expired = (t: ConnectorRow["tokens"][number]) => t.expiresAt !== null && new Date(t.expiresAt) <= now;
  const liveTokens = c.tokens.filter((t) => !t.revokedAt && !expired(t)).length;
  return (
    <section id={connectorAnchor(c.name)} aria-label={`Connector ${c.name}`} className="scroll-mt-6 rounded-lg border border-slate-200 bg-white">
      <div className="flex flex-wrap items-start justify-between gap-3 border-b border-slate-100 px-4 py-3">
        <div className="min-w-0 space-y-1">
          <div className="flex flex-wrap items-center gap-2">
            <h2 className="break-all text-sm font-semibold text-slate-800">{c.name}</h2>
            <Badge tone={STATE_TONE[c.state]}>{c.state}</Badge>
          </div>
          <p className="text-xs text-slate-500">
            {c.version ? `version ${c.version} · ` : ""}
            {c.lastSeenAt ? <span title={`${formatTime(c.lastSeenAt)} UTC`}>last seen {formatAgo(c.lastSeenAt, now)}</span> : "never seen: no connector process has used a token of it yet"} · added{" "}
            {formatTime(c.createdAt).slice(0, 10)}
          </p>
        </div>
        {actions ? (
          <div className="flex flex-wrap gap-1">
            <Button size="sm" variant="secondary" aria-label={`Issue a token for ${c.name}`} onClick={() => actions.issue(c.name)}>
              Issue token
            </Button>
            <Button size="sm" variant="ghost" aria-label={`Revoke the tokens of ${c.name}`} disabled={liveTokens === 0} onClick={() => actions.revoke(c.name)}>
              Revoke tokens…
            </Button>
            <Button size="sm" variant="ghost" aria-label={`Remove ${c.name}`} onClick={() => actions.remove(c.name)}>
              Remove…
            </Button>
          </div>
        ) : null}
      </div>
      <div className="space-y-4 p-4 text-sm">
        <div className="space-y-2">
          <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500">Live links</h3>
          {c.links.length === 0 ? (
            <p className="text-slate-500">
              {c.state === "never connected" ? "None: run the connector with one of its tokens (Issue token shows the command)." : "None: no connector process is linked to a gateway now."}
            </p>
          ) : (
            <Table label={`Live links of ${c.name}`}>
              <THead>
                <Th>Host</Th>
                <Th>Gateway instance</Th>
                <Th>Open streams</Th>
                <Th>Connected since (UTC)</Th>
                <Th>Version</Th>
                <Th>From</Th>
              </THead>
              <TBody>
                {c.links.map((l) => (
                  <tr key={`${l.instance}-${l.hostname}-${l.connectedAt}`}>
                    <Td className="font-medium">{l.hostname}</Td>
                    <Td className="font-mono text-xs">{l.instance}</Td>
                    <Td className="tabular-nums">
                      {l.streamsOpen} <span className="text-slate-400">({l.streamsTotal} in all)</span>
                    </Td>
                    <Td className="whitespace-nowrap tabular-nums">{formatTime(l.connectedAt)}</Td>
                    <Td>{l.version}</Td>
                    <Td className="font-mono text-xs">{l.remoteAddr ?? "—"}</Td>
                  </tr>
                ))}
              </TBody>
            </Table>
          )}
        </div>
        <div className="space-y-2">
          <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500">Connections routed through it</h3>
          {c.connections.length === 0 ? (
            <p className="text-slate-500">None yet: pick {c.name} as &ldquo;Reach through connector&rdquo; on a connection&apos;s form.</p>
          ) : (
            <ul aria-label={`Connections routed through ${c.name}`} className="flex flex-wrap gap-1.5">
              {c.connections.map((x) => (
                <li key={x.name}>
                  {actions && x.id ? (
                    <Link href={`/connections/${x.id}`} className="inline-flex rounded-full bg-sky-50 px-2 py-0.5 text-xs font-medium text-sky-700 ring-1 ring-inset ring-sky-200 hover:underline">
                      {x.name}
                    </Link>
                  ) : (
                    <Badge tone="blue">{x.name}</Badge>
                  )}
                </li>
              ))}
            </ul>
          )}
        </div>
        <div className="space-y-2">
          <h3 className="text-xs font-semibold uppercase tracking-wide text-slate-500">Tokens</h3>
          {c.tokens.length === 0 ? (
            <p className="text-slate-500">No token yet: a connector process presents one to link up.</p>
          ) : (
            <Table label={`Tokens of ${c.name}`}>
              <THead>
                <Th>Prefix</Th>
                <Th>Created (UTC)</Th>
                <Th>Expires</Th>
                <Th>Revoked</Th>
                <Th>Last used</Th>
              </THead>
              <TBody>
                {c.tokens.map((t) => (
                  <tr key={`${t.prefix}-${t.createdAt}`}>
                    <Td className="font-mono text-xs">{t.prefix}…</Td>
                    <Td className="whitespace-nowrap tabular-nums">{formatTime(t.createdAt)}</Td>
                    <Td className="whitespace-nowrap tabular-nums">{!t.expiresAt ? "never" : expired(t) ? <Badge tone="amber">expired {formatTime(t.expiresAt)}</Badge> : formatTime(t.expiresAt)}</Td>
                    <Td className="whitespace-nowrap tabular-nums">{t.revokedAt ? <Badge tone="red">revoked {formatTime(t.revokedAt)}</Badge> : "—"}</Td>
                    <Td className="whitespace-nowrap">{t.lastUsedAt ? <span title={`${formatTime(t.lastUsedAt)} UTC`}>{formatAgo(t.lastUsedAt, now)}</span> : "never"}</Td>
                  </tr>
                ))}
              </TBody>
            </Table>
          )}
        </div>
      </div>
    </section>
  );
}
