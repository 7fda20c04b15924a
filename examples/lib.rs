//! Examples for embedders of the mbx crates (`cargo run -p mbx-examples
//! --example balances`). Each starts the sandbox in-process, so it runs
//! offline as written; point the same code at Binance by building the
//! clients with `Environment::Production` (or `Testnet`) and your own
//! credentials instead.
//!
//! - `balances`: the account's balances valued in USDT, over REST.
//! - `market_stream`: ten aggregate trades from a market stream.
//! - `balance_feed`: the balances kept live from the user-data stream, with
//!   a deposit made while it runs.
//! - `sandbox_in_a_test`: the sandbox started from a `#[tokio::test]`.
//!
//! This library holds what the examples share: the demo credentials.

use mbx_domain::credentials::{ApiKey, Credentials};
use mbx_signing::{HmacKey, Signer};

/// The sandbox's demo API key and secret, as [`Credentials`].
pub fn demo_credentials() -> Credentials {
    let api_key = ApiKey::new(mbx_sandbox::DEMO_API_KEY).expect("the demo key is well-formed");
    let secret = HmacKey::from_secret_text(mbx_sandbox::DEMO_API_SECRET)
        .expect("the demo secret is well-formed");
    Credentials::new(api_key, Signer::Hmac(secret))
}
