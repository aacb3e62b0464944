//! The Kubernetes types of Istio 1.0/1.1's time, as far as a legacy
//! template's output reaches them.
//!
//! Istio 1.0 and 1.1 `yaml.Unmarshal`ed (`github.com/ghodss/yaml`: YAML to
//! JSON, then a non-strict `json.Unmarshal`) the rendered template into
//! `SidecarInjectionSpec{InitContainers, Containers []corev1.Container;
//! Volumes []corev1.Volume; DNSConfig *corev1.PodDNSConfig (1.1);
//! ImagePullSecrets []corev1.LocalObjectReference}` built against the
//! k8s.io/api of their day, so every field those types did not have
//! vanished from the sidecar. injit's schema is today's k8s.io/api, which
//! keeps fields the era never knew — `restartPolicy: Always` in the 1.0/1.1
//! `istio-init` template among them, which since Kubernetes 1.28 makes
//! `istio-init` a restartable sidecar that never completes. So the legacy
//! path first drops what the era's types would not have decoded.
//!
//! The field sets below are the JSON names of those types' fields (embedded
//! `,inline` structs flattened into their owner: `Volume` carries
//! `VolumeSource`'s, `Probe` `Handler`'s, the `*Source`/`*Selector` types
//! `LocalObjectReference`'s `name`), read from k8s.io/api's
//! `core/v1/types.go` at the revisions Istio pinned:
//!
//! - Istio 1.0.0 `Gopkg.lock`: k8s.io/api `kubernetes-1.10.4`,
//!   8b7507fac302640dd5f1efbf9643199952cc58db;
//! - Istio 1.1.0 `Gopkg.lock`: k8s.io/api branch `release-1.11`,
//!   4e7be11eab3ffcfc1876898b8272df53785a9504.
//!
//! A `[[ ]]` config does not say which of the two it is for, so the table
//! is their union, which is 1.1's: for the types reached here, 1.0's
//! differ only in lacking `VolumeProjection.serviceAccountToken` (with
//! `ServiceAccountTokenProjection`) and `CinderVolumeSource.secretRef`.
//! `SidecarInjectionSpec` likewise has 1.1's `rewriteAppHTTPProbe` and
//! `dnsConfig`. Keys match exactly, as everywhere in injit's decoding.

use serde_json::Value;

/// An era struct: its Go name (as the era spelled it) and its fields.
pub struct Struct {
    pub go: &'static str,
    pub fields: &'static [(&'static str, LegacyField)],
}

