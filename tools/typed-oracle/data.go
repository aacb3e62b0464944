package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"

	meshconfig "istio.io/api/mesh/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// SidecarTemplateData is Istio's template data (istio/istio
// pkg/kube/inject/inject.go), field for field, over the real types: what
// a template reaches is their fields and their methods.
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

// decodeTyped reads a case's data as injit's typed mode does: strictly
// (a field the types lack is an error), the Kubernetes parts by their JSON
// tags, the mesh and proxy config through the messages' own UnmarshalJSON
// (golang/protobuf jsonpb, unknown fields allowed), `.Values` as generic
// JSON. The result is a pointer, as Istio executes templates with
// `&data`: fields are addressable, so pointer-receiver methods
// (`ObjectMeta.GetName`, `Quantity.String`) are callable.
func decodeTyped(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var data SidecarTemplateData
	if err := dec.Decode(&data); err != nil {
		return nil, err
	}
	var extra any
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, errors.New("data: trailing content after the JSON value")
	}
	return &data, nil
}
