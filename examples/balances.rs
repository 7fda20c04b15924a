//! The account's balances valued in USDT, over REST: `mbx balances --quote
//! USDT` in a dozen lines.
//!
//! `cargo run -p mbx-examples --example balances`

use mbx_adapters_rest::{ClientConfig, RestClient};
use mbx_client::balances::{self, BalancesQuery};
use mbx_sandbox::{Sandbox, SandboxConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Offline: a sandbox in this process. Against Binance, use
    // `Environment::Production.rest_url()` and your own credentials.
    let sandbox = Sandbox::start(SandboxConfig::demo()).await?;
    let client = RestClient::new(
        ClientConfig::new(&sandbox.rest_url())?,
        Some(mbx_examples::demo_credentials()),
    )?;

    // The use-case takes ports; the REST client implements both.
    let query = BalancesQuery {
        include_zero: false,
        quote: Some("USDT".to_owned()),
    };
    let sheet = balances::fetch(&client, &client, &query).await?;
    for row in &sheet.rows {
        let value = row.value.map_or("-".to_owned(), |value| {
            balances::round_value(value).to_string()
        });
        println!(
            "{:<6} {:>16} {:>16} USDT",
            row.balance.asset,
            row.balance.total(),
            value
        );
    }
    println!("total {} USDT", sheet.total());
    sandbox.shutdown().await;
    Ok(())
}
