declare module "pg/lib/crypto/sasl" {
  type Session = { mechanism: string; clientNonce: string; response: string; message: string };
  export function startSession(mechanisms: string[], stream?: unknown): Session;
  export function continueSession(session: Session, password: string, serverData: string, stream?: unknown): Promise<void>;
  export function finalizeSession(session: Session, serverData: string): void;
}
