//! The proxy images (`ProxyImage`, `ProxyInitImage` of Istio's
//! `inject.go`): `<hub>/<image>:<tag>[-<type>]`.

use serde_json::Value;

use crate::json_pointer::Pointer;

/// Image types a tag may already end in (`-distroless`, `-debug`).
const KNOWN_TYPES: [&str; 2] = ["distroless", "debug"];

/// The annotation that picks the image type per pod.
pub const IMAGE_TYPE_ANNOTATION: &str = "sidecar.istio.io/proxyImageType";

/// What the images are made of that the config's values say, read once
/// per config rather than at five pointers per pod.
#[derive(Clone, Debug, Default)]
pub struct Images {
    hub: String,
    /// The tag, a `structpb.Value` printed with `%v` (a number tag stays
    /// as Go prints a float64).
    tag: String,
    /// `global.variant`.
    variant: String,
    /// `global.proxy.image` and `global.proxy_init.image` (`proxyv2` when
    /// empty).
    proxy: String,
    proxy_init: String,
}

impl Images {
    pub fn of(values: &Value) -> Images {
        let name = |pointer| string_at(values, pointer).unwrap_or("proxyv2").to_owned();
        let tag = match values.at("/global/tag") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => injit_runtime::fmt::data_to_string(&crate::object::to_float_data(other)),
        };
        Images {
            hub: values.at("/global/hub").and_then(Value::as_str).unwrap_or_default().to_owned(),
            tag,
            variant: values.at("/global/variant").and_then(Value::as_str).unwrap_or_default().to_owned(),
            proxy: name("/global/proxy/image"),
            proxy_init: name("/global/proxy_init/image"),
        }
    }

    /// `.ProxyImage`: `global.proxy.image`, typed by the ProxyConfig's
    /// `image.imageType`, else `global.variant`, and the pod's annotation
    /// over both.
    pub fn proxy(&self, proxy_config: &Value, annotations: &[(String, String)]) -> String {
        let image_type = string_at(proxy_config, "/image/imageType").unwrap_or_default();
        self.url(&self.proxy, image_type, annotations)
    }

    /// `.ProxyInitImage`: `global.proxy_init.image`, typed by
    /// `global.variant` or the annotation.
    pub fn proxy_init(&self, annotations: &[(String, String)]) -> String {
        self.url(&self.proxy_init, "", annotations)
    }

    /// `<hub>/<name>:<tag>[-<type>]`.
    fn url(&self, name: &str, image_type: &str, annotations: &[(String, String)]) -> String {
        let mut image_type = if image_type.is_empty() { &self.variant } else { image_type };
        if let Some((_, v)) = annotations.iter().find(|(k, _)| k == IMAGE_TYPE_ANNOTATION) {
            image_type = v;
        }
        format!("{}/{name}:{}", self.hub, typed_tag(&self.tag, image_type))
    }
}

fn string_at<'v>(value: &'v Value, pointer: &str) -> Option<&'v str> {
    value.at(pointer).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The tag with its image type suffix replaced (`default` means none).
fn typed_tag(tag: &str, image_type: &str) -> String {
    if image_type.is_empty() {
        return tag.to_owned();
    }
    let base = KNOWN_TYPES.iter().find_map(|t| tag.strip_suffix(&format!("-{t}"))).unwrap_or(tag);
    if image_type == "default" { base.to_owned() } else { format!("{base}-{image_type}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn proxy_image(values: &Value, proxy_config: &Value, annotations: &[(String, String)]) -> String {
        Images::of(values).proxy(proxy_config, annotations)
    }

    /// Istio's `TestProxyImage` cases.
    #[test]
    fn image_types() {
        let values =
            |tag: Value, variant: &str| json!({"global": {"hub": "docker.io/istio", "tag": tag, "variant": variant}});
        let none: &[(String, String)] = &[];
        assert_eq!(proxy_image(&values(json!("1.0.0"), ""), &json!({}), none), "docker.io/istio/proxyv2:1.0.0");
        assert_eq!(
            proxy_image(&values(json!("1.0.0"), "debug"), &json!({}), none),
            "docker.io/istio/proxyv2:1.0.0-debug"
        );
        assert_eq!(
            proxy_image(&values(json!("1.0.0-distroless"), "debug"), &json!({}), none),
            "docker.io/istio/proxyv2:1.0.0-debug"
        );
        assert_eq!(
            proxy_image(&values(json!("1.0.0-distroless"), "default"), &json!({}), none),
            "docker.io/istio/proxyv2:1.0.0"
        );
        assert_eq!(proxy_image(&values(json!(1.12), ""), &json!({}), none), "docker.io/istio/proxyv2:1.12");
        assert_eq!(
            proxy_image(&values(json!("1.0.0"), "debug"), &json!({"image": {"imageType": "distroless"}}), none),
            "docker.io/istio/proxyv2:1.0.0-distroless"
        );
        let annotation = [(IMAGE_TYPE_ANNOTATION.to_owned(), "default".to_owned())];
        assert_eq!(
            proxy_image(&values(json!("1.0.0-distroless"), ""), &json!({"image": {"imageType": "debug"}}), &annotation),
            "docker.io/istio/proxyv2:1.0.0"
        );
    }
}
