"""asyncpg on a masked connection: it reads results in binary and, for a type it does not know by
heart (jsonb[], record[], an enum, a domain), introspects it with a recursive query over pg_type
first. Prints each result as JSON; usage: asyncpg_masked.py <port> <database> <key>."""
import asyncio, json, sys
import asyncpg

port, database, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]

async def main():
    c = await asyncpg.connect(host="127.0.0.1", port=port, user="agent", password=key, database=database, ssl=False)
    try:
        for q in [
            "select id, name, email, card_no from customers order by id",
            "select array[profile] as profiles, array[row(id, 'x'::text)] as pairs from customers where id = 2",
            "select array[row(id, email)] as rs from customers where id = 1",
        ]:
            print(json.dumps([dict(r) for r in await c.fetch(q)], default=str))
    finally:
        await c.close()

asyncio.run(main())
