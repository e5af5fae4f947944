//! `kubernetes_sd_configs`: which pods a job discovers.

use super::yaml::nullable;
use crate::relabel::ConfigError;

/// One `kubernetes_sd_configs` entry: the keys that decide which objects are discovered. Connection keys
/// (`api_server`, `kubeconfig_file`, authentication, TLS) are accepted and ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct KubernetesSdConfig {
    /// `role`: `pod`, `service`, `endpoints`, `endpointslice`, `node` or `ingress`.
    pub role: String,
    /// `namespaces`.
    #[serde(deserialize_with = "nullable")]
    pub namespaces: KubernetesNamespaces,
    /// `selectors`.
    #[serde(deserialize_with = "nullable")]
    pub selectors: Vec<KubernetesSelector>,
    /// `attach_metadata`.
    #[serde(deserialize_with = "nullable")]
    pub attach_metadata: KubernetesAttachMetadata,
}

/// `namespaces` of a Kubernetes SD config: no names means every namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct KubernetesNamespaces {
    /// `own_namespace`: add the namespace Prometheus runs in.
    pub own_namespace: bool,
    /// `names`.
    #[serde(deserialize_with = "nullable")]
    pub names: Vec<String>,
}

/// One of `selectors`: a label and/or field selector for the objects of `role`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct KubernetesSelector {
    /// The role whose objects are filtered.
    pub role: String,
    /// A label selector (`app=reviews,version in (v1,v2)`).
    pub label: String,
    /// A field selector (`spec.nodeName=worker-2`).
    pub field: String,
}

/// `attach_metadata`: add the labels of the pod's node and/or namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct KubernetesAttachMetadata {
    /// `node`.
    pub node: bool,
    /// `namespace`.
    pub namespace: bool,
}

const KUBERNETES_ROLES: [&str; 6] = [
    "pod",
    "service",
    "endpoints",
    "endpointslice",
    "node",
    "ingress",
];

impl KubernetesSdConfig {
    /// Checks the role and the selectors' roles as Prometheus does when it loads the configuration.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.role.is_empty() {
            return Err(ConfigError::Decode(
                "role missing (one of: pod, service, endpoints, endpointslice, node, ingress)"
                    .into(),
            ));
        }
        if !KUBERNETES_ROLES.contains(&self.role.as_str()) {
            return Err(ConfigError::Decode(format!(
                "unknown Kubernetes SD role {:?}",
                self.role
            )));
        }
        let allowed: &[&str] = match self.role.as_str() {
            "pod" => &["pod", "node"],
            "service" => &["service"],
            "endpoints" | "endpointslice" => {
                &["endpoints", "endpointslice", "pod", "service", "node"]
            }
            "node" => &["node"],
            _ => &["ingress"],
        };
        let mut seen: Vec<&str> = Vec::new();
        for s in &self.selectors {
            if seen.contains(&s.role.as_str()) {
                return Err(ConfigError::Decode(format!(
                    "duplicated selector role: {}",
                    s.role
                )));
            }
            seen.push(&s.role);
            if !allowed.contains(&s.role.as_str()) {
                return Err(ConfigError::Decode(format!(
                    "{} role supports only {} selectors",
                    self.role,
                    allowed.join(", ")
                )));
            }
        }
        Ok(())
    }
}
