//! The compact API descriptions the fakes check against, and how they are made from the
//! official ones.
//!
//! A compact description is an OpenAPI document (JSON) with only the facts the fakes use:
//! every path and method of the official description with its `operationId` (so an unknown
//! path and an operation the fake does not implement are told apart), and, for the operations
//! the fake implements, their parameters, request bodies and responses with every component
//! they reach: types, formats, required fields, enums, bounds, `nullable`, `readOnly`. Prose
//! and samples (`description`, `summary`, `title`, `example`, `examples`, `externalDocs`,
//! `x-…`) and response headers and links are left out.
//!
//! The files live in `testkit/api/` and are made by
//! `cargo run -p testkit --example compact_api_descriptions -- DIR` from the official
//! descriptions in `DIR`. The test `compact_api_descriptions` (in `testkit/tests/cloud`)
//! makes them again from the official descriptions, when `TOYGRES_OFFICIAL_API_DESCRIPTIONS`
//! names the folder holding them, and fails unless they are the committed files exactly.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context as _, anyhow, bail};
use serde_json::{Map, Value};

use providers::cloud::CloudKind;

/// The operations the fake of `kind` implements, by `operationId`.
pub(crate) fn implemented(kind: CloudKind) -> &'static [&'static str] {
    match kind {
        CloudKind::Hetzner => &[
            "list_servers",
            "create_server",
            "get_server",
            "delete_server",
            "power_off_server",
            "get_action",
            "get_server_action",
            "list_server_types",
        ],
        CloudKind::DigitalOcean => &[
            "droplets_list",
            "droplets_create",
            "droplets_get",
            "droplets_destroy",
            "dropletActions_post",
            "actions_get",
            "sizes_list",
        ],
    }
}

/// The file name of the official description of `kind`, as its publisher names it.
pub fn official_file(kind: CloudKind) -> &'static str {
    match kind {
        CloudKind::Hetzner => "hetzner-cloud-openapi.json",
        CloudKind::DigitalOcean => "digitalocean-openapi.v2.bundled.yaml",
    }
}

/// The file name of the compact description of `kind` in `testkit/api/`.
pub fn compact_file(kind: CloudKind) -> &'static str {
    match kind {
        CloudKind::Hetzner => "hetzner.json",
        CloudKind::DigitalOcean => "digitalocean.json",
    }
}

/// The compact description of `kind`, as committed.
pub(crate) fn committed(kind: CloudKind) -> &'static str {
    match kind {
        CloudKind::Hetzner => include_str!("../../api/hetzner.json"),
        CloudKind::DigitalOcean => include_str!("../../api/digitalocean.json"),
    }
}

/// The committed compact description of `kind`, parsed.
pub fn committed_description(kind: CloudKind) -> anyhow::Result<Value> {
    serde_json::from_str(committed(kind))
        .with_context(|| format!("parse the compact description {}", compact_file(kind)))
}

/// Read the official description of `kind` from `dir` and make its compact form.
pub fn compact_from_dir(kind: CloudKind, dir: &Path) -> anyhow::Result<Value> {
    let path = dir.join(official_file(kind));
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("read the API description {}", path.display()))?;
    let official: Value = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).context("parse the Hetzner API description")?
    } else {
        serde_norway::from_str(&widen_huge_integers(&text))
            .context("parse the DigitalOcean API description")?
    };
    compact(&official, implemented(kind))
}

/// The compact form of an official description, keeping the operations named.
pub fn compact(official: &Value, implemented: &[&str]) -> anyhow::Result<Value> {
    const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];
    let paths = official
        .get("paths")
        .and_then(Value::as_object)
        .ok_or_else(|| anyhow!("the description has no paths"))?;
    let mut out_paths = Map::new();
    let mut found = BTreeSet::new();
    for (template, item) in paths {
        let mut out_item = Map::new();
        let mut any_implemented = false;
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let id = op.get("operationId").and_then(Value::as_str).unwrap_or("");
            let mut out_op = Map::new();
            if implemented.contains(&id) {
                any_implemented = true;
                found.insert(id.to_owned());
                for key in ["parameters", "requestBody", "responses"] {
                    if let Some(v) = op.get(key) {
                        out_op.insert(key.to_owned(), strip(v));
                    }
                }
            }
            out_op.insert("operationId".to_owned(), Value::from(id));
            if op.get("deprecated") == Some(&Value::Bool(true)) {
                out_op.insert("deprecated".to_owned(), Value::Bool(true));
            }
            out_item.insert(method.to_owned(), Value::Object(out_op));
        }
        if any_implemented && let Some(shared) = item.get("parameters") {
            out_item.insert("parameters".to_owned(), strip(shared));
        }
        out_paths.insert(template.clone(), Value::Object(out_item));
    }
    if let Some(missing) = implemented.iter().find(|id| !found.contains(**id)) {
        bail!("the description has no operation {missing}");
    }

    let mut out = Map::new();
    out.insert(
        "openapi".to_owned(),
        official.get("openapi").cloned().unwrap_or(Value::Null),
    );
    if let Some(version) = official.pointer("/info/version") {
        out.insert("info".to_owned(), serde_json::json!({ "version": version }));
    }
    out.insert("paths".to_owned(), Value::Object(out_paths));
    let mut doc = Value::Object(out);
    copy_references(official, &mut doc)?;
    Ok(doc)
}

/// Keys that hold prose, samples or vendor extensions, and response parts no check reads.
fn left_out(key: &str) -> bool {
    matches!(
        key,
        "description"
            | "summary"
            | "title"
            | "example"
            | "examples"
            | "externalDocs"
            | "headers"
            | "links"
            | "tags"
    ) || key.starts_with("x-")
}

