"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../trpc/client";
import { Field, Select } from "../ui/field";

/**
 * "Reach through connector": the connection's connector_id (not one of its type's settings), for
 * every type. "" is the gateway dialling the target itself.
 */
export function ConnectorSelect({ value, error, onChange }: { value: string; error?: string; onChange: (connector: string) => void }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.connectors.list.queryOptions());
  const known = query.data ?? [];
  // The stored choice stays offered while the list loads (or if it could not be read).
  const names = known.some((c) => c.name === value) || !value ? known : [...known, { name: value, state: null }];
  const hint = value ? (
    <>
      The gateway reaches the target over this connector&apos;s link, from its network. The console cannot dial into that network, so Test connection does not run for it: connect a client through the
      gateway instead.
    </>
  ) : query.isSuccess && known.length === 0 ? (
    <>
      For a target in a network the gateway cannot reach, add a connector on{" "}
      <Link href="/connectors" className="font-medium text-brand hover:underline">
        Connectors
      </Link>
      .
    </>
  ) : (
    "Or pick a connector that runs in the target's network."
  );
  return (
    <Field label="Reach through connector" name="connector" error={error ?? (query.isError ? "the connectors could not be read" : undefined)} hint={hint}>
      <Select name="connector" value={value} invalid={Boolean(error)} onChange={(e) => onChange(e.target.value)}>
        <option value="">The gateway dials the target itself</option>
        {names.map((c) => (
          <option key={c.name} value={c.name}>
            {c.name}
            {c.state ? ` (${c.state})` : ""}
          </option>
        ))}
      </Select>
    </Field>
  );
}
