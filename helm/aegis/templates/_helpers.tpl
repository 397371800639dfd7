{{/*
Names and labels.
*/}}
{{- define "aegis.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "aegis.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "aegis.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Common labels. Call with (dict "root" $ "component" "ingress"). */}}
{{- define "aegis.labels" -}}
helm.sh/chart: {{ include "aegis.chart" .root }}
{{ include "aegis.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: aegis
{{- end -}}

{{- define "aegis.selectorLabels" -}}
app.kubernetes.io/name: {{ include "aegis.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/*
The six services and what each needs. The single source for every per-component template:
  values:     key of the component's values section
  grpcPort:   container port (docs/conventions.md: ingress 50051, ledger 50052, health 50055)
  database:   reads AEGIS_DATABASE_URL          model:      mounts the model (AEGIS_MODEL_DIR)
  inference:  runs the model, may use GPUs      nodeKeys:   reads AEGIS_NODE_KEY_FILE
  controlKey: reads AEGIS_CONTROL_KEY_FILE      controlAddress: checks beacons (AEGIS_CONTROL_ADDRESS)
  ledgerClient: calls the StakeLedger gRPC (AEGIS_LEDGER_URL)
  auditSecret: reads AEGIS_AUDIT_SECRET
  tallierClient: asks the tallier's SubmissionQuery (AEGIS_TALLIER_URL)
*/}}
{{- define "aegis.components" -}}
ingress:
  values: ingress
  grpcPort: 50051
  database: true
  model: true
  ledgerClient: true
inference-worker:
  values: inferenceWorker
  grpcPort: 50055
  model: true
  inference: true
  nodeKeys: true
  ledgerClient: true
verifier:
  values: verifier
  grpcPort: 50055
  model: true
  inference: true
  nodeKeys: true
  controlAddress: true
pow-checker:
  values: powChecker
  grpcPort: 50055
  model: true
  inference: true
  controlAddress: true
  auditSecret: true
  tallierClient: true
tallier:
  values: tallier
  grpcPort: 50055
  database: true
  controlKey: true
ledger:
  values: ledger
  grpcPort: 50052
  database: true
{{- end -}}

{{/* Name of a component's resources. Call with (dict "root" $ "component" "ingress"). */}}
{{- define "aegis.componentName" -}}
{{- printf "%s-%s" (include "aegis.fullname" .root | trunc 45 | trimSuffix "-") .component -}}
{{- end -}}

{{- define "aegis.serviceAccountName" -}}
{{- $v := index .root.Values (index (include "aegis.components" .root | fromYaml) .component).values -}}
{{- if $v.serviceAccount.create -}}
{{- default (include "aegis.componentName" .) $v.serviceAccount.name -}}
{{- else -}}
{{- default "default" $v.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Image of a component: tag defaults to appVersion, "-cuda" appended for GPU pods. Call with (dict "root" $ "v" $values). */}}
{{- define "aegis.image" -}}
{{- $gpu := and (hasKey .v "gpu") .v.gpu.enabled -}}
{{- $tag := .v.image.tag | default (printf "%s%s" .root.Chart.AppVersion (ternary "-cuda" "" $gpu)) -}}
{{- printf "%s:%s" .v.image.repository $tag -}}
{{- end -}}

{{/* Kafka bootstrap list. */}}
{{- define "aegis.kafkaBrokers" -}}
{{- if .Values.kafka.enabled -}}
{{- printf "%s:9092" (include "aegis.componentName" (dict "root" . "component" "kafka")) -}}
{{- else -}}
{{- required "externalKafka.brokers is required when kafka.enabled is false" .Values.externalKafka.brokers -}}
{{- end -}}
{{- end -}}

{{/*
Environment shared by every container that talks to Kafka; credentials only through secretKeyRef.
*/}}
{{- define "aegis.kafkaEnv" -}}
- name: AEGIS_KAFKA_BROKERS
  value: {{ include "aegis.kafkaBrokers" . | quote }}
{{- with .Values.kafkaConsumer }}
{{- if gt (int .fetchMinBytes) 0 }}
- name: AEGIS_KAFKA_FETCH_MIN_BYTES
  value: {{ int .fetchMinBytes | toString | quote }}
{{- end }}
{{- if gt (int .fetchMaxWaitMs) 0 }}
- name: AEGIS_KAFKA_FETCH_MAX_WAIT_MS
  value: {{ int .fetchMaxWaitMs | toString | quote }}
{{- end }}
{{- end }}
{{- if not .Values.kafka.enabled }}
{{- if .Values.externalKafka.tls }}
- name: AEGIS_KAFKA_SSL
  value: "true"
{{- end }}
{{- with .Values.externalKafka.sasl }}
{{- if .mechanism }}
- name: AEGIS_KAFKA_SASL_MECHANISM
  value: {{ .mechanism | quote }}
- name: AEGIS_KAFKA_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ required "externalKafka.sasl.existingSecret is required when externalKafka.sasl.mechanism is set" .existingSecret }}
      key: {{ .usernameKey }}
- name: AEGIS_KAFKA_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .passwordKey }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
AEGIS_DATABASE_URL without the password ever leaving a Secret: the password comes in through
secretKeyRef and Kubernetes expands $(AEGIS_DATABASE_PASSWORD) inside the URL at container start.
*/}}
{{- define "aegis.databaseEnv" -}}
{{- if .Values.postgresql.enabled }}
- name: AEGIS_DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "aegis.postgresqlSecret" . }}
      key: password
