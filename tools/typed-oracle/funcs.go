package main

// Istio's InjectionFuncmap (istio/istio pkg/kube/inject/template.go) over
// the real types, written from its behaviour; adapted from the stand-in
// harness bench/istio/harness/funcs.go, with Istio's exact semantics where
// that harness simplifies (env, omitNil, cleanProxyConfig).

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"text/template"

	"github.com/golang/protobuf/jsonpb"
	legacyproto "github.com/golang/protobuf/proto"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	meshconfig "istio.io/api/mesh/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

func injectionFuncmap() template.FuncMap {
	return template.FuncMap{
		"formatDuration":         func(d *durationpb.Duration) string { return d.AsDuration().String() },
		"isset":                  isset,
		"excludeInboundPort":     excludeInboundPort,
		"includeInboundPorts":    includeInboundPorts,
		"kubevirtInterfaces":     func(s string) string { return s },
		"excludeInterfaces":      func(s string) string { return s },
		"applicationPorts":       applicationPorts,
		"annotation":             annotation,
		"valueOrDefault":         valueOrDefault,
		"toJSON":                 toJSON,
		"fromJSON":               fromJSON,
		"structToJSON":           structToJSON,
		"protoToJSON":            protoToJSON,
		"toYaml":                 toYaml,
		"indent":                 indent,
		"directory":              func(p string) string { dir, _ := path.Split(p); return dir },
		"contains":               func(needle, haystack string) bool { return strings.Contains(haystack, needle) },
		"toLower":                strings.ToLower,
		"appendMultusNetwork":    appendMultusNetwork,
		"env":                    env,
		"omit":                   omit,
		"strdict":                strdict,
		"toJsonMap":              toJSONMap,
		"mergeMaps":              mergeMaps,
		"omitNil":                omitNil,
		"otelResourceAttributes": otelResourceAttributes,
	}
}

// env is Istio's: an empty variable counts as unset.
func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func isset(m map[string]string, key string) bool {
	_, ok := m[key]
	return ok
}

func annotation(meta metav1.ObjectMeta, name string, defaultValue any) string {
	value, ok := meta.Annotations[name]
	if !ok {
		value = fmt.Sprint(defaultValue)
	}
	return value
}

func valueOrDefault(value, defaultValue any) any {
	if value == "" || value == nil {
		return defaultValue
	}
	return value
}

