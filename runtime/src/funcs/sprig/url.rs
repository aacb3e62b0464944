//! `urlParse` and `urlJoin`: Go's `net/url` parsing and formatting, as
//! sprig uses them (a map of the URL's parts and back).

use std::rc::Rc;

use super::cast::kind_name;
use super::{ArgAccess, Result};
use crate::encoding::url::{Mode, escape, should_escape, unescape};
use crate::funcs::CallCx;
use crate::types::Type;
use crate::value::{MapValue, Value};

fn quoted(s: &[u8]) -> String {
    injit_strconv::quote(s)
}

fn valid_encoded(s: &[u8], mode: Mode) -> bool {
    s.iter().all(|&c| {
        matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'['
                | b']'
                | b'%'
        ) || !should_escape(c, mode)
    })
}

fn valid_optional_port(port: &[u8]) -> bool {
    port.is_empty() || port[0] == b':' && port[1..].iter().all(u8::is_ascii_digit)
}

fn valid_userinfo(s: &[u8]) -> bool {
    String::from_utf8_lossy(s).chars().all(|r| {
        r.is_ascii_alphanumeric()
            || matches!(
                r,
                '-' | '.'
                    | '_'
                    | ':'
                    | '~'
                    | '!'
                    | '$'
                    | '&'
                    | '\''
                    | '('
                    | ')'
                    | '*'
                    | '+'
                    | ','
                    | ';'
                    | '='
                    | '%'
                    | '@'
            )
    })
}

fn rfind(s: &[u8], c: u8) -> Option<usize> {
    s.iter().rposition(|&b| b == c)
}

fn find(s: &[u8], c: u8) -> Option<usize> {
    s.iter().position(|&b| b == c)
}

/// `*url.Userinfo`.
#[derive(Clone, Debug, Default)]
struct Userinfo {
    username: Vec<u8>,
    password: Option<Vec<u8>>,
}

impl Userinfo {
    fn string(&self) -> Vec<u8> {
        let mut s = escape(&self.username, Mode::UserPassword);
        if let Some(p) = &self.password {
            s.push(b':');
            s.extend(escape(p, Mode::UserPassword));
        }
        s
    }
}

/// `url.URL`, with the fields sprig reads or sets.
#[derive(Clone, Debug, Default)]
struct Url {
    scheme: Vec<u8>,
    opaque: Vec<u8>,
    user: Option<Userinfo>,
    host: Vec<u8>,
    path: Vec<u8>,
    raw_path: Vec<u8>,
    omit_host: bool,
    force_query: bool,
    raw_query: Vec<u8>,
    fragment: Vec<u8>,
    raw_fragment: Vec<u8>,
}

fn get_scheme(raw: &[u8]) -> std::result::Result<(Vec<u8>, &[u8]), String> {
    for (i, &c) in raw.iter().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i == 0 => return Ok((Vec::new(), raw)),
            b'0'..=b'9' | b'+' | b'-' | b'.' => {}
            b':' if i == 0 => return Err("missing protocol scheme".to_owned()),
            b':' => return Ok((raw[..i].to_vec(), &raw[i + 1..])),
            _ => return Ok((Vec::new(), raw)),
        }
    }
    Ok((Vec::new(), raw))
}

fn parse_host(host: &[u8]) -> std::result::Result<Vec<u8>, String> {
    if host.starts_with(b"[") {
        let Some(i) = rfind(host, b']') else { return Err("missing ']' in host".to_owned()) };
        let colon_port = &host[i + 1..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {} after host", quoted(colon_port)));
        }
        if let Some(zone) = host[..i].windows(3).position(|w| w == b"%25") {
            let mut out = unescape(&host[..zone], Mode::Host)?;
            out.extend(unescape(&host[zone..i], Mode::Zone)?);
            out.extend(unescape(&host[i..], Mode::Host)?);
            return Ok(out);
        }
    } else if let Some(i) = rfind(host, b':') {
        let colon_port = &host[i..];
        if !valid_optional_port(colon_port) {
            return Err(format!("invalid port {} after host", quoted(colon_port)));
        }
    }
    unescape(host, Mode::Host)
}

