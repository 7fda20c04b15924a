//! Ten aggregate trades from a market stream, with the connection notices,
//! through the `MarketStreamSource` port: `mbx stream btcusdt@aggTrade
//! --count 10` as a library call.
//!
//! `cargo run -p mbx-examples --example market_stream`

use std::ops::ControlFlow;

use mbx_adapters_ws::{MarketStreamConfig, WsMarketStreams};
use mbx_client::market_feed;
use mbx_client::session::{Limits, Session};
use mbx_domain::feed::StreamItem;
use mbx_sandbox::{Sandbox, SandboxConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start(SandboxConfig::demo()).await?;
    // Against Binance: `Environment::Production.stream_url()`.
    let source = WsMarketStreams::new(MarketStreamConfig::new(sandbox.ws_stream_url()));
    let limits = Limits {
        count: Some(10),
        duration: None,
    };
    let mut session = Session::new(limits, async {
        let _ = tokio::signal::ctrl_c().await;
    });
    market_feed::follow(
        &source,
        &["btcusdt@aggTrade".to_owned()],
        &mut session,
        |item| {
            match item {
                StreamItem::Event { stream, event } => println!("{stream:?} {event:?}"),
                StreamItem::Raw(raw) => println!("{:?} {}", raw.stream, raw.payload),
                StreamItem::Notice(notice) => eprintln!("{notice:?}"),
                _ => {}
            }
            ControlFlow::Continue(())
        },
    )
    .await?;
    sandbox.shutdown().await;
    Ok(())
}
