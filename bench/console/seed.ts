import type pg from "pg";

/**
 * Seeds a realistic audit trail with generate_series: `sessions` sessions over the last 30 days
 * across 50 identities and 20 connections, and `events` audit events spread over them (statements
 * with kinds, outcomes, durations), plus a few console events.
 */
export async function seed(client: pg.Client, sessions: number, events: number): Promise<void> {
  await client.query(`
    insert into sessions (id, identity_name, groups, connection_name, protocol, client_addr, client_app, gateway_instance, status, started_at, ended_at, end_reason)
    select gen_random_uuid(), 'agent-' || (g % 50), array['analysts'], 'pg-' || (g % 20), 'postgres', '10.0.' || (g % 250) || '.' || (g % 200), 'psql', 'bench',
           case when g % 500 = 0 then 'active' when g % 37 = 0 then 'failed' else 'closed' end,
           now() - make_interval(secs => (${sessions} - g) * (2592000.0 / ${sessions})),
           case when g % 500 = 0 then null else now() - make_interval(secs => (${sessions} - g) * (2592000.0 / ${sessions})) + interval '90 seconds' end,
           case when g % 500 = 0 then null when g % 37 = 0 then 'client vanished without Terminate' else 'client disconnected' end
    from generate_series(1, ${sessions}) g`);
  await client.query(`create temp table bench_sessions as select id, identity_name, connection_name, started_at, row_number() over (order by started_at) as n from sessions`);
  const perSession = Math.floor(events / sessions);
  await client.query(`
    insert into audit_events (at, action, outcome, identity_name, groups, connection_name, session_id, protocol, client_addr, statement, statement_kind, duration_ms, rows, sqlstate, message)
    select s.started_at + make_interval(secs => k), 'statement',
           case when k % 41 = 0 then 'denied' when k % 29 = 0 then 'error' else 'ok' end,
           s.identity_name, array['analysts'], s.connection_name, s.id, 'postgres', '10.0.0.1',
           case k % 5
             when 0 then 'select * from orders where customer_id = ' || (s.n * 7 + k) || ' order by created_at desc limit 50'
             when 1 then 'update inventory set quantity = quantity - 1 where sku = ''SKU-' || (s.n + k) || ''''
             when 2 then 'select count(*) from events where kind = ''checkout'' and at > now() - interval ''1 day'''
             when 3 then 'insert into audit_notes (note) values (''batch ' || s.n || ''')'
             else 'select id, email from customers where id = ' || (s.n + k) end,
           case k % 5 when 1 then 'UPDATE' when 3 then 'INSERT' else 'SELECT' end,
           (k % 13) * 0.7, k % 50,
           case when k % 41 = 0 then '42501' when k % 29 = 0 then '23505' end,
           case when k % 41 = 0 then 'Gatehouse denied this statement: rule "no-bulk-writes" matches' end
    from bench_sessions s, generate_series(1, ${perSession}) k`);
  await client.query(`
    insert into audit_events (action, outcome, identity_name, protocol, message, details)
    select 'console.connection.update', 'ok', 'admin@example.com', 'console', 'changed pg-' || (g % 20), jsonb_build_object('target', 'pg-' || (g % 20))
    from generate_series(1, 200) g`);
  await client.query("analyze sessions; analyze audit_events");
}
