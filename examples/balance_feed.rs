//! The balances kept live from the user-data stream, reconciled over REST
//! after any reconnect: `mbx balances --watch` as a library call. A deposit
//! made while it runs shows up as a change.
//!
//! `cargo run -p mbx-examples --example balance_feed`

use std::ops::ControlFlow;
use std::sync::Arc;

use mbx_adapters_rest::{ClientConfig, RestClient};
use mbx_adapters_ws::{ApiConfig, WsUserData};
use mbx_client::account_feed::{AccountFeed, AccountOutput, CountBy};
use mbx_client::session::{Limits, Session};
use mbx_sandbox::{Sandbox, SandboxConfig};

/// The demo account's user id in the sandbox.
const DEMO_UID: u64 = 354_937_868;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Arc::new(Sandbox::start(SandboxConfig::demo()).await?);
    let credentials = mbx_examples::demo_credentials();
    let rest = Arc::new(RestClient::new(
        ClientConfig::new(&sandbox.rest_url())?,
        Some(credentials.clone()),
    )?);
    let feed = AccountFeed {
        user_data: Arc::new(WsUserData::new(
            ApiConfig::new(sandbox.ws_api_url()),
            credentials,
        )),
        account: rest.clone(),
        market: rest,
        quote: None,
        count_by: CountBy::BalanceChanges,
    };
    // Stop after one changed balance.
    let limits = Limits {
        count: Some(1),
        duration: None,
    };
    let mut session = Session::new(limits, std::future::pending());
    let depositor = Arc::clone(&sandbox);
    feed.run(&mut session, |state, output| {
        match output {
            AccountOutput::Started { balances, .. } => {
                println!("{} balances; depositing 0.5 BTC", balances.len());
                if let Err(err) =
                    depositor.deposit(DEMO_UID, "BTC", "0.5".parse().unwrap_or_default())
                {
                    eprintln!("deposit failed: {err:?}");
                    return ControlFlow::Break(());
                }
            }
            AccountOutput::Event { changed, .. } => {
                for balance in changed {
                    println!("{} is now {}", balance.asset, balance.total());
                }
                println!("{} assets known", state.balances().len());
            }
            other => eprintln!("{other:?}"),
        }
        ControlFlow::Continue(())
    })
    .await?;
    Ok(())
}
