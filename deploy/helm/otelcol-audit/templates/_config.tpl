{{/*
Collector configuration of one role. Pass (dict "ctx" $ "role" "gateway").
  gateway:  receivers -> audit_normalizer -> audit_loki; no report state.
  reporter: audit_reporter reading Loki (source: loki); its own audit events -> audit_loki.
  single:   both in one process, reports read from the spool that audit_report fills.
Secrets are ${env:...} references to the Secret.
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
    {{- if $ingest }}
    admission:
      max_in_flight_bytes: 33554432
    {{- end }}
  {{- if $v.secrets.lokiTokenKey }}
  bearertokenauth/loki:
    token: ${env:OTELCOL_AUDIT_LOKI_TOKEN}
  {{- end }}
  {{- if $reports }}
  audit_events:
  # The report engine: scheduled reports, download links and the export API.
  audit_reporter:
    directory: /var/lib/otelcol-audit/reporter
    source:
      {{- if eq $role "reporter" }}
      # Every event is read back from Loki, where the gateways push. The delivery ledger is in
      # Loki too (the "Report delivered" events below), so a lost volume sends nothing twice.
      loki:
        endpoint: {{ $v.reporter.loki.endpoint | default $v.loki.endpoint | quote }}
        {{- if $v.secrets.lokiTokenKey }}
        auth: {authenticator: bearertokenauth/loki}
        {{- end }}
        settle_delay: {{ $v.reporter.loki.settleDelay | quote }}
        page_size: {{ $v.reporter.loki.pageSize | int }}
        {{- with $v.reporter.loki.retention }}
        retention: {{ . | quote }}
        {{- end }}
      {{- else }}
      # The spool that the audit_report exporter below fills.
      spool:
        directory: /var/lib/otelcol-audit/audit_report
      {{- end }}
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
  {{- if $ingest }}
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:4317
        auth: {authenticator: audit_auth}
        max_recv_msg_size_mib: 4
        max_concurrent_streams: 16
      http:
        endpoint: 0.0.0.0:4318
        auth: {authenticator: audit_auth}
        middlewares: [{id: audit_auth}]
        max_request_body_size: 4194304
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
        {{- if $ingest }}
        flush_timeout: 1s
        sizer: bytes
        min_size: 4194304
        max_size: 8388608
        {{- else }}
        # A few events a period: each delivery event reaches Loki, the shared ledger, promptly.
        flush_timeout: 200ms
        {{- end }}
    retry_on_failure:
      max_elapsed_time: 0s
  {{- if eq $role "single" }}
  # Stores every normalised event in the spool that audit_reporter opened and reports from.
  audit_report:
    reporter: audit_reporter
  {{- end }}

service:
  extensions:
    - health_check
    - audit_auth
    - file_storage/queue
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
    logs:
      {{- if eq $role "gateway" }}
      receivers: [otlp, audit_webhook]
      processors: [memory_limiter, audit_normalizer]
      exporters: [audit_loki]
      {{- else if eq $role "single" }}
      receivers: [otlp, audit_webhook, audit_events]
      processors: [memory_limiter, audit_normalizer]
      exporters: [audit_loki, audit_report]
      {{- else }}
      # The reporter's own audit-of-audit events (report deliveries, exports).
      receivers: [audit_events]
      processors: [memory_limiter, audit_normalizer]
      exporters: [audit_loki]
      {{- end }}
{{- end }}
