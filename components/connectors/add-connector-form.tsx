"use client";
import { useState } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { describeError, useTRPC } from "../trpc/client";
import { Button } from "../ui/button";
import { Field, TextInput } from "../ui/field";
import { ErrorBox } from "../ui/page";

/** Adds a connector by name; its token is issued from its card. */
export function AddConnectorForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const add = useMutation(
    trpc.connectors.add.mutationOptions({
      onSuccess: () => {
        setName("");
        void queryClient.invalidateQueries({ queryKey: trpc.connectors.pathKey() });
      },
    }),
  );
  const failure = add.error ? describeError(add.error) : undefined;
  return (
    <form
      aria-label="Add a connector"
      className="space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate({ name: name.trim() });
      }}
    >
      <div className="flex flex-wrap items-start gap-3">
        <div className="w-full max-w-xs">
          <Field label="Connector name" name="connector-name" error={failure?.fields.name} hint="Where it runs, e.g. the site or network: connections name it.">
            <TextInput
              name="connector-name"
              value={name}
              onChange={(e) => (add.reset(), setName(e.target.value))}
              placeholder="site-frankfurt"
              invalid={!!failure?.fields.name}
              required
              maxLength={63}
              autoComplete="off"
            />
          </Field>
        </div>
        <Button type="submit" className="sm:mt-6" disabled={add.isPending || !name.trim()}>
          {add.isPending ? "Adding…" : "Add connector"}
        </Button>
      </div>
      {failure && !failure.fields.name ? <ErrorBox title="The connector was not added" message={failure.message} /> : null}
      {add.isSuccess ? (
        <p role="status" className="text-sm text-emerald-700">
          Connector {add.data.name} added: issue its token on its card to run it.
        </p>
      ) : null}
    </form>
  );
}
