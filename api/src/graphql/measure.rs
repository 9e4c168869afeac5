//! Counts every executed GraphQL operation by name and outcome, over HTTP and WebSocket alike.

use std::sync::Arc;

use async_graphql::Response;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use jobs::telemetry::TELEMETRY;

/// The schema extension.
pub(crate) struct Measure;

impl ExtensionFactory for Measure {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(MeasureExtension)
    }
}

struct MeasureExtension;

#[async_trait::async_trait]
impl Extension for MeasureExtension {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        let outcome = if response.errors.is_empty() {
            "ok"
        } else {
            "error"
        };
        TELEMETRY
            .graphql_operations
            .with_label_values(&[operation_name.unwrap_or("anonymous"), outcome])
            .inc();
        response
    }
}
