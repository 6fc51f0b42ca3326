//! Every committed XML input the parser sees, for tests that compare two ways of doing one
//! thing over all of them: the fuzz corpora, the SAML vectors and the bench responses.

use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// The paths, sorted per directory (more than 6,000 of them).
pub(crate) fn paths() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inputs = Vec::new();
    for dir in [
        "fuzz/corpus/xml_tree",
        "fuzz/corpus/c14n",
        "fuzz/corpus/validate",
    ] {
        inputs.extend(files(&root.join(dir)));
    }
    let mut stack = vec![root.join("tests/vectors"), root.join("benches/data")];
    while let Some(dir) = stack.pop() {
        for p in files(&dir) {
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "xml") {
                inputs.push(p);
            }
        }
    }
    assert!(inputs.len() > 6_000, "{} inputs", inputs.len());
    inputs
}
