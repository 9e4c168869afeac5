//! Counts every executed GraphQL operation by what it asked for and its outcome, over HTTP
//! and WebSocket alike.
//!
//! The label is never text a client chose: an operation's name is the client's to pick, so
//! it is not used. The label is the schema's name of the operation's root field (a closed
//! set: the document was validated against the schema before it runs), `multiple` when the
//! operation asks for several root fields, and `other` when it cannot be told (a root
//! fragment nested too deep, a document that could not be parsed).

use std::collections::BTreeSet;

use async_graphql::Positioned;
use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};
use jobs::telemetry::TELEMETRY;

/// How deep root fragments are followed when looking for root fields.
const MAX_FRAGMENT_DEPTH: usize = 4;

/// The label of what cannot be told.
pub(crate) const OTHER: &str = "other";

/// Count one executed operation, labelled `label`, by whether it answered without errors.
pub(crate) fn count(label: &str, ok: bool) {
    TELEMETRY
        .graphql_operations
        .with_label_values(&[label, if ok { "ok" } else { "error" }])
        .inc();
}

/// The label of `operation` of `document`: its root field's name, `multiple` or `other`.
pub(crate) fn label(
    document: &ExecutableDocument,
    operation: &Positioned<OperationDefinition>,
) -> String {
    let mut fields = BTreeSet::new();
    let complete = root_fields(document, &operation.node.selection_set.node, 0, &mut fields);
    match fields.len() {
        1 if complete => fields.pop_first().unwrap_or_else(|| OTHER.to_owned()),
        0 => OTHER.to_owned(),
        _ if complete => "multiple".to_owned(),
        _ => OTHER.to_owned(),
    }
}

/// Add the names (never the aliases) of the root fields in `set` to `fields`, following
/// fragments; false when a fragment is missing or nested deeper than
/// [`MAX_FRAGMENT_DEPTH`].
fn root_fields(
    document: &ExecutableDocument,
    set: &SelectionSet,
    depth: usize,
    fields: &mut BTreeSet<String>,
) -> bool {
    if depth > MAX_FRAGMENT_DEPTH {
        return false;
    }
    set.items.iter().all(|item| match &item.node {
        Selection::Field(field) => {
            fields.insert(field.node.name.node.to_string());
            true
        }
        Selection::InlineFragment(fragment) => root_fields(
            document,
            &fragment.node.selection_set.node,
            depth + 1,
            fields,
        ),
        Selection::FragmentSpread(spread) => document
            .fragments
            .get(&spread.node.fragment_name.node)
            .is_some_and(|fragment| {
                root_fields(
                    document,
                    &fragment.node.selection_set.node,
                    depth + 1,
                    fields,
                )
            }),
    })
}
