/** The JSON bodies the benchmark serves: small, and about 1 MiB of rows with e-mails and card numbers. */
export function benchBodies(): { small: Buffer; large: Buffer } {
  const small = Buffer.from(JSON.stringify({ id: 42, name: "Ann Smith", email: "ann@example.com", plan: "pro", tags: ["a", "b"], active: true }));
  const rows: unknown[] = [];
  let size = 0;
  for (let i = 0; size < 1024 * 1024; i++) {
    const row = { id: i, name: `Customer ${i}`, email: `customer${i}@example.com`, card: i % 10 === 0 ? "4111 1111 1111 1111" : null, note: `order ${i} shipped` };
    size += JSON.stringify(row).length + 1;
    rows.push(row);
  }
  return { small, large: Buffer.from(JSON.stringify({ rows })) };
}
