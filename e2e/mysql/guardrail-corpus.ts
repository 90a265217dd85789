// The statements of guardrails.test.ts, against its tables (shop.victims, shop.vault, shop.hist) and its policy's rules.

/** Each disguised statement and the rule that must refuse it (1142): what the gateway lets through, MariaDB executes. */
export const DISGUISED: Array<[string, string]> = [
  ["/*!40000 DROP TABLE victims */", "no-drop"],
  ["/*M!100100 drop table victims */", "no-drop"],
  ["/*! dRoP /* inner */ TaBlE `victims` */", "no-drop"],
  ["DROP/**/TABLE victims", "no-drop"],
  ["select 1; delete from victims where id = 1", "no-delete"],
  ["select 'a;b' as x; /*!50000 DELETE FROM shop.victims WHERE id > 0 */", "no-delete"],
  ["update victims set name = 'x'", "no-unbounded-writes"],
  ["truncate victims", "no-unbounded-writes"],
  ["update victims set name = 'x' where 1 = 1", "no-unbounded-writes"],
  // MariaDB reads `||` as OR (the grammar library as concatenation): every row.
  ["update victims set name = 'x' where id = 1 || 1", "no-unbounded-writes"],
  ["update victims set name = 'x' where id = id", "no-unbounded-writes"],
  ["replace into victims values (1, 'zz')", "no-delete"],
  ["select * from victims into outfile '/tmp/gatehouse-victims.txt'", "no-server-files"],
  // LOAD_FILE reads a file on the server: the server-file rule meets it before the rule naming the function.
  ["select load_file('/etc/passwd')", "no-server-files"],
  ["prepare s from 'delete from victims where id = 2'", "no-delete"],
  // LOAD DATA ... REPLACE deletes each row it collides with (the file need not exist: the rule comes first).
  ["load data infile '/tmp/gatehouse-no-such-file.txt' replace into table victims", "no-delete"],
  // Unqualified, the table is in the session's database (shop here, then what USE selects).
  ["update victims set name = 'zz' where id = 1", "victims-read-only"],
  ["use mysql; use `shop`; update victims set name = 'zz' where id = 2", "victims-read-only"],
  // A write's modifiers (the grammar library read `victims` here as the alias of a table named ignore).
  ["update ignore victims set name = 'zz' where id = 1", "victims-read-only"],
  ["update low_priority ignore shop.victims v set v.name = 'zz' where v.id = 1", "victims-read-only"],
  ["replace delayed into victims values (9, 'zz')", "no-delete"],
  // Spellings the grammar library does not read (refused as unparseable before): judged by their rules now.
  ["delete victims.* from victims where id = 1", "no-delete"],
  ["lock table victims write", "victims-read-only"],
  // A table inside a parenthesised join, which the grammar library leaves out of its table list.
  ["select v.name from victims v left join (vault, victims w) on 1 = 1", "vault-unread"],
  ["select v.name from victims v join (victims w join shop.vault on 1 = 1) on 1 = 1", "vault-unread"],
  // mysqldump --tab's export, with the options that say how the file is written.
  ["select sql_no_cache id into outfile '/tmp/gatehouse-victims.csv' character set binary fields terminated by ',' from victims", "no-server-files"],
  // Syntax the grammar library does not read, judged through its respelling (core/sql/mysql-grammar-form.ts).
  ["update victims use index (primary) set name = 'x' where id <=> id", "no-unbounded-writes"],
  ["update victims set name = 'x' where name sounds like name", "no-unbounded-writes"],
  ["delete from victims partition (p0)", "no-delete"],
  // MariaDB's ANALYZE runs the statement it reports on.
  ["analyze delete from victims where id = 3", "no-delete"],
  ["analyze update victims set name = 'x'", "no-unbounded-writes"],
  ["delete from victims where id in (select x from json_table('[1, 2, 3]', '$[*]' columns (x int path '$')) j)", "no-delete"],
  // MariaDB's statements that run another: judged as the statement they run (refused as unparseable before).
  ["execute immediate 'delete from victims where id = 1'", "no-delete"],
  ["execute immediate 'select secret from vault'", "vault-unread"],
  ["set statement max_statement_time = 10 for delete from victims where id = 1", "no-delete"],
  ["set statement max_statement_time = 10 for execute immediate 'drop table victims'", "no-drop"],
  ["begin not atomic declare x int default 1; if x then delete from victims where id = 1; end if; end", "no-delete"],
  // A stored program's statement after a flow-control word (`IF ... THEN`, `WHILE ... DO`) in a later piece of its body.
  ["create procedure p() begin declare x int default 1; while x < 2 do update victims set name = 'q'; set x = x + 1; end while; end", "no-unbounded-writes"],
  // MariaDB's system-versioned tables: a read of the table's past rows, and DELETE HISTORY, a DELETE of them.
  ["select secret from vault for system_time all", "vault-unread"],
  ["delete history from hist", "no-delete"],
  ["delete history from hist before system_time now()", "no-delete"],
  // A table value constructor, read as the SELECTs it amounts to.
  ["values ((select secret from vault))", "vault-unread"],
  ["values (1) union select secret from vault", "vault-unread"],
  // A full-text search, read as a call over its columns.
  ["select 1 from dual where exists (select 1 from vault where match(secret) against('s3cret' in boolean mode))", "vault-unread"],
  ["set statement max_statement_time = 5 for delete from victims where match(name) against('ann')", "no-delete"],
  // Spellings the grammar library lacks (refused as unreadable, 1064, before): read as their plain forms.
  ["replace into victims value (9, 'zz')", "no-delete"],
  ["delete from victims using victims join vault on 1 = 1 where victims.id = 1", "no-delete"],
  ["drop table if exists victims cascade", "no-drop"],
  ["select secret from vault order by 1 offset 0 rows fetch first 1 rows only", "vault-unread"],
  ["select max(distinct secret) from vault", "vault-unread"],
  ["select substring(secret from 1 for 3) from vault", "vault-unread"],
  ["select 1 except all select secret from vault", "vault-unread"],
  ["select percentile_disc(0.5) within group (order by secret) over () from vault", "vault-unread"],
  ["create table copied (id serial, flag bool) as select secret from vault", "vault-unread"],
  ["select json_arrayagg(1 order by (select secret from vault)) from victims", "vault-unread"],
  ["delete from victims for portion of p from '2000-01-01' to '2030-01-01'", "no-delete"],
  // Parenthesised queries where the grammar wants bare ones, and assignments inside expressions (core/sql/mysql-query-forms.ts).
  ["with a as (select 1 as x) (select x from a) union (select secret from vault)", "vault-unread"],
  ["select name from victims where name in ((select 'ann') union (select secret from vault))", "vault-unread"],
  ["replace into victims (select 9, secret from vault)", "no-delete"],
  ["delete from victims where (@n := id) > 0", "no-delete"],
  ["select if(@g = id, @r := @r + 1, @r := (select secret from vault)) from victims", "vault-unread"],
  ["delete from victims where 3 member of ('[3]')", "no-delete"],
  // Adjacent string literals are one ('abc'): read as such, not refused as unreadable.
  ["delete from victims where name <> 'a' 'b' 'c'", "no-delete"],
  // A partition's rows deleted by ALTER TABLE (shop.parted, partitioned by range): every row of it, as TRUNCATE.
  ["alter table parted truncate partition all", "no-unbounded-writes"],
  ["alter table parted drop partition p0", "no-unbounded-writes"],
  ["alter table parted add column c int, truncate partition p1", "no-unbounded-writes"],
  // Its rows traded with another table's (shop.loose, of its shape): both tables' rows rewritten, none by a WHERE.
  ["alter table parted exchange partition p0 with table loose without validation", "no-unbounded-writes"],
];

