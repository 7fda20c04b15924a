//! `mbx`: a command-line tool for the Binance Spot API. Everything is in the
//! library target (`lib.rs`), so that `cargo xtask man` and the tests read
//! the same clap definitions the binary parses.

fn main() -> std::process::ExitCode {
    mbx::main()
}
