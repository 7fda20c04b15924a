//! `cargo xtask man [DIR]`: writes `mbx.1` and one page per subcommand
//! (`mbx-balances.1`, `mbx-config-init.1`, …) into DIR (default
//! `target/man`), generated from the clap definitions by `mbx::man_pages`.
//!
//! The pages need the `mbx` crate, which is behind xtask's `man` feature
//! (see xtask/Cargo.toml); without it, this task runs xtask again with it.

use std::path::Path;

/// Writes the pages into `args[0]`, or `target/man` under `root`.
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let dir = match args {
        [] => root.join("target/man"),
        [dir] => std::env::current_dir()
            .map_err(|err| format!("cannot read the current directory: {err}"))?
            .join(dir),
        _ => return Err("usage: cargo xtask man [DIR]".to_owned()),
    };
    write(root, &dir)
}

#[cfg(feature = "man")]
fn write(_root: &Path, dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir)
        .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    let pages = mbx::man_pages();
    for page in &pages {
        let path = dir.join(&page.file_name);
        std::fs::write(&path, &page.roff)
            .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    }
    eprintln!(
        "xtask man: wrote {} pages to {} (read one with `man -l {}`)",
        pages.len(),
        dir.display(),
        dir.join("mbx.1").display()
    );
    Ok(())
}

#[cfg(not(feature = "man"))]
fn write(root: &Path, dir: &Path) -> Result<(), String> {
    let status = std::process::Command::new(crate::cargo())
        .args([
            "run",
            "--quiet",
            "--package",
            "xtask",
            "--features",
            "man",
            "--",
            "man",
        ])
        .arg(dir)
        .current_dir(root)
        .status()
        .map_err(|err| format!("cannot run cargo: {err}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("building the man pages failed ({status})"))
    }
}
