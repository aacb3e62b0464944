//! Which data a bare template is written for, when `check` is not told:
//! Istio's `SidecarTemplateData` (what `--injectConfigFile` runs a bare
//! template over) when its root fields are that type's, so that
//! `.ObjectMeta.Anotations` is an error before a pod meets it; no type
//! when it reads JSON-style data (`render`'s), which a typed check would
//! drown in false errors.

use injit_compiler::check_fields;
use injit_grammar::Templates;
use injit_grammar::ast::{List, Node, Operand, Pipe};
use injit_runtime::types::GoType;

/// What `check` assumed for a bare template, and why, for its note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Assumed {
    /// Checked as Istio's sidecar template: the root fields it reads.
    Sidecar { fields: Vec<String> },
    /// Checked without types: a lowercase field read from a struct of the
    /// sidecar data, as JSON data would have it (the field's path).
    Json { field: String },
    /// Checked without types: no root field is the sidecar data's.
    Untyped,
}

impl Assumed {
    /// The data type to check with.
    pub fn data_type(&self) -> Option<GoType> {
        match self {
            Assumed::Sidecar { .. } => sidecar(),
            Assumed::Json { .. } | Assumed::Untyped => None,
        }
    }

    /// The note `check` prints, naming the choice and how to override it.
    pub fn note(&self) -> Option<String> {
        match self {
            Assumed::Sidecar { fields } => Some(format!(
                "checked as Istio's sidecar template, over inject.SidecarTemplateData (it reads {}); \
                 --data-type none checks without types",
                fields.iter().map(|f| format!(".{f}")).collect::<Vec<_>>().join(", ")
            )),
            Assumed::Json { field } => Some(format!(
                "checked without types: it reads {field}, a lowercase field, as JSON data has them \
                 (--data-type sidecar checks against Istio's sidecar data)"
            )),
            Assumed::Untyped => None,
        }
    }
}

fn sidecar() -> Option<GoType> {
    GoType::named("inject.SidecarTemplateData")
}

/// Decides for the parsed template `main` of `templates`.
pub fn assume(templates: &Templates, main: &str) -> Assumed {
    let (Some(tree), Some(data)) = (templates.get(main), sidecar()) else { return Assumed::Untyped };
    let mut roots = Vec::new();
    list_roots(&tree.root, true, &mut roots);
    roots.sort();
    roots.dedup();
    let known = data.field_names();
    let fields: Vec<String> = roots.into_iter().filter(|f| known.contains(&f.as_str())).collect();
    if fields.is_empty() {
        return Assumed::Untyped;
    }
    // Go reads only exported (capitalised) fields of a struct: a lowercase
    // one there means the template was written for maps.
    let lowercase = check_fields(templates, main, data).into_iter().find_map(|d| {
        let name = d.message.strip_prefix("can't evaluate field ")?.split(' ').next()?;
        name.starts_with(|c: char| c.is_ascii_lowercase()).then(|| name.to_owned())
    });
    match lowercase {
        Some(field) => Assumed::Json { field: format!("`{field}`") },
        None => Assumed::Sidecar { fields },
    }
}

/// The root fields read where `.` is the data (`dot_is_root`: not inside
/// `with` or `range`, which move `.`), and `$.X` anywhere.
fn list_roots(list: &List, dot_is_root: bool, roots: &mut Vec<String>) {
    for node in &list.nodes {
        match node {
            Node::Action(action) => pipe_roots(&action.pipe, dot_is_root, roots),
            Node::If(b) | Node::With(b) | Node::Range(b) => {
                pipe_roots(&b.pipe, dot_is_root, roots);
                let moves_dot = !matches!(node, Node::If(_));
                list_roots(&b.list, dot_is_root && !moves_dot, roots);
                if let Some(e) = &b.else_list {
                    list_roots(e, dot_is_root, roots);
                }
            }
            Node::Template(call) => {
                if let Some(pipe) = &call.pipe {
                    pipe_roots(pipe, dot_is_root, roots);
                }
            }
            Node::Text(_) | Node::Break(_) | Node::Continue(_) => {}
        }
    }
}

fn pipe_roots(pipe: &Pipe, dot_is_root: bool, roots: &mut Vec<String>) {
    for operand in pipe.cmds.iter().flat_map(|c| &c.args) {
        operand_roots(operand, dot_is_root, roots);
    }
}

fn operand_roots(operand: &Operand, dot_is_root: bool, roots: &mut Vec<String>) {
    match operand {
        Operand::Field(f) if dot_is_root => roots.extend(f.ident.first().cloned()),
        Operand::Variable(v) if v.ident.first().is_some_and(|n| n == "$") => roots.extend(v.ident.get(1).cloned()),
        Operand::Pipe(p) => pipe_roots(p, dot_is_root, roots),
        Operand::Chain(c) => operand_roots(&c.node, dot_is_root, roots),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use injit_grammar::{ParseOptions, parse};

    fn assumed(text: &str) -> Assumed {
        let lookup = |_: &str| true;
        let templates = parse(text, &ParseOptions::new("t", &lookup).lenient()).expect("parses");
        assume(&templates, "t")
    }

    #[test]
    fn sidecar_fields_make_a_sidecar_template() {
        let fields = |f: &[&str]| Assumed::Sidecar { fields: f.iter().map(|s| s.to_string()).collect() };
        assert_eq!(assumed("{{ .ObjectMeta.Anotations }}"), fields(&["ObjectMeta"]));
        assert_eq!(
            assumed("{{ with .Spec }}{{ $.ProxyImage }}{{ .Containers }}{{ end }}"),
            fields(&["ProxyImage", "Spec"])
        );
    }

    #[test]
    fn json_style_fields_are_checked_without_types() {
        assert_eq!(assumed("{{ .ObjectMeta.annotations }}"), Assumed::Json { field: "`annotations`".into() });
        // Lowercase keys of a map are fine.
        assert!(matches!(assumed("{{ .ObjectMeta.Labels.app }}{{ .Values.global }}"), Assumed::Sidecar { .. }));
    }

    #[test]
    fn other_data_is_checked_without_types() {
        assert_eq!(assumed("{{ .Name }}{{ range .Items }}{{ .ObjectMeta }}{{ end }}"), Assumed::Untyped);
    }
}
