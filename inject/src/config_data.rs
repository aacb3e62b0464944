//! The config's own part of the template data, the same for every pod:
//! `.Values`, `.MeshConfig` of the config's mesh, and `.ProxyConfig` of a
//! pod no ProxyConfig resource or annotation layers. Converted once, and
//! lent to each render's data and given back after it, so that a pod pays
//! neither for copying them nor for freeing the copy.

use std::sync::{Mutex, PoisonError};

use injit_runtime::Data;
use serde_json::Value;

use crate::object::to_float_data;
use crate::template_data;

/// How many lent copies of each part are kept for reuse: one per render
/// running at once is enough; more would only hold memory.
const SPARES: usize = 16;

/// The parts lent to one render: `.Values`, and those of `.MeshConfig`
/// and `.ProxyConfig` that were asked for.
pub(crate) struct Lent {
    pub values: Data,
    pub mesh: Option<Data>,
    pub proxy_config: Option<Data>,
}

/// Which part of the data: an index into the owned parts and their spares.
#[derive(Clone, Copy)]
enum Part {
    Values,
    Mesh,
    ProxyConfig,
}

impl Part {
    const ALL: [Part; 3] = [Part::Values, Part::Mesh, Part::ProxyConfig];

    /// Its key in the render's data.
    fn key(self) -> &'static str {
        match self {
            Part::Values => "Values",
            Part::Mesh => "MeshConfig",
            Part::ProxyConfig => "ProxyConfig",
        }
    }
}

pub(crate) struct ConfigData {
    /// By `Part`.
    own: [Data; 3],
    /// Copies given back, free to lend again, by `Part`.
    spares: [Mutex<Vec<Data>>; 3],
}

impl ConfigData {
    /// From the config's values and mesh, and the ProxyConfig of a pod
    /// nothing layers.
    pub(crate) fn new(values: &Value, mesh: &Value, proxy_config: &Value) -> ConfigData {
        let own = [to_float_data(values), to_float_data(mesh), template_data::proxy_config(proxy_config)];
        ConfigData { own, spares: Default::default() }
    }

    /// `.Values`.
    pub(crate) fn values(&self) -> &Data {
        &self.own[Part::Values as usize]
    }

    /// `.MeshConfig` of the config's mesh.
    pub(crate) fn mesh(&self) -> &Data {
        &self.own[Part::Mesh as usize]
    }

    /// Copies to move into a render's data (ones given back, or new ones):
    /// `.Values`, and `.MeshConfig` and `.ProxyConfig` if asked for.
    pub(crate) fn lend(&self, mesh: bool, proxy_config: bool) -> Lent {
        Lent {
            values: self.lend_part(Part::Values),
            mesh: mesh.then(|| self.lend_part(Part::Mesh)),
            proxy_config: proxy_config.then(|| self.lend_part(Part::ProxyConfig)),
        }
    }

    fn lend_part(&self, part: Part) -> Data {
        let spare = self.spares[part as usize].lock().unwrap_or_else(PoisonError::into_inner).pop();
        spare.unwrap_or_else(|| self.own[part as usize].clone())
    }

    /// Takes the lent parts back out of a render's `data` (an object with
    /// `Values`, `MeshConfig` and `ProxyConfig` entries; `mesh_lent` and
    /// `proxy_config_lent`: whether those were lent rather than the pod's
    /// own), freeing the rest.
    pub(crate) fn give_back(&self, data: Data, mesh_lent: bool, proxy_config_lent: bool) {
        let Data::Object(top) = data else { return };
        let lent = [true, mesh_lent, proxy_config_lent];
        for (key, value) in top.into_entries() {
            let Some(part) = Part::ALL.into_iter().find(|part| part.key() == &*key) else { continue };
            if lent[part as usize] {
                let mut spares = self.spares[part as usize].lock().unwrap_or_else(PoisonError::into_inner);
                if spares.len() < SPARES {
                    spares.push(value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::object::from_data;

    #[test]
    fn what_is_given_back_is_lent_again_as_it_was() {
        let config =
            ConfigData::new(&json!({"global": {"hub": "h"}}), &json!({"defaultConfig": {"x": 1}}), &json!({"x": 1}));
        let lent = config.lend(false, false);
        assert_eq!(from_data(&lent.values), json!({"global": {"hub": "h"}}));
        assert!(lent.mesh.is_none() && lent.proxy_config.is_none(), "only what is asked for is lent");
        let data = |values: Data, mesh: Data, proxy_config: Data| {
            Data::Object(injit_runtime::Object::new(vec![
                ("MeshConfig".into(), mesh),
                ("ProxyConfig".into(), proxy_config),
                ("Spec".into(), Data::Null),
                ("Values".into(), values),
            ]))
        };
        let spares = |config: &ConfigData| config.spares.each_ref().map(|s| s.lock().unwrap().len());
        // A pod's own mesh and ProxyConfig are not the config's: they are
        // not kept.
        let own = || to_float_data(&json!({"other": true}));
        config.give_back(data(lent.values, own(), own()), false, false);
        assert_eq!(spares(&config), [1, 0, 0]);
        let lent = config.lend(true, true);
        assert_eq!(spares(&config), [0, 0, 0], "the spare is lent");
        let (mesh, proxy_config) = (lent.mesh.expect("lent"), lent.proxy_config.expect("lent"));
        config.give_back(data(lent.values, mesh, proxy_config), true, true);
        assert_eq!(spares(&config), [1, 1, 1]);
        let again = config.lend(true, true);
        assert_eq!(spares(&config), [0, 0, 0]);
        assert_eq!(again.mesh.map(|mesh| from_data(&mesh)), Some(json!({"defaultConfig": {"x": 1}})));
        assert_eq!(again.proxy_config.map(|p| from_data(&p)), Some(json!({"x": 1})));
        assert_eq!(from_data(&again.values), json!({"global": {"hub": "h"}}));
    }
}
