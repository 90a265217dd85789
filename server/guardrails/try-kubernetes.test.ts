import { describe, expect, it } from "vitest";
import { tryKubernetes } from "./try-kubernetes";
import { policySchema } from "../../core/policy/policy";
import { toDraft, toPolicy } from "../../components/guardrails/rule-draft";

const policy = policySchema.parse({
  defaultAction: "allow",
  rules: [
    { name: "ns-deletes-need-a-human", action: "review", match: { kinds: ["delete namespaces"] } },
    { name: "no-prod-deploy-deletes", action: "deny", match: { verbs: ["delete", "deletecollection"], resources: ["deployments.apps"], namespaces: ["prod*"] } },
    { name: "no-exec-in-prod", action: "deny", match: { resources: ["pods/exec"], namespaces: ["prod"] } },
    { name: "no-secret-watches", action: "deny", match: { verbs: ["watch"], resources: ["secrets"] } },
    { name: "no-rm", action: "deny", match: { kinds: ["rm"] } },
  ],
});
const who = { name: "agent-7", groups: [] };
const one = (line: string) => {
  const r = tryKubernetes(policy, who, line);
  if (!r.parsed) throw new Error(r.error);
  return r.statements[0];
};

describe("the console's try box for Kubernetes: kubectl lines and request lines read as the gateway reads requests", () => {
  it("kubectl lines", () => {
    expect(one("kubectl delete ns prod")).toMatchObject({ kind: "delete namespaces in prod (prod)", action: "review", rule: "ns-deletes-need-a-human" });
    expect(one("kubectl -n prod-eu delete deployment web")).toMatchObject({ kind: "delete deployments in prod-eu (web)", action: "deny", rule: "no-prod-deploy-deletes" });
    expect(one("kubectl delete deploy --all -n prod")).toMatchObject({ kind: "deletecollection deployments in prod", action: "deny" });
    expect(one("kubectl -n prod exec web -- sh -c 'rm -rf /'")).toMatchObject({ kind: "create pods/exec in prod (web)", action: "deny", rule: "no-exec-in-prod" });
    expect(one("kubectl exec web -n staging -- sh")).toMatchObject({ action: "allow" });
    expect(one("kubectl get secrets -n vault -w")).toMatchObject({ kind: "watch secrets in vault", action: "deny" });
    expect(one("kubectl get pods")).toMatchObject({ kind: "list pods", action: "allow" });
    expect(one("kubectl frobnicate")).toMatchObject({ kind: "unreadable", action: "deny" });
  });

  it("lines typed into an exec or attach shell, after a `$ ` prompt, judged as the gateway judges them", () => {
    expect(one("$ sudo rm -rf /var/lib/data")).toMatchObject({ kind: "typed in a shell: RM /VAR/LIB/DATA", action: "deny", rule: "no-rm" });
    expect(one("$ ls -l")).toMatchObject({ action: "allow", rule: null });
    const r = tryKubernetes(policy, who, "kubectl exec -it web -- sh\n$ rm -f /tmp/x");
    expect(r.parsed && r.verdict).toBe("deny");
    expect(r.parsed && r.explanation).toContain("the line never reaches the shell");
  });

  it("request lines, and the verdict of several", () => {
    expect(one("DELETE /api/v1/namespaces/prod")).toMatchObject({ kind: "delete namespaces in prod (prod)", action: "review" });
    expect(one("DELETE /apis/apps/v1/namespaces/prod/deployments/web")).toMatchObject({ action: "deny", rule: "no-prod-deploy-deletes" });
    expect(tryKubernetes(policy, who, "kubectl get pods\nkubectl delete ns prod").verdict).toBe("review");
  });

  it("the console's rule form keeps Kubernetes conditions through an edit", () => {
    expect(toPolicy(policy.defaultAction, policy.rules.map(toDraft))).toEqual(policy);
  });
});
