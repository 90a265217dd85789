import type http from "node:http";

/**
 * The few routes of an OpenAI-style API (`/v1/models`, `/v1/chat/completions`, plain and streamed as
 * Server-Sent Events) the official `openai` SDK calls, each answering with personal data the
 * gateway must mask. Served by the test upstream (http-upstream.ts) under `/oai/v1/...`.
 */
export async function routeOpenAiStyle(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<boolean> {
  if (path === "/oai/v1/models" && req.method === "GET") {
    send(res, { object: "list", data: [{ id: "gh-test-1", object: "model", created: 1, owned_by: "ann.smith@example.com" }] });
    return true;
  }
  if (path !== "/oai/v1/chat/completions" || req.method !== "POST") return false;
  let raw = "";
  for await (const c of req) raw += c;
  const ask = JSON.parse(raw) as { model: string; stream?: boolean; messages: Array<{ content: string }> };
  const answer = `You asked "${ask.messages.at(-1)?.content ?? ""}". Write to bob@example.org, card 4111 1111 1111 1111.`;
  if (!ask.stream) {
    send(res, {
      id: "chatcmpl-1",
      object: "chat.completion",
      created: 1,
      model: ask.model,
      choices: [{ index: 0, message: { role: "assistant", content: answer }, finish_reason: "stop", logprobs: null }],
      usage: { prompt_tokens: 5, completion_tokens: 20, total_tokens: 25 },
    });
    return true;
  }
  // Streamed as a model does, a token (here at most 4 characters) an event: every sensitive value
  // is split across events.
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for (const token of answer.match(/.{1,4}/gs) ?? []) {
    const chunk = { id: "chatcmpl-2", object: "chat.completion.chunk", created: 1, model: ask.model, choices: [{ index: 0, delta: { content: token }, finish_reason: null }] };
    res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }
  res.write(`data: ${JSON.stringify({ id: "chatcmpl-2", object: "chat.completion.chunk", created: 1, model: ask.model, choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\n`);
  res.end("data: [DONE]\n\n");
  return true;
}

function send(res: http.ServerResponse, body: unknown): void {
  const b = Buffer.from(JSON.stringify(body));
  res.writeHead(200, { "content-type": "application/json", "content-length": b.length }).end(b);
}
