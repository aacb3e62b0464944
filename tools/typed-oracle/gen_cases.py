#!/usr/bin/env python3
"""The typed corpus: templates a sidecar-template author might write,
over Istio's template data (`SidecarTemplateData`) for a few of Istio's
test inputs. Each case names its data file instead of embedding it (the
files are a few KB each and shared by many cases).

    gen_cases.py cases OUT.jsonl              write the cases
    gen_cases.py batch CASES.jsonl DATA_DIR   the cases with their data, as
                                              the oracle reads them (stdout)

A case's name is `KIND/SLUG@DATA`: KIND groups the cases in
known_differences.txt, DATA is the data file's stem. Cases are
deterministic: no clock, no randomness, nothing that prints a pointer's
address (run.sh refuses results that contain one).
"""

import json
import re
import sys

# The data files (snapshots/tests/typed_corpus/data/NAME.json) and what
# each brings.
PRODUCTPAGE = "productpage"  # bookinfo pod: probes (port 8080, named port), resources, security contexts, init container, env, volumes
CREATED = "productpage-created"  # the same with a creation time and a proxy.istio.io/config annotation
NAMED_PORT = "named_port"  # Deployment whose readiness probe names its port
HELLO_PROBES = "hello-probes"  # Deployment with liveness and readiness probes on two containers
OVERRIDE = "proxy-override"  # Deployment with its own istio-proxy and istio-init: resources, lifecycle, security context
MULTI_INIT = "multi-init"  # several init containers
SECURITY = "explicit-security-context"  # explicit pod and container security contexts
USER_VOLUME = "user-volume"  # user volumes and mounts
ALL = [PRODUCTPAGE, CREATED, NAMED_PORT, HELLO_PROBES, OVERRIDE, MULTI_INIT, SECURITY, USER_VOLUME]
PODS = [PRODUCTPAGE, CREATED]
SOME = [PRODUCTPAGE, CREATED, OVERRIDE, HELLO_PROBES]

C0 = "(index .Spec.Containers 0)"

