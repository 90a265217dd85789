import { describe, expect, it } from "vitest";
import { evaluatePolicy } from "./evaluate-policy";
import { jsonPointer, normalisePath, requestCommand, UNREAD, type HttpRequestFacts } from "./http-request";
import { policySchema } from "./policy";

const policy = policySchema.parse({
  defaultAction: "allow",
  rules: [
    { name: "no-customer-deletes", action: "deny", match: { kinds: ["DELETE /v1/customers/*"] } },
    { name: "admin-needs-review", action: "review", match: { kinds: ["* /admin/**"] } },
    { name: "big-refunds", action: "review", match: { kinds: ["POST /v1/refunds"], body: { "/options/mode": "force*" } } },
    { name: "no-dry-run-off", action: "deny", match: { kinds: ["POST"], query: { dry_run: "false" } } },
    { name: "no-sudo-header", action: "deny", match: { headers: { "X-Sudo": "*" } } },
    { name: "no-exports", action: "deny", match: { kinds: ["GET /v1/exports/**"] } },
  ],
});

const facts = (method: string, path: string, more: Partial<HttpRequestFacts> = {}): HttpRequestFacts => ({ method, path: normalisePath(path)!, query: {}, headers: {}, body: undefined, ...more });
const decide = (method: string, path: string, more: Partial<HttpRequestFacts> = {}) => {
  const f = facts(method, path, more);
  const d = evaluatePolicy(policy, { name: "agent", groups: [] }, requestCommand(f, `${method} ${path}`));
  return `${d.action}:${d.rule ?? "default"}`;
};

