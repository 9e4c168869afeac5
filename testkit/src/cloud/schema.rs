//! OpenAPI 3.0 schemas as JSON Schema 2020-12, so a stock validator can check them.
//!
//! What changes:
//! * `$ref: #/components/schemas/X` points into the bundled `$defs`, which hold only the
//!   components the schema reaches.
//! * `nullable: true` becomes `anyOf: [schema, {type: null}]`.
//! * Boolean `exclusiveMinimum`/`exclusiveMaximum` become the numeric 2020-12 forms.
//! * Requests: a `readOnly` property may not be sent (it is dropped from `properties`, and so
//!   rejected as undeclared) and is never required. Responses: a `writeOnly` property is
//!   never required.
//! * Strictness, for requests only: every object schema that declares properties and says
//!   nothing of `additionalProperties` gets `unevaluatedProperties: false` where it is used
//!   as a value (a body, a property, an item), never on an `allOf` part, so the parts of a
//!   composed object see each other's properties.
//! * Annotations 2020-12 has no use for (`example`, `discriminator`, `xml`, `x-…`) go.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value, json};

/// Which side of the exchange a schema checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    /// What a client sends: strict, `readOnly` properties refused.
    Request,
    /// What the API answers: open, `writeOnly` properties optional.
    Response,
}

const COMPONENT_SCHEMAS: &str = "#/components/schemas/";

/// How deep a schema may nest references that are not components before we stop: a guard
/// against a cycle through inline pointers.
const MAX_INLINE_DEPTH: usize = 32;

/// Converts schemas of one OpenAPI document.
pub(super) struct Converter<'a> {
    doc: &'a Value,
    mode: Mode,
    /// Component name → its key in `$defs` (names are made safe for a URI fragment).
    keys: BTreeMap<String, String>,
    defs: Map<String, Value>,
    queue: Vec<String>,
    depth: usize,
}

impl<'a> Converter<'a> {
    /// A converter of schemas in `doc`.
    pub(super) fn new(doc: &'a Value, mode: Mode) -> Self {
        Self {
            doc,
            mode,
            keys: BTreeMap::new(),
            defs: Map::new(),
            queue: Vec::new(),
            depth: 0,
        }
    }

