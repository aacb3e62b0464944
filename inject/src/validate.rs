//! The pod annotations Istio checks before injecting
//! (`pkg/kube/inject/validate.go`), with its messages.

use serde_json::Value;

/// Checks the annotations Istio validates; the error lists every bad one.
pub fn validate_annotations(annotations: &[(String, String)]) -> Result<(), String> {
    let mut problems = Vec::new();
    let mut sorted: Vec<&(String, String)> = annotations.iter().collect();
    sorted.sort();
    for (name, value) in sorted {
        let check: fn(&str) -> Result<(), String> = match name.as_str() {
            "sidecar.istio.io/interceptionMode" => interception_mode,
            "status.sidecar.istio.io/port" => status_port,
            "readiness.status.sidecar.istio.io/initialDelaySeconds"
            | "readiness.status.sidecar.istio.io/periodSeconds"
            | "readiness.status.sidecar.istio.io/failureThreshold" => uint32,
            "traffic.sidecar.istio.io/includeOutboundIPRanges" => include_ip_ranges,
            "traffic.sidecar.istio.io/excludeOutboundIPRanges" => exclude_ip_ranges,
            "traffic.sidecar.istio.io/includeInboundPorts" => include_inbound_ports,
            "traffic.sidecar.istio.io/excludeInboundPorts" => |v| port_list("excludeInboundPorts", v),
            "traffic.sidecar.istio.io/excludeOutboundPorts" => |v| port_list("excludeOutboundPorts", v),
            "traffic.sidecar.istio.io/excludeInterfaces"
            | "traffic.sidecar.istio.io/kubevirtInterfaces"
            | "istio.io/reroute-virtual-interfaces" => interfaces,
            "prometheus.istio.io/merge-metrics" => boolean,
            "proxy.istio.io/config" => proxy_config,
            "sidecar.istio.io/proxyCPU"
            | "sidecar.istio.io/proxyMemory"
            | "sidecar.istio.io/proxyCPULimit"
            | "sidecar.istio.io/proxyMemoryLimit" => quantity,
            _ => continue,
        };
        if let Err(e) = check(value) {
            problems.push(format!("invalid value '{value}' for annotation '{name}': {e}"));
        }
    }
    match problems.len() {
        0 => Ok(()),
        1 => Err(problems.remove(0)),
        n => Err(format!("{n} errors occurred:\n\t* {}\n\n", problems.join("\n\t* "))),
    }
}

fn interception_mode(v: &str) -> Result<(), String> {
    match v {
        "REDIRECT" | "TPROXY" | "NONE" => Ok(()),
        _ => Err(format!("interceptionMode invalid, use REDIRECT,TPROXY,NONE: {v}")),
    }
}

/// Go's `strconv.ParseUint(s, 10, bits)`, failing as Go words it. (Rust's
/// `parse` takes a leading `+`, which Go refuses.)
fn parse_uint(s: &str, bits: u32) -> Result<u64, String> {
    let reason = match injit_strconv::parse_uint(s.as_bytes(), 10) {
        Ok(n) if bits >= 64 || n >> bits == 0 => return Ok(n),
        Ok(_) | Err(injit_strconv::NumError::Range) => "value out of range",
        Err(injit_strconv::NumError::Syntax) => "invalid syntax",
    };
    Err(format!("strconv.ParseUint: parsing {}: {reason}", injit_strconv::quote(s.as_bytes())))
}

fn parse_port(s: &str) -> Result<u16, String> {
    match parse_uint(s.trim(), 16) {
        Ok(port) => Ok(port as u16),
        Err(e) => Err(format!("failed parsing port '{s}': {e}")),
    }
}

fn status_port(v: &str) -> Result<(), String> {
    parse_port(v).map(|_| ()).map_err(|e| format!("excludeInboundPorts invalid: {e}"))
}

fn uint32(v: &str) -> Result<(), String> {
    parse_uint(v, 32).map(|_| ())
}

fn boolean(v: &str) -> Result<(), String> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" | "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(()),
        _ => Err(format!("strconv.ParseBool: parsing {}: invalid syntax", injit_strconv::quote(v.as_bytes()))),
    }
}

fn port_list(parameter: &str, ports: &str) -> Result<(), String> {
    let trimmed = ports.trim();
    if trimmed.is_empty() {
        return Ok(());
    }
    for p in trimmed.split(',') {
        if let Err(e) = parse_port(p) {
            return Err(format!("{parameter} invalid: failed parsing port '{p}': {e}"));
        }
    }
    Ok(())
}

fn include_inbound_ports(v: &str) -> Result<(), String> {
    if v == "*" { Ok(()) } else { port_list("includeInboundPorts", v) }
}

