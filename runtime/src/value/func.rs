//! Function values (Go `func` values held in data), which templates call with
//! the `call` builtin.

use std::fmt;

use crate::types::Type;
use crate::value::Value;

/// A function's Go signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncType {
    pub params: Vec<Type>,
    pub variadic: bool,
    pub results: Vec<Type>,
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("func(")?;
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if self.variadic && i + 1 == self.params.len() {
                write!(f, "...{}", p.elem().unwrap_or(Type::Any))?;
            } else {
                write!(f, "{p}")?;
            }
        }
        f.write_str(")")?;
        match self.results.as_slice() {
            [] => Ok(()),
            [one] => write!(f, " {one}"),
            many => {
                f.write_str(" (")?;
                for (i, r) in many.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{r}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// What calling a function value does.
pub type FuncBody = Box<dyn for<'a> Fn(&[Value<'a>]) -> Result<Value<'a>, String>>;

/// A Go func value: a signature and a body, or a typed nil.
pub struct FuncValue {
    pub ty: FuncType,
    /// `None` for a nil func of this type.
    pub body: Option<FuncBody>,
}

impl FuncValue {
    pub fn is_nil(&self) -> bool {
        self.body.is_none()
    }

    pub fn type_name(&self) -> String {
        self.ty.to_string()
    }
}

impl fmt::Debug for FuncValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.ty)
    }
}
