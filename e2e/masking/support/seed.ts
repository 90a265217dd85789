/**
 * The seeded sensitive values of the masking tests. Every one must never appear in any byte a
 * client receives through the gateway; the fragments catch pieces (substring tricks) too.
 */
export const SEEDED = {
  email: "ann.secret@example.com",
  email2: "bob.hidden@example.org",
  card: "4111111111111111",
  card2: "5500 0000 0000 0004",
  name: "Zelda Quixotic", // only a column rule protects it: no detector recognises a name
  ssn: "123-45-6789",
  iban: "DE89370400440532013000",
  jwt: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
  awsKey: "AKIAIOSFODNN7EXAMPLE",
  phone: "+1 415 555 0100",
};

/** What must never be received: the values and their telling pieces. */
export const FORBIDDEN: string[] = [
  ...Object.values(SEEDED),
  "ann.secret",
  "bob.hidden",
  "41111111",
  "Quixotic",
  "ZELDA",
  "Zelda",
  "0532013000",
  "IOSFODNN7",
  "415 555",
  "QW5uLnNlY3JldEBleGFtcGxlLmNvbQ", // base64 of the e-mail (encode(...) trick)
  "616e6e2e736563726574", // hex of "ann.secret"
];

/** A 16-digit order number that fails the Luhn check: it must pass unchanged. */
export const ORDER_NO = "4242424242424243";

export const SEED_SQL = `
create table customers (
  id int primary key, name text not null, email text unique, card text, ssn text, iban text, phone text,
  note text, order_no text, profile jsonb, tags text[], card_no bigint
);
insert into customers values
  (1, '${SEEDED.name}', '${SEEDED.email}', '${SEEDED.card}', '${SEEDED.ssn}', '${SEEDED.iban}', '${SEEDED.phone}',
   'token ${SEEDED.jwt} key ${SEEDED.awsKey}', '${ORDER_NO}',
   '{"contact": {"mail": "${SEEDED.email}", "cards": ["${SEEDED.card2}"]}, "n": 1}', array['${SEEDED.email2}', 'plain'], ${SEEDED.card}),
  (2, 'Bob Plain', '${SEEDED.email2}', '${SEEDED.card2}', null, null, null, 'nothing to see', '12345', '{}', array['x'], 42);
create view customer_contacts as select id, email as contact, upper(name) as shout, card from customers;
create view contact_digest as select id, contact as who, lower(shout) as quiet from customer_contacts;
create table orders (id int primary key, customer_id int, total numeric);
insert into orders values (10, 1, 99.50), (11, 2, 5);
`;

export const RULES = {
  columns: [
    { column: "customers.email", style: "token" },
    { column: "customers.card", style: "partial" },
    { column: "customers.name", style: "redact" },
    { column: "customers.card_no", style: "redact" },
  ],
  detectors: { style: "redact" },
  exemptGroups: ["dpo"],
};
