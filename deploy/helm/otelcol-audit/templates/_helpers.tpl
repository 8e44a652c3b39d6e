{{- define "otelcol-audit.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "otelcol-audit.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "otelcol-audit.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "otelcol-audit.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of one role: pass (dict "ctx" $ "role" "gateway"). */}}
{{- define "otelcol-audit.selectorLabels" -}}
app.kubernetes.io/name: {{ include "otelcol-audit.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end }}

{{/* Labels of a role's pods: the selector labels and the common ones. */}}
{{- define "otelcol-audit.podLabels" -}}
{{ include "otelcol-audit.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end }}

{{- define "otelcol-audit.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "otelcol-audit.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "otelcol-audit.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "otelcol-audit.validate" -}}
{{- if not (has .Values.mode (list "gateway" "single")) }}
{{- fail (printf "mode: must be gateway or single, got %q" .Values.mode) }}
{{- end }}
{{- if not (has .Values.gateway.queue.persistence (list "emptyDir" "pvc")) }}
{{- fail (printf "gateway.queue.persistence: must be emptyDir or pvc, got %q" .Values.gateway.queue.persistence) }}
{{- end }}
{{- if not .Values.secrets.existingSecret }}
{{- fail "secrets.existingSecret: name the Secret holding the token and the link key" }}
{{- end }}
{{- if and .Values.reports.smtp.endpoint (not .Values.secrets.smtpPasswordKey) .Values.reports.smtp.username }}
{{- fail "secrets.smtpPasswordKey: reports.smtp.username is set, so the Secret must hold the SMTP password" }}
{{- end }}
{{- end }}

{{/*
Environment of a collector container: the secrets, by key, from the existing Secret.
Pass (dict "ctx" $ "role" "gateway").
*/}}
{{- define "otelcol-audit.env" -}}
{{- $v := .ctx.Values -}}
- name: OTELCOL_AUDIT_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ $v.secrets.existingSecret }}
      key: {{ $v.secrets.tokenKey }}
{{- if ne .role "gateway" }}
- name: OTELCOL_AUDIT_LINK_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $v.secrets.existingSecret }}
      key: {{ $v.secrets.linkKeyKey }}
{{- if and $v.reports.smtp.endpoint $v.secrets.smtpPasswordKey }}
- name: OTELCOL_AUDIT_SMTP_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $v.secrets.existingSecret }}
      key: {{ $v.secrets.smtpPasswordKey }}
{{- end }}
{{- end }}
{{- if $v.secrets.lokiTokenKey }}
- name: OTELCOL_AUDIT_LOKI_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ $v.secrets.existingSecret }}
      key: {{ $v.secrets.lokiTokenKey }}
{{- end }}
{{- end }}

{{/* Probes on the health_check extension. */}}
{{- define "otelcol-audit.probes" -}}
livenessProbe:
  httpGet:
    path: /
    port: health
  initialDelaySeconds: 10
  periodSeconds: 10
readinessProbe:
  httpGet:
    path: /
    port: health
  periodSeconds: 5
{{- end }}
