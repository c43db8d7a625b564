{{/* Names, labels and derived values shared by the templates. */}}

{{- define "clarion.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "clarion.fullname" -}}
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

{{- define "clarion.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "clarion.selectorLabels" -}}
app.kubernetes.io/name: {{ include "clarion.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "clarion.labels" -}}
helm.sh/chart: {{ include "clarion.chart" . }}
{{ include "clarion.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "clarion.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "clarion.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* image.variant (cpu, gpu, torch-cpu, torch-gpu; empty: gpu or cpu after gpu.enabled) is
the tag's suffix; a GPU variant without gpu.enabled would have no GPU to run on. */}}
{{- define "clarion.image" -}}
{{- $variant := default (ternary "gpu" "cpu" .Values.gpu.enabled) .Values.image.variant }}
{{- if and (hasSuffix "gpu" $variant) (not .Values.gpu.enabled) }}
{{- fail (printf "image.variant %s needs gpu.enabled=true" $variant) }}
{{- end }}
{{- $tag := default (printf "%s-%s" .Chart.AppVersion $variant) .Values.image.tag }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}

{{/* The container's environment, shared by the Deployment and the Knative Service. */}}
{{- define "clarion.env" -}}
- name: CLARION_HOST
  value: "0.0.0.0"
- name: CLARION_PORT
  value: "8000"
- name: CLARION_MODELS_DIR
  value: /models
- name: CLARION_DATA_DIR
  value: /data
- name: CLARION_ENGINES
  value: {{ toJson .Values.clarion.engines | quote }}
- name: CLARION_DEVICE
  value: {{ ternary "cuda" "cpu" .Values.gpu.enabled | quote }}
- name: CLARION_ISOLATION
  value: {{ .Values.clarion.isolation | quote }}
{{- if .Values.gpu.enabled }}
- name: CLARION_CUDNN_BENCHMARK
  value: {{ .Values.clarion.cuda.cudnnBenchmark | quote }}
{{- with .Values.clarion.cuda.moduleLoading }}
- name: CLARION_CUDA_MODULE_LOADING
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- range $engine, $options := .Values.clarion.engineOptions }}
{{- range $option, $value := $options }}
- name: {{ printf "CLARION_ENGINE_OPTIONS__%s__%s" $engine $option | upper }}
  value: {{ ternary $value (toJson $value) (kindIs "string" $value) | quote }}
{{- end }}
{{- end }}
- name: CLARION_LOG_LEVEL
  value: {{ .Values.clarion.logLevel | quote }}
- name: CLARION_SHUTDOWN_GRACE_S
  value: {{ .Values.clarion.shutdownGraceSeconds | quote }}
{{- if include "clarion.apiKeysSecret" . }}
- name: CLARION_API_KEYS_FILE
  value: /run/secrets/clarion/{{ .Values.apiKeys.secretKey }}
{{- end }}
{{- range $name, $value := .Values.clarion.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}

{{/* The Secret holding API keys, or nothing when the server runs without keys. */}}
{{- define "clarion.apiKeysSecret" -}}
{{- if .Values.apiKeys.existingSecret }}
{{- .Values.apiKeys.existingSecret }}
{{- else if .Values.apiKeys.keys }}
{{- printf "%s-api-keys" (include "clarion.fullname" .) }}
{{- end }}
{{- end }}

{{- define "clarion.modelsClaim" -}}
{{- if .Values.models.pvc.create }}
{{- printf "%s-models" (include "clarion.fullname" .) }}
{{- else }}
{{- required "models.pvc.existingClaim is required when models.pvc.create is false" .Values.models.pvc.existingClaim }}
{{- end }}
{{- end }}

{{/* preStop sleep + Clarion's own drain + a margin for the process to exit. */}}
{{- define "clarion.terminationGracePeriod" -}}
{{- add (int .Values.lifecycle.preStopSleepSeconds) (ceil .Values.clarion.shutdownGraceSeconds | int) 5 }}
{{- end }}