fn parse_authority(authority: &[u8]) -> std::result::Result<(Option<Userinfo>, Vec<u8>), String> {
    let at = rfind(authority, b'@');
    let host = parse_host(&authority[at.map_or(0, |i| i + 1)..])?;
    let Some(i) = at else { return Ok((None, host)) };
    let userinfo = &authority[..i];
    if !valid_userinfo(userinfo) {
        return Err("net/url: invalid userinfo".to_owned());
    }
    let user = match find(userinfo, b':') {
        None => Userinfo { username: unescape(userinfo, Mode::UserPassword)?, password: None },
        Some(c) => Userinfo {
            username: unescape(&userinfo[..c], Mode::UserPassword)?,
            password: Some(unescape(&userinfo[c + 1..], Mode::UserPassword)?),
        },
    };
    Ok((Some(user), host))
}

impl Url {
    /// `url.Parse`; the error is Go's `*url.Error` text.
    fn parse(raw: &[u8]) -> std::result::Result<Url, String> {
        let (u, frag) = match find(raw, b'#') {
            Some(i) => (&raw[..i], Some(&raw[i + 1..])),
            None => (raw, None),
        };
        let mut url = Url::parse_without_fragment(u).map_err(|e| format!("parse {}: {e}", quoted(u)))?;
        if let Some(f) = frag.filter(|f| !f.is_empty()) {
            let fragment = unescape(f, Mode::Fragment).map_err(|e| format!("parse {}: {e}", quoted(raw)))?;
            url.raw_fragment = if escape(&fragment, Mode::Fragment) == f { Vec::new() } else { f.to_vec() };
            url.fragment = fragment;
        }
        Ok(url)
    }

    fn parse_without_fragment(raw: &[u8]) -> std::result::Result<Url, String> {
        if raw.iter().any(|&b| b < b' ' || b == 0x7f) {
            return Err("net/url: invalid control character in URL".to_owned());
        }
        let mut url = Url::default();
        if raw == b"*" {
            url.path = b"*".to_vec();
            return Ok(url);
        }
        let (scheme, mut rest) = get_scheme(raw)?;
        url.scheme = scheme.to_ascii_lowercase();
        if rest.ends_with(b"?") && rest.iter().filter(|&&b| b == b'?').count() == 1 {
            url.force_query = true;
            rest = &rest[..rest.len() - 1];
        } else if let Some(q) = find(rest, b'?') {
            url.raw_query = rest[q + 1..].to_vec();
            rest = &rest[..q];
        }
        if !rest.starts_with(b"/") {
            if !url.scheme.is_empty() {
                url.opaque = rest.to_vec();
                return Ok(url);
            }
            let segment = &rest[..find(rest, b'/').unwrap_or(rest.len())];
            if segment.contains(&b':') {
                return Err("first path segment in URL cannot contain colon".to_owned());
            }
        }
        if (!url.scheme.is_empty() || !rest.starts_with(b"///")) && rest.starts_with(b"//") {
            let authority = &rest[2..];
            let (authority, path) = match find(authority, b'/') {
                Some(i) => (&authority[..i], &authority[i..]),
                None => (authority, &b""[..]),
            };
            (url.user, url.host) = parse_authority(authority)?;
            rest = path;
        } else if !url.scheme.is_empty() && rest.starts_with(b"/") {
            url.omit_host = true;
        }
        let path = unescape(rest, Mode::Path)?;
        url.raw_path = if escape(&path, Mode::Path) == rest { Vec::new() } else { rest.to_vec() };
        url.path = path;
        Ok(url)
    }

    fn escaped_path(&self) -> Vec<u8> {
        if !self.raw_path.is_empty()
            && valid_encoded(&self.raw_path, Mode::Path)
            && unescape(&self.raw_path, Mode::Path).is_ok_and(|p| p == self.path)
        {
            return self.raw_path.clone();
        }
        if self.path == b"*" {
            return b"*".to_vec();
        }
        escape(&self.path, Mode::Path)
    }

    fn escaped_fragment(&self) -> Vec<u8> {
        if !self.raw_fragment.is_empty()
            && valid_encoded(&self.raw_fragment, Mode::Fragment)
            && unescape(&self.raw_fragment, Mode::Fragment).is_ok_and(|f| f == self.fragment)
        {
            return self.raw_fragment.clone();
        }
        escape(&self.fragment, Mode::Fragment)
    }