    /// `schema` (a request body, a parameter, a response) as a self-contained JSON Schema.
    pub(super) fn root(mut self, schema: &Value) -> Value {
        let root = self.convert(schema, true);
        while let Some(name) = self.queue.pop() {
            let key = self.keys[&name].clone();
            if self.defs.contains_key(&key) {
                continue;
            }
            // A placeholder first, so a schema that refers to itself is not queued again.
            self.defs.insert(key.clone(), Value::Bool(true));
            let target = component(self.doc, &name)
                .cloned()
                .unwrap_or(Value::Bool(true));
            let converted = self.convert(&target, false);
            self.defs.insert(key, converted);
        }
        let mut out = match root {
            Value::Object(map) => map,
            other => {
                let mut map = Map::new();
                map.insert("allOf".to_owned(), json!([other]));
                map
            }
        };
        out.insert(
            "$schema".to_owned(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
        if !self.defs.is_empty() {
            out.insert("$defs".to_owned(), Value::Object(self.defs));
        }
        Value::Object(out)
    }

    /// One schema; `value` says whether it stands for a whole value (a body, a property, an
    /// item) rather than a part of an `allOf`, `anyOf` or `oneOf`.
    fn convert(&mut self, schema: &Value, value: bool) -> Value {
        let Some(obj) = schema.as_object() else {
            return schema.clone();
        };
        if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
            // OpenAPI 3.0 ignores everything beside a `$ref`.
            return self.reference(reference, schema, value);
        }
        let mut out = Map::new();
        for (key, v) in obj {
            match key.as_str() {
                "properties" => {
                    let mut props = Map::new();
                    for (name, prop) in v.as_object().into_iter().flatten() {
                        if self.mode == Mode::Request && self.flag(prop, "readOnly") {
                            continue;
                        }
                        props.insert(name.clone(), self.convert(prop, true));
                    }
                    out.insert(key.clone(), Value::Object(props));
                }
                "required" => {
                    let hidden = match self.mode {
                        Mode::Request => "readOnly",
                        Mode::Response => "writeOnly",
                    };
                    let required: Vec<Value> = v
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|name| {
                            let prop = name
                                .as_str()
                                .and_then(|n| obj.get("properties").and_then(|p| p.get(n)));
                            !prop.is_some_and(|p| self.flag(p, hidden))
                        })
                        .cloned()
                        .collect();
                    out.insert(key.clone(), Value::Array(required));
                }
                "items" | "not" => {
                    out.insert(key.clone(), self.convert(v, true));
                }
                "additionalProperties" if v.is_object() => {
                    out.insert(key.clone(), self.convert(v, true));
                }
                "allOf" | "anyOf" | "oneOf" => {
                    let parts = v
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|part| self.convert(part, false))
                        .collect();
                    out.insert(key.clone(), Value::Array(parts));
                }
                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {}
                "nullable" | "example" | "discriminator" | "xml" | "externalDocs" => {}
                k if k.starts_with("x-") => {}
                _ => {
                    out.insert(key.clone(), v.clone());
                }
            }
        }
        for (bound, exclusive) in [
            ("minimum", "exclusiveMinimum"),
            ("maximum", "exclusiveMaximum"),
        ] {
            match (obj.get(bound), obj.get(exclusive)) {
                (Some(limit), Some(Value::Bool(true))) => {
                    out.insert(exclusive.to_owned(), limit.clone());
                }
                (Some(limit), _) => {
                    out.insert(bound.to_owned(), limit.clone());
                }
                (None, Some(limit)) if limit.is_number() => {
                    out.insert(exclusive.to_owned(), limit.clone());
                }
                (None, _) => {}
            }
        }
        if value && self.mode == Mode::Request && self.closes(schema, &mut HashSet::new()) {
            out.insert("unevaluatedProperties".to_owned(), Value::Bool(false));
        }
        let out = Value::Object(out);
        if obj.get("nullable") == Some(&Value::Bool(true)) {
            json!({"anyOf": [out, {"type": "null"}]})
        } else {
            out
        }
    }

    fn reference(&mut self, reference: &str, schema: &Value, value: bool) -> Value {
        let Some(name) = reference
            .strip_prefix(COMPONENT_SCHEMAS)
            .filter(|n| !n.contains('/'))
        else {
            // Some other pointer into the document: convert what it points at in place.
            let target = pointer(self.doc, reference).cloned();
            return match target {
                Some(target) if self.depth < MAX_INLINE_DEPTH => {
                    self.depth += 1;
                    let converted = self.convert(&target, value);
                    self.depth -= 1;
                    converted
                }
                _ => Value::Bool(true),
            };
        };
        let next = self.keys.len();
        let key = self
            .keys
            .entry(name.to_owned())
            .or_insert_with(|| {
                let safe: String = name
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                format!("{safe}-{next}")
            })
            .clone();
        self.queue.push(name.to_owned());
        let mut out = Map::new();
        out.insert("$ref".to_owned(), json!(format!("#/$defs/{key}")));
        if value && self.mode == Mode::Request && self.closes(schema, &mut HashSet::new()) {
            out.insert("unevaluatedProperties".to_owned(), Value::Bool(false));
        }
        Value::Object(out)
    }

    /// Whether a property schema (or what it refers to) carries `flag: true`.
    fn flag(&self, schema: &Value, flag: &str) -> bool {
        let resolved = match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => pointer(self.doc, r).unwrap_or(schema),
            None => schema,
        };
        resolved.get(flag) == Some(&Value::Bool(true))
    }

    /// Whether an object schema should refuse undeclared properties: it declares some,
    /// itself or through its parts, and none of them opens it with `additionalProperties`.
    fn closes(&self, schema: &Value, seen: &mut HashSet<String>) -> bool {
        let mut declares = false;
        !self.opens(schema, seen, &mut declares) && declares
    }

    /// Whether `schema` or a part says `additionalProperties`; notes in `declares` whether
    /// any part declares properties.
    fn opens(&self, schema: &Value, seen: &mut HashSet<String>, declares: &mut bool) -> bool {
        let Some(obj) = schema.as_object() else {
            return false;
        };
        if let Some(reference) = obj.get("$ref").and_then(Value::as_str) {
            if !seen.insert(reference.to_owned()) {
                return false;
            }
            return pointer(self.doc, reference)
                .is_some_and(|target| self.opens(target, seen, declares));
        }
        if obj.contains_key("additionalProperties") {
            return true;
        }
        if obj
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty())
        {
            *declares = true;
        }
        ["allOf", "anyOf", "oneOf"]
            .iter()
            .filter_map(|k| obj.get(*k).and_then(Value::as_array))
            .flatten()
            .any(|part| self.opens(part, seen, declares))
    }
}

