package main

// The parts of Istio's SidecarTemplateData (pkg/kube/inject) that the
// sidecar template reads, as Go types with the JSON tags of the real ones
// (k8s.io/api/core/v1, istio.io/api/mesh/v1alpha1), so that text/template
// sees what it sees in Istio: fields by Go name, methods, enum String(),
// nil-safe protobuf getters.

import "time"

type SidecarTemplateData struct {
	TypeMeta                 TypeMeta
	DeploymentMeta           DeploymentMeta
	ObjectMeta               ObjectMeta
	Spec                     PodSpec
	ProxyConfig              *ProxyConfig
	MeshConfig               *MeshConfig
	Values                   map[string]any
	Revision                 string
	NativeSidecars           bool
	ProxyImage               string
	ProxyInitImage           string
	ProxyUID                 int64
	ProxyGID                 int64
	InboundTrafficPolicyMode string
	CompliancePolicy         string
}

type TypeMeta struct {
	Kind       string `json:"kind,omitempty"`
	APIVersion string `json:"apiVersion,omitempty"`
}

type DeploymentMeta struct {
	Name      string
	Namespace string
}

type ObjectMeta struct {
	Name         string            `json:"name,omitempty"`
	GenerateName string            `json:"generateName,omitempty"`
	Namespace    string            `json:"namespace,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

type PodSpec struct {
	Containers         []Container `json:"containers"`
	ServiceAccountName string      `json:"serviceAccountName,omitempty"`
}

type Container struct {
	Name  string          `json:"name"`
	Image string          `json:"image,omitempty"`
	Ports []ContainerPort `json:"ports,omitempty"`
}

// ContainerPort is corev1.ContainerPort, field for field: structToJSON
// prints it.
type ContainerPort struct {
	Name          string `json:"name,omitempty"`
	HostPort      int32  `json:"hostPort,omitempty"`
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol,omitempty"`
	HostIP        string `json:"hostIP,omitempty"`
}

// InterceptionMode is ProxyConfig_InboundInterceptionMode.
type InterceptionMode int32

func (m InterceptionMode) String() string {
	switch m {
	case 1:
		return "TPROXY"
	case 2:
		return "NONE"
	}
	return "REDIRECT"
}

type AuthenticationPolicy int32

func (p AuthenticationPolicy) String() string {
	if p == 1 {
		return "MUTUAL_TLS"
	}
	return "NONE"
}

// Duration is google.protobuf.Duration as encoding/json writes it.
type Duration struct {
	Seconds int64 `json:"seconds,omitempty"`
	Nanos   int32 `json:"nanos,omitempty"`
}

func (d *Duration) AsDuration() time.Duration {
	if d == nil {
		return 0
	}
	return time.Duration(d.Seconds)*time.Second + time.Duration(d.Nanos)
}

type BoolValue struct {
	Value bool `json:"value,omitempty"`
}

func (x *BoolValue) GetValue() bool {
	if x != nil {
		return x.Value
	}
	return false
}

type Int32Value struct {
	Value int32 `json:"value,omitempty"`
}

type ClientTLSSettings struct {
	CaCertificates string `json:"ca_certificates,omitempty"`
}

func (x *ClientTLSSettings) GetCaCertificates() string {
	if x != nil {
		return x.CaCertificates
	}
	return ""
}

type Tracing struct {
	TlsSettings *ClientTLSSettings `json:"tls_settings,omitempty"`
}

func (x *Tracing) GetTlsSettings() *ClientTLSSettings {
	if x != nil {
		return x.TlsSettings
	}
	return nil
}

// ProxyConfig holds the fields the template and protoToJSON read, in
// declaration order.
type ProxyConfig struct {
	ConfigPath                      string               `json:"config_path,omitempty"`
	BinaryPath                      string               `json:"binary_path,omitempty"`
	ServiceCluster                  string               `json:"service_cluster,omitempty"`
	DrainDuration                   *Duration            `json:"drain_duration,omitempty"`
	DiscoveryAddress                string               `json:"discovery_address,omitempty"`
	ProxyAdminPort                  int32                `json:"proxy_admin_port,omitempty"`
	ControlPlaneAuthPolicy          AuthenticationPolicy `json:"control_plane_auth_policy,omitempty"`
	StatNameLength                  int32                `json:"stat_name_length,omitempty"`
	Concurrency                     *Int32Value          `json:"concurrency,omitempty"`
	InterceptionMode                InterceptionMode     `json:"interception_mode,omitempty"`
	Tracing                         *Tracing             `json:"tracing,omitempty"`
	ProxyMetadata                   map[string]string    `json:"proxy_metadata,omitempty"`
	StatusPort                      int32                `json:"status_port,omitempty"`
	TerminationDrainDuration        *Duration            `json:"termination_drain_duration,omitempty"`
	MeshId                          string               `json:"mesh_id,omitempty"`
	HoldApplicationUntilProxyStarts *BoolValue           `json:"hold_application_until_proxy_starts,omitempty"`
}

func (x *ProxyConfig) GetTracing() *Tracing {
	if x != nil {
		return x.Tracing
	}
	return nil
}

type MeshConfig struct {
	ProxyListenPort        int32               `json:"proxy_listen_port,omitempty"`
	ProxyInboundListenPort int32               `json:"proxy_inbound_listen_port,omitempty"`
	TrustDomain            string              `json:"trust_domain,omitempty"`
	ExtensionProviders     []ExtensionProvider `json:"extension_providers,omitempty"`
}

type ExtensionProvider struct {
	Name          string `json:"name,omitempty"`
	Opentelemetry *struct {
		ServiceAttributeEnrichment int32 `json:"service_attribute_enrichment,omitempty"`
	} `json:"opentelemetry,omitempty"`
}
