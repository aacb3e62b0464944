//! The pods `check-inject` looks at: one pod, a Deployment (whose pod
//! template is the pod it would create), or the pods a label selector
//! picks, as the API sends them.

use serde_json::Value;

use crate::connect::Cluster;
use crate::error::Error;
use crate::resources::Resource;

impl Cluster {
    /// A Pod; a missing one is `Error::NotFound` naming `pod NS/NAME`.
    pub async fn pod(&self, namespace: &str, name: &str) -> Result<Value, Error> {
        self.get(Resource::PODS, Some(namespace), name).await
    }

    /// An `apps/v1` Deployment; a missing one is `Error::NotFound` naming
    /// `deployment NS/NAME`.
    pub async fn deployment(&self, namespace: &str, name: &str) -> Result<Value, Error> {
        self.get(Resource::DEPLOYMENTS, Some(namespace), name).await
    }

    /// The pods of `namespace` whose labels match `label_selector`.
    pub async fn pods_selected(&self, namespace: &str, label_selector: &str) -> Result<Vec<Value>, Error> {
        Ok(self.list_selected(Resource::PODS, Some(namespace), Some(label_selector)).await?.items)
    }
}
