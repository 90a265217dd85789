import { startConsoleStack } from "./console-stack";

/** Starts the product once for the whole browser run; workers read where it runs from GATEHOUSE_E2E_STACK. */
export default async function globalSetup() {
  const { info, stop } = await startConsoleStack();
  process.env.GATEHOUSE_E2E_STACK = JSON.stringify(info);
  return stop;
}
