//! The config's own part of the template data, the same for every pod:
//! `.Values`, and `.MeshConfig` of the config's mesh. Converted once, and
//! lent to each render's data and given back after it, so that a pod pays
//! neither for copying them nor for freeing the copy.

use std::sync::{Mutex, PoisonError};

use injit_runtime::Data;
use serde_json::Value;

use crate::object::to_float_data;

/// How many lent copies are kept for reuse: one per render running at
/// once is enough; more would only hold memory.
const SPARES: usize = 16;

/// `.Values` and `.MeshConfig` as templates see them.
#[derive(Clone)]
pub(crate) struct Lent {
    pub values: Data,
    pub mesh: Data,
}

pub(crate) struct ConfigData {
    own: Lent,
    /// Copies given back, free to lend again.
    spares: Mutex<Vec<Lent>>,
}

impl ConfigData {
    pub(crate) fn new(values: &Value, mesh: &Value) -> ConfigData {
        ConfigData { own: Lent { values: to_float_data(values), mesh: to_float_data(mesh) }, spares: Mutex::default() }
    }

    /// `.Values`.
    pub(crate) fn values(&self) -> &Data {
        &self.own.values
    }

    /// `.MeshConfig` of the config's mesh.
    pub(crate) fn mesh(&self) -> &Data {
        &self.own.mesh
    }

    /// A copy to move into a render's data: one given back, or a new one.
    pub(crate) fn lend(&self) -> Lent {
        let spare = self.spares.lock().unwrap_or_else(PoisonError::into_inner).pop();
        spare.unwrap_or_else(|| self.own.clone())
    }

    /// Takes the lent parts back out of a render's `data` (an object with
    /// `Values` and `MeshConfig` entries; `mesh_lent`: whether its
    /// `MeshConfig` is the lent one rather than a pod's own mesh), freeing
    /// the rest.
    pub(crate) fn give_back(&self, data: Data, mesh_lent: bool) {
        let Data::Object(top) = data else { return };
        let (mut values, mut mesh) = (None, None);
        for (key, value) in top.into_entries() {
            match &*key {
                "Values" => values = Some(value),
                "MeshConfig" if mesh_lent => mesh = Some(value),
                _ => {}
            }
        }
        if let (Some(values), Some(mesh)) = (values, mesh) {
            let mut spares = self.spares.lock().unwrap_or_else(PoisonError::into_inner);
            if spares.len() < SPARES {
                spares.push(Lent { values, mesh });
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
        let config = ConfigData::new(&json!({"global": {"hub": "h"}}), &json!({"defaultConfig": {"x": 1}}));
        let lent = config.lend();
        assert_eq!(from_data(&lent.values), json!({"global": {"hub": "h"}}));
        let data = |lent: Lent, mesh: Data| {
            Data::Object(injit_runtime::Object::new(vec![
                ("MeshConfig".into(), mesh),
                ("Spec".into(), Data::Null),
                ("Values".into(), lent.values),
            ]))
        };
        // A pod's own mesh is not the config's: nothing is kept.
        let own_mesh = to_float_data(&json!({"other": true}));
        config.give_back(data(lent, own_mesh), false);
        assert!(config.spares.lock().unwrap().is_empty());
        let lent = config.lend();
        let mesh = lent.mesh.clone();
        config.give_back(data(lent, mesh), true);
        assert_eq!(config.spares.lock().unwrap().len(), 1);
        let again = config.lend();
        assert!(config.spares.lock().unwrap().is_empty(), "the spare is lent");
        assert_eq!(from_data(&again.mesh), json!({"defaultConfig": {"x": 1}}));
        assert_eq!(from_data(&again.values), json!({"global": {"hub": "h"}}));
    }
}
