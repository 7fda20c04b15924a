//! Balances and what they are worth: `mbx balances` for any program.
//!
//! [`fetch`] reads the account over the [`AccountData`] port and, with a
//! quote asset, values every balance from the last prices over the
//! [`MarketData`] port. [`Prices::value_in`] is the valuation rule: the
//! asset itself, a direct market (`ASSETQUOTE`), an inverted one
//! (`QUOTEASSET`), or through one bridge asset (BTC, USDT, ETH, BNB).

use std::collections::HashMap;

use mbx_domain::Error;
use mbx_domain::model::{Balance, Decimal};
use mbx_domain::ports::{AccountData, MarketData};

/// The assets a value may be routed through when no direct market exists.
pub const BRIDGE_ASSETS: [&str; 4] = ["BTC", "USDT", "ETH", "BNB"];

/// What to fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BalancesQuery {
    /// Include zero balances.
    pub include_zero: bool,
    /// Value each balance in this asset (upper-cased), with a total.
    pub quote: Option<String>,
}

/// One balance, with its value when a quote was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceRow {
    /// The balance, with the server's decimals.
    pub balance: Balance,
    /// Its estimated value in the quote asset; `None` when no price leads
    /// there (or no quote was asked for).
    pub value: Option<Decimal>,
}

/// The account's balances, valued when asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceSheet {
    /// The balances, ordered as the server sent them.
    pub rows: Vec<BalanceRow>,
    /// The quote asset, when values were asked for.
    pub quote: Option<String>,
}

impl BalanceSheet {
    /// The sum of the known values (rounded with [`round_value`]).
    pub fn total(&self) -> Decimal {
        round_value(
            self.rows
                .iter()
                .filter_map(|row| row.value)
                .fold(Decimal::ZERO, Decimal::saturating_add),
        )
    }

    /// How many balances have no price (left out of the total).
    pub fn unpriced(&self) -> usize {
        if self.quote.is_none() {
            return 0;
        }
        self.rows.iter().filter(|row| row.value.is_none()).count()
    }
}

/// Reads the balances and, with a quote, the prices to value them.
pub async fn fetch(
    account: &dyn AccountData,
    market: &dyn MarketData,
    query: &BalancesQuery,
) -> Result<BalanceSheet, Error> {
    let account = account.account(!query.include_zero).await?;
    let balances: Vec<Balance> = account
        .balances
        .into_iter()
        .filter(|balance| query.include_zero || !balance.is_zero())
        .collect();
    let quote = query.quote.as_deref().map(normalize_asset);
    let prices = match &quote {
        Some(_) => Some(Prices::fetch(market).await?),
        None => None,
    };
    Ok(value_all(balances, quote, prices.as_ref()))
}

/// Values `balances` in `quote` with `prices` (no values without either).
pub fn value_all(
    balances: Vec<Balance>,
    quote: Option<String>,
    prices: Option<&Prices>,
) -> BalanceSheet {
    let rows = balances
        .into_iter()
        .map(|balance| {
            let value = match (&quote, prices) {
                (Some(quote), Some(prices)) => prices.value_in(&balance, quote),
                _ => None,
            };
            BalanceRow { balance, value }
        })
        .collect();
    BalanceSheet { rows, quote }
}

/// `usdt ` → `USDT`.
pub fn normalize_asset(asset: &str) -> String {
    asset.trim().to_ascii_uppercase()
}

/// The last price of every symbol.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prices(HashMap<String, Decimal>);

impl Prices {
    /// Asks `GET /api/v3/ticker/price` for every symbol.
    pub async fn fetch(market: &dyn MarketData) -> Result<Prices, Error> {
        let tickers = market.ticker_prices().await?;
        Ok(Prices(
            tickers
                .into_iter()
                .map(|ticker| (ticker.symbol, ticker.price))
                .collect(),
        ))
    }

    /// Prices from `(symbol, price)` pairs.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, Decimal)>) -> Prices {
        Prices(pairs.into_iter().collect())
    }

    /// The value of a balance's total in `quote`: the asset itself, a
    /// direct market (`ASSETQUOTE`), an inverted one (`QUOTEASSET`), or
    /// through one of [`BRIDGE_ASSETS`]. `None` when no price leads there, or
    /// when the value does not fit in a decimal (a hostile or broken ticker
    /// must not panic).
    ///
    /// ```
    /// use mbx_client::balances::Prices;
    /// use mbx_domain::model::Balance;
    ///
    /// let prices = Prices::from_pairs([("BTCUSDT".to_owned(), "60000".parse().unwrap()), ("ETHBTC".to_owned(), "0.05".parse().unwrap())]);
    /// let eth = Balance { asset: "ETH".into(), free: "2".parse().unwrap(), locked: "0".parse().unwrap() };
    /// assert_eq!(prices.value_in(&eth, "USDT").unwrap().to_string(), "6000.00");
    /// ```
    pub fn value_in(&self, balance: &Balance, quote: &str) -> Option<Decimal> {
        let rate = self.rate(&balance.asset, quote).or_else(|| {
            BRIDGE_ASSETS.iter().find_map(|bridge| {
                if *bridge == balance.asset || *bridge == quote {
                    return None;
                }
                self.rate(&balance.asset, bridge)?
                    .checked_mul(self.rate(bridge, quote)?)
            })
        })?;
        balance.free.checked_add(balance.locked)?.checked_mul(rate)
    }

    fn rate(&self, from: &str, to: &str) -> Option<Decimal> {
        if from == to {
            return Some(Decimal::ONE);
        }
        if let Some(price) = self.0.get(&format!("{from}{to}")) {
            return Some(*price);
        }
        let inverse = self.0.get(&format!("{to}{from}"))?;
        Decimal::ONE.checked_div(*inverse)
    }
}