/// `netip.ParsePrefix` for each comma-separated entry.
fn cidr_list(cidrs: &str) -> Result<(), String> {
    if cidrs.is_empty() {
        return Ok(());
    }
    for cidr in cidrs.split(',') {
        let Some((addr, bits)) = cidr.split_once('/') else {
            return Err(format!(
                "failed parsing cidr '{cidr}': netip.ParsePrefix({}): no '/'",
                injit_strconv::quote(cidr.as_bytes())
            ));
        };
        let max = match addr.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(_)) => 32,
            Ok(std::net::IpAddr::V6(_)) => 128,
            Err(_) => {
                return Err(format!(
                    "failed parsing cidr '{cidr}': netip.ParsePrefix({}): ParseAddr({}): unable to parse IP",
                    injit_strconv::quote(cidr.as_bytes()),
                    injit_strconv::quote(addr.as_bytes())
                ));
            }
        };
        let ok =
            !bits.is_empty() && bits.bytes().all(|b| b.is_ascii_digit()) && !(bits.len() > 1 && bits.starts_with('0'));
        if !ok || bits.parse::<u32>().map_or(true, |b| b > max) {
            return Err(format!(
                "failed parsing cidr '{cidr}': netip.ParsePrefix({}): bad bits after slash: {}",
                injit_strconv::quote(cidr.as_bytes()),
                injit_strconv::quote(bits.as_bytes())
            ));
        }
    }
    Ok(())
}

fn include_ip_ranges(v: &str) -> Result<(), String> {
    if v == "*" { Ok(()) } else { cidr_list(v).map_err(|e| format!("includeIPRanges invalid: {e}")) }
}

fn exclude_ip_ranges(v: &str) -> Result<(), String> {
    cidr_list(v).map_err(|e| format!("excludeIPRanges invalid: {e}"))
}

/// Linux interface names: 1-15 bytes, no `/`, spaces or control characters.
fn interfaces(v: &str) -> Result<(), String> {
    for name in v.split(',') {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        if name.len() > 15
            || name.contains('/')
            || name.chars().any(|c| c.is_whitespace() || c.is_control())
            || name == "."
            || name == ".."
        {
            return Err(format!("interface name {name} is invalid"));
        }
    }
    Ok(())
}

fn proxy_config(v: &str) -> Result<(), String> {
    match crate::object::yaml_documents(v) {
        Ok(docs) => match docs.into_iter().next() {
            None | Some(Value::Null) => Ok(()),
            Some(Value::Object(overlay)) => crate::proxy_config::check(&overlay)
                .map_err(|e| format!("failed to convert to apply proxy config: {e}")),
            Some(_) => Err("failed to convert to apply proxy config: not a map".to_owned()),
        },
        Err(e) => Err(format!("failed to convert to apply proxy config: {}", e.message)),
    }
}

/// `resource.ParseQuantity`'s grammar: a signed decimal number, optionally
/// with an exponent or a binary/decimal SI suffix.
fn quantity(v: &str) -> Result<(), String> {
    if v.chars().any(char::is_control) {
        return Err("value contains control characters".to_owned());
    }
    if is_quantity(v) {
        Ok(())
    } else {
        Err("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'".to_owned())
    }
}

pub(crate) fn is_quantity(v: &str) -> bool {
    let b = v.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let start = i;
    let mut dots = 0;
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
        dots += usize::from(b[i] == b'.');
        i += 1;
    }
    if i == start || dots > 1 || (i - start == 1 && dots == 1) {
        return false;
    }
    let suffix = &v[i..];
    matches!(suffix, "" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" | "n" | "u" | "m" | "k" | "M" | "G" | "T" | "P" | "E")
        || (suffix.starts_with(['e', 'E']) && {
            let exp = &suffix[1..];
            let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            !exp.is_empty() && exp.bytes().all(|c| c.is_ascii_digit())
        })
}

