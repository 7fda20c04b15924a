//! The one printer: data on stdout (a table, CSV, lines, one JSON document
//! or NDJSON), notices and warnings on stderr, errors in one shape.
//!
//! Every command prints through it, so `--json`, `--format csv`, `-q`,
//! colours, the spinner and a closed pipe behave the same everywhere:
//! stdout carries data only; a broken pipe ends the command quietly with
//! success; `-q` silences notices and warnings, never errors; colour only
//! on a terminal and never with `NO_COLOR`; a spinner on stderr is hidden
//! while anything else is written (see [`crate::progress`]).

use std::io::{self, IsTerminal as _, Write as _};

use serde::Serialize;
use unicode_width::UnicodeWidthStr as _;

use crate::env;
use crate::error::CliError;
use crate::exit::ExitStatus;
use crate::progress;

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
    table_format: TableFormat,
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
            table_format: TableFormat::Table,
            quiet,
            stdout_is_terminal,
            color: stdout_is_terminal && !env::no_color(),
        }
    }

    /// The same printer, printing tables as `--format` asks (a command
    /// that prints rows flattens [`FormatArgs`] and calls this once).
    pub fn with_format(mut self, format: &FormatArgs) -> Printer {
        self.table_format = format.format;
        self
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
        progress::suspend(|| {
            let mut stdout = io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.write_all(b"\n")?;
            stdout.flush()
        })
    }

    /// Raw text on stdout (a redraw), flushed.
    pub fn raw(&self, text: &str) -> io::Result<()> {
        progress::suspend(|| {
            let mut stdout = io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()
        })
    }

    /// One JSON document (or NDJSON line) on stdout.
    pub fn json(&self, value: &impl Serialize) -> io::Result<()> {
        let text = serde_json::to_string(value).map_err(io::Error::other)?;
        self.line(&text)
    }

    /// A table on stdout, as `--format` asks: aligned columns (nothing at
    /// all when it has no rows: say why with a notice), or CSV (the header
    /// row even when there are no rows, and no footer).
    pub fn table(&self, table: &Table) -> io::Result<()> {
        match self.table_format {
            TableFormat::Table if table.is_empty() => Ok(()),
            TableFormat::Table => self.line(&table.render()),
            TableFormat::Csv => self.raw(&table.to_csv()?),
        }
    }

    /// A notice on stderr (what is happening), unless `-q`.
    pub fn notice(&self, text: &str) {
        if !self.quiet {
            stderr(&format!("{text}\n"));
        }
    }

    /// A warning on stderr, unless `-q`.
    pub fn warn(&self, text: &str) {
        if !self.quiet {
            stderr(&format!("warning: {text}\n"));
        }
    }

    /// Reports an error (text on stderr, or JSON on stdout with `--json`)
    /// and returns its exit status.
    pub fn error(&self, error: &CliError) -> ExitStatus {
        if self.is_json() {
            let _ = self.line(&error.to_json());
        } else {
            stderr(&error.render());
        }
        error.exit_status()
    }
}

/// Writes to stderr, hiding the spinner meanwhile. A failed write to stderr
/// has nowhere to be reported.
fn stderr(text: &str) {
    progress::suspend(|| {
        let _ = io::stderr().lock().write_all(text.as_bytes());
    });
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

/// How rows are printed (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TableFormat {
    /// Aligned columns under a header, for people.
    #[default]
    Table,
    /// A header row, then one line per row: RFC 4180 quoting, the exact
    /// decimals, no total row.
    Csv,
}

/// `--format table|csv`, for a command that prints rows: flatten it into
/// the command's arguments and pass it to [`Printer::with_format`]; every
/// [`Table`] printed then follows it. `--json` is the other way to get the
/// data (with field names), so the two conflict.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct FormatArgs {
    /// How to print the rows: `table` (aligned columns) or `csv` (a header
    /// row, then one line per row, quoted as RFC 4180 says, with the
    /// server's exact decimals and no total row).
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        default_value_t = TableFormat::Table,
        conflicts_with = "json"
    )]
    pub format: TableFormat,
}

