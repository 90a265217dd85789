import { describe, expect, it } from "vitest";
import { SecretPrompt } from "./secret-prompt";

const at = (...outputs: string[]) => {
  const p = new SecretPrompt();
  for (const o of outputs) p.see(o);
  return p.active();
};

describe("SecretPrompt", () => {
  it("sees the prompts of sudo, su, ssh, psql, mysql, git, openssl and one-time codes, wherever the output was cut", () => {
    for (const prompt of [
      "[sudo] password for ann: ",
      "Password: ",
      "Enter passphrase for key '/home/ann/.ssh/id_ed25519': ",
      "Password for user postgres: ",
      "Enter password: ",
      "Password for 'https://ann@git.example.com': ",
      "Enter PEM pass phrase:",
      "Verification code: ",
      "ann@db1's password: ",
      "New password: ",
      "Enter PIN for 'PIV Card Holder pin (PIV_II)': ",
    ])
      expect(at("$ sudo -k ls\r\n", prompt), prompt).toBe(true);
    // Cut anywhere, coloured, after a carriage return.
    expect(at("[sudo] pass", "word for ann: ")).toBe(true);
    expect(at("\x1b[1;31mPassword:\x1b[0m ")).toBe(true);
    expect(at("loading...\rPassword: ")).toBe(true);
    // sudo with pwfeedback echoes an asterisk for each key.
    expect(at("[sudo] password for ann: ", "*", "**")).toBe(true);
  });

  it("does not take a shell prompt, a line of output or an echoed answer for one", () => {
    for (const tail of [
      "ann@db1:~$ ",
      "root@db1:/etc# ",
      "mysql> ",
      "shop=> ",
      "PS /home/ann> ",
      "~/passwords $ ",
      "Password: hunter2",
      "password reset sent\r\n",
      "[sudo] password for ann: \r\n",
      "Sorry, try again.\r\n",
    ])
      expect(at(tail), JSON.stringify(tail)).toBe(false);
    expect(at("Password: ", "\r\n", "ann@db1:~$ ")).toBe(false);
    expect(at()).toBe(false);
  });

  it("keeps a bounded tail however long a line of output runs", () => {
    const p = new SecretPrompt();
    for (let i = 0; i < 1000; i++) p.see("x".repeat(1000));
    expect(p.active()).toBe(false);
    p.see("Password: ");
    expect(p.active()).toBe(true);
  });
});
