//! The one printer: data on stdout (a table, lines, one JSON document or
//! NDJSON), notices and warnings on stderr, errors in one shape.
//!
//! Every command prints through it, so `--json`, `-q`, colours and a closed
//! pipe behave the same everywhere: stdout carries data only; a broken pipe
//! ends the command quietly with success; `-q` silences notices and
//! warnings, never errors; colour only on a terminal and never with
//! `NO_COLOR`.

use std::io::{self, IsTerminal as _, Write as _};

use serde::Serialize;
use unicode_width::UnicodeWidthStr as _;

use crate::env;
use crate::error::CliError;
use crate::exit::ExitStatus;

/// How a command's data is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Tables and readable lines.
    Human,
    /// One JSON document (or NDJSON for a live command).
    Json,
}

/// Prints for one command run.
#[derive(Debug, Clone)]
pub struct Printer {
    mode: Mode,
    quiet: bool,
    stdout_is_terminal: bool,
    color: bool,
}

impl Printer {
    /// A printer for `--json` and `-q`, looking at the terminal and
    /// `NO_COLOR` once.
    pub fn new(json: bool, quiet: bool) -> Printer {
        let stdout_is_terminal = io::stdout().is_terminal();
        Printer {
            mode: if json { Mode::Json } else { Mode::Human },
            quiet,
            stdout_is_terminal,
            color: stdout_is_terminal && std::env::var_os(env::NO_COLOR).is_none(),
        }
    }

    /// Whether `--json` was given.
    pub fn is_json(&self) -> bool {
        self.mode == Mode::Json
    }

    /// Whether stdout is a terminal (a live view may redraw in place).
    pub fn stdout_is_terminal(&self) -> bool {
        self.stdout_is_terminal
    }

    /// Whether stdout may carry colour and attributes.
    pub fn color(&self) -> bool {
        self.color
    }

    /// One line of data on stdout, flushed.
    pub fn line(&self, text: &str) -> io::Result<()> {
        let mut stdout = io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.write_all(b"\n")?;
        stdout.flush()
    }

    /// Raw text on stdout (a redraw), flushed.
    pub fn raw(&self, text: &str) -> io::Result<()> {
        let mut stdout = io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()
    }

    /// One JSON document (or NDJSON line) on stdout.
    pub fn json(&self, value: &impl Serialize) -> io::Result<()> {
        let text = serde_json::to_string(value).map_err(io::Error::other)?;
        self.line(&text)
    }

    /// A table on stdout.
    pub fn table(&self, table: &Table) -> io::Result<()> {
        self.line(&table.render())
    }

    /// A notice on stderr (what is happening), unless `-q`.
    pub fn notice(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// A warning on stderr, unless `-q`.
    pub fn warn(&self, text: &str) {
        if !self.quiet {
            eprintln!("warning: {text}");
        }
    }

    /// Reports an error (text on stderr, or JSON on stdout with `--json`)
    /// and returns its exit status.
    pub fn error(&self, error: &CliError) -> ExitStatus {
        if self.is_json() {
            let _ = self.line(&error.to_json());
        } else {
            eprint!("{}", error.render());
        }
        error.exit_status()
    }
}

/// Turns a failed write to stdout into an outcome: a closed pipe (`mbx ...
/// | head`) ends the command quietly with success.
pub fn written(res: io::Result<()>) -> Result<(), CliError> {
    match res {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(err) => Err(CliError::usage(
            format!("cannot write to stdout: {err}"),
            None,
        )),
    }
}

/// How a column is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// Rows under a header, aligned by display width (a CJK asset name takes
/// two columns per character and keeps its row straight), two spaces
/// between columns, no trailing spaces, no box drawing.
#[derive(Debug, Clone, Default)]
pub struct Table {
    header: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these columns.
    pub fn new(columns: &[(&str, Align)]) -> Table {
        Table {
            header: columns.iter().map(|(name, _)| (*name).to_owned()).collect(),
            align: columns.iter().map(|(_, align)| *align).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The aligned text, one line per row, header first.
    pub fn render(&self) -> String {
        let all: Vec<&Vec<String>> = std::iter::once(&self.header).chain(&self.rows).collect();
        let n_columns = all.iter().map(|row| row.len()).max().unwrap_or(0);
        let widths: Vec<usize> = (0..n_columns)
            .map(|col| {
                all.iter()
                    .map(|row| row.get(col).map_or(0, |cell| cell.width()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        all.iter()
            .map(|row| {
                let cells: Vec<String> = row
                    .iter()
                    .enumerate()
                    .map(|(col, cell)| {
                        let pad = " ".repeat(widths[col].saturating_sub(cell.width()));
                        match self.align.get(col).copied().unwrap_or(Align::Left) {
                            Align::Left => format!("{cell}{pad}"),
                            Align::Right => format!("{pad}{cell}"),
                        }
                    })
                    .collect();
                cells.join("  ").trim_end().to_owned()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_by_display_width() {
        let mut table = Table::new(&[("ASSET", Align::Left), ("FREE", Align::Right)]);
        table.row(vec!["BTC".into(), "1.50000000".into()]);
        table.row(vec!["这是测试币".into(), "10.00".into()]);
        assert_eq!(
            table.render(),
            [
                "ASSET             FREE",
                "BTC         1.50000000",
                "这是测试币       10.00",
            ]
            .join("\n")
        );
    }
}
