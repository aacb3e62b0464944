//! Building an injector from the three configuration texts (each a file,
//! or Istio's defaults embedded in injit).

use serde_json::Value;

use crate::config::{InjectorConfig, defaults, parse_mesh, parse_values};
use crate::error::Error;
use crate::injector::{Caller, Injector, Options};

/// A configuration text and where it came from.
#[derive(Clone, Debug)]
pub struct ConfigSource {
    pub name: String,
    pub text: String,
}

impl ConfigSource {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> ConfigSource {
        ConfigSource { name: name.into(), text: text.into() }
    }
}

/// The injector config, mesh config and values; `None` means Istio's
/// default.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    pub config: Option<ConfigSource>,
    pub mesh: Option<ConfigSource>,
    pub values: Option<ConfigSource>,
}

impl Sources {
    /// Reads the configs and compiles the templates.
    pub fn build(&self, options: Options) -> Result<Injector, Error> {
        let config = match &self.config {
            Some(s) => InjectorConfig::parse_or_template(&s.name, &s.text)?,
            None => InjectorConfig::parse("<default injector config>", defaults::CONFIG)?,
        };
        let mesh_defaults = crate::config::mesh_defaults();
        let mesh = match &self.mesh {
            Some(s) => parse_mesh(&s.name, &s.text, &mesh_defaults)?,
            None => parse_mesh("<default mesh config>", defaults::MESH, &mesh_defaults)?,
        };
        let values = match &self.values {
            Some(s) => parse_values(&s.name, &s.text)?,
            None => parse_values("<default values>", defaults::VALUES)?,
        };
        Injector::new(config, mesh, values, options)
    }

    /// `build`, then the config tried on the reference pods as `caller`
    /// injects them (`reference_pods.rs`): a config that makes invalid
    /// pods is an error naming the config, the reference pod and what is
    /// wrong.
    pub fn build_checked(&self, options: Options, caller: Caller) -> Result<Injector, Error> {
        let injector = self.build(options)?;
        crate::reference_pods::check(&injector, caller)
            .map_err(|e| Error::from(e).in_config(&injector.config().file))?;
        Ok(injector)
    }
}

/// The mesh config Istio uses with no mesh config given.
pub fn default_mesh() -> Value {
    parse_mesh("<default mesh config>", defaults::MESH, &crate::config::mesh_defaults())
        .expect("the embedded mesh config parses")
}
