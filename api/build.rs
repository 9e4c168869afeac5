//! Embed the dashboard: copy `ui/dist` (built by `npm run build` in `ui/`) into the build, or,
//! when it has not been built, a page that says how to build it. A plain `cargo build` works
//! either way.

use std::path::{Path, PathBuf};

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("ui");
    let dist = Path::new("../ui/dist");
    println!("cargo:rerun-if-changed=../ui/dist");
    if out.exists() {
        std::fs::remove_dir_all(&out).expect("clear the embedded dashboard");
    }
    std::fs::create_dir_all(&out).expect("create the embedded dashboard directory");
    if dist.join("index.html").is_file() {
        copy_dir(dist, &out);
    } else {
        std::fs::write(
            out.join("index.html"),
            "<!doctype html><title>Toygres</title><body style=\"font-family:sans-serif\">\
             <h1>Toygres</h1><p>The dashboard was not built into this binary. Build it with \
             <code>make ui</code> (needs node and npm), then rebuild Toygres. The GraphQL API is at \
             <a href=\"/graphql\">/graphql</a>.</p></body>",
        )
        .expect("write the placeholder page");
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read ui/dist").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("create a dashboard directory");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a dashboard file");
        }
    }
}