# (kind, templates, data sets). A template is a string, or (slug, string)
# when the template alone makes a poor name.
GROUPS = [
    # Issue 20's table, exactly.
    ("issue20", [
        "{{ .Spec.TerminationGracePeriodSeconds }}",
        "{{ (index .Spec.Containers 0).StartupProbe.HTTPGet.Port }}",
        "{{ (index .Spec.Containers 0).StartupProbe.HTTPGet }}",
        "{{ .ObjectMeta.GetNamespace }}",
        "{{ .ObjectMeta.CreationTimestamp.IsZero }}",
    ], PODS),
    # String() of the generated types: go-to-protobuf's `&Type{Field:value,}`
    # through addressable values (fields of the data, slice elements),
    # plain struct printing where the value is not addressable (map values).
    ("stringer", [
        "{{ .ObjectMeta }}",
        "{{ .TypeMeta }}",
        "{{ .DeploymentMeta }}",
        "{{ .Spec.SecurityContext }}",
        f"{{{{ {C0}.SecurityContext }}}}",
        f"{{{{ {C0}.SecurityContext.Capabilities }}}}",
        f"{{{{ {C0}.Resources }}}}",
        f"{{{{ {C0}.Resources.Limits }}}}",
        f"{{{{ {C0}.ReadinessProbe }}}}",
        f"{{{{ {C0}.ReadinessProbe.HTTPGet }}}}",
        f"{{{{ {C0}.LivenessProbe.HTTPGet.Port }}}}",
        f"{{{{ {C0}.ReadinessProbe.HTTPGet.Port }}}}",
        f"{{{{ {C0}.Ports }}}}",
        f"{{{{ index {C0}.Ports 0 }}}}",
        f"{{{{ range {C0}.Ports }}}}[{{{{ . }}}}]{{{{ end }}}}",
        f"{{{{ {C0}.VolumeMounts }}}}",
        f"{{{{ range {C0}.VolumeMounts }}}}{{{{ . }}}};{{{{ end }}}}",
        "{{ range .Spec.Volumes }}{{ .VolumeSource }};{{ end }}",
        "{{ index .Spec.Volumes 0 }}",
        "{{ range .Spec.InitContainers }}{{ .Resources }};{{ end }}",
        "{{ range .Spec.Tolerations }}{{ . }}{{ end }}",
        f"{{{{ index {C0}.Env 0 }}}}",
        f"{{{{ range {C0}.Env }}}}{{{{ .ValueFrom }}}};{{{{ end }}}}",
        "{{ .ObjectMeta.CreationTimestamp }}",
        "{{ .ObjectMeta.Labels }}",
        "{{ .ObjectMeta.Annotations }}",
        "{{ .ProxyConfig.InterceptionMode }}",
        "{{ .ProxyConfig.ControlPlaneAuthPolicy }}",
        "{{ .MeshConfig.IngressControllerMode }}",
        "{{ .MeshConfig.OutboundTrafficPolicy.Mode }}",
        "{{ .MeshConfig.DefaultConfig.ControlPlaneAuthPolicy }}",
        "{{ .ProxyConfig.ProxyMetadata }}",
        "{{ .Spec.DNSPolicy }} {{ .Spec.RestartPolicy }}",
        f"{{{{ {C0}.ImagePullPolicy }}}}",
    ], SOME),
    # Protobuf messages print through prototext (their String()); its
    # spacing is chosen per binary (see README.md), so only a few.
    ("stringer-proto", [
        "{{ .ProxyConfig.DrainDuration }}",
        "{{ .ProxyConfig.Concurrency }}",
        "{{ .ProxyConfig.HoldApplicationUntilProxyStarts }}",
        "{{ .MeshConfig.EnableAutoMtls }}",
        "{{ .MeshConfig.OutboundTrafficPolicy }}",
        "{{ .MeshConfig.LocalityLbSetting }}",
    ], PODS),
    # Niladic methods, callable as fields: metav1.Object's getters,
    # Quantity, IntOrString, Time, NamespacedName, protobuf getters.
    ("method", [
        "{{ .ObjectMeta.GetName }}",
        "{{ .ObjectMeta.GetNamespace }}",
        "{{ .ObjectMeta.GetGenerateName }}",
        "{{ .ObjectMeta.GetLabels }}",
        "{{ .ObjectMeta.GetLabels.app }}",
        "{{ .ObjectMeta.GetAnnotations }}",
        "{{ .ObjectMeta.GetUID }}",
        "{{ .ObjectMeta.GetResourceVersion }}",
        "{{ .ObjectMeta.GetGeneration }}",
        "{{ .ObjectMeta.GetFinalizers }}",
        "{{ .ObjectMeta.GetSelfLink }}",
        "{{ .ObjectMeta.GetCreationTimestamp }}",
        "{{ .ObjectMeta.GetDeletionTimestamp }}",
        "{{ .ObjectMeta.GetDeletionGracePeriodSeconds }}",
        "{{ len .ObjectMeta.GetOwnerReferences }}",
        "{{ .ObjectMeta.GetObjectMeta.GetName }}",
        "{{ .ObjectMeta.CreationTimestamp.IsZero }}",
        "{{ .ObjectMeta.CreationTimestamp.Unix }}",
        "{{ .ObjectMeta.CreationTimestamp.Year }}",
        "{{ .ObjectMeta.CreationTimestamp.UTC }}",
        '{{ .ObjectMeta.CreationTimestamp.Format "2006-01-02" }}',
        "{{ .ObjectMeta.CreationTimestamp.Rfc3339Copy }}",
        "{{ .ObjectMeta.DeletionTimestamp.IsZero }}",
        "{{ .TypeMeta.GetObjectKind.GroupVersionKind }}",
        "{{ .TypeMeta.GroupVersionKind.Kind }}",
        "{{ .TypeMeta.Size }}",
        "{{ .DeploymentMeta.String }}",
        f"{{{{ {C0}.Resources.Limits.Cpu }}}}",
        f"{{{{ {C0}.Resources.Limits.Cpu.String }}}}",
        f"{{{{ {C0}.Resources.Limits.Memory.Value }}}}",
        f"{{{{ {C0}.Resources.Limits.Cpu.MilliValue }}}}",
        f"{{{{ {C0}.Resources.Requests.Memory.IsZero }}}}",
        f"{{{{ {C0}.Resources.Requests.Cpu.AsApproximateFloat64 }}}}",
        f"{{{{ {C0}.Resources.Limits.Memory.Format }}}}",
        f"{{{{ {C0}.ReadinessProbe.HTTPGet.Port.IntValue }}}}",
        f"{{{{ {C0}.ReadinessProbe.HTTPGet.Port.String }}}}",
        f"{{{{ {C0}.ReadinessProbe.HTTPGet.Port.Type }}}}",
        f"{{{{ {C0}.ReadinessProbe.HTTPGet.Port.StrVal }}}}",
        f"{{{{ {C0}.LivenessProbe.HTTPGet.Port.IntValue }}}}",
        "{{ .ProxyConfig.GetDrainDuration.AsDuration }}",
        "{{ .ProxyConfig.GetTerminationDrainDuration.AsDuration.Seconds }}",
        "{{ .ProxyConfig.GetConcurrency.GetValue }}",
        "{{ .ProxyConfig.GetInterceptionMode.String }}",
        "{{ .ProxyConfig.InterceptionMode.Number }}",
        "{{ .ProxyConfig.GetServiceCluster }}",
        "{{ .ProxyConfig.GetHoldApplicationUntilProxyStarts.GetValue }}",
        "{{ .ProxyConfig.GetTracing.GetSampling }}",
        "{{ .ProxyConfig.GetTracing.GetZipkin.GetAddress }}",
        "{{ .MeshConfig.GetDefaultConfig.GetDiscoveryAddress }}",
        "{{ .MeshConfig.GetEnableAutoMtls.GetValue }}",
        "{{ .MeshConfig.GetTrustDomain }}",
        "{{ .MeshConfig.GetOutboundTrafficPolicy.GetMode.String }}",
        "{{ len .MeshConfig.GetExtensionProviders }}",
        "{{ range .MeshConfig.GetExtensionProviders }}{{ .GetName }},{{ end }}",
    ], SOME),
    # Pointer fields print what they point to; nil ones print <nil>.
    ("pointer", [
        "{{ .Spec.TerminationGracePeriodSeconds }}",
        "{{ .Spec.ActiveDeadlineSeconds }}",
        "{{ .Spec.EnableServiceLinks }}",
        "{{ .Spec.AutomountServiceAccountToken }}",
        "{{ .Spec.SecurityContext.FSGroup }}",
        "{{ .Spec.SecurityContext.RunAsGroup }}",
        f"{{{{ {C0}.SecurityContext.RunAsUser }}}}",
        f"{{{{ {C0}.SecurityContext.RunAsNonRoot }}}}",
        f"{{{{ {C0}.SecurityContext.AllowPrivilegeEscalation }}}}",
        f"{{{{ {C0}.SecurityContext.Privileged }}}}",
        "{{ range .Spec.Tolerations }}{{ .TolerationSeconds }}{{ end }}",
        "{{ range .Spec.Volumes }}{{ with .ConfigMap }}{{ .DefaultMode }}{{ end }}{{ end }}",
        "{{ with .Spec.TerminationGracePeriodSeconds }}{{ . }}{{ else }}unset{{ end }}",
        f"{{{{ with {C0}.SecurityContext }}}}{{{{ .RunAsUser }}}}{{{{ end }}}}",
        "{{ .ObjectMeta.DeletionGracePeriodSeconds }}",
        "{{ .ObjectMeta.DeletionTimestamp }}",
        "{{ .Spec.Affinity }}",
    ], SOME),
    # Nil pointers at every depth: Go's `nil pointer evaluating` errors.
    ("nil", [
        "{{ .Spec.Affinity.NodeAffinity }}",
        "{{ .Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution }}",
        "{{ .Spec.DNSConfig.Nameservers }}",
        "{{ .Spec.SecurityContext.SELinuxOptions.User }}",
        f"{{{{ {C0}.Lifecycle.PreStop.Exec.Command }}}}",
        f"{{{{ {C0}.StartupProbe.Exec.Command }}}}",
        f"{{{{ {C0}.StartupProbe.HTTPGet.Path }}}}",
        f"{{{{ {C0}.ReadinessProbe.TCPSocket.Port }}}}",
        f"{{{{ {C0}.SecurityContext.SeccompProfile.Type }}}}",
        "{{ .MeshConfig.DefaultConfig.Tracing.Zipkin.Address }}",
        "{{ .ProxyConfig.Tracing.Zipkin.Address }}",
        "{{ .ProxyConfig.Concurrency.Value }}",
        "{{ .ProxyConfig.HoldApplicationUntilProxyStarts.Value }}",
        "{{ .ObjectMeta.DeletionTimestamp.Time }}",
        "{{ .ObjectMeta.DeletionTimestamp.Unix }}",
        "{{ range .Spec.Volumes }}{{ .Secret.SecretName }};{{ end }}",
    ], SOME),
    # Fields the types lack: Go's `can't evaluate field` errors.
    ("missing", [
        "{{ .Spec.Containerz }}",
        "{{ .ObjectMeta.Nmae }}",
        "{{ .ObjectMeta.GetNmae }}",
        "{{ .ObjectMeta.name }}",
        "{{ .TypeMeta.Kindd }}",
        "{{ .DeploymentMeta.Name.Length }}",
        f"{{{{ {C0}.Resources.Limits.cpu }}}}",
        f"{{{{ {C0}.Ports.ContainerPort }}}}",
        "{{ .ProxyConfig.drainDuration }}",
        "{{ .ProxyConfig.DrainDuration.Nanoseconds }}",
        "{{ .MeshConfig.Nope }}",
        "{{ .ObjectMeta.CreationTimestamp.Nope }}",
        "{{ .Values.global.nope }}",
        "{{ .ProxyUID.Value }}",
        "{{ .ObjectMeta.Labels.nope }}",
        "{{ .ObjectMeta.GetName.Nope }}",
    ], [PRODUCTPAGE, OVERRIDE]),
    # Maps of typed values: ResourceList (Quantity values), labels.
    ("map", [
        f"{{{{ range $k, $v := {C0}.Resources.Limits }}}}{{{{ $k }}}}={{{{ $v }}}};{{{{ end }}}}",
        f"{{{{ range $k, $v := {C0}.Resources.Requests }}}}{{{{ $k }}}}={{{{ $v.String }}}};{{{{ end }}}}",
        f"{{{{ range {C0}.Resources.Limits }}}}{{{{ .Value }}}};{{{{ end }}}}",
        f"{{{{ range $k, $v := {C0}.Resources.Limits }}}}{{{{ printf \"%T\" $k }}}}{{{{ end }}}}",
        f'{{{{ index {C0}.Resources.Limits "cpu" }}}}',
        "{{ range $k, $v := .ObjectMeta.Labels }}{{ $k }}:{{ $v }} {{ end }}",
        "{{ range $k, $v := .ObjectMeta.Annotations }}{{ $k }};{{ end }}",
        "{{ range $k, $v := .ProxyConfig.ProxyMetadata }}{{ $k }}={{ $v }};{{ end }}",
        "{{ range $k, $v := .Values.global.proxy }}{{ $k }};{{ end }}",
        "{{ .ObjectMeta.Labels.app }}",
    ], SOME),
    # Ranges over typed slices.
    ("range", [
        "{{ range .Spec.Containers }}{{ .Name }};{{ end }}",
        "{{ range $i, $c := .Spec.Containers }}{{ $i }}={{ $c.Image }};{{ end }}",
        "{{ range .Spec.Containers }}{{ range .Ports }}{{ .ContainerPort }}/{{ .Protocol }} {{ end }}{{ end }}",
        "{{ range .Spec.InitContainers }}{{ .Name }}:{{ .Image }};{{ end }}",
        "{{ range .Spec.Volumes }}{{ .Name }};{{ end }}",
        "{{ range .Spec.Containers }}{{ range .VolumeMounts }}{{ .MountPath }}{{ if .ReadOnly }}(ro){{ end }};{{ end }}{{ end }}",
        "{{ range .Spec.Containers }}{{ with .ReadinessProbe }}{{ .PeriodSeconds }}{{ end }};{{ end }}",
        "{{ range .Spec.Containers }}{{ .Args }};{{ end }}",
        "{{ range .Spec.Containers }}{{ range .Env }}{{ .Name }};{{ end }}{{ end }}",
        "{{ range .ObjectMeta.OwnerReferences }}{{ .Kind }}/{{ .Name }} {{ .Controller }};{{ end }}",
        "{{ range .MeshConfig.ExtensionProviders }}{{ .Name }};{{ end }}",
        "{{ range .Spec.Containers }}{{ else }}none{{ end }}",
        "{{ range .Spec.EphemeralContainers }}x{{ else }}none{{ end }}",
        "{{ range $i, $p := (index .Spec.Containers 0).Ports }}{{ $i }}:{{ $p.Name }} {{ end }}",
    ], ALL),
    # Comparisons on typed values (int32, named strings, enums, pointers).
    ("compare", [
        '{{ eq .TypeMeta.Kind "Deployment" }}',
        f"{{{{ eq (index {C0}.Ports 0).ContainerPort 9080 }}}}",
        f"{{{{ lt (index {C0}.Ports 0).ContainerPort 10000 }}}}",
        f'{{{{ eq (index {C0}.Ports 0).Protocol "TCP" }}}}',
        '{{ ne .ObjectMeta.Namespace "default" }}',
        "{{ lt .ProxyUID .ProxyGID }}",
        "{{ eq .ProxyUID 1337 }}",
        "{{ eq .ProxyConfig.InterceptionMode 0 }}",
        '{{ eq .ProxyConfig.InterceptionMode "REDIRECT" }}',
        '{{ eq .ProxyConfig.InterceptionMode.String "REDIRECT" }}',
        "{{ eq .Spec.TerminationGracePeriodSeconds 30 }}",
        "{{ eq .Spec.SecurityContext .Spec.SecurityContext }}",
        "{{ eq .DeploymentMeta .DeploymentMeta }}",
        f"{{{{ eq {C0}.ReadinessProbe.HTTPGet.Port.IntValue 9080 }}}}",
        f'{{{{ eq {C0}.ImagePullPolicy "IfNotPresent" }}}}',
        f"{{{{ lt {C0}.Resources.Limits.Cpu.MilliValue 1000 }}}}",
        '{{ eq .DeploymentMeta.Namespace .ObjectMeta.Namespace }}',
        "{{ eq .NativeSidecars true }}",
        "{{ gt (len .Spec.Containers) 1 }}",
    ], SOME),
    # printf verbs on typed values.
    ("printf", [
        f'{{{{ printf "%v" {C0}.Ports }}}}',
        f'{{{{ printf "%+v" {C0}.Ports }}}}',
        f'{{{{ printf "%v" (index {C0}.Ports 0) }}}}',
        f'{{{{ printf "%d" (index {C0}.Ports 0).ContainerPort }}}}',
        f'{{{{ printf "%q" {C0}.Name }}}}',
        f'{{{{ printf "%s" {C0}.ImagePullPolicy }}}}',
        '{{ printf "%s" .ObjectMeta.Labels }}',
        '{{ printf "%v" .DeploymentMeta }}',
        '{{ printf "%+v" .DeploymentMeta }}',
        '{{ printf "%s" .DeploymentMeta }}',
        '{{ printf "%q" .DeploymentMeta }}',
        '{{ printf "%+v" .TypeMeta }}',
        '{{ printf "%v" .ProxyConfig.InterceptionMode }}',
        '{{ printf "%d" .ProxyConfig.InterceptionMode }}',
        '{{ printf "%q" .ProxyConfig.InterceptionMode }}',
        '{{ printf "%v" .ObjectMeta.CreationTimestamp }}',
        '{{ printf "%s" .ObjectMeta.CreationTimestamp }}',
        '{{ printf "%v" .Spec.SecurityContext }}',
        f'{{{{ printf "%v" {C0}.Resources.Limits.Cpu }}}}',
        f'{{{{ printf "%s" {C0}.Resources.Limits.Cpu }}}}',
        f'{{{{ printf "%v" {C0}.ReadinessProbe.HTTPGet.Port }}}}',
        f'{{{{ printf "%d" {C0}.ReadinessProbe.HTTPGet.Port.IntValue }}}}',
        f'{{{{ printf "%s" {C0}.ReadinessProbe.HTTPGet }}}}',
        '{{ printf "%T" .Spec }}',
        '{{ printf "%T" .ObjectMeta }}',
        '{{ printf "%T" .ProxyConfig }}',
        '{{ printf "%T" .MeshConfig.DefaultConfig.DrainDuration }}',
        '{{ printf "%T" .Spec.TerminationGracePeriodSeconds }}',
        '{{ printf "%T" .ObjectMeta.CreationTimestamp }}',
        '{{ printf "%T" .Values }}',
        '{{ printf "%T" .Values.global }}',
        f'{{{{ printf "%T" {C0}.Resources.Limits }}}}',
        f'{{{{ printf "%T" {C0}.ReadinessProbe.HTTPGet.Port }}}}',
        '{{ printf "%T" .ProxyConfig.InterceptionMode }}',
        '{{ printf "%T" .DeploymentMeta }}',
        '{{ printf "%T" .Spec.Containers }}',
        '{{ printf "%T" .ObjectMeta.Labels }}',
        '{{ printf "%T" .ProxyUID }}',
        '{{ printf "%T" .ObjectMeta.GetLabels }}',
        '{{ printf "%T %T" .ObjectMeta.UID .Spec.DNSPolicy }}',
    ], SOME),
    # JSON and YAML of typed values: the types' own MarshalJSON
    # (Quantity, IntOrString, Time, the mesh config's jsonpb).
    ("json", [
        "{{ toJson .ObjectMeta }}",
        "{{ toJson .TypeMeta }}",
        "{{ toJson .DeploymentMeta }}",
        "{{ toJson .Spec.SecurityContext }}",
        f"{{{{ toJson {C0}.Resources }}}}",
        f"{{{{ toJson {C0}.ReadinessProbe }}}}",
        f"{{{{ toJson {C0}.Ports }}}}",
        f"{{{{ toJson {C0}.Resources.Limits.Cpu }}}}",
        f"{{{{ toJson {C0}.ReadinessProbe.HTTPGet.Port }}}}",
        "{{ toJson .ObjectMeta.CreationTimestamp }}",
        "{{ toJson .Spec.TerminationGracePeriodSeconds }}",
        "{{ toJson .Spec.Volumes }}",
        "{{ toJson .Spec.InitContainers }}",
        "{{ toJson .ProxyConfig }}",
        "{{ toJson .ProxyConfig.DrainDuration }}",
        "{{ toJson .ProxyConfig.Concurrency }}",
        "{{ toJson .ProxyConfig.InterceptionMode }}",
        "{{ toJson .MeshConfig.DefaultConfig }}",
        "{{ toJson .MeshConfig.OutboundTrafficPolicy }}",
        "{{ toJson .MeshConfig.ExtensionProviders }}",
        "{{ toPrettyJson .ObjectMeta.Labels }}",
        f"{{{{ toPrettyJson {C0}.Ports }}}}",
        f"{{{{ toPrettyJson {C0}.SecurityContext }}}}",
        "{{ toPrettyJson .DeploymentMeta }}",
        "{{ toPrettyJson .ProxyConfig }}",
        "{{ toRawJson .ObjectMeta.Annotations }}",
        "{{ toYaml .Spec.SecurityContext }}",
        f"{{{{ toYaml {C0}.Resources }}}}",
        f"{{{{ toYaml {C0}.ReadinessProbe }}}}",
        "{{ toYaml .ObjectMeta }}",
        "{{ toYaml .ProxyConfig }}",
        "{{ toYaml .MeshConfig.DefaultConfig.DrainDuration }}",
        "{{ toYaml .Spec.Volumes }}",
        "{{ toJSON .ObjectMeta.Annotations }}",
        "{{ toJSON .ObjectMeta.Labels }}",
        "{{ structToJSON .Spec.Volumes }}",
        "{{ structToJSON .ObjectMeta }}",
        "{{ protoToJSON .ProxyConfig }}",
        "{{ protoToJSON .MeshConfig.DefaultConfig }}",
        "{{ toJsonMap .ObjectMeta.Labels .ObjectMeta.Annotations }}",
        "{{ formatDuration .ProxyConfig.DrainDuration }}",
        "{{ formatDuration .ProxyConfig.TerminationDrainDuration }}",
        '{{ annotation .ObjectMeta "prometheus.io/port" "15020" }}',
        "{{ includeInboundPorts .Spec.Containers }}",
        "{{ applicationPorts .Spec.Containers }}",
    ], SOME),
    # index into typed slices and maps.
    ("index", [
        "{{ (index .Spec.Containers 0).Name }}",
        "{{ index .Spec.Containers 5 }}",
        "{{ index .Spec.Containers -1 }}",
        '{{ index .ObjectMeta.Labels "app" }}',
        '{{ index .ObjectMeta.Annotations "missing" }}',
        '{{ index .Values "global" "hub" }}',
        '{{ index .Values "global" "proxy" "image" }}',
        '{{ index .ProxyConfig.ProxyMetadata "NOPE" }}',
        f"{{{{ (index {C0}.Ports 0).Name }}}}",
        f"{{{{ index {C0}.Args 0 }}}}",
        f'{{{{ index {C0}.Resources.Limits "memory" }}}}',
        "{{ (index .MeshConfig.ExtensionProviders 0).Name }}",
        "{{ index .Spec.Containers 0 | printf \"%T\" }}",
        '{{ index .ObjectMeta "Name" }}',
        "{{ (index .Spec.InitContainers 0).Name }}",
    ], SOME),
    ("len", [
        "{{ len .Spec.Containers }}",
        "{{ len .Spec.InitContainers }}",
        "{{ len .ObjectMeta.Labels }}",
        "{{ len .ObjectMeta.Annotations }}",
        f"{{{{ len {C0}.Resources.Limits }}}}",
        "{{ len .ObjectMeta.Name }}",
        "{{ len .Spec }}",
        "{{ len .Spec.TerminationGracePeriodSeconds }}",
        "{{ len .MeshConfig.ExtensionProviders }}",
        "{{ len .ProxyConfig.ProxyMetadata }}",
        "{{ len .Values.global }}",
        "{{ len .DeploymentMeta.Name }}",
    ], SOME),
    # Method calls in more shapes: `.String` on generated types and nil
    # pointers, values methods make (Rfc3339Copy, GroupVersionKind,
    # AsDuration), `eq` between pointers, defaults of absent quantities,
    # and argument counts.
    ("calls", [
        f"{{{{ {C0}.Resources.String }}}}",
        "{{ .Spec.SecurityContext.String }}",
        "{{ .TypeMeta.String }}",
        "{{ .ObjectMeta.DeletionTimestamp.Rfc3339Copy }}",
        '{{ printf "%T" .ObjectMeta.CreationTimestamp.Rfc3339Copy }}',
        "{{ toJson .ObjectMeta.CreationTimestamp.Rfc3339Copy }}",
        "{{ .TypeMeta.GroupVersionKind }}",
        "{{ .ProxyConfig.GetDrainDuration.AsDuration.Minutes }}",
        f"{{{{ eq {C0}.SecurityContext {C0}.SecurityContext }}}}",
        "{{ range .Spec.Containers }}{{ eq .SecurityContext $.Spec.SecurityContext }} {{ end }}",
        "{{ range $i, $c := .Spec.Containers }}{{ eq $c.SecurityContext (index $.Spec.Containers 0).SecurityContext }} {{ end }}",
        f"{{{{ {C0}.Resources.Limits.Memory.Format }}}} {{{{ {C0}.Resources.Requests.Cpu.Format }}}}",
        '{{ .ObjectMeta.GetCreationTimestamp.Format "2006-01-02" }}',
        "{{ .ObjectMeta.CreationTimestamp.Format }}",
        "{{ .ObjectMeta.GetName 1 }}",
        "{{ (index .Spec.Containers 0).Ports }}",
        # Function results are copies: not addressable.
        "{{ default .ObjectMeta .TypeMeta }}",
        f"{{{{ (first .Spec.Containers).Resources }}}}",
        f"{{{{ $c := index .Spec.Containers 0 }}}}{{{{ $c.Resources }}}}",
        "{{ range .Spec.Containers }}{{ .Resources }}{{ end }}",
    ], ALL),
    # Addressability (`reflect.Value.CanAddr`): the methods of a pointer
    # type are a value's only when Go can take its address. Fields,
    # pointers, slice elements, variables and `index`/`and`/`or` results
    # keep it; function results through an interface, map values and
    # getter results are copies, and so are the fields of a copy.
    ("address", [
        "{{ index .Spec.Containers 0 }}",
        "{{ (first .Spec.Containers).ReadinessProbe.HTTPGet }}",
        "{{ (first .Spec.Containers).Resources.Limits.Cpu }}",
        "{{ (first .Spec.Containers).Resources.String }}",
        "{{ $c := first .Spec.Containers }}{{ $c.Resources }}",
        "{{ with first .Spec.Containers }}{{ .Resources }}{{ end }}",
        "{{ .ObjectMeta.GetCreationTimestamp.IsZero }}",
        "{{ .ObjectMeta.GetCreationTimestamp.Unix }}",
        "{{ .ObjectMeta.GetCreationTimestamp }}",
        "{{ (default .ObjectMeta .ObjectMeta).GetNamespace }}",
        "{{ (and .ObjectMeta).GetNamespace }}",
        "{{ or .TypeMeta }}",
        "{{ $m := .ObjectMeta }}{{ $m.GetNamespace }}",
        "{{ range $k, $v := (index .Spec.Containers 0).Resources.Limits }}{{ $k }}={{ $v }} {{ end }}",
        "{{ range $k, $v := (index .Spec.Containers 0).Resources.Limits }}{{ $v.String }} {{ end }}",
        "{{ (index .Spec.Containers 0).Resources.Limits.cpu.Format }}",
        "{{ (first .Spec.Containers).ReadinessProbe.HTTPGet.Port }}",
        "{{ (first .Spec.Containers).Ports }}",
        "{{ toJson (first .Spec.Containers).Resources }}",
    ], SOME),
    # Truthiness of typed structs, pointers, slices, maps, enums.
    ("truth", [
        "{{ if .Spec.SecurityContext }}y{{ else }}n{{ end }}",
        "{{ if .Spec.InitContainers }}y{{ else }}n{{ end }}",
        "{{ with .Spec.Affinity }}y{{ else }}n{{ end }}",
        "{{ if .ObjectMeta }}y{{ else }}n{{ end }}",
        "{{ if .ObjectMeta.CreationTimestamp }}y{{ else }}n{{ end }}",
        "{{ if .ProxyConfig }}y{{ else }}n{{ end }}",
        "{{ if .ProxyConfig.Concurrency }}y{{ else }}n{{ end }}",
        "{{ if .ProxyConfig.InterceptionMode }}y{{ else }}n{{ end }}",
        f"{{{{ with {C0}.Resources.Limits }}}}y{{{{ else }}}}n{{{{ end }}}}",
        f"{{{{ with {C0}.Resources.Requests.Cpu }}}}y{{{{ else }}}}n{{{{ end }}}}",
        "{{ if .Spec.Volumes }}y{{ else }}n{{ end }}",
        "{{ if .Spec.TerminationGracePeriodSeconds }}y{{ else }}n{{ end }}",
        "{{ if .DeploymentMeta }}y{{ else }}n{{ end }}",
        "{{ if not .Spec.HostNetwork }}y{{ else }}n{{ end }}",
        "{{ and .Spec.SecurityContext .Spec.SecurityContext.RunAsUser }}",
        '{{ or .Spec.Affinity "none" }}',
        "{{ if .ObjectMeta.DeletionTimestamp }}y{{ else }}n{{ end }}",
        "{{ if .Spec.Tolerations }}y{{ else }}n{{ end }}",
        f"{{{{ if {C0}.StartupProbe }}}}y{{{{ else }}}}n{{{{ end }}}}",
        "{{ if .MeshConfig.DefaultConfig.Tracing }}y{{ else }}n{{ end }}",
        "{{ with .ObjectMeta.OwnerReferences }}{{ len . }}{{ else }}n{{ end }}",
    ], SOME),
]


