//! The sandbox started from a test: an ephemeral loopback port, the demo
//! account, and the real client against it. Copy the test into your own
//! crate's tests to check your code against a Binance-compatible server
//! without a network.
//!
//! `cargo test -p mbx-examples --example sandbox_in_a_test`

use mbx_adapters_rest::{ClientConfig, RestClient};
use mbx_domain::ports::AccountData as _;
use mbx_sandbox::{Sandbox, SandboxConfig};

/// Starts a sandbox, reads the demo account's BTC, stops.
async fn demo_btc() -> Result<String, Box<dyn std::error::Error>> {
    let sandbox = Sandbox::start(SandboxConfig::demo()).await?;
    let client = RestClient::new(
        ClientConfig::new(&sandbox.rest_url())?,
        Some(mbx_examples::demo_credentials()),
    )?;
    let account = client.account(true).await?;
    sandbox.shutdown().await;
    let btc = account
        .balances
        .into_iter()
        .find(|balance| balance.asset == "BTC")
        .ok_or("no BTC balance")?;
    Ok(btc.free.to_string())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("the demo account holds {} BTC", demo_btc().await?);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_demo_account_holds_bitcoin() {
        assert_eq!(super::demo_btc().await.unwrap(), "1.50000000");
    }
}
