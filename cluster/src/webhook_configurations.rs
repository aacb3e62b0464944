//! The cluster's MutatingWebhookConfigurations: every injector registered
//! (Istio's, one per revision, and injit's), which `check-inject`
//! evaluates as the API server would.

use serde_json::Value;

use crate::connect::Cluster;
use crate::error::Error;
use crate::resources::Resource;

impl Cluster {
    /// Every `admissionregistration.k8s.io/v1` MutatingWebhookConfiguration,
    /// each with its `kind` and `apiVersion` restored (the API leaves them
    /// off list items, and readers of manifests look for them).
    pub async fn mutating_webhook_configurations(&self) -> Result<Vec<Value>, Error> {
        let mut items = self.list(Resource::MUTATING_WEBHOOK_CONFIGURATIONS, None).await?.items;
        for item in &mut items {
            if let Some(map) = item.as_object_mut() {
                map.entry("kind").or_insert_with(|| "MutatingWebhookConfiguration".into());
                map.entry("apiVersion").or_insert_with(|| "admissionregistration.k8s.io/v1".into());
            }
        }
        Ok(items)
    }
}