def slug(template):
    """A short readable name for a template."""
    s = template.replace("(index .Spec.Containers 0)", "c0")
    s = re.sub(r"[{}]+", " ", s)
    s = re.sub(r"[^A-Za-z0-9.$%+\-\"]+", " ", s).strip()
    s = s.replace('"', "'")
    return re.sub(r"\s+", " ", s)[:70]


def cases():
    out, seen = [], set()
    for kind, templates, datasets in GROUPS:
        for template in templates:
            name_part, text = template if isinstance(template, tuple) else (slug(template), template)
            for data in datasets:
                name = f"{kind}/{name_part}@{data}"
                n, i = name, 2
                while n in seen:
                    n, i = f"{name}#{i}", i + 1
                seen.add(n)
                out.append({"name": n, "template": text, "data_file": data, "typed": True, "sprig": True,
                            "funcs": "istio"})
    return out


def main(argv):
    if len(argv) == 2 and argv[0] == "cases":
        with open(argv[1], "w") as f:
            for c in cases():
                f.write(json.dumps(c, ensure_ascii=False) + "\n")
    elif len(argv) == 3 and argv[0] == "batch":
        data = {}
        with open(argv[1]) as f:
            for line in f:
                c = json.loads(line)
                stem = c.pop("data_file")
                if stem not in data:
                    with open(f"{argv[2]}/{stem}.json") as d:
                        data[stem] = json.load(d)
                c["data"] = data[stem]
                sys.stdout.write(json.dumps(c, ensure_ascii=False) + "\n")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
