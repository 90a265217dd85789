import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { auditEventsOf, forgedKey, seedMasking, seedPolicy } from "../support/seed";
import { SECRETS, startHttpFixture, type HttpFixture } from "./http-fixture";

// An official SDK pointed at the gateway by its base URL alone: the `openai` package, with the agent's
// Gatehouse key as its API key. The gateway injects the upstream's real key (the test upstream answers
// only that one, and records any Gatehouse key it sees), masks what comes back, plain and streamed
// as Server-Sent Events, and refuses in HTTP terms the SDK turns into its own typed errors.
let f: HttpFixture;
let sdk: OpenAI;
beforeAll(async () => {
  f = await startHttpFixture({ llm: { auth: "bearer" } });
  await seedMasking(f.seed, "llm", { detectors: { builtIn: ["email", "payment-card"] } });
  await seedPolicy(f.seed, "llm", { defaultAction: "allow", rules: [{ name: "no-fine-tuning", action: "deny", match: { kinds: ["POST /oai/v1/fine_tuning/**"] } }] });
  sdk = new OpenAI({ baseURL: `${f.base("llm")}/oai/v1`, apiKey: f.agent.key, maxRetries: 0 });
}, 120_000);
afterAll(async () => {
  expect(f?.upstream.leaks ?? []).toEqual([]);
  await f?.close();
});

describe("[HTTP][SDK] the official openai SDK through the gateway, base URL changed only", () => {
  it("lists models and completes a chat, with personal data masked in the typed results", async () => {
    const models = await sdk.models.list();
    expect(models.data.map((m) => [m.id, m.owned_by])).toEqual([["gh-test-1", "[REDACTED:email]"]]);
    const done = await sdk.chat.completions.create({ model: "gh-test-1", messages: [{ role: "user", content: "who do I write to?" }] });
    const text = done.choices[0].message.content ?? "";
    expect(text).toContain('You asked "who do I write to?"');
    expect(text).toContain("[REDACTED:email]");
    expect(text).toContain("[REDACTED:payment-card]");
    expect(text).not.toContain("bob@example.org");
    expect(done.usage?.total_tokens).toBe(25);
    // The upstream only answers its own key: every call above carried the injected one.
    expect(f.upstream.seen.filter((s) => s.url.startsWith("/oai/")).every((s) => s.headers.authorization === `Bearer ${SECRETS.bearer}`)).toBe(true);
  });

  it("streams a chat completion a token an event, masked across events: no event carries any part of the address or card", async () => {
    const stream = await sdk.chat.completions.create({ model: "gh-test-1", stream: true, messages: [{ role: "user", content: "stream it" }] });
    const deltas: string[] = [];
    for await (const chunk of stream) deltas.push(chunk.choices[0]?.delta?.content ?? "");
    const text = deltas.join("");
    expect(deltas.length).toBeGreaterThan(15);
    expect(text).toBe('You asked "stream it". Write to [REDACTED:email], card [REDACTED:payment-card].');
    expect(deltas.join("|")).not.toMatch(/bob|example\.org|4111/);
  });

  it("turns the gateway's refusals into the SDK's typed errors: a denied call (403 naming the rule), a forged key (401)", async () => {
    const denied = await sdk.fineTuning.jobs.create({ model: "gh-test-1", training_file: "file-1" }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(OpenAI.PermissionDeniedError);
    // The SDK keeps the body's "error" field (the refusal's code); the rule is in the body's message and the audit.
    expect((denied as InstanceType<typeof OpenAI.PermissionDeniedError>).error).toBe("refused");
    await expect
      .poll(async () => (await auditEventsOf(f.seed, "request", "llm")).find((e) => e.statement?.startsWith("POST /oai/v1/fine_tuning/jobs"))?.details)
      .toMatchObject({ status: 403, rule: "no-fine-tuning" });
    const forged = new OpenAI({ baseURL: `${f.base("llm")}/oai/v1`, apiKey: forgedKey(), maxRetries: 0 });
    expect(await forged.models.list().catch((e: unknown) => e)).toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
