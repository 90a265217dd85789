import type { ProtocolAdapter } from "../../pipeline/adapter";
import { mountKubernetes } from "./kube-route";

/** Kubernetes API servers on the gateway's HTTP port (TLS): `/k8s/<connection>/...`, each request a judged command. */
export const kubernetesAdapter: ProtocolAdapter = {
  name: "kubernetes",
  async start({ deps, http }) {
    const route = mountKubernetes(http, deps);
    return { describe: "Kubernetes proxy at /k8s/<connection>/ on the HTTP port (TLS only)", close: route.close };
  },
};
