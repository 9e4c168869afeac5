//! Documents, parsed and checked once per text: clients send the same few documents again and
//! again, and a copy of a parsed document costs less than parsing it. What a document may ask
//! for ([`cost::check`]), which root each operation runs on and what it is counted as
//! ([`measure`]) are worked out with the parse and kept beside it; validation, with the depth
//! and complexity limits, still runs for every request, on the copy.
//!
//! This is done here, before the schema runs, rather than in schema extensions: a schema with
//! any extension sends every field of every answer through the extensions' chain (a boxed
//! future each, per extension), which for a list of 100 rows was most of the request's work.
//! Only mutations, which the audit extension records, run on a schema with an extension.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::parser::parse_query;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Request, Response, ServerError};

use super::{cost, measure};

/// The most documents kept; past it the cache starts again empty.
const CAPACITY: usize = 1_000;
/// Longer documents are parsed every time: they are rare, and would make the cache large.
const MAX_CACHED_LEN: usize = 16 * 1024;

/// This process's parsed documents.
#[derive(Debug, Default)]
pub(crate) struct Documents {
    parsed: Mutex<HashMap<String, Arc<Parsed>>>,
}

/// A document as parsed, with what was worked out from it.
#[derive(Debug)]
struct Parsed {
    document: ExecutableDocument,
    /// Why it may not run ([`cost::check`]), if it may not.
    refusal: Option<String>,
    /// Each operation's name, root and label.
    operations: Vec<Operation>,
}

#[derive(Debug)]
struct Operation {
    name: Option<String>,
    root: OperationType,
    label: String,
}

/// A request whose document parsed and may run.
pub(crate) struct Prepared {
    /// The request, carrying its parsed document (unless it did not parse: the schema then
    /// refuses it with its usual error).
    pub(crate) request: Request,
    /// The root the requested operation runs on; `None` when the document did not parse or
    /// does not say which of its operations to run (the schema refuses those).
    pub(crate) root: Option<OperationType>,
    /// What the operation is counted as in `toygres_graphql_operations_total`.
    pub(crate) label: String,
}

impl Documents {
    /// Give `request` its parsed document, from the cache or parsed now and kept, or the
    /// errors refusing it: a document past the limits of [`cost::check`] is refused with
    /// `QUERY_TOO_COMPLEX`. A document that does not parse is left for the schema to refuse
    /// with its usual error.
    pub(crate) fn prepare(&self, mut request: Request) -> Result<Prepared, Vec<ServerError>> {
        let Some(parsed) = self.parsed(&request.query) else {
            return Ok(Prepared {
                request,
                root: None,
                label: measure::OTHER.to_owned(),
            });
        };
        if let Some(refusal) = &parsed.refusal {
            return Err(vec![cost::too_complex(refusal.clone())]);
        }
        let operation = parsed.operation(request.operation_name.as_deref());
        let root = operation.map(|op| op.root);
        let label = operation.map_or(measure::OTHER, |op| &op.label).to_owned();
        request.set_parsed_query(parsed.document.clone());
        Ok(Prepared {
            request,
            root,
            label,
        })
    }

