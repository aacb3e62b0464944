//! Proxy environment set by the webhook's URL path, as Istio's
//! `parseInjectEnvs`: `/inject/cluster/c1/net/n1` → `ISTIO_META_CLUSTER_ID=c1`,
//! `ISTIO_META_NETWORK=n1`; other keys are upper-cased; `--slash--` in a
//! value is `/`; the deprecated `/inject/:ENV:k=v:ENV:...` form too.

use std::collections::BTreeMap;

/// A URL path percent-decoded, as Go's `url.URL.Path` holds it (Istio
/// reads the environment from that): `%20` is a space and `%2F` a `/`
/// that separates. Go's server refuses a path with a malformed escape
/// (400); so is one that does not decode to UTF-8 here.
pub fn decoded(raw: &str) -> Result<String, String> {
    if !raw.contains('%') {
        return Ok(raw.to_owned());
    }
    let bytes = injit_runtime::encoding::url::path_unescape(raw.as_bytes()).map_err(|e| {
        // Go's `invalid URL escape "%zz"`, said of the path.
        let escape = e.strip_prefix("invalid URL escape ").unwrap_or(&e);
        format!("the URL path has a malformed escape {escape}")
    })?;
    String::from_utf8(bytes).map_err(|_| "the URL path does not decode to UTF-8".to_owned())
}

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

    #[test]
    fn paths_are_read_decoded_as_go_reads_them() {
        assert_eq!(decoded("/inject/net/a%20b").unwrap(), "/inject/net/a b");
        assert_eq!(envs(&decoded("/inject/net/a%20b").unwrap()), [("ISTIO_META_NETWORK".into(), "a b".into())]);
        // A decoded `/` separates, as in Go's `URL.Path`.
        assert_eq!(
            envs(&decoded("/inject/net/a%2Fcluster/c").unwrap()),
            [("ISTIO_META_CLUSTER_ID".into(), "c".into()), ("ISTIO_META_NETWORK".into(), "a".into())]
        );
        assert_eq!(decoded("/inject/k/%e2%82%AC+").unwrap(), "/inject/k/\u{20ac}+");
        assert_eq!(decoded("/inject/k/%zz").unwrap_err(), "the URL path has a malformed escape \"%zz\"");
        assert_eq!(decoded("/inject/k/%4").unwrap_err(), "the URL path has a malformed escape \"%4\"");
        assert_eq!(decoded("/inject/k/%").unwrap_err(), "the URL path has a malformed escape \"%\"");
        assert_eq!(decoded("/inject/k/%ff").unwrap_err(), "the URL path does not decode to UTF-8");
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
