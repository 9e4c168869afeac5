//! What one document may ask for, checked right after it parses, before validation and before
//! any resolver runs: at most [`MAX_ROOT_FIELDS`] root fields and [`MAX_ALIASES`] aliases per
//! operation, and at most [`MAX_LOGINS`] `login` in the whole document (each verifies a
//! password with Argon2, which is slow on purpose). The depth and complexity limits that
//! validation applies get the same `extensions.code`, `QUERY_TOO_COMPLEX`.
//!
//! Fragments count where they are spread, each computed once, so a document of fragments
//! spreading fragments costs linear time to check however much it would expand.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, ServerError};

use crate::error::code;

/// The most root fields (aliases included) one operation may select.
pub const MAX_ROOT_FIELDS: usize = 20;
/// The most aliased fields one operation may hold, at any depth.
pub const MAX_ALIASES: usize = 50;
/// The most `login` fields one document may hold.
pub const MAX_LOGINS: usize = 1;

/// A refusal with `extensions.code = QUERY_TOO_COMPLEX`.
pub(crate) fn too_complex(message: String) -> ServerError {
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code::QUERY_TOO_COMPLEX);
    let mut error = ServerError::new(message, None);
    error.extensions = Some(extensions);
    error
}

/// What a selection set holds: root-level fields and logins, and aliases at any depth.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    fields: usize,
    logins: usize,
    aliases: usize,
}

impl Counts {
    fn add(&mut self, other: Self) {
        self.fields = self.fields.saturating_add(other.fields);
        self.logins = self.logins.saturating_add(other.logins);
        self.aliases = self.aliases.saturating_add(other.aliases);
    }
}

/// `Ok` when every operation of `document` stays within the limits, else what to say.
pub(crate) fn check(document: &ExecutableDocument) -> Result<(), String> {
    let mut walk = Walk {
        document,
        fragments: HashMap::new(),
    };
    let mut logins = 0usize;
    for (name, operation) in document.operations.iter() {
        let counts = walk.top(&operation.node.selection_set.node);
        let which = name.map_or_else(
            || "the operation".to_owned(),
            |n| format!("operation `{n}`"),
        );
        if counts.fields > MAX_ROOT_FIELDS {
            return Err(format!(
                "Query is too complex: {which} selects {} root fields; at most {MAX_ROOT_FIELDS} \
                 are allowed (aliases included)",
                counts.fields
            ));
        }
        if counts.aliases > MAX_ALIASES {
            return Err(format!(
                "Query is too complex: {which} has {} aliases; at most {MAX_ALIASES} are allowed",
                counts.aliases
            ));
        }
        logins = logins.saturating_add(counts.logins);
    }
    if logins > MAX_LOGINS {
        return Err(format!(
            "Query is too complex: a request may hold at most {MAX_LOGINS} `login`; send one \
             at a time"
        ));
    }
    Ok(())
}

struct Walk<'d> {
    document: &'d ExecutableDocument,
    /// Each fragment's counts once computed; `None` while it is being computed, so that a
    /// cycle (which validation refuses later) counts nothing instead of looping.
    fragments: HashMap<&'d str, Option<Counts>>,
}

