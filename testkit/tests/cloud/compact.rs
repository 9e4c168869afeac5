//! The compact API descriptions in `testkit/api/`, which the fakes check every request and
//! answer against, agree with the official descriptions: made again from them, they are the
//! committed files exactly. The official descriptions are not in the repository; this runs
//! where `TOYGRES_OFFICIAL_API_DESCRIPTIONS` names the folder holding them (CI sets it), and
//! says plainly that it was skipped elsewhere.

use std::io::Write as _;
use std::path::PathBuf;

use providers::cloud::CloudKind;
use testkit::cloud::compact::{
    committed_description, compact_file, compact_from_dir, official_file,
};

const VARIABLE: &str = "TOYGRES_OFFICIAL_API_DESCRIPTIONS";

#[test]
fn compact_api_descriptions_agree_with_the_official_ones() {
    let Some(dir) = std::env::var_os(VARIABLE).filter(|d| !d.is_empty()) else {
        // Straight to standard error, past the test harness's capture, so it shows.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED compact_api_descriptions_agree_with_the_official_ones: {VARIABLE} is not \
             set (it names the folder holding {} and {})",
            official_file(CloudKind::Hetzner),
            official_file(CloudKind::DigitalOcean),
        );
        return;
    };
    let dir = PathBuf::from(dir);
    for kind in [CloudKind::Hetzner, CloudKind::DigitalOcean] {
        let made = compact_from_dir(kind, &dir)
            .unwrap_or_else(|e| panic!("{}: {e:#}", official_file(kind)));
        let committed = committed_description(kind).unwrap();
        assert!(
            made == committed,
            "testkit/api/{} does not agree with {}: run `cargo run -p testkit --example \
             compact_api_descriptions -- {}` and commit the result",
            compact_file(kind),
            official_file(kind),
            dir.display(),
        );
    }
}
