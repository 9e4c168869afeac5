//! Server templates: the cloud-init `user_data` a new VM boots with. Each is a cloud-config
//! document with `{{placeholders}}` filled per server.

use super::Server;
use crate::{Error, Result};

/// A server template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerTemplate {
    /// Its name, as given to `provisionServer`.
    pub name: &'static str,
    /// What it installs.
    pub description: &'static str,
    /// The cloud-config document, with placeholders.
    pub body: &'static str,
}

/// The template used when none is named.
pub(crate) const DEFAULT: &str = "postgres-host";

/// Every template, the default first.
pub const TEMPLATES: &[ServerTemplate] = &[
    ServerTemplate {
        name: "postgres-host",
        description: "Debian 12 with Debian's PostgreSQL 15 and node_exporter for metrics",
        body: include_str!("templates/postgres-host.yaml"),
    },
    ServerTemplate {
        name: "postgres-host-pgdg",
        description: "Debian 12 with PostgreSQL 14 to 17 from apt.postgresql.org and node_exporter for metrics",
        body: include_str!("templates/postgres-host-pgdg.yaml"),
    },
];

/// The template called `name`.
pub(crate) fn find(name: &str) -> Result<&'static ServerTemplate> {
    TEMPLATES.iter().find(|t| t.name == name).ok_or_else(|| {
        let names: Vec<&str> = TEMPLATES.iter().map(|t| t.name).collect();
        Error::InvalidInput(format!(
            "no server template {name:?}; templates: {}",
            names.join(", ")
        ))
    })
}

/// The user data for `server`: its template with the server's id and name and the
/// authorised keys (the server's own first) filled in. The values are ids, DNS labels and keys
/// we validate as one line each, so none can break out of its YAML scalar.
pub fn render_user_data(server: &Server, authorized_keys: &[&str]) -> Result<String> {
    let template = find(&server.template)?;
    let mut keys = Vec::new();
    for key in authorized_keys {
        let key = key.trim();
        if key.contains(['\n', '\r', '"', '\\']) {
            return Err(Error::InvalidInput(
                "TOYGRES_SSH_AUTHORIZED_KEY must be one public key on one line".to_owned(),
            ));
        }
        keys.push(format!("\"{key}\""));
    }
    Ok(template
        .body
        .replace("{{server_id}}", &server.id.to_string())
        .replace("{{server_name}}", &server.name)
        .replace("{{ssh_authorized_keys}}", &format!("[{}]", keys.join(", "))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_cloud_config_with_node_exporter_pgbackrest_and_postgres() {
        for t in TEMPLATES {
            assert!(t.body.starts_with("#cloud-config\n"), "{}", t.name);
            assert!(t.body.contains("prometheus-node-exporter"), "{}", t.name);
            assert!(t.body.contains("\n  - pgbackrest\n"), "{}", t.name);
            assert!(t.body.contains("postgresql"), "{}", t.name);
            for placeholder in [
                "{{server_id}}",
                "{{server_name}}",
                "{{ssh_authorized_keys}}",
            ] {
                assert!(
                    t.body.contains(placeholder),
                    "{} lacks {placeholder}",
                    t.name
                );
            }
        }
        assert_eq!(TEMPLATES[0].name, DEFAULT);
    }

    #[test]
    fn an_unknown_template_is_invalid_input_naming_the_known_ones() {
        let err = find("windows").unwrap_err();
        assert!(err.to_string().contains("postgres-host"), "{err}");
    }
}
