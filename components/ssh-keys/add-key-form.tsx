"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { looksLikePrivateKey, PRIVATE_KEY_WARNING } from "../../server/ssh-keys/private-key";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Field, TextArea, TextInput } from "../ui/field";
import { ErrorBox } from "../ui/page";

/**
 * Paste a public key line and, optionally, a name. A private key is caught here, cleared from the
 * field and never sent; the server refuses one too.
 */
export function AddKeyForm({ owner, identityId }: { owner: string; identityId?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [publicKey, setPublicKey] = useState("");
  const [name, setName] = useState("");
  const [privateKeyCaught, setPrivateKeyCaught] = useState(false);
  const [added, setAdded] = useState<{ name: string; fingerprint: string } | null>(null);
  const add = useMutation(
    trpc.sshKeys.add.mutationOptions({
      onSuccess: (key) => {
        setAdded(key);
        setPublicKey("");
        setName("");
        void queryClient.invalidateQueries({ queryKey: trpc.sshKeys.pathKey() });
      },
    }),
  );
  const failure = add.error ? describeError(add.error) : undefined;
  const keyError = privateKeyCaught ? `${PRIVATE_KEY_WARNING} It never left this page: the field was cleared.` : failure?.fields.publicKey;
  const fieldId = identityId ? `ssh-public-key-${identityId}` : "ssh-public-key";

  const change = (text: string) => {
    add.reset();
    setAdded(null);
    if (looksLikePrivateKey(text)) return (setPublicKey(""), setPrivateKeyCaught(true));
    setPrivateKeyCaught(false);
    setPublicKey(text);
  };

  return (
    <form
      aria-label={`Add an SSH key for ${owner}`}
      className="space-y-3 border-t border-slate-100 pt-4"
      onSubmit={(e) => {
        e.preventDefault();
        if (looksLikePrivateKey(publicKey)) return change(publicKey);
        add.mutate({ identityId, publicKey: publicKey.trim(), name: name.trim() || undefined });
      }}
    >
      <h3 className="text-sm font-semibold text-slate-800">Add a key</h3>
      <Field
        label="Public key"
        name={fieldId}
        error={keyError}
        hint={
          <>
            The one line of your <code>.pub</code> file, e.g. <code>cat ~/.ssh/id_ed25519.pub</code>. Never the private key.
          </>
        }
      >
        <TextArea
          name={fieldId}
          rows={3}
          value={publicKey}
          onChange={(e) => change(e.target.value)}
          placeholder="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA… you@laptop"
          spellCheck={false}
          autoComplete="off"
          autoCapitalize="off"
          invalid={!!keyError}
          aria-describedby={keyError ? `${fieldId}-error` : undefined}
        />
      </Field>
      <div className="max-w-xs">
        <Field label="Name (optional)" name={`${fieldId}-name`} error={failure?.fields.name} hint="Defaults to the key's comment.">
          <TextInput name={`${fieldId}-name`} value={name} onChange={(e) => setName(e.target.value)} placeholder="laptop" maxLength={100} autoComplete="off" invalid={!!failure?.fields.name} />
        </Field>
      </div>
      <Button type="submit" disabled={add.isPending || !publicKey.trim()}>
        {add.isPending ? "Adding…" : "Add key"}
      </Button>
      {failure && !failure.fields.publicKey && !failure.fields.name ? <ErrorBox title="Key not added" message={failure.message} /> : null}
      <p role="status" className="text-sm text-emerald-700">
        {added ? `Added ${added.name} (${added.fingerprint}).` : ""}
      </p>
    </form>
  );
}
