//! Writes the compact API descriptions the fake clouds check against (`testkit/api/`) from
//! the official Hetzner Cloud and DigitalOcean descriptions in a folder:
//!
//! ```text
//! cargo run -p testkit --example compact_api_descriptions -- DIR
//! ```
//!
//! `DIR` holds `hetzner-cloud-openapi.json` and `digitalocean-openapi.v2.bundled.yaml`, as
//! their publishers name them. Run it when the fakes implement another operation or the
//! official descriptions change; the test `compact_api_descriptions` then agrees again.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use providers::cloud::CloudKind;
use testkit::cloud::compact::{compact_file, compact_from_dir};

fn main() -> anyhow::Result<()> {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .context("usage: compact_api_descriptions DIR")?;
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("api");
    for kind in [CloudKind::Hetzner, CloudKind::DigitalOcean] {
        let compact = compact_from_dir(kind, &dir)?;
        let path = out.join(compact_file(kind));
        let mut text = serde_json::to_string_pretty(&compact)?;
        text.push('\n');
        std::fs::write(&path, text).with_context(|| format!("write {}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(())
}