impl<'d> Walk<'d> {
    /// The counts of `set` as a root selection: its fields and logins (through fragments
    /// too), and aliases at every depth.
    fn top(&mut self, set: &'d SelectionSet) -> Counts {
        let mut counts = Counts::default();
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    counts.fields += 1;
                    if field.name.node == "login" {
                        counts.logins += 1;
                    }
                    if field.alias.is_some() {
                        counts.aliases = counts.aliases.saturating_add(1);
                    }
                    counts.aliases = counts
                        .aliases
                        .saturating_add(self.top(&field.selection_set.node).aliases);
                }
                Selection::InlineFragment(inline) => {
                    counts.add(self.top(&inline.node.selection_set.node));
                }
                Selection::FragmentSpread(spread) => {
                    counts.add(self.fragment(spread.node.fragment_name.node.as_str()));
                }
            }
        }
        counts
    }

    fn fragment(&mut self, name: &'d str) -> Counts {
        match self.fragments.get(name) {
            Some(Some(counts)) => return *counts,
            Some(None) => return Counts::default(),
            None => {}
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return Counts::default();
        };
        self.fragments.insert(name, None);
        let counts = self.top(&fragment.node.selection_set.node);
        self.fragments.insert(name, Some(counts));
        counts
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn verdict(query: &str) -> Result<(), String> {
        check(&parse_query(query).expect("the test's query parses"))
    }

    #[test]
    fn root_fields_count_through_fragments_and_aliases() {
        let twenty = (0..20)
            .map(|i| format!("f{i}: me {{ id }}"))
            .collect::<Vec<_>>();
        assert!(verdict(&format!("{{ {} }}", twenty.join(" "))).is_ok());
        let spread = format!(
            "{{ ...A ... on QueryRoot {{ me {{ id }} }} }} fragment A on QueryRoot {{ {} }}",
            twenty.join(" ")
        );
        let refused = verdict(&spread).unwrap_err();
        assert!(refused.contains("21 root fields"), "{refused}");
    }

    #[test]
    fn aliases_count_at_every_depth_and_per_spread() {
        let ten = (0..10).map(|i| format!("a{i}: id")).collect::<Vec<_>>();
        let fragment = format!("fragment A on User {{ {} }}", ten.join(" "));
        assert!(
            verdict(&format!(
                "{{ me {{ ...A ...A ...A ...A ...A }} }} {fragment}"
            ))
            .is_ok()
        );
        let refused = verdict(&format!(
            "{{ me {{ ...A ...A ...A ...A ...A x: id }} }} {fragment}"
        ))
        .unwrap_err();
        assert!(refused.contains("51 aliases"), "{refused}");
    }

    #[test]
    fn a_second_login_anywhere_in_the_document_is_refused() {
        let login = "login(email: \"a@example.com\", password: \"x\") { token }";
        assert!(verdict(&format!("mutation {{ {login} }}")).is_ok());
        assert!(verdict(&format!("mutation {{ a: {login} b: {login} }}")).is_err());
        assert!(
            verdict(&format!(
                "mutation A {{ {login} }} mutation B {{ ...L }} fragment L on MutationRoot {{ {login} }}"
            ))
            .is_err()
        );
    }

    #[test]
    fn fragments_that_expand_exponentially_or_cycle_are_checked_in_linear_time() {
        let mut doc = String::from("{ ...F0 }");
        for i in 0..60 {
            doc.push_str(&format!(
                " fragment F{i} on QueryRoot {{ ...F{} ...F{} }}",
                i + 1,
                i + 1
            ));
        }
        doc.push_str(" fragment F60 on QueryRoot { a: me { id } }");
        let refused = verdict(&doc).unwrap_err();
        assert!(refused.contains("root fields"), "{refused}");
        assert!(
            verdict("{ ...A } fragment A on QueryRoot { ...B } fragment B on QueryRoot { ...A }")
                .is_ok()
        );
    }

    /// The documents the dashboard sends (as `ui/src/gql/gql.ts` lists them), each with its
    /// fragments.
    fn dashboard_documents() -> Vec<String> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/gql/gql.ts");
        let text = std::fs::read_to_string(path).expect("read the dashboard's documents");
        let listed: Vec<String> = text
            .lines()
            .skip_while(|l| !l.starts_with("type Documents = {"))
            .skip(1)
            .take_while(|l| !l.starts_with('}'))
            .filter_map(|l| {
                let literal = l.trim_start().split("\": typeof").next()?;
                serde_json::from_str::<String>(&format!("{literal}\"")).ok()
            })
            .collect();
        assert!(listed.len() > 20, "found only {} documents", listed.len());
        let fragments: String = listed
            .iter()
            .filter(|d| d.trim_start().starts_with("fragment"))
            .cloned()
            .collect();
        listed
            .into_iter()
            .filter(|d| !d.trim_start().starts_with("fragment"))
            .map(|d| format!("{d}{fragments}"))
            .collect()
    }

    /// Proves the limits leave room for the dashboard, at the largest page the API allows
    /// wherever it lets the user page.
    #[tokio::test]
    async fn every_dashboard_document_stays_within_the_limits_at_the_largest_pages() {
        let schema = crate::graphql::builder().finish();
        let to = chrono::Utc::now();
        let from = to - chrono::Duration::minutes(30);
        let variables = serde_json::json!({
            "first": crate::graphql::MAX_PAGE_SIZE, "checks": 100, "drills": crate::graphql::MAX_PAGE_SIZE,
            "from": from, "to": to, "step": 30,
        });
        for document in dashboard_documents() {
            let request = async_graphql::Request::new(document.clone())
                .variables(async_graphql::Variables::from_json(variables.clone()));
            let response = schema.execute(request).await;
            let refused = response.errors.iter().find(|e| {
                e.extensions
                    .as_ref()
                    .and_then(|x| x.get("code"))
                    .is_some_and(|c| *c == async_graphql::Value::from(code::QUERY_TOO_COMPLEX))
            });
            assert!(refused.is_none(), "{refused:?} for {document}");
        }
    }
}
