import "server-only";
import { z } from "zod";
import { addSshKey } from "../../ssh-keys/add-ssh-key";
import { listKeyOwners } from "../../ssh-keys/list-key-owners";
import { listSshKeys } from "../../ssh-keys/list-ssh-keys";
import { removeSshKey } from "../../ssh-keys/remove-ssh-key";
import { adminProcedure, createTRPCRouter, protectedProcedure } from "../trpc";

// No identity named: the person's own linked identity. Naming another is for admins (checked in server/ssh-keys).
const identityId = z.string().uuid("not an identity id").optional();

/** Registered SSH public keys: every person manages their own identity's, admins anyone's. */
export const sshKeysRouter = createTRPCRouter({
  list: protectedProcedure.input(z.object({ identityId }).default({})).query(({ ctx, input }) => listSshKeys(ctx.db, ctx.user, input)),
  owners: adminProcedure.query(({ ctx }) => listKeyOwners(ctx.db)),
  add: protectedProcedure
    .input(
      z.object({
        identityId,
        publicKey: z.string().trim().min(1, "paste a public key line").max(16_384, "a public key line is shorter than this: paste the .pub file's one line"),
        name: z
          .string()
          .trim()
          .max(100, "at most 100 characters")
          .regex(/^[^\p{Cc}]*$/u, "no control characters")
          .optional(),
      }),
    )
    .mutation(({ ctx, input }) => addSshKey(ctx.db, ctx.user, input)),
  remove: protectedProcedure
    .input(z.object({ identityId, fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, "not an SSH key fingerprint (SHA256:…)") }))
    .mutation(({ ctx, input }) => removeSshKey(ctx.db, ctx.user, input)),
});
