//! Template functions: the function sets a template can be compiled against.

mod builtin_signatures;
mod istio_signatures;
mod signature;
mod sprig_signatures;

pub use signature::{Arity, Signature};

/// Which functions a template may call, as Go programs choose with `Funcs`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FunctionSet {
    /// `text/template`'s builtins only.
    #[default]
    Go,
    /// The builtins and sprig v3.2.3's `TxtFuncMap`.
    Sprig,
    /// Sprig overlaid with Istio's injection functions, as Istio parses its
    /// injection templates.
    Istio,
}

impl FunctionSet {
    pub fn name(self) -> &'static str {
        match self {
            FunctionSet::Go => "go",
            FunctionSet::Sprig => "sprig",
            FunctionSet::Istio => "istio",
        }
    }

    /// The function `name` resolves to, looking where Go's executor looks:
    /// the installed maps, latest first, then the builtins.
    pub fn signature(self, name: &str) -> Option<&'static Signature> {
        let find = |table: &'static [Signature]| table.iter().find(|s| s.name == name);
        let layered = match self {
            FunctionSet::Go => None,
            FunctionSet::Sprig => find(sprig_signatures::SPRIG),
            FunctionSet::Istio => {
                find(istio_signatures::ISTIO).or_else(|| find(sprig_signatures::SPRIG))
            }
        };
        layered.or_else(|| find(builtin_signatures::BUILTINS))
    }

    /// Every function name in the set, sorted.
    pub fn names(self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = builtin_signatures::BUILTINS
            .iter()
            .map(|s| s.name)
            .collect();
        if self != FunctionSet::Go {
            names.extend(sprig_signatures::SPRIG.iter().map(|s| s.name));
        }
        if self == FunctionSet::Istio {
            names.extend(istio_signatures::ISTIO.iter().map(|s| s.name));
        }
        names.sort_unstable();
        names.dedup();
        names
    }
}

/// The conformance kit's test-only functions (`testfuncs`).
pub fn kit_test_signature(name: &str) -> Option<&'static Signature> {
    builtin_signatures::KIT_TEST_FUNCS
        .iter()
        .find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_layer_like_go() {
        assert!(FunctionSet::Go.signature("printf").is_some());
        assert!(FunctionSet::Go.signature("quote").is_none());
        assert_eq!(
            FunctionSet::Sprig.signature("slice").unwrap().params,
            &["interface {}", "[]interface {}"]
        );
        assert_eq!(
            FunctionSet::Sprig.signature("indent").unwrap().params,
            &["int", "string"]
        );
        assert_eq!(
            FunctionSet::Istio.signature("contains").unwrap().params,
            &["string", "string"]
        );
        assert_eq!(FunctionSet::Istio.signature("env").unwrap().arity().min, 2);
        assert_eq!(FunctionSet::Sprig.signature("env").unwrap().arity().min, 1);
        assert_eq!(
            FunctionSet::Go.signature("printf").unwrap().go_type(),
            "func(string, ...interface {}) string"
        );
        assert!(FunctionSet::Sprig.names().len() > 200);
    }
}