func excludeInboundPort(port any, excluded string) string {
	portStr := strings.TrimSpace(fmt.Sprint(port))
	if portStr == "" || portStr == "0" {
		return excluded
	}
	var kept []string
	for _, p := range strings.Split(excluded, ",") {
		if p == portStr {
			return excluded
		}
		if p = strings.TrimSpace(p); p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(append(kept, portStr), ",")
}

// containerPorts lists the TCP ports of the containers `include` keeps.
func containerPorts(containers []corev1.Container, include func(corev1.Container) bool) string {
	ports := []string{}
	for _, c := range containers {
		if !include(c) {
			continue
		}
		for _, p := range c.Ports {
			if p.Protocol == corev1.ProtocolUDP || p.Protocol == corev1.ProtocolSCTP {
				continue
			}
			ports = append(ports, strconv.Itoa(int(p.ContainerPort)))
		}
	}
	return strings.Join(ports, ",")
}

func includeInboundPorts(containers []corev1.Container) string {
	return containerPorts(containers, func(corev1.Container) bool { return true })
}

func applicationPorts(containers []corev1.Container) string {
	return containerPorts(containers, func(c corev1.Container) bool { return c.Name != "istio-proxy" })
}

func toJSON(m map[string]string) string {
	if m == nil {
		return "{}"
	}
	ba, err := json.Marshal(m)
	if err != nil {
		return "{}"
	}
	return string(ba)
}

func fromJSON(j string) any {
	var m any
	if err := json.Unmarshal([]byte(j), &m); err != nil {
		return "{}"
	}
	return m
}

func structToJSON(v any) string {
	if v == nil {
		return "{}"
	}
	ba, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(ba)
}

// protoToJSON is Istio's: a proxy config without the fields equal to
// mesh.DefaultProxyConfig(), then jsonpb with default options
// (protomarshal.ToJSON).
func protoToJSON(v proto.Message) string {
	v = cleanProxyConfig(v)
	if v == nil {
		return "{}"
	}
	s, err := (&jsonpb.Marshaler{}).MarshalToString(legacyproto.MessageV1(v))
	if err != nil {
		return "{}"
	}
	return s
}

// The values of mesh.DefaultProxyConfig() that cleanProxyConfig compares
// with (istio/istio pkg/config/mesh/mesh.go).
const (
	defaultConfigPath       = "./etc/istio/proxy"
	defaultBinaryPath       = "/usr/local/bin/envoy"
	defaultServiceCluster   = "istio-proxy"
	defaultDiscoveryAddress = "istiod.istio-system.svc:15012"
	defaultProxyAdminPort   = 15000
	defaultStatNameLength   = 189
	defaultStatusPort       = 15020
)

func cleanProxyConfig(msg proto.Message) proto.Message {
	original, ok := msg.(*meshconfig.ProxyConfig)
	if !ok || original == nil {
		return msg
	}
	pc := proto.Clone(original).(*meshconfig.ProxyConfig)
	if pc.ConfigPath == defaultConfigPath {
		pc.ConfigPath = ""
	}
	if pc.BinaryPath == defaultBinaryPath {
		pc.BinaryPath = ""
	}
	if pc.ControlPlaneAuthPolicy == meshconfig.AuthenticationPolicy_MUTUAL_TLS {
		pc.ControlPlaneAuthPolicy = 0
	}
	if x, ok := pc.GetClusterName().(*meshconfig.ProxyConfig_ServiceCluster); ok && x.ServiceCluster == defaultServiceCluster {
		pc.ClusterName = nil
	}
	if proto.Equal(pc.DrainDuration, durationpb.New(45e9)) {
		pc.DrainDuration = nil
	}
	if proto.Equal(pc.TerminationDrainDuration, durationpb.New(5e9)) {
		pc.TerminationDrainDuration = nil
	}
	if pc.DiscoveryAddress == defaultDiscoveryAddress {
		pc.DiscoveryAddress = ""
	}
	// Istio also compares EnvoyMetricsService, EnvoyAccessLogService,
	// Tracing and Concurrency with the defaults, which leave them nil:
	// proto.Equal holds only when they are nil already, so nothing changes.
	if pc.ProxyAdminPort == defaultProxyAdminPort {
		pc.ProxyAdminPort = 0
	}
	if pc.StatNameLength == defaultStatNameLength {
		pc.StatNameLength = 0
	}
	if pc.StatusPort == defaultStatusPort {
		pc.StatusPort = 0
	}
	if len(pc.ProxyMetadata) == 0 {
		pc.ProxyMetadata = nil
	}
	return pc
}

// toYaml is Istio's: sigs.k8s.io/yaml.Marshal (JSON, so the types' own
// MarshalJSON, then YAML); "" on error.
func toYaml(value any) string {
	y, err := yaml.Marshal(value)
	if err != nil {
		return ""
	}
	return string(y)
}

func indent(spaces int, source string) string {
	lines := strings.Split(source, "\n")
	for i, line := range lines {
		if i > 0 {
			lines[i] = fmt.Sprintf(fmt.Sprintf("%% %ds%%s", spaces), "", line)
		}
	}
	return strings.Join(lines, "\n")
}

// splitQualifiedName is k8s.io/utils/strings.SplitQualifiedName:
// "ns/name" into its parts, "name" into "" and itself.
func splitQualifiedName(s string) (string, string) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 {
		return "", s
	}
	return parts[0], parts[1]
}

func appendMultusNetwork(existing, network string) string {
	if existing == "" {
		return network
	}
	i := strings.LastIndex(existing, "]")
	if i != -1 {
		networks := []map[string]any{}
		if err := json.Unmarshal([]byte(existing), &networks); err != nil {
			return existing
		}
		ns, name := splitQualifiedName(network)
		for _, n := range networks {
			if n["name"] == name {
				have := n["namespace"]
				if have == nil {
					have = ""
				}
				if have == ns {
					return existing
				}
			}
		}
		entry := fmt.Sprintf(`, {"name": "%s"}`, name)
		if ns != "" {
			entry = fmt.Sprintf(`, {"name": "%s", "namespace": "%s"}`, name, ns)
		}
		return existing[:i] + entry + existing[i:]
	}
	for _, n := range strings.Split(existing, ",") {
		if strings.TrimSpace(n) == network {
			return existing
		}
	}
	return existing + ", " + network
}

