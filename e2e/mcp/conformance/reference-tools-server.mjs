// The tools the MCP conformance suite's tool scenarios call (named as in its reference server), built
// with the official SDK's Server and run by the gateway over stdio as an upstream MCP connection, so
// the suite can drive them through /mcp/<connection>. Scenarios that need server-to-client requests or
// notifications (progress, logging, sampling, elicitation) are left out: /mcp/<connection> relays none.
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";

// A 1x1 PNG and a 44-byte WAV header: real content of the declared types.
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const WAV = Buffer.from("524946462400000057415645666d7420100000000100010044ac000088580100020010006461746100000000", "hex").toString("base64");
const RESOURCE = { uri: "test://embedded-resource", mimeType: "text/plain", text: "This is an embedded resource content." };

const noArgs = { type: "object", properties: {} };
const TOOLS = [
  { name: "test_simple_text", description: "Tests simple text content response", inputSchema: noArgs },
  { name: "test_image_content", description: "Tests image content response", inputSchema: noArgs },
  { name: "test_audio_content", description: "Tests audio content response", inputSchema: noArgs },
  { name: "test_embedded_resource", description: "Tests embedded resource content response", inputSchema: noArgs },
  { name: "test_multiple_content_types", description: "Tests response with multiple content types (text, image, resource)", inputSchema: noArgs },
  { name: "test_error_handling", description: "Tests error response handling", inputSchema: noArgs },
];

const server = new Server({ name: "reference-tools", version: "1.0.0" }, { capabilities: { tools: {} } });
server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS }));
server.setRequestHandler(CallToolRequestSchema, async (req) => {
  switch (req.params.name) {
    case "test_simple_text":
      return { content: [{ type: "text", text: "This is a simple text response for testing." }] };
    case "test_image_content":
      return { content: [{ type: "image", data: PNG, mimeType: "image/png" }] };
    case "test_audio_content":
      return { content: [{ type: "audio", data: WAV, mimeType: "audio/wav" }] };
    case "test_embedded_resource":
      return { content: [{ type: "resource", resource: RESOURCE }] };
    case "test_multiple_content_types":
      return {
        content: [
          { type: "text", text: "Multiple content types test:" },
          { type: "image", data: PNG, mimeType: "image/png" },
          { type: "resource", resource: { ...RESOURCE, uri: "test://mixed-content-resource", mimeType: "application/json", text: '{"test":"data","value":123}' } },
        ],
      };
    case "test_error_handling":
      return { isError: true, content: [{ type: "text", text: "This tool intentionally returns an error for testing" }] };
    default:
      throw new McpError(ErrorCode.InvalidParams, `unknown tool ${req.params.name}`);
  }
});
await server.connect(new StdioServerTransport());