    /// `(*URL).String`.
    fn string(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        if !self.scheme.is_empty() {
            buf.extend_from_slice(&self.scheme);
            buf.push(b':');
        }
        if !self.opaque.is_empty() {
            buf.extend_from_slice(&self.opaque);
        } else {
            let no_authority = self.host.is_empty() && self.user.is_none();
            if !(no_authority && (self.scheme.is_empty() || self.omit_host)) {
                if !self.host.is_empty() || !self.path.is_empty() || self.user.is_some() {
                    buf.extend_from_slice(b"//");
                }
                if let Some(user) = &self.user {
                    buf.extend(user.string());
                    buf.push(b'@');
                }
                buf.extend(escape(&self.host, Mode::Host));
            }
            let path = self.escaped_path();
            if !path.is_empty() && path[0] != b'/' && !self.host.is_empty() {
                buf.push(b'/');
            }
            if buf.is_empty() && path[..find(&path, b'/').unwrap_or(path.len())].contains(&b':') {
                buf.extend_from_slice(b"./");
            }
            buf.extend(path);
        }
        if self.force_query || !self.raw_query.is_empty() {
            buf.push(b'?');
            buf.extend_from_slice(&self.raw_query);
        }
        if !self.fragment.is_empty() {
            buf.push(b'#');
            buf.extend(self.escaped_fragment());
        }
        buf
    }

    /// `(*URL).Hostname`.
    fn hostname(&self) -> &[u8] {
        let mut host = &self.host[..];
        if let Some(colon) = rfind(host, b':')
            && valid_optional_port(&host[colon..])
        {
            host = &host[..colon];
        }
        if host.starts_with(b"[") && host.ends_with(b"]") {
            host = &host[1..host.len() - 1];
        }
        host
    }
}

pub(super) fn url_parse<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let url = Url::parse(a.str(0)).map_err(|e| format!("unable to parse url: {e}"))?;
    let mut map = MapValue::default();
    let mut put = |key: &str, value: Vec<u8>| map.insert(Rc::from(key.as_bytes()), Value::string(value).boxed());
    put("scheme", url.scheme.clone());
    put("host", url.host.clone());
    put("hostname", url.hostname().to_vec());
    put("path", url.path.clone());
    put("query", url.raw_query.clone());
    put("opaque", url.opaque.clone());
    put("fragment", url.fragment.clone());
    put("userinfo", url.user.as_ref().map(Userinfo::string).unwrap_or_default());
    Ok(Value::map(map, Type::AnyMap))
}

/// sprig's `dictGetOrEmpty`: a string entry, `""` when absent; any other
/// type panics (reported as the call's error).
fn entry(map: &Value<'_>, key: &str) -> std::result::Result<Vec<u8>, String> {
    let Some(value) = map.map_get(key.as_bytes()) else { return Ok(Vec::new()) };
    let value = value.unboxed();
    if !value.is_valid() {
        return Err("runtime error: invalid memory address or nil pointer dereference".to_owned());
    }
    match value.as_bytes() {
        Some(bytes) if value.kind() == crate::types::Kind::String => Ok(bytes.to_vec()),
        _ => Err(format!("unable to parse {key} key, must be of type string, but {} found", kind_name(&value))),
    }
}

pub(super) fn url_join<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let d = a.arg(0);
    let mut url = Url {
        scheme: entry(d, "scheme")?,
        host: entry(d, "host")?,
        path: entry(d, "path")?,
        raw_query: entry(d, "query")?,
        opaque: entry(d, "opaque")?,
        fragment: entry(d, "fragment")?,
        ..Url::default()
    };
    let userinfo = entry(d, "userinfo")?;
    if !userinfo.is_empty() {
        let mut raw = b"proto://".to_vec();
        raw.extend_from_slice(&userinfo);
        raw.extend_from_slice(b"@host");
        let temp = Url::parse(&raw).map_err(|e| format!("unable to parse userinfo in dict: {e}"))?;
        url.user = temp.user;
    }
    Ok(Value::string(url.string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(s: &str) -> String {
        String::from_utf8(Url::parse(s.as_bytes()).expect("parses").string()).expect("utf-8")
    }

    #[test]
    fn parses_and_formats_as_go() {
        assert_eq!(round_trip("https://u:p@h:8/a%20b?q=1#f"), "https://u:p@h:8/a%20b?q=1#f");
        assert_eq!(round_trip("mailto:x@y"), "mailto:x@y");
        assert_eq!(round_trip("/p/a th"), "/p/a%20th");
        assert_eq!(Url::parse(b"::").err().as_deref(), Some(r#"parse "::": missing protocol scheme"#));
        assert_eq!(
            Url::parse(b"http://h:x/").err().as_deref(),
            Some(r#"parse "http://h:x/": invalid port ":x" after host"#)
        );
        let u = Url::parse(b"http://[::1]:80/").expect("ipv6");
        assert_eq!(u.hostname(), b"::1");
    }
}
