export type Sample = { column: string; value: string };

// What an admin usually wants to check first: a detector hit, a Luhn-valid card, a look-alike that
// must pass (16 digits failing Luhn), and a value hidden inside JSON.
export const DEFAULT_SAMPLES: Sample[] = [
  { column: "", value: "ann@example.com" },
  { column: "", value: "4111 1111 1111 1111" },
  { column: "", value: "order 4111111111111112" },
  { column: "", value: '{"customer": {"mail": "ann@example.com"}, "plan": "pro"}' },
];
