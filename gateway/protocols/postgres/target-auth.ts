import { createHash } from "node:crypto";
import { serialize } from "pg-protocol";
import * as sasl from "pg/lib/crypto/sasl";

/** An authentication request as pg-protocol's Parser gives it. */
export type AuthMessage = { name: string; salt?: Buffer; mechanisms?: string[]; data?: string };

const md5 = (s: string | Buffer) => createHash("md5").update(s).digest("hex");

/**
 * The client side of a target's password authentication (cleartext, MD5, SCRAM-SHA-256), for the
 * gateway logging in with the credentials it holds and for a connector logging in with its own
 * (gateway/connector/pg-login.ts). SCRAM is node-postgres's implementation (pg/lib/crypto/sasl).
 */
export class TargetAuth {
  private session: ReturnType<typeof sasl.startSession> | undefined;

  /** `password` throws when none is held: the caller's words for that. */
  constructor(
    private readonly user: string,
    private readonly password: () => string,
  ) {}

  /** Whether the message is an authentication request this answers (AuthenticationOk is not). */
  static handles(name: string): boolean {
    return ["authenticationCleartextPassword", "authenticationMD5Password", "authenticationSASL", "authenticationSASLContinue", "authenticationSASLFinal"].includes(name);
  }

  /** The reply to one request, or null where none is due (SASLFinal only checks the server's proof). */
  async reply(msg: AuthMessage): Promise<Buffer | null> {
    switch (msg.name) {
      case "authenticationCleartextPassword":
        return serialize.password(this.password());
      case "authenticationMD5Password":
        return serialize.password("md5" + md5(Buffer.concat([Buffer.from(md5(this.password() + this.user)), msg.salt!])));
      case "authenticationSASL":
        this.session = sasl.startSession(msg.mechanisms!);
        return serialize.sendSASLInitialResponseMessage(this.session.mechanism, this.session.response);
      case "authenticationSASLContinue":
        if (!this.session) throw new Error("SASL continue before SASL start");
        await sasl.continueSession(this.session, this.password(), msg.data!);
        return serialize.sendSCRAMClientFinalMessage(this.session.response);
      case "authenticationSASLFinal":
        if (!this.session) throw new Error("SASL final before SASL start");
        sasl.finalizeSession(this.session, msg.data!);
        return null;
      default:
        throw new Error(`unexpected ${msg.name} during authentication`);
    }
  }
}
