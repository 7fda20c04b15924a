//! The wallet endpoints people use to check a key (`/sapi/v1/...`).
//! Shapes: shared/binance-docs/DIGEST.md § 9.

use rust_decimal::Decimal;

use crate::error::ApiError;
use crate::exchange::{Caller, Exchange};
use crate::params::Params;
use crate::wire::{self, dec};

/// `GET /sapi/v1/account/status`.
pub fn account_status(
    _exchange: &Exchange,
    _caller: Caller,
    params: &Params,
) -> Result<wire::AccountStatus, ApiError> {
    params.only(&[])?;
    Ok(wire::AccountStatus { data: "Normal" })
}

/// `GET /sapi/v1/account/apiRestrictions`.
pub fn api_restrictions(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<wire::ApiRestrictions, ApiError> {
    params.only(&[])?;
    let permissions = caller.permissions;
    let create_time = exchange.engine().market().tick_time(0);
    Ok(wire::ApiRestrictions {
        ip_restrict: permissions.ip_restrict,
        create_time,
        enable_reading: permissions.enable_reading,
        enable_withdrawals: permissions.enable_withdrawals,
        enable_internal_transfer: false,
        enable_margin: false,
        enable_futures: false,
        permits_universal_transfer: false,
        enable_vanilla_options: false,
        enable_fix_api_trade: false,
        enable_fix_read_only: false,
        enable_spot_and_margin_trading: permissions.enable_spot_and_margin_trading,
        enable_portfolio_margin_trading: false,
    })
}

/// `GET /sapi/v1/capital/config/getall`.
pub fn capital_config(
    exchange: &Exchange,
    caller: Caller,
    params: &Params,
) -> Result<Vec<wire::CoinInfo>, ApiError> {
    params.only(&[])?;
    let engine = exchange.engine();
    let mut assets: Vec<String> = engine
        .market()
        .symbols()
        .iter()
        .flat_map(|s| [s.spec.base.to_owned(), s.spec.quote.to_owned()])
        .collect();
    if let Some(account) = engine.account(caller.uid) {
        assets.extend(account.balances.keys().cloned());
    }
    assets.sort();
    assets.dedup();
    let zero = || dec(Decimal::ZERO);
    let coins = assets
        .into_iter()
        .map(|asset| {
            let balance = engine
                .account(caller.uid)
                .and_then(|account| account.balances.get(&asset).copied())
                .unwrap_or_default();
            wire::CoinInfo {
                coin: asset.clone(),
                deposit_all_enable: true,
                free: dec(balance.free),
                freeze: zero(),
                ipoable: zero(),
                ipoing: zero(),
                is_legal_money: false,
                locked: dec(balance.locked),
                name: asset.clone(),
                network_list: vec![wire::Network {
                    network: "SANDBOX",
                    coin: asset.clone(),
                    withdraw_integer_multiple: dec(Decimal::new(1, 8)),
                    is_default: true,
                    deposit_enable: true,
                    withdraw_enable: false,
                    deposit_desc: String::new(),
                    withdraw_desc: "Withdrawals are not available in the sandbox".to_owned(),
                    special_tips: String::new(),
                    special_withdraw_tips: String::new(),
                    name: "Sandbox",
                    reset_address_status: false,
                    address_regex: "^.*$",
                    memo_regex: "",
                    withdraw_fee: zero(),
                    withdraw_min: zero(),
                    withdraw_max: zero(),
                    withdraw_internal_min: zero(),
                    deposit_dust: zero(),
                    min_confirm: 1,
                    un_lock_confirm: 0,
                    same_address: false,
                    estimated_arrival_time: 1,
                    busy: false,
                    contract_address_url: String::new(),
                    contract_address: String::new(),
                    denomination: 1,
                }],
                storage: zero(),
                trading: true,
                withdraw_all_enable: false,
                withdrawing: zero(),
            }
        })
        .collect();
    Ok(coins)
}

/// `GET /sapi/v1/system/status`: always normal.
pub fn system_status(
    _exchange: &Exchange,
    params: &Params,
) -> Result<wire::SystemStatus, ApiError> {
    params.only(&[])?;
    Ok(wire::SystemStatus {
        status: 0,
        msg: "normal",
    })
}

/// `GET /sapi/v1/margin/allPairs` (and `isolated/allPairs`): the sandbox
/// has no margin trading, so no pairs.
pub fn margin_pairs(
    _exchange: &Exchange,
    _caller: Caller,
    params: &Params,
) -> Result<Vec<()>, ApiError> {
    params.only(&["symbol"])?;
    Ok(Vec::new())
}
