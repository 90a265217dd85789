import "server-only";
import { headers } from "next/headers";

/** The host this page was asked for, without its port: where the console assumes the gateway is (the ssh and connector lines say so). */
export async function pageHost(): Promise<string> {
  return ((await headers()).get("host") ?? "gateway-host").replace(/:\d+$/, "");
}