func omit(dict map[string]string, keys ...string) map[string]string {
	drop := map[string]bool{}
	for _, k := range keys {
		drop[k] = true
	}
	res := map[string]string{}
	for k, v := range dict {
		if !drop[k] {
			res[k] = v
		}
	}
	return res
}

func strdict(v ...string) map[string]string {
	dict := map[string]string{}
	for i := 0; i < len(v); i += 2 {
		if i+1 >= len(v) {
			dict[v[i]] = ""
			continue
		}
		dict[v[i]] = v[i+1]
	}
	return dict
}

func mergeMaps(maps ...map[string]string) map[string]string {
	if len(maps) == 0 {
		return nil
	}
	res := make(map[string]string, len(maps[0]))
	for _, m := range maps {
		for k, v := range m {
			res[k] = v
		}
	}
	return res
}

func toJSONMap(maps ...map[string]string) string {
	data, err := json.Marshal(mergeMaps(maps...))
	if err != nil {
		return ""
	}
	return string(data)
}

// omitNil drops nils from map[string]any and []any values, recursively;
// a container left empty by that becomes nil, one without nils is
// returned as it is.
func omitNil(v any) any {
	res, _ := omitNilChanged(v)
	return res
}

func omitNilChanged(v any) (any, bool) {
	if v == nil {
		return nil, true
	}
	switch v := v.(type) {
	case map[string]any:
		for _, item := range v {
			if _, changed := omitNilChanged(item); changed {
				out := make(map[string]any, len(v))
				for k, item := range v {
					if kept := omitNil(item); kept != nil {
						out[k] = kept
					}
				}
				if len(out) == 0 {
					return nil, true
				}
				return out, true
			}
		}
		return v, false
	case []any:
		for i, item := range v {
			if _, changed := omitNilChanged(item); changed {
				out := append([]any{}, v[:i]...)
				for _, item := range v[i:] {
					if kept := omitNil(item); kept != nil {
						out = append(out, kept)
					}
				}
				if len(out) == 0 {
					return nil, true
				}
				return out, true
			}
		}
		return v, false
	}
	return v, false
}

func otelResourceAttributes(mc *meshconfig.MeshConfig, annotations, labels map[string]string, namespace string,
	containers []corev1.Container,
) string {
	enabled := false
	for _, p := range mc.GetExtensionProviders() {
		if otel := p.GetOpentelemetry(); otel != nil &&
			otel.GetServiceAttributeEnrichment() == meshconfig.MeshConfig_ExtensionProvider_OTEL_SEMANTIC_CONVENTIONS {
			enabled = true
			break
		}
	}
	if !enabled {
		return ""
	}
	var attrs []string
	if v := annotations["resource.opentelemetry.io/service.namespace"]; v != "" {
		attrs = append(attrs, "service.namespace="+v)
	} else if namespace != "" {
		attrs = append(attrs, "service.namespace="+namespace)
	}
	if v := annotations["resource.opentelemetry.io/service.version"]; v != "" {
		attrs = append(attrs, "service.version="+v)
	} else if v := labels["app.kubernetes.io/version"]; v != "" {
		attrs = append(attrs, "service.version="+v)
	} else if len(containers) == 1 {
		image, digest := containers[0].Image, ""
		if i := strings.Index(image, "@"); i >= 0 {
			image, digest = image[:i], image[i+1:]
		}
		tag := ""
		if c := strings.LastIndex(image, ":"); c > strings.LastIndex(image, "/") {
			tag = image[c+1:]
		}
		switch {
		case tag != "" && digest != "":
			attrs = append(attrs, "service.version="+tag+"@"+digest)
		case digest != "":
			attrs = append(attrs, "service.version="+digest)
		case tag != "":
			attrs = append(attrs, "service.version="+tag)
		}
	}
	if v := annotations["resource.opentelemetry.io/service.instance.id"]; v != "" {
		attrs = append(attrs, "service.instance.id="+v)
	} else if len(containers) > 0 {
		attrs = append(attrs, "service.instance.id="+namespace+".$(POD_NAME)."+containers[0].Name)
	}
	return strings.Join(attrs, ",")
}