/// `#/components/schemas/<name>` of the document.
fn component<'v>(doc: &'v Value, name: &str) -> Option<&'v Value> {
    doc.get("components")?.get("schemas")?.get(name)
}

/// What an internal reference (`#/…`) points at.
pub(super) fn pointer<'v>(doc: &'v Value, reference: &str) -> Option<&'v Value> {
    doc.pointer(reference.strip_prefix('#')?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        json!({"components": {"schemas": {
            "base": {"type": "object", "properties": {
                "id": {"type": "integer", "readOnly": true},
                "name": {"type": "string"}
            }, "required": ["id", "name"]},
            "composed": {"allOf": [
                {"$ref": "#/components/schemas/base"},
                {"type": "object", "properties": {"size": {"type": "string"}}}
            ]},
            "free": {"type": "object"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}}
        }}})
    }

    fn valid(mode: Mode, schema: &Value, instance: &Value) -> bool {
        let doc = doc();
        let schema = Converter::new(&doc, mode).root(schema);
        jsonschema::draft202012::options()
            .build(&schema)
            .expect("compiles")
            .is_valid(instance)
    }

    #[test]
    fn composed_requests_accept_the_properties_of_every_part_and_no_other() {
        let s = json!({"$ref": "#/components/schemas/composed"});
        assert!(valid(Mode::Request, &s, &json!({"name": "a", "size": "b"})));
        assert!(!valid(
            Mode::Request,
            &s,
            &json!({"name": "a", "colour": "b"})
        ));
        // Responses stay open.
        assert!(valid(
            Mode::Response,
            &s,
            &json!({"id": 1, "name": "a", "colour": "b"})
        ));
    }

    #[test]
    fn read_only_properties_are_neither_required_nor_accepted_in_requests() {
        let s = json!({"$ref": "#/components/schemas/base"});
        assert!(valid(Mode::Request, &s, &json!({"name": "a"})));
        assert!(!valid(Mode::Request, &s, &json!({"id": 1, "name": "a"})));
        assert!(!valid(Mode::Response, &s, &json!({"name": "a"})));
    }

    #[test]
    fn free_form_and_map_objects_stay_open() {
        let free = json!({"$ref": "#/components/schemas/free"});
        assert!(valid(Mode::Request, &free, &json!({"anything": 1})));
        let labels = json!({"$ref": "#/components/schemas/labels"});
        assert!(valid(Mode::Request, &labels, &json!({"a": "b"})));
        assert!(!valid(Mode::Request, &labels, &json!({"a": 1})));
    }

    #[test]
    fn nullable_admits_null_and_boolean_exclusive_bounds_become_numbers() {
        let s =
            json!({"type": "integer", "nullable": true, "minimum": 1, "exclusiveMinimum": true});
        assert!(valid(Mode::Response, &s, &json!(null)));
        assert!(valid(Mode::Response, &s, &json!(2)));
        assert!(!valid(Mode::Response, &s, &json!(1)));
    }
}
