//! The Price Range execution rule's endpoints (CHANGELOG 2026-03-09):
//! execution rules, the reference price and how it is calculated. The
//! numbers come from [`crate::reference`], which the order filters and the
//! matching engine use too.

use super::market::{status_mismatch, symbol_status_matches};
use crate::error::ApiError;
use crate::exchange::Exchange;
use crate::params::Params;
use crate::reference::{BUCKET_COUNT, BUCKET_WIDTH_MS, PRICE_RANGE};
use crate::wire::{self, dec};

/// `GET /api/v3/executionRules`: every symbol has the one `PRICE_RANGE`
/// rule. One of `symbol`, `symbols` or `symbolStatus` at most (`-1128`).
pub fn execution_rules(
    exchange: &Exchange,
    params: &Params,
) -> Result<wire::ExecutionRules, ApiError> {
    params.only(&["symbol", "symbols", "symbolStatus"])?;
    let symbol = params.opt_symbol()?;
    let symbols = params.opt_symbols()?;
    let status_matches = symbol_status_matches(params)?;
    let sent = [
        symbol.is_some(),
        symbols.is_some(),
        params.has("symbolStatus"),
    ];
    if sent.iter().filter(|sent| **sent).count() > 1 {
        return Err(ApiError::bad_request(
            -1128,
            "Combination of optional parameters invalid.",
        ));
    }
    let engine = exchange.engine();
    let all = engine.market().symbols();
    let find = |name: &str| {
        all.iter()
            .find(|market| market.spec.symbol == name)
            .map(|market| market.spec.symbol)
            .ok_or_else(ApiError::bad_symbol)
    };
    let names: Vec<&'static str> = match (symbol, symbols) {
        (Some(symbol), _) => vec![find(symbol)?],
        (None, Some(symbols)) => symbols
            .iter()
            .map(|symbol| find(symbol))
            .collect::<Result<_, _>>()?,
        // Every sandbox symbol is TRADING.
        (None, None) if status_matches => all.iter().map(|market| market.spec.symbol).collect(),
        (None, None) => Vec::new(),
    };
    Ok(wire::ExecutionRules {
        symbol_rules: names
            .into_iter()
            .map(|symbol| wire::SymbolRules {
                symbol,
                rules: vec![wire::ExecutionRule::from(&PRICE_RANGE)],
            })
            .collect(),
    })
}

/// `GET /api/v3/referencePrice`: the sandbox calculates a reference price
/// for every symbol, so `-2043` never answers; `referencePrice` is `null`
/// while no trade falls in the calculation's window.
pub fn reference_price(
    exchange: &Exchange,
    params: &Params,
) -> Result<wire::ReferencePrice, ApiError> {
    params.only(&["symbol"])?;
    let symbol = params.symbol()?;
    let now = exchange.now_ms();
    let engine = exchange.advance_engine();
    let market = engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    let reference = engine
        .reference_price(symbol, now)
        .ok_or_else(ApiError::bad_symbol)?;
    Ok(wire::ReferencePrice {
        symbol: market.spec.symbol,
        reference_price: reference.map(dec),
        timestamp: now,
    })
}

/// `GET /api/v3/referencePrice/calculation`: the matching engine's
/// arithmetic mean ([`crate::reference`]).
pub fn reference_price_calculation(
    exchange: &Exchange,
    params: &Params,
) -> Result<wire::ReferencePriceCalculation, ApiError> {
    params.only(&["symbol", "symbolStatus"])?;
    let symbol = params.symbol()?;
    let status_matches = symbol_status_matches(params)?;
    let engine = exchange.engine();
    let market = engine
        .market()
        .get(symbol)
        .ok_or_else(ApiError::bad_symbol)?;
    if !status_matches {
        return Err(status_mismatch());
    }
    Ok(wire::ReferencePriceCalculation {
        symbol: market.spec.symbol,
        calculation_type: "ARITHMETIC_MEAN",
        bucket_count: BUCKET_COUNT,
        bucket_width_ms: BUCKET_WIDTH_MS,
    })
}