- name: AEGIS_DATABASE_URL
  value: {{ printf "postgres://%s:$(AEGIS_DATABASE_PASSWORD)@%s:5432/%s?sslmode=disable" .Values.postgresql.auth.username (include "aegis.componentName" (dict "root" . "component" "postgresql")) .Values.postgresql.auth.database | quote }}
{{- else }}
{{- with .Values.externalDatabase }}
{{- $secret := required "externalDatabase.existingSecret is required when postgresql.enabled is false" .existingSecret }}
{{- if .urlKey }}
- name: AEGIS_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ .urlKey }}
{{- else }}
- name: AEGIS_DATABASE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ .passwordKey }}
- name: AEGIS_DATABASE_URL
  value: {{ printf "postgres://%s:$(AEGIS_DATABASE_PASSWORD)@%s:%d/%s?sslmode=%s" (urlquery .user) .host (int .port) .database .sslmode | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{- define "aegis.nodeKeysSecret" -}}
{{- if .Values.nodeKeys.existingSecret -}}
{{- .Values.nodeKeys.existingSecret -}}
{{- else if .Values.nodeKeys.generate.enabled -}}
{{- printf "%s-node-keys" (include "aegis.fullname" .) -}}
{{- else -}}
{{- fail "nodeKeys.existingSecret is required when nodeKeys.generate.enabled is false" -}}
{{- end -}}
{{- end -}}

{{- define "aegis.postgresqlSecret" -}}
{{- .Values.postgresql.auth.existingSecret | default (printf "%s-postgresql" (include "aegis.fullname" .)) -}}
{{- end -}}

{{- define "aegis.auditSecret" -}}
{{- .Values.auditSecret.existingSecret | default (printf "%s-audit-secret" (include "aegis.fullname" .)) -}}
{{- end -}}

{{- define "aegis.clientKeySecret" -}}
{{- .Values.clientKey.existingSecret | default (printf "%s-client-key" (include "aegis.fullname" .)) -}}
{{- end -}}

{{/* host:port of a component's Service. Call with (dict "root" $ "component" "ledger"). */}}
{{- define "aegis.serviceAddress" -}}
{{- $spec := index (include "aegis.components" .root | fromYaml) .component -}}
{{- printf "%s:%d" (include "aegis.componentName" .) (int (index .root.Values $spec.values).service.port) -}}
{{- end -}}

{{- define "aegis.controlKeySecret" -}}
{{- if .Values.controlKey.existingSecret -}}
{{- .Values.controlKey.existingSecret -}}
{{- else if .Values.controlKey.generate.enabled -}}
{{- printf "%s-control-key" (include "aegis.fullname" .) -}}
{{- else -}}
{{- fail "controlKey.existingSecret is required when controlKey.generate.enabled is false" -}}
{{- end -}}
{{- end -}}

{{/*
A random secp256k1 private key: sha256 of 32 bytes from crypto/rand (sprig randBytes). The
result is below the group order with probability 1 - 2^-128, the same odds as any key generator
that rejection-samples, so no retry loop is needed.
*/}}
{{- define "aegis.randomKey" -}}
{{- printf "0x%s" (randBytes 32 | sha256sum) -}}
{{- end -}}

{{/* Probe block: the values minus `enabled`, plus the gRPC health check on the service port. */}}
{{- define "aegis.probe" -}}
{{- $probe := omit .probe "enabled" -}}
{{- $_ := set $probe "grpc" (dict "port" (int .port)) -}}
{{- toYaml $probe -}}
{{- end -}}

{{/* Pod-level scheduling of a component, GPU node selection and tolerations merged in. */}}
{{- define "aegis.scheduling" -}}
{{- $gpu := and (hasKey .v "gpu") .v.gpu.enabled -}}
{{- $nodeSelector := .v.nodeSelector -}}
{{- $tolerations := .v.tolerations -}}
{{- if $gpu }}
{{- $nodeSelector = merge (dict) .v.nodeSelector .v.gpu.nodeSelector -}}
{{- $tolerations = concat .v.tolerations .v.gpu.tolerations -}}
{{- end }}
{{- with $nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if .v.affinity }}
affinity:
  {{- toYaml .v.affinity | nindent 2 }}
{{- else }}
affinity:
  podAntiAffinity:
    preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          topologyKey: kubernetes.io/hostname
          labelSelector:
            matchLabels:
              {{- include "aegis.selectorLabels" (dict "root" .root "component" .component) | nindent 14 }}
{{- end }}
{{- end -}}

{{/* Whether KEDA owns a component's replicas. */}}
{{- define "aegis.kedaEnabled" -}}
{{- if and (hasKey .v "keda") .v.keda.enabled -}}true{{- end -}}
{{- end -}}

{{/* NetworkPolicy egress rules. */}}
{{- define "aegis.egressDns" -}}
- to:
    - namespaceSelector: {}
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - port: {{ .Values.networkPolicy.dnsPort }}
      protocol: UDP
    - port: {{ .Values.networkPolicy.dnsPort }}
      protocol: TCP
{{- end -}}

{{- define "aegis.egressKafka" -}}
{{- if .Values.kafka.enabled }}
- to:
    - podSelector:
        matchLabels:
          {{- include "aegis.selectorLabels" (dict "root" . "component" "kafka") | nindent 10 }}
  ports:
    - port: 9092
      protocol: TCP
{{- else }}
- ports:
    - port: {{ .Values.externalKafka.port }}
      protocol: TCP
  {{- with .Values.networkPolicy.kafkaPeers }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end -}}

{{- define "aegis.egressDatabase" -}}
{{- if .Values.postgresql.enabled }}
- to:
    - podSelector:
        matchLabels:
          {{- include "aegis.selectorLabels" (dict "root" . "component" "postgresql") | nindent 10 }}
  ports:
    - port: 5432
      protocol: TCP
{{- else }}
- ports:
    - port: {{ .Values.externalDatabase.port }}
      protocol: TCP
  {{- with .Values.networkPolicy.databasePeers }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
{{- end -}}
