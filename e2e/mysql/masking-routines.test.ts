import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RowDataPacket } from "mysql2/promise";
import { gatewayConnection } from "../support/mysql-client";
import { leaks, startMaskedMysql, type MaskedMysql } from "./masked-mysql";

// Stored routines that already exist on the target (the owner's, not made through the gateway, which
// refuses creating the copying ones): a call is judged by the body it runs (the corpus: masked-mysql.ts).
describe("[MYSQL][MASKING][ROUTINES] a stored routine is judged by its body when called, a trigger when a write fires it", () => {
  let s: MaskedMysql;

  beforeAll(async () => {
    s = await startMaskedMysql();
    await s.db.admin(`delimiter //
      create procedure shop.exec_sql(q text) begin set @q = q; prepare s from @q; execute s; deallocate prepare s; end//
      create procedure shop.run_it(q text) begin call shop.exec_sql(q); end//
      create procedure shop.archive_codes() insert into shop.copies select code from shop.users//
      create procedure shop.get_code(out c varchar(20)) select code into c from shop.users order by id limit 1//
      create procedure shop.list_ids() select id from shop.users order by id//
      create procedure shop.log_note(n text) insert into shop.copies values (n)//
      create trigger shop.users_audit after update on shop.users for each row insert into shop.copies values (old.code)//
      create table shop.orders (id int primary key, user_id int, total int)//
      create trigger shop.orders_owner after insert on shop.orders for each row insert into shop.copies select code from shop.users where id = new.user_id//
      create trigger shop.orders_touch before update on shop.orders for each row set new.total = coalesce(new.total, 0)//
      create procedure shop.add_order(i int) insert into shop.orders values (i, 1, 5)//
      create table shop.relay_in (id int)//
      create table shop.relay_out (id int)//
      create trigger shop.relay_in_t after insert on shop.relay_in for each row insert into shop.relay_out values (new.id)//
      create trigger shop.relay_out_t after insert on shop.relay_out for each row insert into shop.copies select code from shop.users limit 1//
      create function shop.log_value(v text) returns int modifies sql data begin insert into shop.copies values (v); return 1; end//
      delimiter ;
    `);
  }, 120_000);
  afterAll(() => s?.close());

  it.each([
    ["call exec_sql('insert into copies select code from users')", "it calls exec_sql, a stored routine whose body prepares SQL built at run time"],
    // A wrapper whose own body shows nothing: the routine it calls does.
    ["call run_it('insert into copies select code from users')", "it calls run_it, a stored routine whose body prepares SQL built at run time"],
    ["call archive_codes()", "it calls archive_codes, a stored routine whose body names code, which masking protects"],
    // An OUT parameter lands in a user variable, read back plain.
    ["call get_code(@x)", "it calls get_code, a stored routine whose body names code, which masking protects"],
    // Writes that fire the owner's triggers, which see the rows (or read a covered table) and copy them.
    ["update users set note = 'seen' where id = 1", "it writes users, whose columns masking protects, and a trigger on it writes"],
    ["insert into orders values (1, 1, 5)", "it writes orders, and a trigger on it names code, which masking protects"],
    // A trigger that writes a table whose own trigger copies.
    ["insert into relay_in values (1)", "it writes relay_in, whose trigger writes shop.relay_out, and a trigger on it names code, which masking protects"],
    // A covered value given to a routine that writes what it is given.
    ["select log_value(code) from users", "it calls log_value, a stored routine whose body writes, sets a variable or prepares SQL, and reads code, which masking protects"],
    // A routine's body writes a table whose trigger copies.
    ["call add_order(2)", "it calls add_order, which writes shop.orders, and a trigger on it names code, which masking protects"],
  ])("refuses %s", async (sql, said) => {
    const c = await gatewayConnection(s.port, "masked", s.agent.key);
    try {
      const err = await c.query(sql).then(
        () => null,
        (e: { errno?: number; message?: string }) => e,
      );
      expect(err?.errno).toBe(1142);
      expect(err?.message).toContain(`Gatehouse refused this statement: ${said}`);
      expect(err?.message).toMatch(/read back later, the values would come out unmasked\. That code is the database owner's: run what it does yourself/);
      const [[after]] = await c.query<RowDataPacket[]>("select @x as x, (select count(*) from copies) as n");
      expect(after).toEqual({ x: null, n: 0 });
    } finally {
      await c.end();
    }
  });

  it("runs routines whose body copies nothing masked: a procedure that only reads, one that writes what it is given, a stored function", async () => {
    const c = await gatewayConnection(s.port, "masked", s.agent.key);
    try {
      const [listed] = await c.query<RowDataPacket[][]>("call list_ids()");
      expect(listed[0]).toEqual([{ id: 1 }, { id: 2 }]);
      await c.query("call log_note('hello')");
      // A trigger that copies nothing (orders' on update), and an insert into the covered table (its trigger fires on update only).
      await s.db.admin("insert into shop.orders values (7, 999, 5)"); // no such user: its trigger copies nothing
      await c.query("update orders set total = 6 where id = 7");
      await c.query("insert into users (id, code) values (9, 'new-code')");
      const [[code]] = await c.query<RowDataPacket[]>("select first_code() as f");
      expect(code.f).toBe("[REDACTED]");
      const [copies] = await c.query<RowDataPacket[]>("select who from copies");
      expect(copies).toEqual([{ who: "hello" }]);
      expect(leaks(JSON.stringify([listed, code, copies]))).toEqual([]);
    } finally {
      await s.db.admin("delete from shop.copies; delete from shop.users where id = 9");
      await c.end();
    }
  });
});
