//! sprig v3.2.3's `TxtFuncMap`, with sprig's own semantics and those of the
//! libraries it calls (spf13/cast, goutils, xstrings, mergo, semver,
//! shopspring/decimal), as Debian ships them to the reference oracle.

mod aes;
mod cast;
mod certs;
mod date;
mod decimal;
mod der;
mod dicts;
mod encoding;
mod json;
mod keys;
mod lists;
mod misc;
mod numeric;
mod passwords;
mod random;
mod regex;
mod semver;
mod strings;
mod text;
mod url;
mod xstrings;

use super::{Body, NativeFn, WriteFn};

/// The most bytes a function builds into one string, and elements into
/// one list, from a count in its arguments (`repeat`, `until`, `indent`,
/// `randAlpha`...). Go has no such limit and would exhaust memory instead;
/// a render's whole output is limited to the same 64 MiB.
pub(crate) const MAX_BUILT_BYTES: usize = 64 << 20;
pub(crate) const MAX_BUILT_ELEMENTS: usize = 1 << 22;
use crate::value::Value;

/// What a sprig function returns.
pub(crate) type Result<'a> = std::result::Result<Value<'a>, String>;

/// Reading arguments that the executor has already converted to the
/// parameter types of the function's signature.
pub(crate) trait ArgAccess<'a> {
    fn arg(&self, i: usize) -> &Value<'a>;
    fn all(&self) -> &[Value<'a>];
    /// A `string` parameter.
    fn str(&self, i: usize) -> &[u8];
    /// An `int` parameter.
    fn int(&self, i: usize) -> i64;
}

impl<'a> ArgAccess<'a> for [Value<'a>] {
    fn arg(&self, i: usize) -> &Value<'a> {
        &self[i]
    }

    fn all(&self) -> &[Value<'a>] {
        self
    }

    fn str(&self, i: usize) -> &[u8] {
        self[i].as_bytes().unwrap_or_default()
    }

    fn int(&self, i: usize) -> i64 {
        match self[i].repr {
            crate::value::Repr::Int(v, _) => v,
            crate::value::Repr::Uint(v, _) => v as i64,
            _ => 0,
        }
    }
}

/// The sprig functions that print their result straight into the output.
pub(crate) fn writer(name: &str) -> Option<WriteFn> {
    Some(match name {
        "quote" => strings::quote_into,
        "indent" => strings::indent_into,
        "nindent" => strings::nindent_into,
        "toJson" => json::to_json_into,
        _ => return None,
    })
}

