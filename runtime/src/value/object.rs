//! Go values with methods and fields that templates can call and read:
//! `*semver.Version`, `time.Time`, sprig's certificates, and (with typed
//! data) Kubernetes and mesh-config objects.

use std::fmt;
use std::rc::Rc;

use crate::types::{Kind, Type};
use crate::value::Value;
use crate::value::func::FuncType;

/// A Go value with a named type, methods and fields.
pub trait GoObject: fmt::Debug + std::any::Any {
    /// For `Value::as_object`: the concrete object behind the trait.
    fn as_any(&self) -> &dyn std::any::Any;

    /// The type as `%T` prints it (`*semver.Version`).
    fn type_name(&self) -> &'static str;

    /// `Kind::Pointer` for pointer receivers, `Kind::Struct` for values.
    fn kind(&self) -> Kind;

    /// The signature of method `name`, if the type has one.
    fn method_type(&self, name: &str) -> Option<FuncType>;

    /// Calls method `name` with arguments already converted to its
    /// parameter types.
    fn call_method<'a>(&self, name: &str, args: &[Value<'a>]) -> Result<Value<'a>, String>;

    /// The exported fields, in declaration order (for `.Field` and `%v`).
    fn fields<'a>(&self) -> Vec<(&'static str, Value<'a>)> {
        Vec::new()
    }

    /// `String()`, for types that implement `fmt.Stringer`.
    fn string(&self) -> Option<String> {
        None
    }

    /// `MarshalJSON()`, for types that implement `json.Marshaler`.
    fn json(&self) -> Option<Result<Vec<u8>, String>> {
        None
    }

    /// The object's type as a runtime `Type`.
    fn go_type(&self) -> Type {
        Type::Named(crate::types::NamedType::new(self.type_name()))
    }
}

/// A method value bound to its receiver (`$v.Compare` before its arguments
/// are known).
#[derive(Debug)]
pub struct BoundMethod {
    pub receiver: Rc<dyn GoObject>,
    pub name: String,
    pub ty: FuncType,
}

impl BoundMethod {
    pub fn type_name(&self) -> String {
        self.ty.to_string()
    }

    pub fn call<'a>(&self, args: &[Value<'a>]) -> Result<Value<'a>, String> {
        self.receiver.call_method(&self.name, args)
    }
}
