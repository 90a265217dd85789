/**
 * Manifests the Kubernetes tests create with `kubectl create -f -` / `apply -f -`. (kubectl's typed
 * generators, `kubectl create namespace|secret|deployment`, send protobuf, which the stand-in API
 * server does not read; manifests go as JSON, as they do to any server.)
 */
export const namespace = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;

export const secret = (ns: string, name: string, data: Record<string, string>) =>
  `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${ns}\nstringData:\n${Object.entries(data)
    .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)
    .join("\n")}\n`;

export const configMap = (ns: string, name: string, data: Record<string, string>) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${ns}\ndata:\n${Object.entries(data)
    .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)
    .join("\n")}\n`;

export const deployment = (ns: string, name: string, replicas = 1) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers: [{name: ${name}, image: "nginx:1.27"}]
`;

export const pod = (ns: string, name: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  containers: [{name: main, image: "busybox:1.36"}]
`;

export const all = (...docs: string[]) => docs.join("---\n");