/**
 * What ORMs and people send that the grammar library does not read (respelled by core/sql/mysql-grammar-form.ts): each must
 * run through the guarded connection with MariaDB's own answer, and change nothing.
 */
export const RUNS_AS_THE_SERVER = [
  "SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci, @@SESSION.sql_mode = CONCAT(REPLACE(REPLACE(REPLACE(@@sql_mode, 'STRICT_TRANS_TABLES', ''), 'STRICT_ALL_TABLES', ''), 'TRADITIONAL', ''), ',NO_AUTO_VALUE_ON_ZERO'), @@SESSION.sql_auto_is_null = 0, @@SESSION.wait_timeout = 2147483",
  "select @@session.sql_mode as mode, @@session.wait_timeout as t",
  "select id, name from victims use index (primary) where id <=> 2",
  "select high_priority sql_no_cache v.id from victims v force index (primary) natural join victims w order by v.id",
  "select name from victims where name sounds like 'bobb'",
  "do sleep(0)",
  "values (1, 'a'), (2, null)",
  "analyze table victims",
  "check table victims",
  "explain format=json select * from victims where id = 1",
  "explain delete from victims where id = 1",
  "analyze select * from victims where id = 1",
  "handler victims open",
  "handler victims read `PRIMARY` = (2) where name like 'b%'",
  "handler victims close",
  "set statement max_statement_time = 10 for select id, name from victims where id = 2",
  "execute immediate 'select name from victims where id = ?' using 3",
  "select id, v from hist for system_time all order by v",
  "select v.name from victims v where v.id in (select * from (values (1), (3)) t) order by v.id",
  "select id, name from victims where match(name) against('bob' in boolean mode)",
  "rollback work",
  "select v from hist for system_time as of timestamp now() - interval 1 day as h where id = 1",
  // Anonymous code, in every class (a rule on a table's writes meets it whatever it names): one that names no such table.
  "begin not atomic declare x int default 2; select x * 3 as y; end",
  "select sum(distinct id) as s, avg(distinct id) as a, std(id) as sd, variance(id) as v from victims",
  "select id from victims order by id offset 1 rows fetch next 1 rows only",
  "select id from victims except all select 2 order by id",
  "select substring(name from 2 for 1) as s, mid(name from 2) as m from victims order by id",
  "select id, count(*) over (order by id range between unbounded preceding and current row) as n from victims order by id",
  "select percentile_cont(0.5) within group (order by id) over () as p from victims limit 1",
  "select group_concat(name order by id separator ',' limit 2) as g, json_arrayagg(id order by id desc) as j from victims",
  // The ranking idiom of MySQL before window functions, UNION operands in parentheses after WITH, MATCH without parentheses.
  "select id, name, (@rn := @rn + 1) as rn, if(@prev = name, @same := @same + 1, @same := 0) as dup, @prev := name as p from victims, (select @rn := 0, @prev := '', @same := 0) init order by id",
  "with a as (select 1 as x) (select x from a) union (select id from victims where id = 3) order by 1",
  "select id from victims where id in ((select 1) union (select 2)) order by id",
  "select id from victims where match name against ('bob' in boolean mode)",
  "get diagnostics @n = number, @r = row_count",
  // Partition maintenance that keeps every row, and MariaDB's statements the grammar lacks.
  "alter table parted rebuild partition p0, p1",
  "alter table parted check partition all",
  "show count(*) warnings",
  "reset query cache",
  "cache index victims in default",
  "load index into cache victims ignore leaves",
  "select v.name, j.n from victims v join json_table('[{\"id\": 1, \"n\": 10}, {\"id\": 3, \"n\": 30}]', '$[*]' columns (id int path '$.id', n int path '$.n')) as j on j.id = v.id order by v.id",
];