/// `value` without prose. The names in `properties` are data, not keywords: a property
/// called `description` stays.
fn strip(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, child) in map {
                if key == "properties" || key == "patternProperties" {
                    let names = child
                        .as_object()
                        .map(|props| props.iter().map(|(n, s)| (n.clone(), strip(s))).collect())
                        .unwrap_or_default();
                    out.insert(key.clone(), Value::Object(names));
                } else if key == "required" || key == "enum" || key == "default" {
                    out.insert(key.clone(), child.clone());
                } else if !left_out(key) {
                    out.insert(key.clone(), strip(child));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(strip).collect()),
        other => other.clone(),
    }
}

/// Copy into `doc`, at the same place, every component its `$ref`s reach (transitively),
/// stripped like the rest.
fn copy_references(official: &Value, doc: &mut Value) -> anyhow::Result<()> {
    let mut todo: Vec<String> = Vec::new();
    references(doc, &mut todo);
    let mut done = BTreeSet::new();
    while let Some(reference) = todo.pop() {
        if !done.insert(reference.clone()) {
            continue;
        }
        let pointer = reference
            .strip_prefix("#/components/")
            .ok_or_else(|| anyhow!("a reference outside the components: {reference}"))?;
        let target = official
            .pointer(&format!("/components/{pointer}"))
            .ok_or_else(|| anyhow!("a reference to nothing: {reference}"))?;
        let stripped = strip(target);
        references(&stripped, &mut todo);
        let mut slot = doc
            .as_object_mut()
            .expect("the compact description is an object")
            .entry("components")
            .or_insert_with(|| Value::Object(Map::new()));
        for part in pointer.split('/') {
            let part = part.replace("~1", "/").replace("~0", "~");
            slot = slot
                .as_object_mut()
                .ok_or_else(|| anyhow!("{reference} goes through a value"))?
                .entry(part)
                .or_insert_with(|| Value::Object(Map::new()));
        }
        *slot = stripped;
    }
    Ok(())
}

/// Every `$ref` in `value`.
fn references(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref", Value::String(r)) => into.push(r.clone()),
                    _ => references(child, into),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, into)),
        _ => {}
    }
}

/// The DigitalOcean description has integers beyond `u64` (`maximum: 18446744073709552000`),
/// which neither YAML nor JSON values without arbitrary precision take; written as floats
/// (`…2000.0`) they parse, a little rounded, which no check of ours notices.
fn widen_huge_integers(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let huge = body.rsplit_once(": ").is_some_and(|(_, value)| {
            !value.is_empty()
                && value.bytes().all(|b| b.is_ascii_digit())
                && value.parse::<u64>().is_err()
        });
        out.push_str(body);
        if huge {
            out.push_str(".0");
        }
        out.push_str(&line[body.len()..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn huge_integers_are_written_as_floats() {
        let text = "a:\n  maximum: 18446744073709552000\n  minimum: 4\r\n  name: '1'\n";
        assert_eq!(
            widen_huge_integers(text),
            "a:\n  maximum: 18446744073709552000.0\n  minimum: 4\r\n  name: '1'\n"
        );
    }

    #[test]
    fn prose_goes_but_a_property_named_description_stays() {
        let official = json!({
            "openapi": "3.0.3",
            "info": {"title": "An API", "version": "1.2"},
            "paths": {
                "/things/{id}": {
                    "parameters": [{"$ref": "#/components/parameters/id"}],
                    "get": {
                        "operationId": "get_thing",
                        "summary": "Get a thing",
                        "responses": {"200": {
                            "description": "the thing",
                            "headers": {"x-rate": {"$ref": "#/components/headers/rate"}},
                            "content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/thing"},
                                "example": {"description": "x"}
                            }}
                        }}
                    },
                    "delete": {"operationId": "delete_thing", "deprecated": true,
                               "description": "not implemented by the fake"}
                },
                "/other": {"post": {"operationId": "other", "requestBody": {}}}
            },
            "components": {
                "parameters": {"id": {"name": "id", "in": "path", "schema": {"type": "integer"},
                                      "description": "its id"}},
                "headers": {"rate": {"schema": {"type": "integer"}}},
                "schemas": {
                    "thing": {"type": "object", "title": "Thing", "required": ["description"],
                              "properties": {
                                  "description": {"type": "string", "description": "prose"},
                                  "kind": {"$ref": "#/components/schemas/kind"}
                              }},
                    "kind": {"type": "string", "enum": ["a", "b"], "x-internal": true},
                    "unused": {"type": "string"}
                }
            }
        });
        let made = compact(&official, &["get_thing"]).unwrap();
        assert_eq!(
            made,
            json!({
                "openapi": "3.0.3",
                "info": {"version": "1.2"},
                "paths": {
                    "/things/{id}": {
                        "parameters": [{"$ref": "#/components/parameters/id"}],
                        "get": {
                            "operationId": "get_thing",
                            "responses": {"200": {"content": {"application/json": {
                                "schema": {"$ref": "#/components/schemas/thing"}
                            }}}}
                        },
                        "delete": {"operationId": "delete_thing", "deprecated": true}
                    },
                    "/other": {"post": {"operationId": "other"}}
                },
                "components": {
                    "parameters": {"id": {"name": "id", "in": "path",
                                          "schema": {"type": "integer"}}},
                    "schemas": {
                        "thing": {"type": "object", "required": ["description"],
                                  "properties": {
                                      "description": {"type": "string"},
                                      "kind": {"$ref": "#/components/schemas/kind"}
                                  }},
                        "kind": {"type": "string", "enum": ["a", "b"]}
                    }
                }
            })
        );
        assert!(compact(&official, &["get_thing", "nope"]).is_err());
    }
}
