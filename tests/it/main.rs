//! End-to-end tests: the real `mbx` binary and the real clients against the
//! sandbox over loopback. One module per area.

mod api;
mod balances;
mod balances_watch;
mod book;
mod config;
mod doctor;
mod errors;
mod explain;
mod help;
mod order_lists;
mod orders;
mod output;
mod preflight;
mod reconcile;
mod record;
mod sandbox;
mod sandbox_admin;
mod sandbox_cli;
mod sandbox_coverage;
mod sandbox_endpoints;
mod sandbox_hardening;
mod sandbox_trading;
mod sandbox_ws;
mod sandbox_ws_api;
mod sign;
mod stream;
mod time;
mod unicode;
mod vectors;
