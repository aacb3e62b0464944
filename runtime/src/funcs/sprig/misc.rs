//! sprig's reflection, path, environment and random functions.

use super::cast::{deep_equal, dynamic, kind_name};
use super::text::runes;
use super::{ArgAccess, Result};
use crate::funcs::CallCx;
use crate::value::Value;

pub(super) fn type_of<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let v = dynamic(a.arg(0));
    let name = if v.is_valid() { v.dyn_type_name() } else { "<nil>".to_owned() };
    Ok(Value::string(name.into_bytes()))
}

pub(super) fn type_is<'a>(cx: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let t = type_of(cx, &a[1..])?;
    Ok(Value::bool(t.as_bytes() == Some(a.str(0))))
}

pub(super) fn type_is_like<'a>(cx: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let t = type_of(cx, &a[1..])?;
    let t = t.as_bytes().unwrap_or_default();
    let target = a.str(0);
    Ok(Value::bool(t == target || t.strip_prefix(b"*") == Some(target)))
}

pub(super) fn kind_of<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(kind_name(a.arg(0)).as_bytes()))
}

pub(super) fn kind_is<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::bool(kind_name(a.arg(1)).as_bytes() == a.str(0)))
}

pub(super) fn deep_equal_fn<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::bool(deep_equal(a.arg(0), a.arg(1))))
}

/// Go's `path.Clean`.
pub(crate) fn clean(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return b".".to_vec();
    }
    let rooted = path[0] == b'/';
    let n = path.len();
    let mut out: Vec<u8> = Vec::with_capacity(n);
    let (mut r, mut dotdot) = (0, 0);
    if rooted {
        out.push(b'/');
        r = 1;
        dotdot = 1;
    }
    while r < n {
        if path[r] == b'/' || path[r] == b'.' && (r + 1 == n || path[r + 1] == b'/') {
            r += 1;
        } else if path[r] == b'.' && path.get(r + 1) == Some(&b'.') && (r + 2 == n || path[r + 2] == b'/') {
            r += 2;
            if out.len() > dotdot {
                let mut w = out.len() - 1;
                while w > dotdot && out[w] != b'/' {
                    w -= 1;
                }
                out.truncate(w);
            } else if !rooted {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(b"..");
                dotdot = out.len();
            }
        } else {
            if rooted && out.len() != 1 || !rooted && !out.is_empty() {
                out.push(b'/');
            }
            while r < n && path[r] != b'/' {
                out.push(path[r]);
                r += 1;
            }
        }
    }
    if out.is_empty() {
        return b".".to_vec();
    }
    out
}

/// Go's `path.Split`: the directory (with its slash) and the file.
pub(crate) fn split(path: &[u8]) -> (&[u8], &[u8]) {
    let i = path.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1);
    (&path[..i], &path[i..])
}

pub(super) fn base<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let mut p = a.str(0);
    if p.is_empty() {
        return Ok(Value::string(&b"."[..]));
    }
    while p.len() > 1 && p.ends_with(b"/") {
        p = &p[..p.len() - 1];
    }
    if let Some(i) = p.iter().rposition(|&b| b == b'/') {
        p = &p[i + 1..];
    }
    Ok(Value::string(if p.is_empty() { &b"/"[..] } else { p }))
}

pub(super) fn dir<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let (dir, _) = split(a.str(0));
    Ok(Value::string(clean(dir)))
}

pub(super) fn clean_fn<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::string(clean(a.str(0))))
}

pub(super) fn ext<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let p = a.str(0);
    for i in (0..p.len()).rev() {
        match p[i] {
            b'/' => break,
            b'.' => return Ok(Value::string(&p[i..])),
            _ => {}
        }
    }
    Ok(Value::string(&b""[..]))
}

pub(super) fn is_abs<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::bool(a.str(0).starts_with(b"/")))
}

/// `env`: the variable, when the caller allows templates to read the
/// environment; otherwise the environment looks empty.
pub(super) fn env<'a>(cx: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let value = if cx.allow_env {
        std::env::var_os(String::from_utf8_lossy(a.str(0)).as_ref()).map(|v| v.into_encoded_bytes()).unwrap_or_default()
    } else {
        Vec::new()
    };
    Ok(Value::string(value))
}

/// `os.ExpandEnv`: `$VAR` and `${VAR}` replaced (by nothing when the
/// environment is off).
pub(super) fn expandenv<'a>(cx: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let s = a.str(0);
    let lookup = |name: &[u8]| -> Vec<u8> {
        if !cx.allow_env {
            return Vec::new();
        }
        std::env::var_os(String::from_utf8_lossy(name).as_ref()).map(|v| v.into_encoded_bytes()).unwrap_or_default()
    };
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    let mut j = 0;
    while j < s.len() {
        if s[j] == b'$' && j + 1 < s.len() {
            out.extend_from_slice(&s[i..j]);
            let (name, width) = shell_name(&s[j + 1..]);
            if name.is_empty() && width > 0 {
                // Invalid syntax: eat the characters.
            } else if name.is_empty() {
                out.push(s[j]);
            } else {
                out.extend(lookup(name));
            }
            j += width;
            i = j + 1;
        }
        j += 1;
    }
    out.extend_from_slice(&s[i.min(s.len())..]);
    Ok(Value::string(out))
}

/// `os.getShellName`.
fn shell_name(s: &[u8]) -> (&[u8], usize) {
    let is_special = |c: u8| matches!(c, b'*' | b'#' | b'$' | b'@' | b'!' | b'?' | b'-') || c.is_ascii_digit();
    let is_alnum = |c: u8| c == b'_' || c.is_ascii_alphanumeric();
    if s[0] == b'{' {
        if s.len() > 2 && is_special(s[1]) && s[2] == b'}' {
            return (&s[1..2], 3);
        }
        for i in 1..s.len() {
            if s[i] == b'}' {
                if i == 1 {
                    return (&[], 2);
                }
                return (&s[1..i], i + 1);
            }
        }
        return (&[], 1);
    }
    if is_special(s[0]) {
        return (&s[0..1], 1);
    }
    let mut i = 0;
    while i < s.len() && is_alnum(s[i]) {
        i += 1;
    }
    (&s[..i], i)
}

/// `getHostByName`: a resolved address, when the caller allows lookups.
pub(super) fn get_host_by_name<'a>(cx: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    if !cx.allow_network {
        return Ok(Value::string(&b""[..]));
    }
    use std::net::ToSocketAddrs;
    let host = String::from_utf8_lossy(a.str(0));
    let addrs: Vec<String> =
        (host.as_ref(), 0).to_socket_addrs().map(|it| it.map(|a| a.ip().to_string()).collect()).unwrap_or_default();
    if addrs.is_empty() {
        return Err("runtime error: index out of range [0] with length 0".to_owned());
    }
    let pick = super::random::below(addrs.len() as u64) as usize;
    Ok(Value::string(addrs[pick].clone().into_bytes()))
}

/// xstrings.Shuffle: the runes in random order.
pub(super) fn shuffle<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let mut chars: Vec<char> = runes(a.str(0)).map(|(r, _)| r).collect();
    for i in (1..chars.len()).rev() {
        let j = super::random::below(i as u64 + 1) as usize;
        chars.swap(i, j);
    }
    Ok(Value::string(chars.into_iter().collect::<String>().into_bytes()))
}
