import type { GatewayDeps } from "../../gateway-deps";
import { ClientSessions } from "../../http/client-sessions";
import type { UpstreamSettings } from "../../http/upstream";
import { connectionTypeOf } from "../../../core/connections/registry";
import { exemptGroupsOf } from "../../../core/connections/types/kubernetes";
import { injectedCredential } from "../../../core/connections/types/http-credential";

/** A Kubernetes connection as the proxying pieces read it, plus what only Kubernetes has. */
export type KubeSettings = UpstreamSettings & { impersonate: boolean; secretsExemptGroups: string[] };

export type KubeSessions = ClientSessions<KubeSettings>;

/**
 * Sessions of Kubernetes clients, one per client TCP connection and credential (kubectl keeps one
 * HTTP/2-less keep-alive connection per run), admitted by the shared pipeline. The gateway's
 * credential is a bearer token (or a client certificate); responses it cannot read are refused
 * while masking (protobuf is never asked for: see kube-route.ts).
 */
export function kubeSessions(deps: GatewayDeps): KubeSessions {
  return new ClientSessions<KubeSettings>(deps, {
    protocol: "kubernetes",
    listener: "kubernetes",
    servesLabel: "a Kubernetes",
    prepare: (connection) => {
      const s = connectionTypeOf("kubernetes").parseSettings(connection);
      const token = connection.secret.token;
      const settings: KubeSettings = {
        baseUrl: s.server,
        tlsVerify: s.tlsVerify,
        caBundle: s.caBundle,
        clientCert: s.clientCert,
        clientKey: connection.secret.clientKey,
        timeoutMs: s.timeoutMs,
        maxBodyBytes: s.maxBodyBytes,
        oversizeBodies: "refuse",
        otherBodies: "refuse",
        impersonate: s.impersonate,
        secretsExemptGroups: exemptGroupsOf(s),
      };
      return { settings, credential: injectedCredential({ auth: token ? "bearer" : "none" }, token), start: `Kubernetes client connection to ${s.server}` };
    },
  });
}
