//! Introspection for tools: the standard query that graphql-js's `getIntrospectionQuery()`
//! writes (GraphiQL, Apollo Sandbox, Postman, Insomnia, graphql-codegen send it) nests type
//! references nine `ofType`s deep, past the depth limit that protects ordinary queries.
//!
//! A document whose operation selects only `__schema`, `__type` and `__typename` is run
//! without the depth and complexity limits (for signed-in callers; strangers get no
//! introspection at all), under limits of its own that bound what any
//! introspection can cost whatever its depth: the schema is finite, and only list fields
//! multiply the answer, so nested lists are capped, as are fields in all and root fields.

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, FragmentDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql::parser::{Positioned, parse_query};
use async_graphql::{Name, Request};

/// The deepest introspection accepted; the standard query is 14 deep.
pub(crate) const MAX_DEPTH: usize = 24;
/// Introspection fields that answer lists, each multiplying what is below it. The standard
/// query nests three (`types { fields { args } }`); a fourth would re-list every type's
/// fields for every field.
const LIST_FIELDS: [&str; 8] = [
    "types",
    "fields",
    "inputFields",
    "interfaces",
    "possibleTypes",
    "enumValues",
    "args",
    "directives",
];
/// The most list fields nested in one another.
pub(crate) const MAX_NESTED_LISTS: usize = 3;
/// The most fields in the whole document, fragments counted where they are spread; the
/// standard query has about 300.
pub(crate) const MAX_FIELDS: usize = 2000;
/// The most root fields (aliases included).
pub(crate) const MAX_ROOT_FIELDS: usize = 3;

/// What a document is, as far as introspection goes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Not introspection alone (or not a document at all): the ordinary limits apply.
    Ordinary,
    /// Introspection alone, within the introspection limits: run it without the ordinary
    /// depth and complexity limits.
    Bounded,
    /// Introspection alone, past the introspection limits: refuse it.
    Unbounded,
}

/// What the caller is told when introspection goes past its limits.
pub(crate) fn refusal() -> String {
    format!(
        "Query is nested too deep: introspection may nest at most {MAX_NESTED_LISTS} list \
         fields and {MAX_DEPTH} fields, select at most {MAX_FIELDS} fields and \
         {MAX_ROOT_FIELDS} root fields"
    )
}

/// Whether `request` is introspection alone, and if so whether it stays within the
/// introspection limits.
pub(crate) fn classify(request: &Request) -> Kind {
    // Cheap first: an ordinary query names no introspection field.
    if !request.query.contains("__schema") && !request.query.contains("__type") {
        return Kind::Ordinary;
    }
    let Ok(doc) = parse_query(&request.query) else {
        return Kind::Ordinary;
    };
    let operation = match (&doc.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => match ops.get(name) {
            Some(op) => op,
            None => return Kind::Ordinary,
        },
        // A named operation alone is "multiple" to the parser.
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => match ops.values().next() {
            Some(op) => op,
            None => return Kind::Ordinary,
        },
        (DocumentOperations::Multiple(_), None) => return Kind::Ordinary,
    };
    if operation.node.ty != OperationType::Query {
        return Kind::Ordinary;
    }
    let mut walk = Walk {
        doc: &doc,
        fields: 0,
    };
    let mut roots = Vec::new();
    let collected = walk.collect(&operation.node.selection_set.node, &mut roots, 0);
    let introspection = roots.iter().any(|(name, _)| *name != "__typename")
        && roots
            .iter()
            .all(|(name, _)| matches!(name.as_str(), "__schema" | "__type" | "__typename"));
    if !introspection {
        return Kind::Ordinary;
    }
    if collected
        && roots.len() <= MAX_ROOT_FIELDS
        && roots.iter().all(|(_, set)| walk.within(set, 1, 0))
    {
        Kind::Bounded
    } else {
        Kind::Unbounded
    }
}

struct Walk<'d> {
    doc: &'d ExecutableDocument,
    fields: usize,
}

