{{/*
Pod template of one role. Pass (dict "ctx" $ "role" "gateway" "cfg" .Values.gateway "dataVolume" "emptyDir").
dataVolume: emptyDir mounts an emptyDir as the state directory; pvc expects a volume claim
template named "data" in the workload.
*/}}
{{- define "otelcol-audit.podTemplate" -}}
{{- $ctx := .ctx -}}
{{- $v := $ctx.Values -}}
{{- $cfg := .cfg -}}
metadata:
  labels:
    {{- include "otelcol-audit.podLabels" (dict "ctx" $ctx "role" .role) | nindent 4 }}
  annotations:
    checksum/config: {{ include "otelcol-audit.config" (dict "ctx" $ctx "role" .role) | sha256sum }}
    {{- with $cfg.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "otelcol-audit.serviceAccountName" $ctx }}
  automountServiceAccountToken: false
  {{- with $v.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml $v.podSecurityContext | nindent 4 }}
  # Lets the persistent queue, the spool and the ledger flush and close on shutdown.
  terminationGracePeriodSeconds: 60
  containers:
    - name: otelcol-audit
      image: {{ include "otelcol-audit.image" $ctx }}
      imagePullPolicy: {{ $v.image.pullPolicy }}
      args: ["--config", "/etc/otelcol-audit/config.yaml"]
      env:
        {{- include "otelcol-audit.env" (dict "ctx" $ctx "role" .role) | nindent 8 }}
      ports:
        {{- if ne .role "reporter" }}
        - {name: otlp-grpc, containerPort: 4317, protocol: TCP}
        - {name: otlp-http, containerPort: 4318, protocol: TCP}
        - {name: webhooks, containerPort: 8088, protocol: TCP}
        {{- end }}
        {{- if ne .role "gateway" }}
        - {name: exports, containerPort: 8089, protocol: TCP}
        {{- end }}
        - {name: metrics, containerPort: 8888, protocol: TCP}
        - {name: health, containerPort: 13133, protocol: TCP}
      {{- include "otelcol-audit.probes" $ctx | nindent 6 }}
      resources:
        {{- toYaml $cfg.resources | nindent 8 }}
      securityContext:
        {{- toYaml $v.securityContext | nindent 8 }}
      volumeMounts:
        - {name: config, mountPath: /etc/otelcol-audit/config.yaml, subPath: config.yaml, readOnly: true}
        - {name: data, mountPath: /var/lib/otelcol-audit}
        - {name: tmp, mountPath: /tmp}
        {{- if $v.secrets.tokensFileKey }}
        - {name: tokens, mountPath: /etc/otelcol-audit/secrets, readOnly: true}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "otelcol-audit.fullname" $ctx }}-{{ .role }}
    - name: tmp
      emptyDir: {}
    {{- if eq .dataVolume "emptyDir" }}
    - name: data
      emptyDir: {}
    {{- end }}
    {{- if $v.secrets.tokensFileKey }}
    - name: tokens
      secret:
        secretName: {{ $v.secrets.existingSecret }}
        items:
          - {key: {{ $v.secrets.tokensFileKey }}, path: tokens.yaml}
    {{- end }}
  {{- with $cfg.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $cfg.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $cfg.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $cfg.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* A volume claim template named data. Pass the persistence values. */}}
{{- define "otelcol-audit.dataClaim" -}}
- metadata:
    name: data
  spec:
    accessModes: [ReadWriteOnce]
    {{- with .storageClassName }}
    storageClassName: {{ . | quote }}
    {{- end }}
    resources:
      requests:
        storage: {{ .size }}
{{- end }}