    /// `query` parsed and checked, from the cache or now; `None` when it does not parse.
    fn parsed(&self, query: &str) -> Option<Arc<Parsed>> {
        if let Some(parsed) = self.lock().get(query) {
            return Some(parsed.clone());
        }
        let document = parse_query(query).ok()?;
        let parsed = Arc::new(Parsed {
            refusal: cost::check(&document).err(),
            operations: document
                .operations
                .iter()
                .map(|(name, op)| Operation {
                    name: name.map(|n| n.to_string()),
                    root: op.node.ty,
                    label: measure::label(&document, op),
                })
                .collect(),
            document,
        });
        if query.len() <= MAX_CACHED_LEN {
            let mut kept = self.lock();
            if kept.len() >= CAPACITY {
                kept.clear();
            }
            kept.insert(query.to_owned(), parsed.clone());
        }
        Some(parsed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Parsed>>> {
        self.parsed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Parsed {
    /// Operation `name`, or the document's only one, as the schema picks it.
    fn operation(&self, name: Option<&str>) -> Option<&Operation> {
        match (&self.document.operations, name) {
            (DocumentOperations::Single(_), _) => self.operations.first(),
            (DocumentOperations::Multiple(_), Some(name)) => self
                .operations
                .iter()
                .find(|op| op.name.as_deref() == Some(name)),
            (DocumentOperations::Multiple(_), None) if self.operations.len() == 1 => {
                self.operations.first()
            }
            (DocumentOperations::Multiple(_), None) => None,
        }
    }
}

/// Give the errors of the depth and complexity limits, which validation reports without a
/// code, the code of the other limits: `QUERY_TOO_COMPLEX`.
pub(crate) fn code_limit_errors(response: &mut Response) {
    for error in &mut response.errors {
        let limit = error.message.starts_with("Query is too complex")
            || error.message.starts_with("Query is nested too deep");
        if limit && error.extensions.is_none() {
            let ServerError { message, .. } = std::mem::replace(error, ServerError::new("", None));
            *error = cost::too_complex(message);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared(documents: &Documents, request: Request) -> Prepared {
        documents
            .prepare(request)
            .unwrap_or_else(|errors| panic!("refused: {errors:?}"))
    }

    #[test]
    fn a_document_is_parsed_once_and_a_broken_one_is_left_to_the_schema() {
        let documents = Documents::default();
        let mut first = prepared(&documents, Request::new("{ me { email } }"));
        assert!(first.request.parsed_query().is_ok());
        assert_eq!(documents.lock().len(), 1);
        let mut again = prepared(&documents, Request::new("{ me { email } }"));
        assert!(again.request.parsed_query().is_ok());
        assert_eq!(
            documents.lock().len(),
            1,
            "the second request reused the first's"
        );

        let mut broken = prepared(&documents, Request::new("{ me { email "));
        assert_eq!(documents.lock().len(), 1, "a broken document is not kept");
        assert!(
            broken.request.parsed_query().is_err(),
            "and the schema parses it, to refuse it"
        );
        assert_eq!(broken.root, None);
    }

    #[test]
    fn the_requested_operation_says_which_root_runs_and_what_it_counts_as() {
        let documents = Documents::default();
        let text = "query A { me { email } } mutation B { deleteProject(id: \"x\") }";
        let pick = |name: Option<&str>| {
            let mut request = Request::new(text);
            request.operation_name = name.map(str::to_owned);
            let p = prepared(&documents, request);
            (p.root, p.label)
        };
        assert_eq!(
            pick(Some("A")),
            (Some(OperationType::Query), "me".to_owned())
        );
        assert_eq!(
            pick(Some("B")),
            (Some(OperationType::Mutation), "deleteProject".to_owned())
        );
        assert_eq!(pick(None), (None, measure::OTHER.to_owned()), "ambiguous");
        assert_eq!(pick(Some("C")), (None, measure::OTHER.to_owned()));
        let only = prepared(
            &documents,
            Request::new("mutation { deleteProject(id: \"x\") }"),
        );
        assert_eq!(only.root, Some(OperationType::Mutation));
    }

    #[test]
    fn a_document_past_the_limits_is_refused_every_time_it_comes() {
        let documents = Documents::default();
        let text = "mutation { a: login(email: \"a\", password: \"b\") { token } \
                    b: login(email: \"a\", password: \"b\") { token } }";
        for _ in 0..2 {
            let refused = documents
                .prepare(Request::new(text))
                .err()
                .expect("two logins are refused");
            let code = refused[0]
                .extensions
                .as_ref()
                .and_then(|x| x.get("code"))
                .cloned();
            assert_eq!(
                code,
                Some(async_graphql::Value::from(
                    crate::error::code::QUERY_TOO_COMPLEX
                ))
            );
        }
    }
}
