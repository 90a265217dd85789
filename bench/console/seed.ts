import type pg from "pg";

/**
 * Seeds a realistic audit trail with generate_series: `sessions` sessions over the last 30 days
 * across 50 identities and 20 connections (the newest 20 still active, every 37th failed), and
 * `events` audit events spread over them: session start/end, statements of five shapes with
 * kinds, durations, rows, and some denied or failed; one long session that holds `longStatements`
 * of them; plus console changes spread over the month.
 */
export async function seed(client: pg.Client, sessions: number, events: number, longStatements: number): Promise<void> {
  const active = Math.min(20, sessions);
  await client.query(`
    insert into sessions (id, identity_name, groups, connection_name, protocol, client_addr, client_app, gateway_instance, status, started_at, ended_at, end_reason, bytes_in, bytes_out)
    select gen_random_uuid(), 'agent-' || (g % 50), array['analysts'], 'pg-' || (g % 20), 'postgres', '10.0.' || (g % 250) || '.' || (g % 200), 'psql', 'gw-' || (g % 2),
           case when g > ${sessions - active} then 'active' when g % 37 = 0 then 'failed' else 'closed' end,
           now() - make_interval(secs => (${sessions} - g + 1) * (2592000.0 / ${sessions})),
           case when g > ${sessions - active} then null else now() - make_interval(secs => (${sessions} - g + 1) * (2592000.0 / ${sessions})) + interval '90 seconds' end,
           case when g > ${sessions - active} then null when g % 37 = 0 then 'client vanished without Terminate' else 'client disconnected' end,
           g * 37 % 100000, g * 91 % 1000000
    from generate_series(1, ${sessions}) g`);
  await client.query(`create temp table bench_sessions as select id, identity_name, connection_name, started_at, row_number() over (order by started_at) as n from sessions`);
  // Two of each session's events are its start and end; the rest are statements.
  const perSession = Math.max(1, Math.floor((events - longStatements) / sessions) - 2);
  await client.query(`
    insert into audit_events (at, action, outcome, identity_name, groups, connection_name, session_id, protocol, client_addr, statement, statement_kind, duration_ms, rows, sqlstate, message)
    select s.started_at + make_interval(secs => k), case when k = 0 then 'session.start' when k = ${perSession + 1} then 'session.end' else 'statement' end,
           case when k between 1 and ${perSession} and (s.n + k) % 41 = 0 then 'denied' when k between 1 and ${perSession} and (s.n + k) % 29 = 0 then 'error' else 'ok' end,
           s.identity_name, array['analysts'], s.connection_name, s.id, 'postgres', '10.0.0.1',
           case when k = 0 or k = ${perSession + 1} then null when k % 5 = 0 then 'select * from orders where customer_id = ' || (s.n * 7 + k) || ' order by created_at desc limit 50'
             when k % 5 = 1 then 'update inventory set quantity = quantity - 1 where sku = ''SKU-' || (s.n + k) || ''''
             when k % 5 = 2 then 'select count(*) from events where kind = ''checkout'' and at > now() - interval ''1 day'''
             when k % 5 = 3 then 'insert into audit_notes (note) values (''batch ' || s.n || ''')'
             else 'select id, email from customers where id = ' || (s.n + k) end,
           case when k = 0 or k = ${perSession + 1} then null when k % 5 = 1 then 'UPDATE' when k % 5 = 3 then 'INSERT' else 'SELECT' end,
           case when k between 1 and ${perSession} then (k % 13) * 0.7 end, case when k between 1 and ${perSession} and (s.n + k) % 41 <> 0 then k % 50 end,
           case when k = 0 or k = ${perSession + 1} then null when (s.n + k) % 41 = 0 then '42501' when (s.n + k) % 29 = 0 then '23505' end,
           case when k = 0 then 'application psql' when k = ${perSession + 1} then 'client disconnected'
                when (s.n + k) % 41 = 0 then 'Gatehouse denied this statement: rule "no-bulk-writes" matches'
                when (s.n + k) % 29 = 0 then 'duplicate key value violates unique constraint "audit_notes_pkey"' end
    from bench_sessions s, generate_series(0, ${perSession + 1}) k
    order by s.started_at, k`);
  // One long-lived ETL session, still open, with `longStatements` statements: its page reads one
  // timeline page at a time, and the session list's statement count stops at its cap.
  await client.query(`
    with s as (
      insert into sessions (id, identity_name, groups, connection_name, protocol, client_addr, client_app, gateway_instance, status, started_at)
      values (gen_random_uuid(), 'agent-etl', array['etl'], 'pg-0', 'postgres', '10.0.9.9', 'etl-loader', 'gw-0', 'active', now() - interval '6 hours') returning id, started_at)
    insert into audit_events (at, action, outcome, identity_name, groups, connection_name, session_id, protocol, client_addr, statement, statement_kind, duration_ms, rows)
    select s.started_at + make_interval(secs => k), 'statement', 'ok', 'agent-etl', array['etl'], 'pg-0', s.id, 'postgres', '10.0.9.9',
           'insert into staging.orders select * from import.orders_' || k, 'INSERT', 3.5, 500
    from s, generate_series(1, ${longStatements}) k order by k`);
  await client.query(`
    insert into audit_events (at, action, outcome, identity_name, protocol, message, details)
    select now() - make_interval(days => g % 30), 'console.connection.update', 'ok', 'admin@example.com', 'console', 'changed pg-' || (g % 20),
           jsonb_build_object('target', 'pg-' || (g % 20), 'before', jsonb_build_object('url', 'postgres://app@db/x'), 'after', jsonb_build_object('url', 'postgres://app@db2/x'))
    from generate_series(1, 200) g`);
  // Each statement's shape and digit runs, as the gateway stores them (the migration's functions compute the same).
  await client.query(`update audit_events set shape_hash = audit_statement_shape_hash(statement), numbers = audit_statement_numbers(statement) where statement is not null and shape_hash is null`);
  await client.query(
    `insert into audit_statement_shapes (hash, shape) select distinct on (shape_hash) shape_hash, audit_statement_shape(statement) from audit_events where shape_hash is not null on conflict do nothing`,
  );
  for (const table of ["sessions", "audit_events", "audit_statement_shapes"]) await client.query(`vacuum analyze ${table}`);
}
