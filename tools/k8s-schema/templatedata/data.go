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
