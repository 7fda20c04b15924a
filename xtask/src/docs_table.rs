//! What `cargo xtask endpoints` and `cargo xtask streams` share: both read
//! the pinned docs from `DOCS_DIR`, render a Rust table, and either write
//! it into the repo or, with `--check`, fail when the committed one differs.

use std::fs;
use std::path::{Path, PathBuf};

/// `DOCS_DIR [--check]` from a task's arguments; `usage` ends every error.
pub fn parse_args(args: &[String], usage: &str) -> Result<(PathBuf, bool), String> {
    let mut docs = None;
    let mut check = false;
    for arg in args {
        match arg.as_str() {
            "--check" => check = true,
            other if docs.is_none() => docs = Some(PathBuf::from(other)),
            other => return Err(format!("unexpected argument `{other}`\n\n{usage}")),
        }
    }
    let docs = docs.ok_or_else(|| format!("missing DOCS_DIR\n\n{usage}"))?;
    Ok((docs, check))
}

/// Writes `rendered` to `table` (relative to `root`), or with `check`
/// compares it with the committed file. `summary` says what the table
/// holds, for the line on stderr.
pub fn write_or_check(
    root: &Path,
    task: &str,
    table: &str,
    docs: &Path,
    rendered: &str,
    check: bool,
    summary: &str,
) -> Result<(), String> {
    let target = root.join(table);
    if check {
        let committed = fs::read_to_string(&target).unwrap_or_default();
        if committed != rendered {
            return Err(format!(
                "{table} is not what the docs in {} give; run `cargo xtask {task} {}` and commit the result",
                docs.display(),
                docs.display()
            ));
        }
        eprintln!("xtask {task}: {table} is up to date ({summary})");
        return Ok(());
    }
    fs::write(&target, rendered).map_err(|err| format!("cannot write {table}: {err}"))?;
    eprintln!("xtask {task}: wrote {table} ({summary})");
    Ok(())
}
