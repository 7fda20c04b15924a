//! The use-cases of mbx, over ports: what the `mbx` command-line tool does,
//! for any program that embeds the crates.
//!
//! # Brief overview
//!
//! Every use-case takes the outside world as `mbx-domain` ports
//! (`Arc<dyn AccountData>`, `Arc<dyn MarketData>`, a user-data stream, a
//! clock), never a concrete adapter, so it is tested with `mockall` mocks
//! and runs the same over REST, the WebSocket API or the sandbox.
//!
//! A key design decision: this crate holds the rules (what a Binance answer
//! means, when to reconcile, what a doctor finding says), not the terminal.
//! Printing, colours and prompts stay in the `mbx` binary.
#![deny(missing_docs)]

pub mod explain;
