//! The account: balances, commissions, permissions.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Millis;

/// `GET /api/v3/account`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Maker commission in basis points (legacy integer form).
    #[serde(default)]
    pub maker_commission: i64,
    /// Taker commission in basis points (legacy integer form).
    #[serde(default)]
    pub taker_commission: i64,
    /// Commission rates as decimals.
    #[serde(default)]
    pub commission_rates: Option<CommissionRates>,
    /// Whether the account may trade.
    pub can_trade: bool,
    /// Whether the account may withdraw.
    pub can_withdraw: bool,
    /// Whether the account may deposit.
    pub can_deposit: bool,
    /// Last update of the account.
    #[serde(default)]
    pub update_time: Millis,
    /// E.g. `SPOT`.
    #[serde(default)]
    pub account_type: String,
    /// Every asset (or only the non-zero ones with `omitZeroBalances=true`).
    pub balances: Vec<Balance>,
    /// E.g. `["SPOT"]`.
    #[serde(default)]
    pub permissions: Vec<String>,
    /// The account's user id.
    #[serde(default)]
    pub uid: Option<u64>,
}

/// Commission rates of an account, as decimals (`"0.00100000"`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CommissionRates {
    /// Maker rate.
    pub maker: Decimal,
    /// Taker rate.
    pub taker: Decimal,
    /// Buyer rate.
    pub buyer: Decimal,
    /// Seller rate.
    pub seller: Decimal,
}

/// One asset's balance. `free` and `locked` keep the server's scale.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Balance {
    /// The asset, e.g. `BTC`.
    pub asset: String,
    /// Available.
    pub free: Decimal,
    /// Held by open orders.
    pub locked: Decimal,
}

impl Balance {
    /// `free + locked`.
    pub fn total(&self) -> Decimal {
        self.free + self.locked
    }

    /// Whether both `free` and `locked` are zero.
    pub fn is_zero(&self) -> bool {
        self.free.is_zero() && self.locked.is_zero()
    }
}

/// `GET /sapi/v1/account/apiRestrictions`: what the API key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiRestrictions {
    /// Only whitelisted IPs may use the key.
    #[serde(default)]
    pub ip_restrict: bool,
    /// Read account data.
    #[serde(default)]
    pub enable_reading: bool,
    /// Place and cancel spot and margin orders.
    #[serde(default)]
    pub enable_spot_and_margin_trading: bool,
    /// Withdraw funds.
    #[serde(default)]
    pub enable_withdrawals: bool,
    /// Transfer between accounts.
    #[serde(default)]
    pub enable_internal_transfer: bool,
    /// Margin.
    #[serde(default)]
    pub enable_margin: bool,
    /// Futures.
    #[serde(default)]
    pub enable_futures: bool,
    /// When the key was created.
    #[serde(default)]
    pub create_time: Millis,
}

impl ApiRestrictions {
    /// Whether the key can move or spend funds (trade or withdraw).
    pub fn can_move_funds(&self) -> bool {
        self.enable_spot_and_margin_trading
            || self.enable_withdrawals
            || self.enable_internal_transfer
            || self.enable_margin
            || self.enable_futures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = r#"{
      "makerCommission": 15, "takerCommission": 15, "buyerCommission": 0, "sellerCommission": 0,
      "commissionRates": {"maker": "0.00150000", "taker": "0.00150000", "buyer": "0.00000000", "seller": "0.00000000"},
      "canTrade": true, "canWithdraw": true, "canDeposit": true, "brokered": false,
      "requireSelfTradePrevention": false, "preventSor": false, "updateTime": 123456789,
      "accountType": "SPOT",
      "balances": [
        {"asset": "BTC", "free": "4723846.89208129", "locked": "0.00000000"},
        {"asset": "LTC", "free": "4763368.68006011", "locked": "0.00000000"}
      ],
      "permissions": ["SPOT"], "uid": 354937868
    }"#;

    #[test]
    fn parses_the_documented_account() {
        let account: Account = serde_json::from_str(ACCOUNT).unwrap();
        assert_eq!(account.balances.len(), 2);
        assert_eq!(account.balances[0].free.to_string(), "4723846.89208129");
        assert_eq!(account.balances[0].locked.to_string(), "0.00000000");
        assert_eq!(account.uid, Some(354937868));
        assert_eq!(
            account.commission_rates.unwrap().maker.to_string(),
            "0.00150000"
        );
    }

    #[test]
    fn balance_serializes_the_server_strings() {
        let balance: Balance =
            serde_json::from_str(r#"{"asset":"BTC","free":"1.50000000","locked":"0.00000000"}"#)
                .unwrap();
        assert_eq!(
            serde_json::to_string(&balance).unwrap(),
            r#"{"asset":"BTC","free":"1.50000000","locked":"0.00000000"}"#
        );
        assert!(!balance.is_zero());
    }

    #[test]
    fn restrictions_flag_keys_that_can_move_funds() {
        let read_only: ApiRestrictions =
            serde_json::from_str(r#"{"ipRestrict":false,"enableReading":true,"createTime":1}"#)
                .unwrap();
        assert!(!read_only.can_move_funds());
        let trading: ApiRestrictions =
            serde_json::from_str(r#"{"enableReading":true,"enableSpotAndMarginTrading":true}"#)
                .unwrap();
        assert!(trading.can_move_funds());
    }
}
