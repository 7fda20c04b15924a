//! A local order book kept live: five updates of BTCUSDT's top three
//! levels, with the book's own notices (live, resyncs, self-checks):
//! `mbx book BTCUSDT --depth 3 --count 5` as a library call.
//!
//! `cargo run -p mbx-examples --example order_book`

use std::ops::ControlFlow;

use mbx_adapters_rest::{ClientConfig, RestClient};
use mbx_adapters_ws::{MarketStreamConfig, WsMarketStreams};
use mbx_client::book_feed::{self, BookItem, BookOptions};
use mbx_client::session::{Limits, Session};
use mbx_sandbox::{Sandbox, SandboxConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start(SandboxConfig::demo()).await?;
    // Against Binance: `Environment::Production`'s REST and stream URLs.
    let rest = RestClient::new(ClientConfig::new(&sandbox.rest_url())?, None)?;
    let streams = WsMarketStreams::new(MarketStreamConfig::new(sandbox.ws_stream_url()));
    let options = BookOptions {
        depth: 3,
        ..BookOptions::default()
    };
    let limits = Limits {
        count: Some(5),
        duration: None,
    };
    let mut session = Session::new(limits, async {
        let _ = tokio::signal::ctrl_c().await;
    });
    book_feed::follow(
        &streams,
        &rest,
        &["BTCUSDT".to_owned()],
        &options,
        &mut session,
        |item| {
            match item {
                BookItem::Update(view) => println!(
                    "{} bids {:?} asks {:?} spread {:?} resyncs {}",
                    view.last_update_id, view.bids, view.asks, view.spread, view.resyncs
                ),
                BookItem::Notice(notice) => eprintln!("{notice:?}"),
                _ => {}
            }
            ControlFlow::Continue(())
        },
    )
    .await?;
    sandbox.shutdown().await;
    Ok(())
}