/// How a column is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// By the last character: whole numbers, times.
    #[allow(
        dead_code,
        reason = "part of the table's vocabulary; no command has such a column today"
    )]
    Right,
    /// Decimal numbers, by their decimal point: `1.5` and `10000.25` put
    /// their points one above the other (a number without a point ends
    /// where the points are).
    Decimal,
}

/// Rows under a header, aligned by display width (a CJK asset name takes
/// two columns per character and keeps its row straight), two spaces
/// between columns, no trailing spaces, no box drawing. A footer (a total)
/// is shown under the rows but left out of CSV, where it would read as one
/// more row.
#[derive(Debug, Clone, Default)]
pub struct Table {
    header: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
    footer: Vec<Vec<String>>,
}

impl Table {
    /// A table with these columns.
    pub fn new(columns: &[(&str, Align)]) -> Table {
        Table {
            header: columns.iter().map(|(name, _)| (*name).to_owned()).collect(),
            align: columns.iter().map(|(_, align)| *align).collect(),
            rows: Vec::new(),
            footer: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Adds a footer row (a total): under the rows in the table, not in CSV.
    pub fn footer(&mut self, cells: Vec<String>) {
        self.footer.push(cells);
    }

    /// Whether there are no rows (footers do not count).
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The aligned text, one line per row, header first, footer last.
    pub fn render(&self) -> String {
        let body: Vec<&Vec<String>> = self.rows.iter().chain(&self.footer).collect();
        let n_columns = std::iter::once(&self.header)
            .chain(body.iter().copied())
            .map(Vec::len)
            .max()
            .unwrap_or(0);
        let columns: Vec<Column> = (0..n_columns)
            .map(|col| {
                let align = self.align.get(col).copied().unwrap_or(Align::Left);
                let cells = body.iter().filter_map(|row| row.get(col));
                Column::measure(align, self.header.get(col), cells)
            })
            .collect();
        let header = columns
            .iter()
            .zip(&self.header)
            .map(|(column, cell)| column.header(cell));
        let mut lines = vec![join_cells(header)];
        for row in body {
            let cells = columns
                .iter()
                .zip(row)
                .map(|(column, cell)| column.cell(cell));
            lines.push(join_cells(cells));
        }
        lines.join("\n")
    }

    /// The header and the rows (not the footer) as CSV: quoted where RFC
    /// 4180 asks (a comma, a quote or a line break in the cell), lines
    /// ending in `\n`.
    pub fn to_csv(&self) -> io::Result<String> {
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        for row in std::iter::once(&self.header).chain(&self.rows) {
            writer.write_record(row).map_err(io::Error::other)?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|err| io::Error::other(err.to_string()))?;
        String::from_utf8(bytes).map_err(io::Error::other)
    }
}

/// A column's alignment and widths, measured over its cells.
struct Column {
    align: Align,
    width: usize,
    /// For [`Align::Decimal`]: the widest part before the point, and the
    /// widest part from the point on.
    integer_width: usize,
    fraction_width: usize,
}

impl Column {
    fn measure<'a>(
        align: Align,
        header: Option<&String>,
        cells: impl Iterator<Item = &'a String>,
    ) -> Column {
        let (mut width, mut integer_width, mut fraction_width) = (0, 0, 0);
        for cell in cells {
            width = width.max(cell.width());
            let (integer, fraction) = split_decimal(cell);
            integer_width = integer_width.max(integer.width());
            fraction_width = fraction_width.max(fraction.width());
        }
        if align == Align::Decimal {
            width = integer_width + fraction_width;
        }
        Column {
            align,
            width: width.max(header.map_or(0, |header| header.width())),
            integer_width,
            fraction_width,
        }
    }

    fn header(&self, text: &str) -> String {
        match self.align {
            Align::Left => pad_right(text, self.width),
            Align::Right | Align::Decimal => pad_left(text, self.width),
        }
    }

    fn cell(&self, text: &str) -> String {
        match self.align {
            Align::Left => pad_right(text, self.width),
            Align::Right => pad_left(text, self.width),
            Align::Decimal => {
                let (integer, fraction) = split_decimal(text);
                let number_width = self.integer_width + self.fraction_width;
                let lead = self.width - number_width + (self.integer_width - integer.width());
                let trail = self.fraction_width - fraction.width();
                format!("{}{text}{}", " ".repeat(lead), " ".repeat(trail))
            }
        }
    }
}

/// `"10000.25"` → `("10000", ".25")`; `"7"` → `("7", "")`.
fn split_decimal(text: &str) -> (&str, &str) {
    text.find('.')
        .map_or((text, ""), |point| text.split_at(point))
}

fn pad_right(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(text.width())))
}