/// What a field holds.
#[derive(Clone, Copy)]
pub enum LegacyField {
    /// A value decoded whole (scalars, string lists and maps,
    /// quantities, int-or-strings).
    Leaf,
    /// A struct, or a pointer to one.
    One(&'static Struct),
    /// A slice of structs.
    Many(&'static Struct),
}

use LegacyField::{Many, One};

impl Struct {
    pub fn field(&self, key: &str) -> Option<LegacyField> {
        self.fields.iter().find(|(name, _)| *name == key).map(|(_, f)| *f)
    }
}

/// The rendered `SidecarInjectionSpec` as Istio 1.0/1.1 decoded it: every
/// field the era's types did not have taken out, at any depth. A value of
/// the wrong shape is left for the typed decoding to refuse.
pub fn drop_unknown_fields(spec: &mut Value) {
    prune(&table::SIDECAR_INJECTION_SPEC, spec);
}

fn prune(t: &Struct, value: &mut Value) {
    let Value::Object(map) = value else { return };
    map.retain(|key, _| t.field(key).is_some());
    for (key, item) in map.iter_mut() {
        match (t.field(key), item) {
            (Some(One(inner)), item) => prune(inner, item),
            (Some(Many(inner)), Value::Array(items)) => items.iter_mut().for_each(|item| prune(inner, item)),
            _ => {}
        }
    }
}

/// The era's field sets (generated from the `types.go` named above; one
/// struct per type reachable from `SidecarInjectionSpec`).
#[rustfmt::skip]
pub mod table {
    use super::LegacyField::{Leaf, Many, One};
    use super::Struct;

    pub static SIDECAR_INJECTION_SPEC: Struct = Struct { go: "inject.SidecarInjectionSpec", fields: &[
        ("rewriteAppHTTPProbe", Leaf), ("initContainers", Many(&CONTAINER)), ("containers", Many(&CONTAINER)),
        ("volumes", Many(&VOLUME)), ("dnsConfig", One(&POD_DNS_CONFIG)),
        ("imagePullSecrets", Many(&LOCAL_OBJECT_REFERENCE)),
    ] };
    pub static HANDLER: Struct = Struct { go: "corev1.Handler", fields: &[
        ("exec", One(&EXEC_ACTION)), ("httpGet", One(&HTTP_GET_ACTION)), ("tcpSocket", One(&TCP_SOCKET_ACTION)),
    ] };
    pub static AWS_ELASTIC_BLOCK_STORE_VOLUME_SOURCE: Struct = Struct { go: "corev1.AWSElasticBlockStoreVolumeSource", fields: &[
        ("volumeID", Leaf), ("fsType", Leaf), ("partition", Leaf), ("readOnly", Leaf),
    ] };
    pub static AZURE_DISK_VOLUME_SOURCE: Struct = Struct { go: "corev1.AzureDiskVolumeSource", fields: &[
        ("diskName", Leaf), ("diskURI", Leaf), ("cachingMode", Leaf), ("fsType", Leaf), ("readOnly", Leaf),
        ("kind", Leaf),
    ] };
    pub static AZURE_FILE_VOLUME_SOURCE: Struct = Struct { go: "corev1.AzureFileVolumeSource", fields: &[
        ("secretName", Leaf), ("shareName", Leaf), ("readOnly", Leaf),
    ] };
    pub static CAPABILITIES: Struct = Struct { go: "corev1.Capabilities", fields: &[
        ("add", Leaf), ("drop", Leaf),
    ] };
    pub static CEPH_FS_VOLUME_SOURCE: Struct = Struct { go: "corev1.CephFSVolumeSource", fields: &[
        ("monitors", Leaf), ("path", Leaf), ("user", Leaf), ("secretFile", Leaf),
        ("secretRef", One(&LOCAL_OBJECT_REFERENCE)), ("readOnly", Leaf),
    ] };
    pub static CINDER_VOLUME_SOURCE: Struct = Struct { go: "corev1.CinderVolumeSource", fields: &[
        ("volumeID", Leaf), ("fsType", Leaf), ("readOnly", Leaf), ("secretRef", One(&LOCAL_OBJECT_REFERENCE)),
    ] };
    pub static CONFIG_MAP_ENV_SOURCE: Struct = Struct { go: "corev1.ConfigMapEnvSource", fields: &[
        ("name", Leaf), ("optional", Leaf),
    ] };
    pub static CONFIG_MAP_KEY_SELECTOR: Struct = Struct { go: "corev1.ConfigMapKeySelector", fields: &[
        ("name", Leaf), ("key", Leaf), ("optional", Leaf),
    ] };
    pub static CONFIG_MAP_PROJECTION: Struct = Struct { go: "corev1.ConfigMapProjection", fields: &[
        ("name", Leaf), ("items", Many(&KEY_TO_PATH)), ("optional", Leaf),
    ] };
    pub static CONFIG_MAP_VOLUME_SOURCE: Struct = Struct { go: "corev1.ConfigMapVolumeSource", fields: &[
        ("name", Leaf), ("items", Many(&KEY_TO_PATH)), ("defaultMode", Leaf), ("optional", Leaf),
    ] };
    pub static CONTAINER: Struct = Struct { go: "corev1.Container", fields: &[
        ("name", Leaf), ("image", Leaf), ("command", Leaf), ("args", Leaf), ("workingDir", Leaf),
        ("ports", Many(&CONTAINER_PORT)), ("envFrom", Many(&ENV_FROM_SOURCE)), ("env", Many(&ENV_VAR)),
        ("resources", One(&RESOURCE_REQUIREMENTS)), ("volumeMounts", Many(&VOLUME_MOUNT)),
        ("volumeDevices", Many(&VOLUME_DEVICE)), ("livenessProbe", One(&PROBE)), ("readinessProbe", One(&PROBE)),
        ("lifecycle", One(&LIFECYCLE)), ("terminationMessagePath", Leaf), ("terminationMessagePolicy", Leaf),
        ("imagePullPolicy", Leaf), ("securityContext", One(&SECURITY_CONTEXT)), ("stdin", Leaf), ("stdinOnce", Leaf),
        ("tty", Leaf),
    ] };
    pub static CONTAINER_PORT: Struct = Struct { go: "corev1.ContainerPort", fields: &[
        ("name", Leaf), ("hostPort", Leaf), ("containerPort", Leaf), ("protocol", Leaf), ("hostIP", Leaf),
    ] };
    pub static DOWNWARD_API_PROJECTION: Struct = Struct { go: "corev1.DownwardAPIProjection", fields: &[
        ("items", Many(&DOWNWARD_API_VOLUME_FILE)),
    ] };
    pub static DOWNWARD_API_VOLUME_FILE: Struct = Struct { go: "corev1.DownwardAPIVolumeFile", fields: &[
        ("path", Leaf), ("fieldRef", One(&OBJECT_FIELD_SELECTOR)),
        ("resourceFieldRef", One(&RESOURCE_FIELD_SELECTOR)), ("mode", Leaf),
    ] };
    pub static DOWNWARD_API_VOLUME_SOURCE: Struct = Struct { go: "corev1.DownwardAPIVolumeSource", fields: &[
        ("items", Many(&DOWNWARD_API_VOLUME_FILE)), ("defaultMode", Leaf),
    ] };
    pub static EMPTY_DIR_VOLUME_SOURCE: Struct = Struct { go: "corev1.EmptyDirVolumeSource", fields: &[
        ("medium", Leaf), ("sizeLimit", Leaf),
    ] };
    pub static ENV_FROM_SOURCE: Struct = Struct { go: "corev1.EnvFromSource", fields: &[
        ("prefix", Leaf), ("configMapRef", One(&CONFIG_MAP_ENV_SOURCE)), ("secretRef", One(&SECRET_ENV_SOURCE)),
    ] };
    pub static ENV_VAR: Struct = Struct { go: "corev1.EnvVar", fields: &[
        ("name", Leaf), ("value", Leaf), ("valueFrom", One(&ENV_VAR_SOURCE)),
    ] };
    pub static ENV_VAR_SOURCE: Struct = Struct { go: "corev1.EnvVarSource", fields: &[
        ("fieldRef", One(&OBJECT_FIELD_SELECTOR)), ("resourceFieldRef", One(&RESOURCE_FIELD_SELECTOR)),
        ("configMapKeyRef", One(&CONFIG_MAP_KEY_SELECTOR)), ("secretKeyRef", One(&SECRET_KEY_SELECTOR)),
    ] };
    pub static EXEC_ACTION: Struct = Struct { go: "corev1.ExecAction", fields: &[
        ("command", Leaf),
    ] };
    pub static FC_VOLUME_SOURCE: Struct = Struct { go: "corev1.FCVolumeSource", fields: &[
        ("targetWWNs", Leaf), ("lun", Leaf), ("fsType", Leaf), ("readOnly", Leaf), ("wwids", Leaf),
    ] };
    pub static FLEX_VOLUME_SOURCE: Struct = Struct { go: "corev1.FlexVolumeSource", fields: &[
        ("driver", Leaf), ("fsType", Leaf), ("secretRef", One(&LOCAL_OBJECT_REFERENCE)), ("readOnly", Leaf),
        ("options", Leaf),
    ] };
    pub static FLOCKER_VOLUME_SOURCE: Struct = Struct { go: "corev1.FlockerVolumeSource", fields: &[
        ("datasetName", Leaf), ("datasetUUID", Leaf),
    ] };
    pub static GCE_PERSISTENT_DISK_VOLUME_SOURCE: Struct = Struct { go: "corev1.GCEPersistentDiskVolumeSource", fields: &[
        ("pdName", Leaf), ("fsType", Leaf), ("partition", Leaf), ("readOnly", Leaf),
    ] };
    pub static GIT_REPO_VOLUME_SOURCE: Struct = Struct { go: "corev1.GitRepoVolumeSource", fields: &[
        ("repository", Leaf), ("revision", Leaf), ("directory", Leaf),
    ] };
    pub static GLUSTERFS_VOLUME_SOURCE: Struct = Struct { go: "corev1.GlusterfsVolumeSource", fields: &[
        ("endpoints", Leaf), ("path", Leaf), ("readOnly", Leaf),
    ] };
    pub static HTTP_GET_ACTION: Struct = Struct { go: "corev1.HTTPGetAction", fields: &[
        ("path", Leaf), ("port", Leaf), ("host", Leaf), ("scheme", Leaf), ("httpHeaders", Many(&HTTP_HEADER)),
    ] };
    pub static HTTP_HEADER: Struct = Struct { go: "corev1.HTTPHeader", fields: &[
        ("name", Leaf), ("value", Leaf),
    ] };
    pub static HOST_PATH_VOLUME_SOURCE: Struct = Struct { go: "corev1.HostPathVolumeSource", fields: &[
        ("path", Leaf), ("type", Leaf),
    ] };
    pub static ISCSI_VOLUME_SOURCE: Struct = Struct { go: "corev1.ISCSIVolumeSource", fields: &[
        ("targetPortal", Leaf), ("iqn", Leaf), ("lun", Leaf), ("iscsiInterface", Leaf), ("fsType", Leaf),
        ("readOnly", Leaf), ("portals", Leaf), ("chapAuthDiscovery", Leaf), ("chapAuthSession", Leaf),
        ("secretRef", One(&LOCAL_OBJECT_REFERENCE)), ("initiatorName", Leaf),
    ] };
    pub static KEY_TO_PATH: Struct = Struct { go: "corev1.KeyToPath", fields: &[
        ("key", Leaf), ("path", Leaf), ("mode", Leaf),
    ] };
    pub static LIFECYCLE: Struct = Struct { go: "corev1.Lifecycle", fields: &[
        ("postStart", One(&HANDLER)), ("preStop", One(&HANDLER)),
    ] };
    pub static LOCAL_OBJECT_REFERENCE: Struct = Struct { go: "corev1.LocalObjectReference", fields: &[
        ("name", Leaf),
    ] };
    pub static NFS_VOLUME_SOURCE: Struct = Struct { go: "corev1.NFSVolumeSource", fields: &[
        ("server", Leaf), ("path", Leaf), ("readOnly", Leaf),
    ] };
    pub static OBJECT_FIELD_SELECTOR: Struct = Struct { go: "corev1.ObjectFieldSelector", fields: &[
        ("apiVersion", Leaf), ("fieldPath", Leaf),
    ] };
    pub static PERSISTENT_VOLUME_CLAIM_VOLUME_SOURCE: Struct = Struct { go: "corev1.PersistentVolumeClaimVolumeSource", fields: &[
        ("claimName", Leaf), ("readOnly", Leaf),
    ] };
    pub static PHOTON_PERSISTENT_DISK_VOLUME_SOURCE: Struct = Struct { go: "corev1.PhotonPersistentDiskVolumeSource", fields: &[
        ("pdID", Leaf), ("fsType", Leaf),
    ] };
    pub static POD_DNS_CONFIG: Struct = Struct { go: "corev1.PodDNSConfig", fields: &[
        ("nameservers", Leaf), ("searches", Leaf), ("options", Many(&POD_DNS_CONFIG_OPTION)),
    ] };
    pub static POD_DNS_CONFIG_OPTION: Struct = Struct { go: "corev1.PodDNSConfigOption", fields: &[
        ("name", Leaf), ("value", Leaf),
    ] };
    pub static PORTWORX_VOLUME_SOURCE: Struct = Struct { go: "corev1.PortworxVolumeSource", fields: &[
        ("volumeID", Leaf), ("fsType", Leaf), ("readOnly", Leaf),
    ] };
    pub static PROBE: Struct = Struct { go: "corev1.Probe", fields: &[
        ("exec", One(&EXEC_ACTION)), ("httpGet", One(&HTTP_GET_ACTION)), ("tcpSocket", One(&TCP_SOCKET_ACTION)),
        ("initialDelaySeconds", Leaf), ("timeoutSeconds", Leaf), ("periodSeconds", Leaf), ("successThreshold", Leaf),
        ("failureThreshold", Leaf),
    ] };
    pub static PROJECTED_VOLUME_SOURCE: Struct = Struct { go: "corev1.ProjectedVolumeSource", fields: &[
        ("sources", Many(&VOLUME_PROJECTION)), ("defaultMode", Leaf),
    ] };
    pub static QUOBYTE_VOLUME_SOURCE: Struct = Struct { go: "corev1.QuobyteVolumeSource", fields: &[
        ("registry", Leaf), ("volume", Leaf), ("readOnly", Leaf), ("user", Leaf), ("group", Leaf),
    ] };
    pub static RBD_VOLUME_SOURCE: Struct = Struct { go: "corev1.RBDVolumeSource", fields: &[
        ("monitors", Leaf), ("image", Leaf), ("fsType", Leaf), ("pool", Leaf), ("user", Leaf), ("keyring", Leaf),
        ("secretRef", One(&LOCAL_OBJECT_REFERENCE)), ("readOnly", Leaf),
    ] };
    pub static RESOURCE_FIELD_SELECTOR: Struct = Struct { go: "corev1.ResourceFieldSelector", fields: &[
        ("containerName", Leaf), ("resource", Leaf), ("divisor", Leaf),
    ] };
    pub static RESOURCE_REQUIREMENTS: Struct = Struct { go: "corev1.ResourceRequirements", fields: &[
        ("limits", Leaf), ("requests", Leaf),
    ] };
    pub static SE_LINUX_OPTIONS: Struct = Struct { go: "corev1.SELinuxOptions", fields: &[
        ("user", Leaf), ("role", Leaf), ("type", Leaf), ("level", Leaf),
    ] };
    pub static SCALE_IO_VOLUME_SOURCE: Struct = Struct { go: "corev1.ScaleIOVolumeSource", fields: &[
        ("gateway", Leaf), ("system", Leaf), ("secretRef", One(&LOCAL_OBJECT_REFERENCE)), ("sslEnabled", Leaf),
        ("protectionDomain", Leaf), ("storagePool", Leaf), ("storageMode", Leaf), ("volumeName", Leaf),
        ("fsType", Leaf), ("readOnly", Leaf),
    ] };
    pub static SECRET_ENV_SOURCE: Struct = Struct { go: "corev1.SecretEnvSource", fields: &[
        ("name", Leaf), ("optional", Leaf),
    ] };
    pub static SECRET_KEY_SELECTOR: Struct = Struct { go: "corev1.SecretKeySelector", fields: &[
        ("name", Leaf), ("key", Leaf), ("optional", Leaf),
    ] };
    pub static SECRET_PROJECTION: Struct = Struct { go: "corev1.SecretProjection", fields: &[
        ("name", Leaf), ("items", Many(&KEY_TO_PATH)), ("optional", Leaf),
    ] };
    pub static SECRET_VOLUME_SOURCE: Struct = Struct { go: "corev1.SecretVolumeSource", fields: &[
        ("secretName", Leaf), ("items", Many(&KEY_TO_PATH)), ("defaultMode", Leaf), ("optional", Leaf),
    ] };
    pub static SECURITY_CONTEXT: Struct = Struct { go: "corev1.SecurityContext", fields: &[
        ("capabilities", One(&CAPABILITIES)), ("privileged", Leaf), ("seLinuxOptions", One(&SE_LINUX_OPTIONS)),
        ("runAsUser", Leaf), ("runAsGroup", Leaf), ("runAsNonRoot", Leaf), ("readOnlyRootFilesystem", Leaf),
        ("allowPrivilegeEscalation", Leaf),
    ] };
    pub static SERVICE_ACCOUNT_TOKEN_PROJECTION: Struct = Struct { go: "corev1.ServiceAccountTokenProjection", fields: &[
        ("audience", Leaf), ("expirationSeconds", Leaf), ("path", Leaf),
    ] };
    pub static STORAGE_OS_VOLUME_SOURCE: Struct = Struct { go: "corev1.StorageOSVolumeSource", fields: &[
        ("volumeName", Leaf), ("volumeNamespace", Leaf), ("fsType", Leaf), ("readOnly", Leaf),
        ("secretRef", One(&LOCAL_OBJECT_REFERENCE)),
    ] };
    pub static TCP_SOCKET_ACTION: Struct = Struct { go: "corev1.TCPSocketAction", fields: &[
        ("port", Leaf), ("host", Leaf),
    ] };
    pub static VOLUME: Struct = Struct { go: "corev1.Volume", fields: &[
        ("name", Leaf), ("hostPath", One(&HOST_PATH_VOLUME_SOURCE)), ("emptyDir", One(&EMPTY_DIR_VOLUME_SOURCE)),
        ("gcePersistentDisk", One(&GCE_PERSISTENT_DISK_VOLUME_SOURCE)),
        ("awsElasticBlockStore", One(&AWS_ELASTIC_BLOCK_STORE_VOLUME_SOURCE)),
        ("gitRepo", One(&GIT_REPO_VOLUME_SOURCE)), ("secret", One(&SECRET_VOLUME_SOURCE)),
        ("nfs", One(&NFS_VOLUME_SOURCE)), ("iscsi", One(&ISCSI_VOLUME_SOURCE)),
        ("glusterfs", One(&GLUSTERFS_VOLUME_SOURCE)),
        ("persistentVolumeClaim", One(&PERSISTENT_VOLUME_CLAIM_VOLUME_SOURCE)), ("rbd", One(&RBD_VOLUME_SOURCE)),
        ("flexVolume", One(&FLEX_VOLUME_SOURCE)), ("cinder", One(&CINDER_VOLUME_SOURCE)),
        ("cephfs", One(&CEPH_FS_VOLUME_SOURCE)), ("flocker", One(&FLOCKER_VOLUME_SOURCE)),
        ("downwardAPI", One(&DOWNWARD_API_VOLUME_SOURCE)), ("fc", One(&FC_VOLUME_SOURCE)),
        ("azureFile", One(&AZURE_FILE_VOLUME_SOURCE)), ("configMap", One(&CONFIG_MAP_VOLUME_SOURCE)),
        ("vsphereVolume", One(&VSPHERE_VIRTUAL_DISK_VOLUME_SOURCE)), ("quobyte", One(&QUOBYTE_VOLUME_SOURCE)),
        ("azureDisk", One(&AZURE_DISK_VOLUME_SOURCE)),
        ("photonPersistentDisk", One(&PHOTON_PERSISTENT_DISK_VOLUME_SOURCE)),
        ("projected", One(&PROJECTED_VOLUME_SOURCE)), ("portworxVolume", One(&PORTWORX_VOLUME_SOURCE)),
        ("scaleIO", One(&SCALE_IO_VOLUME_SOURCE)), ("storageos", One(&STORAGE_OS_VOLUME_SOURCE)),
    ] };
    pub static VOLUME_DEVICE: Struct = Struct { go: "corev1.VolumeDevice", fields: &[
        ("name", Leaf), ("devicePath", Leaf),
    ] };
    pub static VOLUME_MOUNT: Struct = Struct { go: "corev1.VolumeMount", fields: &[
        ("name", Leaf), ("readOnly", Leaf), ("mountPath", Leaf), ("subPath", Leaf), ("mountPropagation", Leaf),
    ] };
    pub static VOLUME_PROJECTION: Struct = Struct { go: "corev1.VolumeProjection", fields: &[
        ("secret", One(&SECRET_PROJECTION)), ("downwardAPI", One(&DOWNWARD_API_PROJECTION)),
        ("configMap", One(&CONFIG_MAP_PROJECTION)), ("serviceAccountToken", One(&SERVICE_ACCOUNT_TOKEN_PROJECTION)),
    ] };
    pub static VSPHERE_VIRTUAL_DISK_VOLUME_SOURCE: Struct = Struct { go: "corev1.VsphereVirtualDiskVolumeSource", fields: &[
        ("volumePath", Leaf), ("fsType", Leaf), ("storagePolicyName", Leaf), ("storagePolicyID", Leaf),
    ] };
}

#[cfg(test)]
mod tests {
    use super::*;
    use injit_runtime::encoding::json::check as decode;
    use injit_runtime::types::{GoType, Ty};
    use serde_json::json;

    /// The element struct of a field of today's schema, and whether the
    /// field is a slice.
    fn element(t: GoType) -> (GoType, bool) {
        match t.expr() {
            Ty::Ptr(e) => (GoType(e), false),
            Ty::Slice(e) => (element(GoType(e)).0, true),
            _ => (t, false),
        }
    }

    /// Calls `each` with every era struct and today's type it decodes as.
    fn walk(era: &'static Struct, today: GoType, each: &mut dyn FnMut(&'static Struct, GoType)) {
        each(era, today);
        for (key, field) in era.fields {
            let (ty, _) = decode::find_json_field(today, key)
                .unwrap_or_else(|| panic!("{}.{key} is not in today's {}", era.go, today.name()));
            let (elem, slice) = element(ty);
            match field {
                LegacyField::Leaf => assert!(
                    elem.fields().is_empty() || elem.special().is_some(),
                    "{}.{key}: a struct today ({})",
                    era.go,
                    elem.name()
                ),
                LegacyField::One(inner) => {
                    assert!(!slice, "{}.{key}: a slice today", era.go);
                    walk(inner, elem, each);
                }
                LegacyField::Many(inner) => {
                    assert!(slice, "{}.{key}: not a slice today", era.go);
                    walk(inner, elem, each);
                }
            }
        }
    }

    /// Today's JSON fields of `t`, embedded structs' promoted.
    fn json_fields(t: GoType, out: &mut Vec<&'static str>) {
        for f in t.fields() {
            if f.inline && f.tag.is_empty() {
                json_fields(GoType(f.ty), out);
            } else if !f.oneof {
                out.push(if f.tag.is_empty() { f.go } else { f.tag });
            }
        }
    }

    #[test]
    fn every_era_field_is_in_today_s_schema_with_the_same_shape() {
        let mut seen = 0;
        walk(&table::SIDECAR_INJECTION_SPEC, GoType::named("inject.SidecarInjectionSpec").unwrap(), &mut |_, _| {
            seen += 1
        });
        assert!(seen > 60, "{seen} structs walked");
    }

    /// Fields of today's types the era's lacked (32 with the schema of
    /// this writing, from `Container.restartPolicy` to
    /// `VolumeProjection.podCertificate`): the table has none of them, so
    /// a legacy spec loses them all.
    #[test]
    fn today_s_fields_the_era_lacked() {
        let mut lacked: Vec<String> = Vec::new();
        walk(
            &table::SIDECAR_INJECTION_SPEC,
            GoType::named("inject.SidecarInjectionSpec").unwrap(),
            &mut |era, today| {
                let mut fields = Vec::new();
                json_fields(today, &mut fields);
                for f in fields {
                    let name = format!("{}.{f}", era.go);
                    if era.field(f).is_none() && !lacked.contains(&name) {
                        lacked.push(name);
                    }
                }
            },
        );
        lacked.sort();
        for expected in [
            "corev1.Container.restartPolicy",
            "corev1.Container.resizePolicy",
            "corev1.Container.startupProbe",
            "corev1.SecurityContext.seccompProfile",
            "corev1.SecurityContext.appArmorProfile",
            "corev1.Probe.grpc",
            "corev1.Probe.terminationGracePeriodSeconds",
            "corev1.VolumeMount.recursiveReadOnly",
            "corev1.Volume.ephemeral",
            "corev1.Volume.csi",
            "corev1.Volume.image",
            "corev1.EnvVarSource.fileKeyRef",
            "corev1.Lifecycle.stopSignal",
            "corev1.Handler.sleep",
            "corev1.ResourceRequirements.claims",
        ] {
            assert!(lacked.iter().any(|l| l == expected), "{expected} not among {lacked:?}");
        }
    }

    #[test]
    fn fields_the_era_did_not_have_are_dropped_at_any_depth() {
        let mut spec = json!({
            "rewriteAppHTTPProbe": true,
            "initContainers": [{
                "name": "istio-init", "image": "i", "restartPolicy": "Always",
                "securityContext": {"privileged": true, "seccompProfile": {"type": "RuntimeDefault"},
                                    "capabilities": {"add": ["NET_ADMIN"]}},
            }],
            "containers": [{
                "name": "istio-proxy", "startupProbe": {"exec": {"command": ["x"]}},
                "readinessProbe": {"httpGet": {"path": "/ready", "port": 15020}, "grpc": {"port": 1},
                                   "periodSeconds": 2},
                "lifecycle": {"preStop": {"exec": {"command": ["y"]}, "sleep": {"seconds": 1}}, "stopSignal": "SIGINT"},
                "env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}, "fileKeyRef": {"key": "k"}}}],
                "volumeMounts": [{"name": "v", "mountPath": "/v", "recursiveReadOnly": "Enabled"}],
            }],
            "volumes": [
                {"name": "v", "emptyDir": {"medium": "Memory"}},
                {"name": "w", "ephemeral": {"volumeClaimTemplate": {}}},
                {"name": "t", "projected": {"sources": [{"serviceAccountToken": {"path": "t", "audience": "a"},
                                                         "clusterTrustBundle": {"path": "b"}}]}},
            ],
            "dnsConfig": {"nameservers": ["1.1.1.1"], "options": [{"name": "ndots", "value": "2"}]},
            "imagePullSecrets": [{"name": "s"}],
            "hostNetwork": true,
        });
        drop_unknown_fields(&mut spec);
        assert_eq!(
            spec,
            json!({
                "rewriteAppHTTPProbe": true,
                "initContainers": [{
                    "name": "istio-init", "image": "i",
                    "securityContext": {"privileged": true, "capabilities": {"add": ["NET_ADMIN"]}},
                }],
                "containers": [{
                    "name": "istio-proxy",
                    "readinessProbe": {"httpGet": {"path": "/ready", "port": 15020}, "periodSeconds": 2},
                    "lifecycle": {"preStop": {"exec": {"command": ["y"]}}},
                    "env": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
                    "volumeMounts": [{"name": "v", "mountPath": "/v"}],
                }],
                "volumes": [
                    {"name": "v", "emptyDir": {"medium": "Memory"}},
                    {"name": "w"},
                    {"name": "t", "projected": {"sources": [{"serviceAccountToken": {"path": "t", "audience": "a"}}]}},
                ],
                "dnsConfig": {"nameservers": ["1.1.1.1"], "options": [{"name": "ndots", "value": "2"}]},
                "imagePullSecrets": [{"name": "s"}],
            })
        );
    }

    #[test]
    fn values_of_the_wrong_shape_are_left_for_the_decoder() {
        let mut spec = json!({"containers": {"name": "x"}, "volumes": "v", "initContainers": [1, [{"a": 1}]]});
        let before = spec.clone();
        drop_unknown_fields(&mut spec);
        assert_eq!(spec, before);
    }
}
