//! Go signatures of template functions: enough to check calls before a
//! template runs (arity now; parameter types once values are typed).

/// A function's Go signature, as reflection reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    pub name: &'static str,
    /// Parameter types in Go's spelling (`string`, `interface {}`,
    /// `[]interface {}` for a variadic tail).
    pub params: &'static [&'static str],
    pub variadic: bool,
    pub results: &'static [&'static str],
}

/// How many arguments a function accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arity {
    pub min: usize,
    /// `None` for variadic functions.
    pub max: Option<usize>,
}

impl Arity {
    pub fn accepts(self, n: usize) -> bool {
        n >= self.min && self.max.is_none_or(|max| n <= max)
    }
}

impl Signature {
    pub const fn new(
        name: &'static str,
        params: &'static [&'static str],
        variadic: bool,
        results: &'static [&'static str],
    ) -> Signature {
        Signature { name, params, variadic, results }
    }

    pub fn arity(&self) -> Arity {
        if self.variadic {
            Arity { min: self.params.len() - 1, max: None }
        } else {
            Arity { min: self.params.len(), max: Some(self.params.len()) }
        }
    }

    /// `func(string, ...interface {}) string`, as Go's `%T` would print it.
    pub fn go_type(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if self.variadic && i + 1 == self.params.len() {
                    format!("...{}", p.strip_prefix("[]").unwrap_or(p))
                } else {
                    (*p).to_owned()
                }
            })
            .collect();
        let results = match self.results {
            [] => String::new(),
            [one] => format!(" {one}"),
            many => format!(" ({})", many.join(", ")),
        };
        format!("func({}){results}", params.join(", "))
    }
}
