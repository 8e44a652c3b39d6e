{{/*
Collector configuration of one role: gateway, reporter or single.
Pass (dict "ctx" $ "role" "gateway"). Secrets are ${env:...} references to the Secret.
*/}}
{{- define "otelcol-audit.config" -}}
{{- $v := .ctx.Values -}}
{{- $role := .role -}}
{{- $reports := ne $role "gateway" -}}
{{- $ingest := ne $role "reporter" -}}
extensions:
  health_check:
    endpoint: 0.0.0.0:13133
  file_storage/queue:
    directory: /var/lib/otelcol-audit/queue
    create_directory: true
  audit_auth:
    tokens:
      - name: admin
        token: ${env:OTELCOL_AUDIT_TOKEN}
        tenants: ["*"]
        default_tenant: {{ $v.defaultTenant | quote }}
    {{- if $v.secrets.tokensFileKey }}
    tokens_file: /etc/otelcol-audit/secrets/tokens.yaml
    {{- end }}
    admission:
      max_in_flight_bytes: 33554432
  {{- if eq $role "gateway" }}
  # The gateways forward to the reporter with the operator token.
  bearertokenauth/reporter:
    token: ${env:OTELCOL_AUDIT_TOKEN}
  {{- end }}
  {{- if $v.secrets.lokiTokenKey }}
  bearertokenauth/loki:
    token: ${env:OTELCOL_AUDIT_LOKI_TOKEN}
  {{- end }}
  {{- if $reports }}
  audit_events:
  # The report engine: scheduled reports, download links and the export API, read from the
  # spool that the audit_report exporter writes.
  audit_reporter:
    directory: /var/lib/otelcol-audit/reporter
    source:
      spool:
        directory: /var/lib/otelcol-audit/audit_report
    audit_events: audit_events
    {{- with $v.reports.schedules }}
    reports:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    {{- if $v.reports.smtp.endpoint }}
    smtp:
      endpoint: {{ $v.reports.smtp.endpoint | quote }}
      tls: {{ $v.reports.smtp.tls | quote }}
      {{- with $v.reports.smtp.username }}
      username: {{ . | quote }}
      password: ${env:OTELCOL_AUDIT_SMTP_PASSWORD}
      {{- end }}
      {{- with $v.reports.smtp.from }}
      from: {{ . | quote }}
      {{- end }}
    {{- end }}
    links:
      server:
        endpoint: 0.0.0.0:8089
      public_url: {{ $v.reports.publicURL | quote }}
      keys:
        current: ${env:OTELCOL_AUDIT_LINK_KEY}
      current_key: current
    {{- if $v.reports.exports.enabled }}
    exports:
      auth:
        authenticator: audit_auth
      {{- with $v.reports.exports.notifyDomains }}
      notify_domains:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
  {{- end }}

receivers:
  otlp:
    protocols:
      {{- if $ingest }}
      grpc:
        endpoint: 0.0.0.0:4317
        auth: {authenticator: audit_auth}
        max_recv_msg_size_mib: 4
        max_concurrent_streams: 16
      {{- end }}
      http:
        endpoint: 0.0.0.0:4318
        auth: {authenticator: audit_auth}
        middlewares: [{id: audit_auth}]
        max_request_body_size: 4194304
  {{- if $ingest }}
  # Events belong to the authenticating token's default tenant.
  audit_webhook:
    server:
      endpoint: 0.0.0.0:8088
      auth: {authenticator: audit_auth}
      middlewares: [{id: audit_auth}]
      max_request_body_size: 4194304
  {{- end }}
  {{- if $reports }}
  audit_events:
    extension: audit_events
  {{- end }}

processors:
  memory_limiter:
    check_interval: 1s
    limit_percentage: {{ $v.memoryLimitPercentage }}
    spike_limit_percentage: 20
  audit_normalizer:
    default_tenant: {{ $v.defaultTenant | quote }}
    trust_payload_tenant: false

exporters:
  audit_loki:
    endpoint: {{ $v.loki.endpoint | quote }}
    {{- if $v.secrets.lokiTokenKey }}
    auth: {authenticator: bearertokenauth/loki}
    {{- end }}
    tenant:
      mode: per_record
    line_format: text
    dead_letter:
      path: /var/lib/otelcol-audit/audit_loki_dead_letter.jsonl
    sending_queue:
      storage: file_storage/queue
      sizer: bytes
      queue_size: {{ $v.loki.queueBytes | int64 }}
      batch:
        flush_timeout: 1s
        sizer: bytes
        min_size: 4194304
        max_size: 8388608
    retry_on_failure:
      max_elapsed_time: 0s
  {{- if eq $role "gateway" }}
  # Every normalised event also goes to the reporter's spool, through a persistent queue.
  otlp_http/reporter:
    endpoint: {{ include "otelcol-audit.reporterEndpoint" .ctx }}
    auth: {authenticator: bearertokenauth/reporter}
    sending_queue:
      storage: file_storage/queue
      sizer: bytes
      queue_size: {{ $v.loki.queueBytes | int64 }}
    retry_on_failure:
      max_elapsed_time: 0s
  {{- end }}
  {{- if $reports }}
  # Stores every normalised event in the spool that audit_reporter opened and reports from.
  audit_report:
    reporter: audit_reporter
  {{- end }}

service:
  extensions:
    - health_check
    - audit_auth
    - file_storage/queue
    {{- if eq $role "gateway" }}
    - bearertokenauth/reporter
    {{- end }}
    {{- if $v.secrets.lokiTokenKey }}
    - bearertokenauth/loki
    {{- end }}
    {{- if $reports }}
    - audit_events
    - audit_reporter
    {{- end }}
  telemetry:
    metrics:
      readers:
        - pull:
            exporter:
              prometheus:
                host: 0.0.0.0
                port: 8888
                without_type_suffix: false
                without_units: false
  pipelines:
    {{- if eq $role "gateway" }}
    logs:
      receivers: [otlp, audit_webhook]
      processors: [memory_limiter, audit_normalizer]
      exporters: [audit_loki, otlp_http/reporter]
    {{- else if eq $role "single" }}
    logs:
      receivers: [otlp, audit_webhook, audit_events]
      processors: [memory_limiter, audit_normalizer]
      exporters: [audit_loki, audit_report]
    {{- else }}
    # Events from the gateways are normalised already: normalising them again would count
    # them twice in the audit metrics.
    logs/forwarded:
      receivers: [otlp]
      processors: [memory_limiter]
      exporters: [audit_report]
    # The reporter's own audit-of-audit events (report deliveries, exports).
    logs/audit_events:
      receivers: [audit_events]
      processors: [memory_limiter, audit_normalizer]
      exporters: [audit_loki, audit_report]
    {{- end }}
{{- end }}
