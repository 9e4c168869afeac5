//! What the fake cloud tests share.

use providers::cloud::CloudKind;
use testkit::cloud::FakeCloud;

/// A fake of `kind` with the default options.
pub(crate) async fn fake(kind: CloudKind) -> FakeCloud {
    FakeCloud::start(kind).await
}
