{{- define "gatehouse.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "gatehouse.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "gatehouse.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "gatehouse.secretName" -}}
{{- default (include "gatehouse.fullname" .) .Values.existingSecret -}}
{{- end -}}

{{- define "gatehouse.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The environment the gateway and the console share: the database, the key, the console's address. */}}
{{- define "gatehouse.sharedEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef: { name: {{ include "gatehouse.secretName" . }}, key: DATABASE_URL }
- name: GATEHOUSE_SECRET_KEY
  valueFrom:
    secretKeyRef: { name: {{ include "gatehouse.secretName" . }}, key: GATEHOUSE_SECRET_KEY }
- name: GATEHOUSE_CONSOLE_URL
  value: {{ .Values.consoleUrl | quote }}
- name: GATEHOUSE_DATA_DIR
  value: /data
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}