impl<'d> Walk<'d> {
    /// The fields a selection set selects, with fragments spread; `false` when a fragment is
    /// unknown or spreads nest beyond any sane document (a cycle).
    fn collect(
        &self,
        set: &'d SelectionSet,
        into: &mut Vec<(&'d Name, &'d SelectionSet)>,
        spreads: usize,
    ) -> bool {
        if spreads > MAX_DEPTH {
            return false;
        }
        for item in &set.items {
            let ok = match &item.node {
                Selection::Field(field) => {
                    into.push((&field.node.name.node, &field.node.selection_set.node));
                    into.len() <= MAX_FIELDS
                }
                Selection::InlineFragment(inline) => {
                    self.collect(&inline.node.selection_set.node, into, spreads + 1)
                }
                Selection::FragmentSpread(spread) => {
                    match self.fragment(&spread.node.fragment_name.node) {
                        Some(fragment) => {
                            self.collect(&fragment.node.selection_set.node, into, spreads + 1)
                        }
                        None => false,
                    }
                }
            };
            if !ok {
                return false;
            }
        }
        true
    }

    fn fragment(&self, name: &Name) -> Option<&'d Positioned<FragmentDefinition>> {
        self.doc.fragments.get(name)
    }

    /// Whether the fields under `set`, at `depth` with `lists` list fields above, stay within
    /// the limits, counting every field met.
    fn within(&mut self, set: &'d SelectionSet, depth: usize, lists: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        let mut children = Vec::new();
        if !self.collect(set, &mut children, 0) {
            return false;
        }
        for (name, below) in children {
            self.fields += 1;
            let lists = lists + usize::from(LIST_FIELDS.contains(&name.as_str()));
            if self.fields > MAX_FIELDS
                || lists > MAX_NESTED_LISTS
                || !self.within(below, depth + 1, lists)
            {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bounded(query: &str) -> bool {
        classify(&Request::new(query)) == Kind::Bounded
    }

    #[test]
    fn the_shape_of_the_standard_query_is_bounded() {
        let type_ref = (0..9).fold(String::from("kind name"), |inner, _| {
            format!("kind name ofType {{ {inner} }}")
        });
        let query = format!(
            "query IntrospectionQuery {{ __schema {{ queryType {{ name }} types {{ ...FullType }} \
             directives {{ name args {{ ...InputValue }} }} }} }}
             fragment FullType on __Type {{ kind name fields(includeDeprecated: true) {{ name \
             args {{ ...InputValue }} type {{ ...TypeRef }} }} inputFields {{ ...InputValue }} \
             interfaces {{ ...TypeRef }} enumValues {{ name }} possibleTypes {{ ...TypeRef }} }}
             fragment InputValue on __InputValue {{ name type {{ ...TypeRef }} defaultValue }}
             fragment TypeRef on __Type {{ {type_ref} }}"
        );
        assert!(bounded(&query));
    }

    #[test]
    fn ordinary_and_mixed_documents_are_not_introspection() {
        assert!(!bounded("{ me { email } }"));
        assert!(!bounded("{ __typename }"));
        assert!(!bounded("{ __schema { types { name } } me { email } }"));
        assert!(!bounded("mutation { __schema { types { name } } }"));
        assert!(!bounded("{ __schema { types { name } "));
        for query in [
            "{ __typename }",
            "{ __schema { types { name } } me { email } }",
            "{ __schema { types { name } ",
        ] {
            assert_eq!(classify(&Request::new(query)), Kind::Ordinary, "{query}");
        }
    }

    #[test]
    fn introspection_that_multiplies_lists_or_fields_is_refused() {
        assert!(bounded(
            "{ __schema { types { fields { type { fields { name } } } } } }"
        ));
        assert!(!bounded(
            "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
        ));
        assert!(!bounded(
            "{ a: __schema { types { name } } b: __schema { types { name } } \
             c: __schema { types { name } } d: __schema { types { name } } }"
        ));
        let many = (0..2100).map(|i| format!("f{i}: name")).collect::<Vec<_>>();
        assert!(!bounded(&format!(
            "{{ __schema {{ types {{ {} }} }} }}",
            many.join(" ")
        )));
        assert!(!bounded(
            "{ __schema { ...A } } fragment A on __Schema { ...B } fragment B on __Schema { ...A }"
        ));
        let deep = (0..30).fold(String::from("name"), |inner, _| {
            format!("ofType {{ {inner} }}")
        });
        assert!(!bounded(&format!(
            "{{ __type(name: \"Query\") {{ {deep} }} }}"
        )));
        assert_eq!(
            classify(&Request::new(
                "{ __schema { types { fields { type { fields { args { name } } } } } } }"
            )),
            Kind::Unbounded
        );
    }
}