fn pad_left(text: &str, width: usize) -> String {
    format!("{}{text}", " ".repeat(width.saturating_sub(text.width())))
}

fn join_cells(cells: impl Iterator<Item = String>) -> String {
    cells.collect::<Vec<_>>().join("  ").trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(table: &Table, expected: &[&str]) {
        assert_eq!(table.render(), expected.join("\n"));
    }

    fn table(columns: &[(&str, Align)], rows: &[&[&str]]) -> Table {
        let mut table = Table::new(columns);
        for row in rows {
            table.row(row.iter().map(|cell| (*cell).to_owned()).collect());
        }
        table
    }

    #[test]
    fn columns_align_by_display_width() {
        check(
            &table(
                &[("ASSET", Align::Left), ("FREE", Align::Right)],
                &[&["BTC", "1.50000000"], &["这是测试币", "10.00"]],
            ),
            &[
                "ASSET             FREE",
                "BTC         1.50000000",
                "这是测试币       10.00",
            ],
        );
    }

    #[test]
    fn decimals_line_up_on_the_point() {
        check(
            &table(
                &[("ASSET", Align::Left), ("FREE", Align::Decimal)],
                &[&["BTC", "1.5"], &["USDT", "10000.25"], &["DOGE", "7"]],
            ),
            &[
                "ASSET      FREE",
                "BTC        1.5",
                "USDT   10000.25",
                "DOGE       7",
            ],
        );
    }

    #[test]
    fn a_wide_header_pushes_decimals_right() {
        check(
            &table(
                &[("VALUE (USDT)", Align::Decimal), ("X", Align::Left)],
                &[&["1.5", "a"], &["20.25", "b"]],
            ),
            &["VALUE (USDT)  X", "        1.5   a", "       20.25  b"],
        );
    }

    #[test]
    fn decimals_in_a_cjk_table_keep_their_rows_straight() {
        check(
            &table(
                &[("ASSET", Align::Left), ("TOTAL", Align::Decimal)],
                &[&["测试", "0.001"], &["BTC", "12.5"]],
            ),
            &["ASSET   TOTAL", "测试    0.001", "BTC    12.5"],
        );
    }

    #[test]
    fn the_footer_is_under_the_rows_and_out_of_csv() {
        let mut table = table(
            &[("ASSET", Align::Left), ("VALUE", Align::Decimal)],
            &[&["BTC", "98000.5"], &["USDT", "10.25"]],
        );
        table.footer(vec!["TOTAL".into(), "98010.75".into()]);
        check(
            &table,
            &[
                "ASSET     VALUE",
                "BTC    98000.5",
                "USDT      10.25",
                "TOTAL  98010.75",
            ],
        );
        assert_eq!(
            table.to_csv().unwrap(),
            "ASSET,VALUE\nBTC,98000.5\nUSDT,10.25\n"
        );
    }

    #[track_caller]
    fn check_csv(cells: &[&str], expected_line: &str) {
        let table = table(&[("A", Align::Left)], &[cells]);
        assert_eq!(table.to_csv().unwrap(), format!("A\n{expected_line}\n"));
    }

    #[test]
    fn csv_quotes_only_what_rfc_4180_asks() {
        check_csv(&["plain", "1.50000000"], "plain,1.50000000");
        check_csv(&["a,b"], "\"a,b\"");
        check_csv(&["say \"hi\""], "\"say \"\"hi\"\"\"");
        check_csv(&["two\nlines"], "\"two\nlines\"");
        check_csv(&["这是测试币", "0.00000001"], "这是测试币,0.00000001");
        check_csv(&[""], "\"\"");
    }

    #[test]
    fn csv_of_an_empty_table_is_its_header() {
        let table = table(&[("ASSET", Align::Left), ("FREE", Align::Decimal)], &[]);
        assert!(table.is_empty());
        assert_eq!(table.to_csv().unwrap(), "ASSET,FREE\n");
    }
}
