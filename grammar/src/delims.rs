//! Action delimiters, chosen when a template is parsed.

/// The left and right action delimiters (`{{` and `}}` unless changed, as
/// with Go's `Template.Delims`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delims {
    left: String,
    right: String,
}

impl Default for Delims {
    fn default() -> Self {
        Delims { left: "{{".into(), right: "}}".into() }
    }
}

impl Delims {
    /// Delimiters as Go's `Delims(left, right)`: an empty one means the default.
    pub fn new(left: &str, right: &str) -> Delims {
        let left = if left.is_empty() { "{{" } else { left };
        let right = if right.is_empty() { "}}" } else { right };
        Delims { left: left.into(), right: right.into() }
    }

    /// Istio 1.0/1.1's `[[ ]]`.
    pub fn brackets() -> Delims {
        Delims::new("[[", "]]")
    }

    /// Parses `"L R"`, the form of `--delims`.
    pub fn parse(spec: &str) -> Option<Delims> {
        let mut parts = spec.split_whitespace();
        let (left, right) = (parts.next()?, parts.next()?);
        if parts.next().is_some() || left.contains('\0') || right.contains('\0') {
            return None;
        }
        Some(Delims::new(left, right))
    }

    /// The delimiters an injector config's template was written with: Istio
    /// 1.0/1.1 templates use `[[ ]]` (their `{{ }}` were consumed by Helm), so
    /// a template with `[[` and no `{{` is read with brackets.
    pub fn detect(template: &str) -> Delims {
        if template.contains("[[") && !template.contains("{{") { Delims::brackets() } else { Delims::default() }
    }

    pub fn left(&self) -> &str {
        &self.left
    }

    pub fn right(&self) -> &str {
        &self.right
    }

    pub fn is_default(&self) -> bool {
        self.left == "{{" && self.right == "}}"
    }
}

impl std::fmt::Display for Delims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.left, self.right)
    }
}
