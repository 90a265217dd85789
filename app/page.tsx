import { getOverview } from "../server/overview";

export const dynamic = "force-dynamic";

export default async function OverviewPage() {
  const o = await getOverview();
  const stats = [
    ["Connections", o.connections],
    ["Identities", o.identities],
    ["Active sessions", o.activeSessions],
    ["Audit events, last 24 h", o.auditLastDay],
  ] as const;
  return (
    <>
      <p className="notice">
        This preview shows what the gateway records. Managing connections, access, keys, sessions and the audit log from the browser
        is not built yet: use the <code>npx gatehouse</code> command line meanwhile.
      </p>
      <section className="stats">
        {stats.map(([label, value]) => (
          <div key={label} className="stat">
            <div className="value">{value}</div>
            <div className="muted">{label}</div>
          </div>
        ))}
      </section>
      <h2>Latest audit events</h2>
      {o.latest.length === 0 ? (
        <div className="empty">
          <p>Nothing has gone through the gateway yet. To let an agent in:</p>
          <pre>{`npx gatehouse connections add pg-prod --type postgres --url postgres://user:pass@host:5432/db
npx gatehouse grant analysts pg-prod
KEY=$(npx gatehouse keys issue agent-7 --groups analysts --ttl 1h)
PGPASSWORD=$KEY psql "host=127.0.0.1 port=15432 dbname=pg-prod user=agent-7 sslmode=require"`}</pre>
        </div>
      ) : (
        <div className="table-wrap">
        <table>
          <thead>
            <tr><th>Time</th><th>Identity</th><th>Connection</th><th>Action</th><th>Statement or message</th><th>Outcome</th></tr>
          </thead>
          <tbody>
            {o.latest.map((e) => (
              <tr key={e.id}>
                <td className="nowrap">{e.at.toISOString().replace("T", " ").slice(0, 19)}</td>
                <td>{e.identityName ?? "—"}</td>
                <td>{e.connectionName ?? "—"}</td>
                <td>{e.statementKind ?? e.action}</td>
                <td className="text">{e.statement ?? e.message ?? ""}</td>
                <td className={e.outcome === "ok" ? "ok" : "bad"}>{e.outcome}{e.sqlstate ? ` ${e.sqlstate}` : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </>
  );
}