/// The body of sprig function `name`.
pub(crate) fn body(name: &str) -> Option<Body> {
    let f: NativeFn = match name {
        "hello" => strings::hello,
        // crypto
        "genPrivateKey" => certs::gen_private_key,
        "genCA" => certs::gen_ca,
        "genCAWithKey" => certs::gen_ca_with_key,
        "genSelfSignedCert" => certs::gen_self_signed_cert,
        "genSelfSignedCertWithKey" => certs::gen_self_signed_cert_with_key,
        "genSignedCert" => certs::gen_signed_cert,
        "genSignedCertWithKey" => certs::gen_signed_cert_with_key,
        "buildCustomCert" => certs::build_custom_cert,
        "bcrypt" => passwords::bcrypt,
        "htpasswd" => passwords::htpasswd,
        "derivePassword" => passwords::derive_password,
        "encryptAES" => aes::encrypt_aes,
        "decryptAES" => aes::decrypt_aes,
        // dates
        "now" => date::now,
        "date" => date::date,
        "dateInZone" | "date_in_zone" => date::date_in_zone,
        "htmlDate" => date::html_date,
        "htmlDateInZone" => date::html_date_in_zone,
        "dateModify" | "date_modify" => date::date_modify,
        "mustDateModify" | "must_date_modify" => date::must_date_modify,
        "toDate" => date::to_date,
        "mustToDate" => date::must_to_date,
        "unixEpoch" => date::unix_epoch,
        "ago" => date::ago,
        "duration" => date::duration,
        "durationRound" => date::duration_round,
        "semver" => semver::semver,
        "semverCompare" => semver::semver_compare,
        "urlParse" => url::url_parse,
        "urlJoin" => url::url_join,
        // strings
        "abbrev" => strings::abbrev,
        "abbrevboth" => strings::abbrevboth,
        "trunc" => strings::trunc,
        "trim" => strings::trim,
        "upper" => strings::upper,
        "lower" => strings::lower,
        "title" => strings::title,
        "untitle" => strings::untitle,
        "substr" => strings::substr,
        "repeat" => strings::repeat,
        "trimall" | "trimAll" => strings::trim_all,
        "trimSuffix" => strings::trim_suffix,
        "trimPrefix" => strings::trim_prefix,
        "nospace" => strings::nospace,
        "initials" => strings::initials,
        "swapcase" => strings::swapcase,
        "shuffle" => misc::shuffle,
        "snakecase" => strings::snakecase,
        "camelcase" => strings::camelcase,
        "kebabcase" => strings::kebabcase,
        "wrap" => strings::wrap,
        "wrapWith" => strings::wrap_with,
        "contains" => strings::contains,
        "hasPrefix" => strings::has_prefix,
        "hasSuffix" => strings::has_suffix,
        "quote" => strings::quote,
        "squote" => strings::squote,
        "cat" => strings::cat,
        "indent" => strings::indent,
        "nindent" => strings::nindent,
        "replace" => strings::replace,
        "plural" => strings::plural,
        "sha1sum" => encoding::sha1sum,
        "sha256sum" => encoding::sha256sum,
        "adler32sum" => encoding::adler32sum,
        "toString" => strings::to_string,
        "atoi" => strings::atoi,
        "split" => strings::split,
        "splitList" => strings::split_list,
        "splitn" => strings::splitn,
        "toStrings" => strings::to_strings,
        "join" => strings::join,
        "sortAlpha" => strings::sort_alpha,
        "fail" => strings::fail,
        // numbers
        "int64" => numeric::to_int64_fn,
        "int" => numeric::to_int_fn,
        "float64" => numeric::to_float64_fn,
        "seq" => lists::seq,
        "toDecimal" => numeric::to_decimal,
        "until" => lists::until,
        "untilStep" => lists::until_step_fn,
        "add1" => numeric::add1,
        "add" => numeric::add,
        "sub" => numeric::sub,
        "div" => numeric::div,
        "mod" => numeric::modulo,
        "mul" => numeric::mul,
        "randInt" => random::rand_int,
        "add1f" => numeric::add1f,
        "addf" => numeric::addf,
        "subf" => numeric::subf,
        "divf" => numeric::divf,
        "mulf" => numeric::mulf,
        "biggest" | "max" => numeric::max,
        "min" => numeric::min,
        "maxf" => numeric::maxf,
        "minf" => numeric::minf,
        "ceil" => numeric::ceil,
        "floor" => numeric::floor,
        "round" => numeric::round,
        // defaults and JSON
        "default" => defaults_default,
        "empty" => defaults_empty,
        "coalesce" => defaults_coalesce,
        "all" => defaults_all,
        "any" => defaults_any,
        "compact" | "mustCompact" => lists::compact,
        "fromJson" => json::from_json,
        "mustFromJson" => json::must_from_json,
        "toJson" => json::to_json,
        "mustToJson" => json::must_to_json,
        "toPrettyJson" => json::to_pretty_json,
        "mustToPrettyJson" => json::must_to_pretty_json,
        "toRawJson" | "mustToRawJson" => json::to_raw_json,
        "ternary" => defaults_ternary,
        "deepCopy" | "mustDeepCopy" => dicts::deep_copy,
        // reflection
        "typeOf" => misc::type_of,
        "typeIs" => misc::type_is,
        "typeIsLike" => misc::type_is_like,
        "kindOf" => misc::kind_of,
        "kindIs" => misc::kind_is,
        "deepEqual" => misc::deep_equal_fn,
        // environment, network
        "env" => misc::env,
        "expandenv" => misc::expandenv,
        "getHostByName" => misc::get_host_by_name,
        // paths
        "base" | "osBase" => misc::base,
        "dir" | "osDir" => misc::dir,
        "clean" | "osClean" => misc::clean_fn,
        "ext" | "osExt" => misc::ext,
        "isAbs" | "osIsAbs" => misc::is_abs,
        // encodings
        "b64enc" => encoding::b64enc,
        "b64dec" => encoding::b64dec,
        "b32enc" => encoding::b32enc,
        "b32dec" => encoding::b32dec,
        // lists and dicts
        "tuple" | "list" => lists::list,
        "dict" => dicts::dict,
        "get" => dicts::get,
        "set" => dicts::set,
        "unset" => dicts::unset,
        "hasKey" => dicts::has_key,
        "pluck" => dicts::pluck,
        "keys" => dicts::keys,
        "pick" => dicts::pick,
        "omit" => dicts::omit,
        "merge" | "mustMerge" => dicts::merge,
        "mergeOverwrite" | "mustMergeOverwrite" => dicts::merge_overwrite,
        "values" => dicts::values,
        "append" | "push" | "mustAppend" | "mustPush" => lists::push,
        "prepend" | "mustPrepend" => lists::prepend,
        "first" | "mustFirst" => lists::first,
        "rest" | "mustRest" => lists::rest,
        "last" | "mustLast" => lists::last,
        "initial" | "mustInitial" => lists::initial,
        "reverse" | "mustReverse" => lists::reverse,
        "uniq" | "mustUniq" => lists::uniq,
        "without" | "mustWithout" => lists::without,
        "has" | "mustHas" => lists::has,
        "slice" | "mustSlice" => lists::slice,
        "concat" => lists::concat,
        "dig" => dicts::dig,
        "chunk" | "mustChunk" => lists::chunk,
        // randomness
        "randAlphaNum" => random::rand_alpha_num,
        "randAlpha" => random::rand_alpha,
        "randAscii" => random::rand_ascii,
        "randNumeric" => random::rand_numeric,
        "randBytes" => random::rand_bytes,
        "uuidv4" => random::uuidv4,
        // regular expressions
        "regexMatch" => regex::regex_match,
        "mustRegexMatch" => regex::must_regex_match,
        "regexFindAll" => regex::regex_find_all,
        "mustRegexFindAll" => regex::must_regex_find_all,
        "regexFind" => regex::regex_find,
        "mustRegexFind" => regex::must_regex_find,
        "regexReplaceAll" => regex::regex_replace_all,
        "mustRegexReplaceAll" => regex::must_regex_replace_all,
        "regexReplaceAllLiteral" => regex::regex_replace_all_literal,
        "mustRegexReplaceAllLiteral" => regex::must_regex_replace_all_literal,
        "regexSplit" => regex::regex_split,
        "mustRegexSplit" => regex::must_regex_split,
        "regexQuoteMeta" => regex::regex_quote_meta,
        _ => return None,
    };
    Some(Body::Native(f))
}

use crate::funcs::CallCx;
use cast::{dynamic, empty};

/// `default d given...`: `given` unless it is empty.
fn defaults_default<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let given = &a[1..];
    if given.is_empty() || empty(&given[0]) {
        return Ok(a[0].clone());
    }
    Ok(given[0].clone())
}

fn defaults_empty<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::bool(empty(&a[0])))
}

fn defaults_coalesce<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(a.iter().find(|v| !empty(v)).cloned().unwrap_or_else(Value::nil_interface))
}

fn defaults_all<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::bool(a.iter().all(|v| !empty(v))))
}

fn defaults_any<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    Ok(Value::bool(a.iter().any(|v| !empty(v))))
}

fn defaults_ternary<'a>(_: &CallCx, a: &[Value<'a>]) -> Result<'a> {
    let truth = matches!(dynamic(&a[2]).repr, crate::value::Repr::Bool(true));
    Ok(if truth { a[0].clone() } else { a[1].clone() })
}
