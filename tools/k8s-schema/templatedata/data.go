// Package inject declares the data Istio's injector gives templates, as
// the schema generator reads it (this file is parsed, never compiled).
// Field lists follow istio/istio pkg/kube/inject/inject.go.
package inject

import (
	meshconfig "istio.io/api/mesh/v1alpha1"
	meshconfig11 "istio.io/api/mesh/v1alpha1@1.1.0"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// SidecarTemplateData is the current (1.22+) template data.
type SidecarTemplateData struct {
	TypeMeta                 metav1.TypeMeta
	DeploymentMeta           types.NamespacedName
	ObjectMeta               metav1.ObjectMeta
	Spec                     corev1.PodSpec
	ProxyConfig              *meshconfig.ProxyConfig
	MeshConfig               *meshconfig.MeshConfig
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

// LegacySidecarTemplateData is the 1.0/1.1 template data, with the mesh
// config messages of Istio 1.1 (1.0's fields are a subset).
type LegacySidecarTemplateData struct {
	ObjectMeta     *metav1.ObjectMeta
	Spec           *corev1.PodSpec
	ProxyConfig    *meshconfig11.ProxyConfig
	MeshConfig     *meshconfig11.MeshConfig
	DeploymentMeta *metav1.ObjectMeta
	Values         map[string]any
}

// SidecarInjectionSpec is what a 1.0/1.1 template renders (1.1 added
// rewriteAppHTTPProbe and dnsConfig).
type SidecarInjectionSpec struct {
	RewriteAppHTTPProbe bool                          `json:"rewriteAppHTTPProbe"`
	InitContainers      []corev1.Container            `json:"initContainers"`
	Containers          []corev1.Container            `json:"containers"`
	Volumes             []corev1.Volume               `json:"volumes"`
	DNSConfig           *corev1.PodDNSConfig          `json:"dnsConfig"`
	ImagePullSecrets    []corev1.LocalObjectReference `json:"imagePullSecrets"`
}

// GatewayTemplateData is what the gateway deployment controller renders
// the `waypoint`, `kube-gateway` and `agentgateway*` templates with:
// `derivedInput` of istio/istio
// pilot/pkg/config/kube/gatewaycommon/deploymentcontroller.go.
type GatewayTemplateData struct {
	TemplateInput
	ProxyImage        string
	AgentgatewayImage string
	ProxyConfig       *meshconfig.ProxyConfig
	MeshConfig        *meshconfig.MeshConfig
	Values            map[string]any
}

// TemplateInput is the controller's `TemplateInput`. Istio embeds
// `*gateway.Gateway`; it is embedded by value here (the controller never
// renders without a Gateway, and field access reads the same).
type TemplateInput struct {
	Gateway
	GatewayClass              string
	DeploymentName            string
	ServiceAccount            string
	Ports                     []corev1.ServicePort
	ServiceType               corev1.ServiceType
	ClusterID                 string
	KubeVersion               int
	Revision                  string
	NativeSidecars            bool
	ProxyUID                  int64
	ProxyGID                  int64
	CompliancePolicy          string
	InfrastructureLabels      map[string]string
	InfrastructureAnnotations map[string]string
	GatewayNameLabel          string
	IsEastWestGateway         bool
	ControllerLabel           string
}

// Gateway is sigs.k8s.io/gateway-api apis/v1 `Gateway`, with the spec
// fields templates read (its named string and integer types as their
// underlying types; the status left out). Its `ObjectMeta` is inline
// here, not under `metadata`: the schema reads a promoted field (`.Name`)
// from the object of the struct that embeds it.
type Gateway struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:",inline"`
	Spec              GatewaySpec `json:"spec"`
}

type GatewaySpec struct {
	GatewayClassName string                 `json:"gatewayClassName"`
	Listeners        []Listener             `json:"listeners"`
	Addresses        []GatewaySpecAddress   `json:"addresses,omitempty"`
	Infrastructure   *GatewayInfrastructure `json:"infrastructure,omitempty"`
}

type Listener struct {
	Name     string  `json:"name"`
	Hostname *string `json:"hostname,omitempty"`
	Port     int32   `json:"port"`
	Protocol string  `json:"protocol"`
}

type GatewaySpecAddress struct {
	Type  *string `json:"type,omitempty"`
	Value string  `json:"value"`
}

type GatewayInfrastructure struct {
	Labels        map[string]string         `json:"labels,omitempty"`
	Annotations   map[string]string         `json:"annotations,omitempty"`
	ParametersRef *LocalParametersReference `json:"parametersRef,omitempty"`
}

type LocalParametersReference struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
}