/// Pod labels against one of the injector's selectors: an empty or an
/// invalid selector matches nothing here, as Istio skips both (warning
/// about the invalid one).
pub fn selector_matches(selector: &Value, labels: &[(String, String)]) -> bool {
    crate::selector::invalid(selector).is_none()
        && !crate::selector::is_empty(selector)
        && crate::selector::matches(selector, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traffic_annotations() {
        let bad = |k: &str, v: &str| validate_annotations(&[(k.to_owned(), v.to_owned())]).unwrap_err();
        assert!(bad("traffic.sidecar.istio.io/includeOutboundIPRanges", "1.1.1.1").contains("includeIPRanges invalid"));
        assert!(
            bad("traffic.sidecar.istio.io/excludeOutboundIPRanges", "10.0.0.0/33").contains("excludeIPRanges invalid")
        );
        assert!(bad("traffic.sidecar.istio.io/includeInboundPorts", "80,x").contains("includeInboundPorts invalid"));
        assert!(
            validate_annotations(&[("traffic.sidecar.istio.io/includeOutboundIPRanges".into(), "*".into())]).is_ok()
        );
        assert!(validate_annotations(&[("sidecar.istio.io/proxyCPU".into(), "500m".into())]).is_ok());
        // Go's ParseUint takes no sign, and says which numbers are too big.
        let port = bad("status.sidecar.istio.io/port", "+15020");
        assert!(port.ends_with("failed parsing port '+15020': strconv.ParseUint: parsing \"+15020\": invalid syntax"));
        assert!(bad("status.sidecar.istio.io/port", "65536").ends_with("parsing \"65536\": value out of range"));
        let delay = "readiness.status.sidecar.istio.io/initialDelaySeconds";
        let expected = format!("'+5' for annotation '{delay}': strconv.ParseUint: parsing \"+5\": invalid syntax");
        assert!(bad(delay, "+5").ends_with(&expected));
        assert!(bad(delay, "4294967296").ends_with("parsing \"4294967296\": value out of range"));
        assert!(validate_annotations(&[(delay.into(), "4294967295".into())]).is_ok());
        assert!(bad("sidecar.istio.io/proxyCPU", "5 cores").contains("quantities must match"));
    }

    #[test]
    fn invalid_never_and_always_selectors_are_skipped() {
        let labels = vec![("tier".to_owned(), "web".to_owned())];
        let exists = serde_json::json!({"matchExpressions": [{"key": "tier", "operator": "Exists"}]});
        assert!(selector_matches(&exists, &labels));
        // The same with values: LabelSelectorAsSelector fails, Istio skips it.
        let with_values =
            serde_json::json!({"matchExpressions": [{"key": "tier", "operator": "Exists", "values": ["x"]}]});
        assert!(!selector_matches(&with_values, &labels));
        let not_in_nothing =
            serde_json::json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": []}]});
        assert!(!selector_matches(&not_in_nothing, &[]));
    }

    #[test]
    fn proxy_config_decodes_as_a_proxy_config() {
        let check = |v: &str| validate_annotations(&[("proxy.istio.io/config".to_owned(), v.to_owned())]);
        for good in [
            "",
            "drainDuration: 45s\nterminationDrainDuration: 1m30s",
            "drain_duration: 45s",
            "concurrency: 2\nholdApplicationUntilProxyStarts: true",
            "concurrency: \"2\"",
            "interceptionMode: TPROXY\nproxyMetadata: {A: b, SEP: \"|\"}",
            "interceptionMode: 1",
            "tracing: {sampling: 10, zipkin: {address: zipkin.istio-system:9411}}",
            "discoveryAddress: istiod.istio-system.svc:15012\nstatusPort: 15020",
            "discoveryAddress: '[fd00::1]:15012'",
            "unknownField: {any: thing}",
        ] {
            assert_eq!(check(good), Ok(()), "{good:?}");
        }
        for (bad, message) in [
            ("drainDuration: forever", r#"bad Duration: time: invalid duration "forever" (at drainDuration)"#),
            ("drainDuration: 1500ms", "drain time only supports durations to seconds precision"),
            ("terminationDrainDuration: 5", "of type durationpb.Duration"),
            ("concurrency: 2.5", "cannot unmarshal number 2.5 into Go struct field ProxyConfig.concurrency"),
            ("concurrency: lots", r#"cannot unmarshal string "lots" into Go struct field ProxyConfig.concurrency"#),
            ("holdApplicationUntilProxyStarts: maybe", "of type wrapperspb.BoolValue"),
            ("interceptionMode: BOGUS", r#"unknown value "BOGUS" for enum"#),
            ("proxyMetadata: {A: [1]}", "cannot unmarshal array into Go struct field ProxyConfig.proxyMetadata"),
            ("tracing: {sampling: lots}", "Tracing.tracing.sampling of type float64"),
            ("statusPort: 70000", "invalid status port: port number 70000 must be in the range 1..65535"),
            ("proxyAdminPort: 0", "invalid proxy admin port"),
            ("discoveryAddress: nope", r#"invalid discovery address: unable to split "nope""#),
            ("discoveryAddress: istiod:http", "port (http) is not a number"),
            ("controlPlaneAuthPolicy: INHERIT", "unrecognized control plane auth policy"),
            ("configPath: ''", "config path must be set"),
        ] {
            let e = check(bad).unwrap_err();
            assert!(e.contains("failed to convert to apply proxy config") && e.contains(message), "{bad:?}: {e}");
        }
    }
}
