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

{{- define "clarion.image" -}}
{{- $variant := ternary "gpu" "cpu" .Values.gpu.enabled }}
{{- $tag := default (printf "%s-%s" .Chart.AppVersion $variant) .Values.image.tag }}
{{- printf "%s:%s" .Values.image.repository $tag }}
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
