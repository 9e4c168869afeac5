//! Relay paging, once for every list: a list's `first` and `after` are checked here, and a
//! page of rows from the database becomes a connection here.
//!
//! Every list is newest first and the database pages after a row's id, so a row's cursor is
//! its id. `jobs` returns every list as a [`Page`].

use async_graphql::{ID, OutputType};
use jobs::db::{AuditEntry, Page};
use jobs::instance::Instance;
use jobs::operation::Operation;
use jobs::server::{ClusterEvent, ScalingOperation, Server};
use uuid::Uuid;

/// The largest page a connection returns.
pub const MAX_PAGE_SIZE: i32 = 100;
/// The page size when `first` is not given.
const DEFAULT_PAGE_SIZE: i32 = 20;

/// A connection of `Node`s with string cursors. Its GraphQL types are named after the node
/// (`InstanceConnection`, `InstanceEdge`) and share `PageInfo`.
pub(crate) type Connection<Node> = async_graphql::connection::Connection<String, Node>;

/// Check a list's `first` argument: [`DEFAULT_PAGE_SIZE`] when absent, `INVALID_INPUT` outside
/// `0..=MAX_PAGE_SIZE`.
pub(crate) fn page_size(first: Option<i32>) -> async_graphql::Result<i64> {
    match first.unwrap_or(DEFAULT_PAGE_SIZE) {
        n @ 0..=MAX_PAGE_SIZE => Ok(i64::from(n)),
        n => Err(crate::error::invalid(format!(
            "`first` must be between 0 and {MAX_PAGE_SIZE} (got {n})"
        ))),
    }
}

/// The complexity of a list field that returns at most `first` items (the default page when
/// absent): `child`, the cost of one item's selection, for each of them, plus one. Counted
/// before the resolver checks `first`, so an out-of-range page is refused as too complex
/// when it is.
pub(crate) fn cost(first: Option<i32>, child: usize) -> usize {
    let items = usize::try_from(first.unwrap_or(DEFAULT_PAGE_SIZE)).unwrap_or(0);
    items.saturating_mul(child).saturating_add(1)
}

/// The complexity of a time series from `from` to `to` with a point every `step` seconds:
/// [`cost`] with one item per point.
pub(crate) fn series_cost(
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    step: i32,
    child: usize,
) -> usize {
    let points = (to - from).num_seconds().max(0) / i64::from(step.max(1)) + 1;
    let points = i32::try_from(points).unwrap_or(i32::MAX);
    cost(Some(points), child)
}

/// A connection's `first` and `after` arguments, checked.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Paging {
    /// How many rows to return, at most.
    pub(crate) first: i64,
    /// The id of the row the page starts after (the `after` cursor), if any.
    pub(crate) after: Option<Uuid>,
}

impl Paging {
    /// Check `first` (see [`page_size`]) and decode `after`; either wrong is `INVALID_INPUT`.
    pub(crate) fn new(first: Option<i32>, after: Option<String>) -> async_graphql::Result<Self> {
        Ok(Self {
            first: page_size(first)?,
            after: after.map(decode_cursor).transpose()?,
        })
    }

    /// `page` as a connection, each row turned into its node by `node`. There is a previous
    /// page exactly when this one started after a cursor.
    pub(crate) fn connection<T: Listed, N: OutputType>(
        &self,
        page: Page<T>,
        node: impl Fn(T) -> N,
    ) -> Connection<N> {
        let mut connection = Connection::new(self.after.is_some(), page.has_next_page);
        connection.edges.extend(page.items.into_iter().map(|row| {
            let cursor = encode_cursor(row.key());
            async_graphql::connection::Edge::new(cursor, node(row))
        }));
        connection
    }
}

/// The cursor of the row with id `key`.
fn encode_cursor(key: Uuid) -> String {
    key.to_string()
}

/// The row id in `cursor`, or `INVALID_INPUT`.
fn decode_cursor(cursor: String) -> async_graphql::Result<Uuid> {
    super::parse_id(&ID(cursor), "cursor")
}

/// A row that a connection lists: its id is its cursor.
pub(crate) trait Listed {
    /// The row's id.
    fn key(&self) -> Uuid;
}

impl Listed for Instance {
    fn key(&self) -> Uuid {
        self.id.0
    }
}

impl Listed for Operation {
    fn key(&self) -> Uuid {
        self.id.0
    }
}

impl Listed for Server {
    fn key(&self) -> Uuid {
        self.id.0
    }
}

impl Listed for ClusterEvent {
    fn key(&self) -> Uuid {
        self.id
    }
}

impl Listed for ScalingOperation {
    fn key(&self) -> Uuid {
        self.id
    }
}

impl Listed for AuditEntry {
    fn key(&self) -> Uuid {
        self.id
    }
}
