//! Parsed documents, kept by their text: clients send the same few documents again and again,
//! and a copy of a parsed document costs less than parsing it. Validation, cost and depth
//! limits still run for every request, on the copy.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use async_graphql::Request;
use async_graphql::parser::parse_query;
use async_graphql::parser::types::ExecutableDocument;

/// The most documents kept; past it the cache starts again empty.
const CAPACITY: usize = 1_000;
/// Longer documents are parsed every time: they are rare, and would make the cache large.
const MAX_CACHED_LEN: usize = 16 * 1024;

/// This process's parsed documents.
#[derive(Debug, Default)]
pub(crate) struct Documents {
    parsed: Mutex<HashMap<String, ExecutableDocument>>,
}

impl Documents {
    /// Give `request` its parsed document, from the cache or parsed now and kept. A document
    /// that does not parse is left for the schema to refuse with its usual error.
    pub(crate) fn prepare(&self, mut request: Request) -> Request {
        if request.query.len() > MAX_CACHED_LEN {
            return request;
        }
        let cached = self.lock().get(&request.query).cloned();
        let document = match cached {
            Some(document) => document,
            None => {
                let Ok(document) = parse_query(&request.query) else {
                    return request;
                };
                let mut parsed = self.lock();
                if parsed.len() >= CAPACITY {
                    parsed.clear();
                }
                parsed.insert(request.query.clone(), document.clone());
                document
            }
        };
        request.set_parsed_query(document);
        request
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ExecutableDocument>> {
        self.parsed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_parsed_once_and_a_broken_one_is_left_to_the_schema() {
        let documents = Documents::default();
        let mut first = documents.prepare(Request::new("{ me { email } }"));
        assert!(first.parsed_query().is_ok());
        assert_eq!(documents.lock().len(), 1);
        let mut again = documents.prepare(Request::new("{ me { email } }"));
        assert!(again.parsed_query().is_ok());
        assert_eq!(
            documents.lock().len(),
            1,
            "the second request reused the first's"
        );

        let mut broken = documents.prepare(Request::new("{ me { email "));
        assert_eq!(documents.lock().len(), 1, "a broken document is not kept");
        assert!(
            broken.parsed_query().is_err(),
            "and the schema parses it, to refuse it"
        );
    }
}
