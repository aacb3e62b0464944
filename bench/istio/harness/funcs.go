package main

// Istio's InjectionFuncmap (pkg/kube/inject/template.go), written from its
// documented behaviour for this harness.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"gopkg.in/yaml.v2"
)

func injectionFuncmap() template.FuncMap {
	return template.FuncMap{
		"formatDuration":         func(d *durationpb_Duration) string { return d.AsDuration().String() },
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
		"directory":              directory,
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

func isset(m map[string]string, key string) bool {
	_, ok := m[key]
	return ok
}

func annotation(meta metav1_ObjectMeta, name string, defaultValue any) string {
	value, ok := meta.Annotations[name]
	if !ok {
		value = fmt.Sprint(defaultValue)
	}
	return value
}

func valueOrDefault(value any, defaultValue any) any {
	if value == "" || value == nil {
		return defaultValue
	}
	return value
}

func excludeInboundPort(port any, excludedInboundPorts string) string {
	portStr := strings.TrimSpace(fmt.Sprint(port))
	if len(portStr) == 0 || portStr == "0" {
		return excludedInboundPorts
	}
	for _, p := range strings.Split(excludedInboundPorts, ",") {
		if p == portStr {
			return excludedInboundPorts
		}
	}
	var ports []string
	for _, p := range strings.Split(excludedInboundPorts, ",") {
		if p = strings.TrimSpace(p); p != "" {
			ports = append(ports, p)
		}
	}
	return strings.Join(append(ports, portStr), ",")
}

func containerPorts(containers []corev1_Container, skip func(corev1_Container) bool) string {
	var ports []string
	for _, c := range containers {
		if skip(c) {
			continue
		}
		for _, p := range c.Ports {
			if p.Protocol == "UDP" || p.Protocol == "SCTP" {
				continue
			}
			ports = append(ports, strconv.Itoa(int(p.ContainerPort)))
		}
	}
	return strings.Join(ports, ",")
}

func includeInboundPorts(containers []corev1_Container) string {
	return containerPorts(containers, func(corev1_Container) bool { return false })
}

func applicationPorts(containers []corev1_Container) string {
	return containerPorts(containers, func(c corev1_Container) bool { return c.Name == "istio-proxy" })
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

// protoToJSON: cleanProxyConfig, then protobuf JSON as jsonpb writes it
// (by reflection, as jsonpb does): fields in declaration order under their
// JSON names, zero values left out, enums by name, durations as "45s",
// wrappers as their value, 64-bit integers as strings.
func protoToJSON(pc *meshconfig_ProxyConfig) string {
	if pc == nil {
		return "{}"
	}
	c := *pc
	cleanProxyConfig(&c)
	var b bytes.Buffer
	writeMessage(&b, reflect.ValueOf(c))
	return b.String()
}

// cleanProxyConfig zeroes the fields equal to mesh.DefaultProxyConfig().
func cleanProxyConfig(c *meshconfig_ProxyConfig) {
	if c.ConfigPath == "./etc/istio/proxy" {
		c.ConfigPath = ""
	}
	if c.BinaryPath == "/usr/local/bin/envoy" {
		c.BinaryPath = ""
	}
	if c.ControlPlaneAuthPolicy == 1 {
		c.ControlPlaneAuthPolicy = 0
	}
	if c.DrainDuration.AsDuration() == 45*time.Second {
		c.DrainDuration = nil
	}
	if c.TerminationDrainDuration.AsDuration() == 5*time.Second {
		c.TerminationDrainDuration = nil
	}
	if c.DiscoveryAddress == "istiod.istio-system.svc:15012" {
		c.DiscoveryAddress = ""
	}
	if c.ProxyAdminPort == 15000 {
		c.ProxyAdminPort = 0
	}
	if c.StatNameLength == 189 {
		c.StatNameLength = 0
	}
	if c.StatusPort == 15020 {
		c.StatusPort = 0
	}
	if len(c.ProxyMetadata) == 0 {
		c.ProxyMetadata = nil
	}
}

func writeMessage(b *bytes.Buffer, v reflect.Value) {
	t := v.Type()
	b.WriteByte('{')
	first := true
	for i := 0; i < t.NumField(); i++ {
		name := t.Field(i).Tag.Get("pb")
		f := v.Field(i)
		if name == "" || f.IsZero() {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		k, _ := json.Marshal(name)
		b.Write(k)
		b.WriteByte(':')
		writeProtoValue(b, f)
	}
	b.WriteByte('}')
}

func writeProtoValue(b *bytes.Buffer, v reflect.Value) {
	switch x := v.Interface().(type) {
	case *durationpb_Duration:
		s := strconv.FormatInt(x.Seconds, 10)
		if x.Nanos != 0 {
			s += strings.TrimRight(fmt.Sprintf(".%09d", x.Nanos), "0")
		}
		b.WriteString(strconv.Quote(s + "s"))
		return
	case *wrapperspb_BoolValue:
		b.WriteString(strconv.FormatBool(x.Value))
		return
	case *wrapperspb_Int32Value:
		b.WriteString(strconv.Itoa(int(x.Value)))
		return
	case fmt.Stringer:
		if v.Kind() == reflect.Int32 {
			b.WriteString(strconv.Quote(x.String()))
			return
		}
	}
	switch v.Kind() {
	case reflect.Pointer:
		writeProtoValue(b, v.Elem())
	case reflect.Struct:
		writeMessage(b, v)
	case reflect.Slice:
		b.WriteByte('[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			writeProtoValue(b, v.Index(i))
		}
		b.WriteByte(']')
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k.Interface())
			b.Write(kb)
			b.WriteByte(':')
			writeProtoValue(b, v.MapIndex(k))
		}
		b.WriteByte('}')
	case reflect.Int64, reflect.Uint64:
		b.WriteString(strconv.Quote(fmt.Sprint(v.Interface())))
	default:
		j, _ := json.Marshal(v.Interface())
		b.Write(j)
	}
}

// toYaml is sigs.k8s.io/yaml.Marshal: JSON, read back as YAML, written
// by go-yaml v2.
func toYaml(value any) string {
	j, err := json.Marshal(value)
	if err != nil {
		return ""
	}
	var obj any
	if err := yaml.Unmarshal(j, &obj); err != nil {
		return ""
	}
	y, err := yaml.Marshal(obj)
	if err != nil {
		return ""
	}
	return string(y)
}

func indent(spaces int, source string) string {
	res := strings.Split(source, "\n")
	for i, line := range res {
		if i > 0 {
			res[i] = fmt.Sprintf(fmt.Sprintf("%% %ds%%s", spaces), "", line)
		}
	}
	return strings.Join(res, "\n")
}

func directory(filepath string) string {
	dir, _ := path.Split(filepath)
	return dir
}

func appendMultusNetwork(existingValue, istioCniNetwork string) string {
	if existingValue == "" {
		return istioCniNetwork
	}
	if strings.Contains(existingValue, "]") {
		var networks []map[string]any
		if err := json.Unmarshal([]byte(existingValue), &networks); err != nil {
			return existingValue
		}
		name, namespace := istioCniNetwork, ""
		if i := strings.Index(istioCniNetwork, "/"); i >= 0 {
			namespace, name = istioCniNetwork[:i], istioCniNetwork[i+1:]
		}
		for _, n := range networks {
			if n["name"] == name && (namespace == "" || n["namespace"] == namespace) {
				return existingValue
			}
		}
		entry := fmt.Sprintf(`{"name": %q}`, name)
		if namespace != "" {
			entry = fmt.Sprintf(`{"name": %q, "namespace": %q}`, name, namespace)
		}
		i := strings.LastIndex(existingValue, "]")
		return existingValue[:i] + ", " + entry + existingValue[i:]
	}
	for _, n := range strings.Split(existingValue, ",") {
		if strings.TrimSpace(n) == istioCniNetwork {
			return existingValue
		}
	}
	return existingValue + ", " + istioCniNetwork
}

func env(key string, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func omit(dict map[string]string, keys ...string) map[string]string {
	res := map[string]string{}
	for k, v := range dict {
		res[k] = v
	}
	for _, k := range keys {
		delete(res, k)
	}
	return res
}

func strdict(v ...string) map[string]string {
	dict := map[string]string{}
	for i := 0; i < len(v); i += 2 {
		val := ""
		if i+1 < len(v) {
			val = v[i+1]
		}
		dict[v[i]] = val
	}
	return dict
}

func mergeMaps(maps ...map[string]string) map[string]string {
	if len(maps) == 0 {
		return nil
	}
	res := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			res[k] = v
		}
	}
	return res
}

func toJSONMap(maps ...map[string]string) string {
	ba, err := json.Marshal(mergeMaps(maps...))
	if err != nil {
		return ""
	}
	return string(ba)
}

func omitNil(data any) any {
	if data == nil {
		return nil
	}
	v := reflect.ValueOf(data)
	switch v.Kind() {
	case reflect.Map:
		if v.Len() == 0 {
			return data
		}
		out := map[string]any{}
		iter := v.MapRange()
		for iter.Next() {
			if kept := omitNil(iter.Value().Interface()); kept != nil {
				out[fmt.Sprint(iter.Key().Interface())] = kept
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case reflect.Slice:
		if v.Len() == 0 {
			return data
		}
		var out []any
		for i := 0; i < v.Len(); i++ {
			if kept := omitNil(v.Index(i).Interface()); kept != nil {
				out = append(out, kept)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return data
}

func otelResourceAttributes(mc *meshconfig_MeshConfig, annotations, labels map[string]string, namespace string, containers []corev1_Container) string {
	enabled := false
	for _, p := range mc.GetExtensionProviders() {
		if p.GetOpentelemetry().GetServiceAttributeEnrichment() == 1 {
			enabled = true
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
