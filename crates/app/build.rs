//! Build script: the commit `mbx --version` names, as `MBX_COMMIT`.
//!
//! `git rev-parse --short HEAD` when this workspace is a git checkout,
//! otherwise `unknown` (a source tarball, or no git installed): the build
//! never fails for want of git history.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    // crates/app → the workspace root.
    let workspace = manifest_dir.join("../..");
    let commit = commit(&workspace).unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=MBX_COMMIT={commit}");
}

/// The short commit of HEAD, when the workspace root is the top of a git
/// checkout (not a tarball unpacked inside some other repository).
fn commit(workspace: &Path) -> Option<String> {
    let top = git(workspace, &["rev-parse", "--show-toplevel"])?;
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if !same(Path::new(&top), workspace) {
        return None;
    }
    // Build again when HEAD moves: HEAD itself (a checkout), the branch it
    // points to (a commit) and packed refs.
    if let Some(git_dir) = git(workspace, &["rev-parse", "--absolute-git-dir"]) {
        let git_dir = PathBuf::from(git_dir);
        println!("cargo:rerun-if-changed={}", git_dir.join("HEAD").display());
        let common = git(workspace, &["rev-parse", "--git-common-dir"])
            .map(|dir| workspace.join(dir))
            .unwrap_or_else(|| git_dir.clone());
        if let Some(branch) = git(workspace, &["symbolic-ref", "-q", "HEAD"]) {
            let reference = common.join(branch);
            if reference.exists() {
                println!("cargo:rerun-if-changed={}", reference.display());
            }
        }
        let packed = common.join("packed-refs");
        if packed.exists() {
            println!("cargo:rerun-if-changed={}", packed.display());
        }
    }
    git(workspace, &["rev-parse", "--short", "HEAD"])
        .filter(|hash| hash.bytes().all(|byte| byte.is_ascii_hexdigit()))
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}