/// Values are estimates: 8 decimals at most, trailing zeros kept to two.
pub fn round_value(value: Decimal) -> Decimal {
    let mut rounded = value.round_dp(8).normalize();
    if rounded.scale() < 2 {
        rounded.rescale(2);
    }
    rounded
}

#[cfg(test)]
mod tests {
    use mbx_domain::model::{Account, PriceTicker};
    use mbx_domain::ports::{MockAccountData, MockMarketData};

    use super::*;

    fn balance(asset: &str, free: &str, locked: &str) -> Balance {
        Balance {
            asset: asset.into(),
            free: free.parse().unwrap(),
            locked: locked.parse().unwrap(),
        }
    }

    fn prices() -> Prices {
        Prices::from_pairs(
            [
                ("BTCUSDT", "60000.00"),
                ("ETHBTC", "0.05"),
                ("USDTTRY", "40"),
            ]
            .into_iter()
            .map(|(s, p)| (s.to_owned(), p.parse().unwrap())),
        )
    }

    #[track_caller]
    fn check(asset: &str, quote: &str, expected: Option<&str>) {
        let value = prices().value_in(&balance(asset, "1.5", "0.5"), quote);
        assert_eq!(
            value.map(|v| round_value(v).to_string()).as_deref(),
            expected
        );
    }

    #[test]
    fn direct() {
        check("BTC", "USDT", Some("120000.00"))
    }
    #[test]
    fn itself() {
        check("USDT", "USDT", Some("2.00"))
    }
    #[test]
    fn inverted() {
        check("TRY", "USDT", Some("0.05"))
    }
    #[test]
    fn through_btc() {
        check("ETH", "USDT", Some("6000.00"))
    }
    #[test]
    fn inverted_then_bridged() {
        // TRY → USDT is inverted (USDTTRY), then USDT → BTC is inverted too.
        check("TRY", "BTC", Some("0.00000083"))
    }
    #[test]
    fn no_price() {
        check("XYZ", "USDT", None)
    }

    #[test]
    fn a_value_too_large_for_a_decimal_is_unknown_not_a_panic() {
        let huge = balance("ABC", "70000000000000000000000000", "0");
        let prices = Prices::from_pairs(
            [
                ("ABCUSDT", "1000000000"),
                ("USDTXYZ", "0.0000000000000000000000000001"),
            ]
            .into_iter()
            .map(|(s, p)| (s.to_owned(), p.parse().unwrap())),
        );
        assert_eq!(prices.value_in(&huge, "USDT"), None);
        assert_eq!(prices.value_in(&balance("XYZ", "10", "0"), "USDT"), None);
    }

    fn account(balances: Vec<Balance>) -> Account {
        serde_json::from_value(serde_json::json!({
            "makerCommission": 10, "takerCommission": 10, "buyerCommission": 0,
            "sellerCommission": 0, "canTrade": true, "canWithdraw": true,
            "canDeposit": true, "updateTime": 1, "accountType": "SPOT",
            "balances": balances, "permissions": ["SPOT"], "uid": 1
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn fetch_values_through_the_ports_and_asks_prices_only_with_a_quote() {
        let mut account_port = MockAccountData::new();
        account_port
            .expect_account()
            .withf(|omit_zero| *omit_zero)
            .times(2)
            .returning(|_| {
                Ok(account(vec![
                    balance("BTC", "1.00000000", "0.00000000"),
                    balance("ETH", "2.00000000", "0.00000000"),
                    balance("XYZ", "5.00000000", "0.00000000"),
                    balance("BNB", "0.00000000", "0.00000000"),
                ]))
            });
        let mut market = MockMarketData::new();
        market.expect_ticker_prices().times(1).returning(|| {
            Ok(vec![
                PriceTicker {
                    symbol: "BTCUSDT".into(),
                    price: "60000.00".parse().unwrap(),
                },
                PriceTicker {
                    symbol: "ETHBTC".into(),
                    price: "0.05".parse().unwrap(),
                },
            ])
        });
        let plain = fetch(&account_port, &market, &BalancesQuery::default())
            .await
            .unwrap();
        assert_eq!(plain.rows.len(), 3, "zero balances are left out");
        assert!(plain.rows.iter().all(|row| row.value.is_none()));
        let query = BalancesQuery {
            include_zero: false,
            quote: Some("usdt".into()),
        };
        let sheet = fetch(&account_port, &market, &query).await.unwrap();
        assert_eq!(sheet.quote.as_deref(), Some("USDT"));
        assert_eq!(sheet.total().to_string(), "66000.00");
        assert_eq!(sheet.unpriced(), 1);
    }
}
