//! `schema.graphql` is generated from the code; this fails when the two drift.
//! Regenerate with `cargo run -- schema > schema.graphql`.

#[test]
fn the_committed_schema_matches_the_code() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql"))
            .expect("schema.graphql at the workspace root");
    assert!(
        committed == api::sdl(),
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql` and commit it"
    );
}
