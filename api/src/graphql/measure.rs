//! Counts every executed GraphQL operation by what it asked for and its outcome, over HTTP
//! and WebSocket alike.
//!
//! The label is never text a client chose: an operation's name is the client's to pick, so
//! it is not used. The label is the schema's name of the operation's root field (a closed
//! set: the document was validated against the schema before it runs), `multiple` when the
//! operation asks for several root fields, and `other` when it cannot be told (a root
//! fragment nested too deep, a document that could not be parsed).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use async_graphql::Response;
use async_graphql::Variables;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{Positioned, ServerResult};
use jobs::telemetry::TELEMETRY;

/// How deep root fragments are followed when looking for root fields.
const MAX_FRAGMENT_DEPTH: usize = 4;

/// The schema extension.
pub(crate) struct Measure;

impl ExtensionFactory for Measure {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(MeasureExtension::default())
    }
}

/// One request's measurement: the parsed document, kept from parsing until execution.
#[derive(Default)]
struct MeasureExtension {
    document: Mutex<Option<ExecutableDocument>>,
}

#[async_trait::async_trait]
impl Extension for MeasureExtension {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if let Ok(mut kept) = self.document.lock() {
            *kept = Some(document.clone());
        }
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let label = self
            .document
            .lock()
            .ok()
            .and_then(|d| d.as_ref().map(|d| operation_label(d, operation_name)))
            .unwrap_or_else(|| "other".to_owned());
        let response = next.run(ctx, operation_name).await;
        let outcome = if response.errors.is_empty() {
            "ok"
        } else {
            "error"
        };
        TELEMETRY
            .graphql_operations
            .with_label_values(&[label.as_str(), outcome])
            .inc();
        response
    }
}

/// The label of operation `name` (or the document's only one) of `document`: its root
/// field's name, `multiple` or `other`.
fn operation_label(document: &ExecutableDocument, name: Option<&str>) -> String {
    let operation: Option<&Positioned<OperationDefinition>> = match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, op)| op),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        (DocumentOperations::Multiple(_), None) => None,
    };
    let mut fields = BTreeSet::new();
    let complete = operation
        .is_some_and(|op| root_fields(document, &op.node.selection_set.node, 0, &mut fields));
    match fields.len() {
        1 if complete => fields.pop_first().unwrap_or_else(|| "other".to_owned()),
        0 => "other".to_owned(),
        _ if complete => "multiple".to_owned(),
        _ => "other".to_owned(),
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
