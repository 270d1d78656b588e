{{/*
Names, labels and the catalog of services shared by every template.
*/}}

{{/* The chart's name, shortened to fit a DNS label. */}}
{{- define "regal-sync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The prefix of every resource name: <release>-<chart> unless overridden. */}}
{{- define "regal-sync.fullname" -}}
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

{{/*
The facts about each service that are not tunable: the Python module the
container runs, its process name (used as app.kubernetes.io/name), its
port, its gRPC service name for the health probes, and which other
services may call it (the NetworkPolicies follow this list, which follows
docs/ARCHITECTURE: the ingress calls everyone, every service calls mapping).
*/}}
{{- define "regal-sync.catalog" -}}
ingress:
  module: ingress_gateway
  process: ingress-gateway
  component: edge
  protocol: http
  port: 8080
  callers: []
mapping:
  module: mapping_service
  process: mapping-service
  component: backend
  protocol: grpc
  port: 50061
  grpcService: regalsync.mapping.v1.MappingService
  callers: [ingress, matcher, publisher, writer]
matcher:
  module: matcher_service
  process: matcher-service
  component: backend
  protocol: grpc
  port: 50062
  grpcService: regalsync.matcher.v1.MatcherService
  callers: [ingress]
publisher:
  module: regal_publisher
  process: regal-publisher
  component: backend
  protocol: grpc
  port: 50063
  grpcService: regalsync.publisher.v1.RegalPublisher
  callers: [ingress]
writer:
  module: salesforce_writer
  process: salesforce-writer
  component: backend
  protocol: grpc
  port: 50064
  grpcService: regalsync.writer.v1.SalesforceWriter
  callers: [ingress]
{{- end -}}

{{/* The name of one component's resources: <fullname>-<key>. */}}
{{- define "regal-sync.componentName" -}}
{{- printf "%s-%s" (include "regal-sync.fullname" .root) .key | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Selector labels: name and instance only, so they never change between
upgrades (a Deployment's selector is immutable). Call with
(dict "root" $ "name" "<app name>").
*/}}
{{- define "regal-sync.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* Every label of a resource. Call with (dict "root" $ "name" ... "component" ...). */}}
{{- define "regal-sync.labels" -}}
{{ include "regal-sync.selectorLabels" . }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: {{ include "regal-sync.name" .root }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The app name of pods that run the regal-sync CLI (jobs, cron jobs). */}}
{{- define "regal-sync.cliName" -}}regal-sync-cli{{- end -}}

{{/* The app name of the chart test pod. */}}
{{- define "regal-sync.testName" -}}regal-sync-test{{- end -}}

{{/* The image reference: a digest pins it, else the tag or appVersion. */}}
{{- define "regal-sync.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* In-cluster address of a gRPC service, through its headless Service so
the client balances over every replica (round_robin in channels.py). */}}
{{- define "regal-sync.grpcAddress" -}}
{{- $catalog := include "regal-sync.catalog" .root | fromYaml -}}
{{- printf "dns:///%s-headless.%s.svc:%v" (include "regal-sync.componentName" .) .root.Release.Namespace (index $catalog .key "port") -}}
{{- end -}}

{{/* Pod-level security context shared by every pod of the chart. */}}
{{- define "regal-sync.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container security context shared by every container of the chart. */}}
{{- define "regal-sync.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: {{ .Values.readOnlyRootFilesystem }}
capabilities:
  drop: [ALL]
{{- end -}}

{{/* Pod spec fields every pod of the chart shares. */}}
{{- define "regal-sync.podCommon" -}}
automountServiceAccountToken: false
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
securityContext:
  {{- include "regal-sync.podSecurityContext" . | nindent 2 }}
{{- end -}}

{{/* Environment every regal-sync process needs besides the ConfigMap: the
storage URL, from a Secret for PostgreSQL. */}}
{{- define "regal-sync.storageEnv" -}}
{{- if eq .Values.storage.type "postgresql" -}}
- name: REGALSYNC_STORAGE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.storage.postgresql.existingSecret }}
      key: {{ .Values.storage.postgresql.secretKey }}
{{- end }}
{{- end -}}

{{/* The admin token of mapping-service and of the CLI, from a Secret. */}}
{{- define "regal-sync.adminTokenEnv" -}}
{{- with .Values.adminToken.existingSecret -}}
- name: REGALSYNC_ADMIN_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ $.Values.adminToken.secretKey }}
{{- end }}
{{- end -}}

{{/* Volumes every regal-sync pod mounts: /tmp, the state directory, and
the optional secrets and CA bundle. */}}
{{- define "regal-sync.volumes" -}}
- name: tmp
  emptyDir: {}
- name: state
{{- if eq .Values.storage.type "sqlite" }}
  persistentVolumeClaim:
    claimName: {{ include "regal-sync.fullname" . }}-state
{{- else }}
  emptyDir: {}
{{- end }}
{{- with .Values.secretsSecret }}
- name: tenant-secrets
  secret:
    secretName: {{ . }}
{{- end }}
{{- with .Values.salesforce.caBundleConfigMap }}
- name: salesforce-ca
  configMap:
    name: {{ . }}
{{- end }}
{{- end -}}

{{- define "regal-sync.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: state
  mountPath: /var/lib/regal-sync
{{- if .Values.secretsSecret }}
- name: tenant-secrets
  mountPath: /var/run/secrets/regal-sync
  readOnly: true
{{- end }}
{{- if .Values.salesforce.caBundleConfigMap }}
- name: salesforce-ca
  mountPath: /etc/regal-sync/salesforce-ca
  readOnly: true
{{- end }}
{{- end -}}

{{/* The checksum that rolls every pod when the configuration changes. */}}
{{- define "regal-sync.configChecksum" -}}
{{- include (print .Template.BasePath "/configmap.yaml") . | sha256sum -}}
{{- end -}}

{{/*
The pod template of a one-off regal-sync CLI run (hooks and cron jobs).
Call with (dict "root" $ "command" (list ...) "tenants" true|false).
*/}}
{{- define "regal-sync.cliPod" -}}
{{- $root := .root -}}
metadata:
  labels:
    {{- include "regal-sync.labels" (dict "root" $root "name" (include "regal-sync.cliName" $root) "component" "cli") | nindent 4 }}
  annotations:
    checksum/config: {{ include "regal-sync.configChecksum" $root }}
spec:
  {{- include "regal-sync.podCommon" $root | nindent 2 }}
  restartPolicy: Never
  containers:
    - name: regal-sync
      image: {{ include "regal-sync.image" $root }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      args:
        {{- toYaml .command | nindent 8 }}
      securityContext:
        {{- include "regal-sync.containerSecurityContext" $root | nindent 8 }}
      envFrom:
        - configMapRef:
            name: {{ include "regal-sync.fullname" $root }}-config
      {{- $env := printf "%s\n%s" (include "regal-sync.storageEnv" $root) (include "regal-sync.adminTokenEnv" $root) | trim }}
      {{- with $env }}
      env:
        {{- . | nindent 8 }}
      {{- end }}
      resources:
        requests: {cpu: 50m, memory: 128Mi}
        limits: {memory: 256Mi}
      volumeMounts:
        {{- include "regal-sync.volumeMounts" $root | nindent 8 }}
        {{- if .tenants }}
        - name: tenants
          mountPath: /etc/regal-sync/tenants
          readOnly: true
        {{- end }}
  volumes:
    {{- include "regal-sync.volumes" $root | nindent 4 }}
    {{- if .tenants }}
    - name: tenants
      configMap:
        name: {{ include "regal-sync.fullname" $root }}-tenants
    {{- end }}
{{- end -}}