describe("[POLICY][HTTP] requests are judged by method and path globs, query, headers and JSON body fields", () => {
  it.each([
    ["DELETE", "/v1/customers/42", "deny:no-customer-deletes"],
    ["delete", "/V1/Customers/42", "deny:no-customer-deletes"],
    ["DELETE", "/v1/customers/42/notes", "allow:default"],
    ["DELETE", "/v1/customers", "allow:default"],
    ["GET", "/v1/customers/42", "allow:default"],
    ["DELETE", "/v1/cust%6fmers/42", "deny:no-customer-deletes"],
    ["DELETE", "//v1//customers/42/", "deny:no-customer-deletes"],
    ["DELETE", "\\v1\\customers\\42", "deny:no-customer-deletes"],
    ["GET", "/admin", "review:admin-needs-review"],
    ["PATCH", "/admin/users/7/roles", "review:admin-needs-review"],
    ["GET", "/administrator", "allow:default"],
    // Frameworks run the GET handler for HEAD (Express, Rails, Spring, ASP.NET): its side effects too.
    ["HEAD", "/v1/exports/all", "deny:no-exports"],
    ["OPTIONS", "/v1/exports/all", "allow:default"],
  ])("%s %s -> %s", (method, path, expected) => expect(decide(method, path)).toBe(expected));

  it("judges a method override (headers frameworks honour, ?_method=) as the method it asks for, besides its own", () => {
    expect(decide("POST", "/v1/customers/42", { headers: { "x-http-method-override": "DELETE" } })).toBe("deny:no-customer-deletes");
    expect(decide("POST", "/v1/customers/42", { headers: { "x-http-method": "delete" } })).toBe("deny:no-customer-deletes");
    expect(decide("POST", "/v1/customers/42", { headers: { "x-method-override": " Delete " } })).toBe("deny:no-customer-deletes");
    expect(decide("POST", "/v1/customers/42", { query: { _method: ["DELETE"] } })).toBe("deny:no-customer-deletes");
    expect(decide("GET", "/v1/customers/42", { headers: { "x-http-method-override": "PATCH" } })).toBe("allow:default");
    expect(decide("POST", "/v1/customers/42")).toBe("allow:default");
  });

  it("judges a path with ;parameters also without them (servlet containers route /customers;x/42 as /customers/42)", () => {
    expect(decide("DELETE", "/v1/customers;jsessionid=1/42")).toBe("deny:no-customer-deletes");
    expect(decide("DELETE", "/v1/customers/42;v=2")).toBe("deny:no-customer-deletes");
    expect(decide("DELETE", "/v1/cust%3Bx/42")).toBe("allow:default");
    expect(decide("POST", "/v1;a/customers;b/42", { headers: { "x-http-method-override": "DELETE" } })).toBe("deny:no-customer-deletes");
  });

  it("reads JSON body fields by pointer, and fails closed on a body it did not read", () => {
    expect(decide("POST", "/v1/refunds", { body: { amount: 25000, options: { mode: "forced" } } })).toBe("review:big-refunds");
    expect(decide("POST", "/v1/refunds", { body: { amount: 250, options: { mode: "normal" } } })).toBe("allow:default");
    expect(decide("POST", "/v1/refunds", { body: {} })).toBe("allow:default");
    expect(decide("POST", "/v1/refunds", { body: UNREAD })).toBe("review:big-refunds");
    // Go's encoding/json and ASP.NET bind keys whatever their case (and fold ſ to s, K to k).
    expect(decide("POST", "/v1/refunds", { body: { OPTIONS: { Mode: "forced" } } })).toBe("review:big-refunds");
    expect(decide("POST", "/v1/refunds", { body: { options: { mode: "normal", "\u212Aey": 1 }, Options: { MODE: "force" } } })).toBe("review:big-refunds");
  });

  it("reads query parameters (any of a repeated one) and headers by name", () => {
    expect(decide("POST", "/v1/jobs", { query: { dry_run: ["true", "false"] } })).toBe("deny:no-dry-run-off");
    expect(decide("POST", "/v1/jobs", { query: { DRY_RUN: ["false"] } })).toBe("deny:no-dry-run-off"); // ASP.NET binds any case
    expect(decide("GET", "/v1/jobs", { query: { dry_run: ["false"] } })).toBe("allow:default");
    expect(decide("GET", "/v1/jobs", { headers: { "x-sudo": "1" } })).toBe("deny:no-sudo-header");
  });

  it("meets a header sent twice (Node joins the values with a comma) by any one value for deny and review, by the whole for allow", () => {
    const modes = policySchema.parse({
      defaultAction: "deny",
      rules: [
        { name: "no-force", action: "deny", match: { headers: { "X-Mode": "force" } } },
        { name: "dry-ok", action: "allow", match: { headers: { "X-Mode": "dry" } } },
      ],
    });
    const rule = (mode: string) => evaluatePolicy(modes, { name: "agent", groups: [] }, requestCommand(facts("POST", "/v1/jobs", { headers: { "x-mode": mode } }), "POST /v1/jobs")).rule;
    expect(rule("force")).toBe("no-force");
    expect(rule("normal, force")).toBe("no-force");
    expect(rule("force,normal")).toBe("no-force");
    expect(rule("dry")).toBe("dry-ok");
    expect(rule("dry, force")).toBe("no-force");
    expect(rule("dry, dry")).toBe(null); // an allow rule reads the whole value
  });

  it("refuses dot segments and undecodable paths", () => {
    expect(normalisePath("/v1/../admin")).toBeNull();
    expect(normalisePath("/v1/%2e%2e/admin")).toBeNull();
    expect(normalisePath("/v1/%zz")).toBeNull();
    expect(normalisePath("/")).toBe("/");
    for (const [raw, normal] of [
      ["/v1/customers/42", "/v1/customers/42"],
      ["/v1/customers/", "/v1/customers"],
      ["//v1//admin", "/v1/admin"],
      ["/v1\\admin", "/v1/admin"],
      ["/adm%69n", "/admin"],
      ["/v1/.well-known/x", "/v1/.well-known/x"],
      ["/v1/.../x", "/v1/.../x"],
      ["/v1/;x=1/42", "/v1/;x=1/42"],
      ["", "/"],
    ])
      expect(normalisePath(raw), raw).toBe(normal);
    for (const raw of ["/.", "/a/.", "/a/./b", "/..", "/a/.."]) expect(normalisePath(raw), raw).toBeNull();
  });

  it("resolves JSON pointers as RFC 6901 says", () => {
    const doc = { a: [{ "b/c": 1, "d~e": 2 }] };
    expect(jsonPointer(doc, "/a/0/b~1c")).toBe(1);
    expect(jsonPointer(doc, "/a/0/d~0e")).toBe(2);
    expect(jsonPointer(doc, "/a/01")).toBeUndefined();
    expect(jsonPointer(doc, "/a/0/__proto__")).toBeUndefined();
  });

  it("keeps request conditions out of other protocols' commands and validates them", () => {
    expect(policySchema.safeParse({ rules: [{ name: "x", action: "deny", match: { body: { amount: "1" } } }] }).success).toBe(false);
    expect(policySchema.safeParse({ rules: [{ name: "x", action: "deny", match: { headers: { "bad header": "1" } } }] }).success).toBe(false);
  });
});
