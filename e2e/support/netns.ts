import { randomBytes, randomInt } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { run } from "./run-program";

export type Netns = {
  name: string;
  /** The root namespace's end of the veth pair: where processes inside reach the gateway. */
  hostAddr: string;
  /** Spawns a program inside the namespace. */
  spawn: (cmd: string, args: string[], env?: Record<string, string>) => ChildProcess;
  remove: () => Promise<void>;
};

const ip = async (...args: string[]) => {
  const r = await run("ip", args);
  if (r.code !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
};

/**
 * A network namespace with only its loopback and one veth pair to the root namespace (a /30 of
 * 10.213.x.y): a server inside on its 127.0.0.1 cannot be reached from the root namespace at all,
 * while a process inside can dial out to hostAddr. Needs root (these machines run tests as root).
 */
export async function createNetns(): Promise<Netns> {
  const tag = randomBytes(3).toString("hex");
  const name = `gh-${tag}`;
  const [outer, inner] = [`gh${tag}a`, `gh${tag}b`];
  const base = randomInt(0, 64) * 4;
  const third = randomInt(1, 255);
  const hostAddr = `10.213.${third}.${base + 1}`;
  const nsAddr = `10.213.${third}.${base + 2}`;
  await ip("netns", "add", name);
  try {
    await ip("link", "add", outer, "type", "veth", "peer", "name", inner);
    await ip("link", "set", inner, "netns", name);
    await ip("addr", "add", `${hostAddr}/30`, "dev", outer);
    await ip("link", "set", outer, "up");
    await ip("netns", "exec", name, "ip", "addr", "add", `${nsAddr}/30`, "dev", inner);
    await ip("netns", "exec", name, "ip", "link", "set", inner, "up");
    await ip("netns", "exec", name, "ip", "link", "set", "lo", "up");
  } catch (err) {
    await run("ip", ["link", "del", outer]);
    await run("ip", ["netns", "del", name]);
    throw err;
  }
  return {
    name,
    hostAddr,
    spawn: (cmd, args, env) => spawn("ip", ["netns", "exec", name, cmd, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] }),
    async remove() {
      await run("ip", ["link", "del", outer]);
      await run("ip", ["netns", "del", name]);
    },
  };
}
