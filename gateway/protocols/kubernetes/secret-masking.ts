import { compilePathRule } from "../../../core/masking/json-masker";
import { ValueMasker } from "../../../core/masking/value-masker";
import type { SessionMasking } from "../../../core/masking/compile-rules";
import type { KubernetesRequestFacts } from "../../../core/policy/kubernetes-request";

/** What a masked Secret value reads as: base64 of `[REDACTED]`, so `data` stays valid for typed clients (kubectl describe, client-go). */
export const MASKED_SECRET_DATA = Buffer.from("[REDACTED]").toString("base64");

/**
 * Secret values in responses about secrets (get, list, watch, and the object a write returns):
 * every value under `data` and `stringData` at any depth (a Secret, a SecretList's items, a watch
 * event's object, a Table row's object), and the last-applied-configuration annotation, which
 * client-side `kubectl apply` fills with the whole Secret. A service account token the cluster
 * mints (`kubectl create token`: the TokenRequest's `status.token`) and the certificate a signing
 * request was issued (`status.certificate`, base64 as a typed client reads it) are credentials of the
 * cluster's own that would reach it without the gateway: masked alike.
 */
const SECRET_RULES = [
  { ...compilePathRule("secret-data", "$..data", "redact"), replacement: MASKED_SECRET_DATA },
  { ...compilePathRule("secret-data", "$..stringData", "redact"), replacement: "[REDACTED]" },
  { ...compilePathRule("secret-data", "$..['kubectl.kubernetes.io/last-applied-configuration']", "redact"), replacement: "[REDACTED]" },
  { ...compilePathRule("secret-data", "$.status.token", "redact"), replacement: "[REDACTED]" },
  { ...compilePathRule("secret-data", "$..status.certificate", "redact"), replacement: MASKED_SECRET_DATA },
];

/**
 * A request whose answer may carry a secret value: about secrets, a service account token request,
 * or a certificate signing request (an approved one's `status.certificate`, signed for a key the
 * agent holds, is a client certificate for the API server).
 */
export const isSecretsRequest = (f: KubernetesRequestFacts) =>
  (f.apiGroup === "" && (f.resource === "secrets" || (f.resource === "serviceaccounts" && f.subresource === "token"))) ||
  (f.apiGroup === "certificates.k8s.io" && f.resource === "certificatesigningrequests");

/**
 * The masker of one request: the connection's masking for the identity (detectors, path rules),
 * plus the Secret rules when the request is about secrets and the identity is not exempt. The
 * combined masker is built once per session and per state of the connection's rules.
 */
export function secretAwareMasker(base: ValueMasker | null, key: Buffer, cache: WeakMap<object, ValueMasker>): ValueMasker {
  const slot = base ?? cache;
  let m = cache.get(slot);
  if (!m) {
    const masking: SessionMasking = base ? { ...base.masking, paths: [...SECRET_RULES, ...(base.masking.paths ?? [])] } : { detectors: [], detectorStyle: "redact", columns: [], paths: SECRET_RULES };
    cache.set(slot, (m = new ValueMasker(masking, key)));
  }
  return m;
}
