import { describe, expect, it } from "vitest";
import { maskJsonBytes } from "../../../core/masking/json-masker";
import { parseKubernetesRequest } from "../../../core/policy/kubernetes-request";
import { MASKED_SECRET_DATA, isSecretsRequest, secretAwareMasker } from "./secret-masking";

const masked = (doc: unknown) => {
  const m = secretAwareMasker(null, Buffer.alloc(32, 1), new WeakMap());
  const body = Buffer.from(JSON.stringify(doc));
  return JSON.parse((maskJsonBytes(body, m) ?? body).toString("utf8"));
};

describe("Kubernetes credentials in answers", () => {
  it("requests whose answers may carry one: secrets, service account tokens, certificate signing requests", () => {
    const about = (method: string, path: string) => isSecretsRequest(parseKubernetesRequest(method, path, {}));
    expect(about("GET", "/api/v1/namespaces/a/secrets/db")).toBe(true);
    expect(about("POST", "/api/v1/namespaces/a/serviceaccounts/deployer/token")).toBe(true);
    expect(about("GET", "/apis/certificates.k8s.io/v1/certificatesigningrequests/agent-csr")).toBe(true);
    expect(about("GET", "/api/v1/namespaces/a/serviceaccounts/deployer")).toBe(false);
    expect(about("GET", "/api/v1/namespaces/a/configmaps/x")).toBe(false);
  });

  it("masks Secret data, a minted token and an issued certificate, and leaves the rest", () => {
    expect(masked({ kind: "Secret", data: { password: "aHVudGVyMg==" } }).data.password).toBe(MASKED_SECRET_DATA);
    const token = masked({ kind: "TokenRequest", spec: { expirationSeconds: 600 }, status: { token: "eyJhbGciOi.x.y", expirationTimestamp: "2026-12-05T00:00:00Z" } });
    expect(token.status).toEqual({ token: "[REDACTED]", expirationTimestamp: "2026-12-05T00:00:00Z" });
    const csr = masked({
      kind: "CertificateSigningRequestList",
      items: [{ spec: { request: "LS0tLS1CRUdJTg==", signerName: "kubernetes.io/kube-apiserver-client" }, status: { certificate: "LS0tLS1CRUdJTiBDRVJU" } }],
    });
    expect(csr.items[0].status.certificate).toBe(MASKED_SECRET_DATA);
    expect(csr.items[0].spec.request).toBe("LS0tLS1CRUdJTg==");
  });
});
