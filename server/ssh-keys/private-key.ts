// Shared by the form (which refuses to send a private key at all) and the server (which refuses it too).

/** A private key in any format OpenSSH, OpenSSL or PuTTY writes: PEM/OpenSSH blocks, PuTTY .ppk files. */
export function looksLikePrivateKey(text: string): boolean {
  return /PRIVATE KEY|PuTTY-User-Key-File|SSH2 ENCRYPTED PRIVATE KEY/i.test(text);
}

export const PRIVATE_KEY_WARNING = "This is a private key: Gatehouse did not save it. Keep it secret, and paste the public half instead: the one line in the .pub file (ssh-ed25519 AAAA… you@host).";
