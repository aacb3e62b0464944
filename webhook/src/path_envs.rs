//! Proxy environment set by the webhook's URL path, as Istio's
//! `parseInjectEnvs`: `/inject/cluster/c1/net/n1` → `ISTIO_META_CLUSTER_ID=c1`,
//! `ISTIO_META_NETWORK=n1`; other keys are upper-cased; `--slash--` in a
//! value is `/`; the deprecated `/inject/:ENV:k=v:ENV:...` form too.

use std::collections::BTreeMap;

/// The environment a request path asks for.
pub fn parse(path: &str) -> BTreeMap<String, String> {
    let path = path.strip_suffix('/').unwrap_or(path);
    let mut parts = path.splitn(3, '/');
    let (_, _, rest) = (parts.next(), parts.next(), parts.next());
    let mut items: Vec<String> = Vec::new();
    if let Some(rest) = rest {
        if rest.starts_with(":ENV:") {
            for pair in rest.split(":ENV:").skip(1) {
                if let Some((k, v)) = pair.split_once('=')
                    && !k.is_empty()
                {
                    items.push(k.to_owned());
                    items.push(v.to_owned());
                }
            }
        } else {
            items = rest
                .split('/')
                .enumerate()
                .map(|(i, s)| if i % 2 == 1 { s.replace("--slash--", "/") } else { s.to_owned() })
                .collect();
        }
    }
    let mut envs = BTreeMap::new();
    for pair in items.chunks(2) {
        let [key, value] = pair else { break };
        let env = match key.as_str() {
            "cluster" => "ISTIO_META_CLUSTER_ID".to_owned(),
            "net" => "ISTIO_META_NETWORK".to_owned(),
            other => other.to_uppercase(),
        };
        if !env.is_empty() {
            envs.insert(env, value.clone());
        }
    }
    envs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envs(path: &str) -> Vec<(String, String)> {
        parse(path).into_iter().collect()
    }

    /// Istio's `TestParseInjectEnvs` cases.
    #[test]
    fn paths_as_istio_reads_them() {
        assert!(envs("/inject").is_empty());
        assert!(envs("/inject/").is_empty());
        assert_eq!(envs("/inject/cluster/cluster1"), [("ISTIO_META_CLUSTER_ID".into(), "cluster1".into())]);
        assert_eq!(
            envs("/inject/net/network1/cluster/cluster1/"),
            [("ISTIO_META_CLUSTER_ID".into(), "cluster1".into()), ("ISTIO_META_NETWORK".into(), "network1".into())]
        );
        assert_eq!(envs("/inject/cluster/c--slash--1/odd"), [("ISTIO_META_CLUSTER_ID".into(), "c/1".into())]);
        assert_eq!(
            envs("/inject/:ENV:cluster=c1:ENV:net=n1:ENV:=bad"),
            [("ISTIO_META_CLUSTER_ID".into(), "c1".into()), ("ISTIO_META_NETWORK".into(), "n1".into())]
        );
        assert_eq!(envs("/inject/custom/x"), [("CUSTOM".into(), "x".into())]);
    }
}
