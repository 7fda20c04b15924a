//! `mbx_domain::preflight` proved against the sandbox: a deterministic
//! sample of orders on every sandbox symbol, each checked by the validator
//! and sent to `POST /api/v3/order/test` through the real REST client. The
//! validator and the sandbox must agree on every one: accepted by both, or
//! refused by both with the code and message the validator predicts. Every
//! order the validator can repair with `suggest` must then be accepted.
// See: issue "Trading, safely"

use std::collections::BTreeSet;

use mbx_adapters_rest::{ClientConfig, Request, RestClient};
use mbx_domain::Error;
use mbx_domain::credentials::{ApiKey, Credentials};
use mbx_domain::model::{
    AvgPrice, NewOrder, OrderType, Side, SymbolFilter, SymbolInfo, TimeInForce,
};
use mbx_domain::ports::MarketData as _;
use mbx_domain::preflight::{self, Check, Context, FilterFailure, Rounding, round_to_step};
use mbx_sandbox::{DEMO_API_KEY, DEMO_API_SECRET};
use mbx_signing::{HmacKey, Signer};
use rust_decimal::Decimal;

use crate::balances::Running;

/// Orders per symbol; the sandbox lists eight symbols.
const ORDERS_PER_SYMBOL: usize = 60;

fn client(running: &Running) -> RestClient {
    let credentials = Credentials::new(
        ApiKey::new(DEMO_API_KEY).unwrap(),
        Signer::Hmac(HmacKey::new(DEMO_API_SECRET.as_bytes()).unwrap()),
    );
    RestClient::new(
        ClientConfig::new(&running.url()).unwrap(),
        Some(credentials),
    )
    .unwrap()
}

/// What the sandbox answered to `POST /api/v3/order/test`.
#[derive(Debug)]
enum Answer {
    Accepted,
    Refused { code: i64, msg: String },
}

fn test_order(running: &Running, client: &RestClient, order: &NewOrder) -> Answer {
    let mut request = Request::new("POST", "/api/v3/order/test").unwrap();
    for (name, value) in order.params() {
        request = request.param(name, value);
    }
    match running.block_on(client.call::<serde_json::Value>(request.signed())) {
        Ok(_) => Answer::Accepted,
        Err(Error::Api(err)) => Answer::Refused {
            code: err.code.expect("a Binance error code"),
            msg: err.msg.clone(),
        },
        Err(other) => panic!("order/test failed outside the API: {other}"),
    }
}

/// Whether one of the failures predicts this answer.
fn explains(failures: &[FilterFailure], code: i64, msg: &str) -> Option<Check> {
    failures
        .iter()
        .find(|failure| failure.binance_codes().contains(&code) && failure.binance_msg() == msg)
        .map(|failure| failure.check)
}

#[test]
fn validator_and_sandbox_agree_on_a_sample_of_orders() {
    let running = Running::demo();
    let client = client(&running);
    let info = running.block_on(client.exchange_info(&[])).unwrap();
    assert_eq!(info.symbols.len(), 9, "the sandbox's symbols");
    let mut rng = SplitMix(0x005E_ED0F_0DE5);
    let mut disagreements = Vec::new();
    let mut confirmed: BTreeSet<&'static str> = BTreeSet::new();
    let (mut accepted, mut refused, mut repaired) = (0, 0, 0);
    for symbol in &info.symbols {
        let rules = Rules::of(symbol);
        for _ in 0..ORDERS_PER_SYMBOL {
            // The reference and average prices move a little every
            // second; orders are generated far (≥ 25 %) from the
            // price-dependent bounds, so the drift between these requests
            // and the order never decides.
            let avg: AvgPrice =
                running
                    .block_on(client.call(
                        Request::get("/api/v3/avgPrice").param("symbol", symbol.symbol.as_str()),
                    ))
                    .unwrap();
            let reference: serde_json::Value = running
                .block_on(client.call(
                    Request::get("/api/v3/referencePrice").param("symbol", symbol.symbol.as_str()),
                ))
                .unwrap();
            let context = Context {
                reference_price: reference["referencePrice"]
                    .as_str()
                    .map(|price| price.parse().unwrap()),
                average_price: Some(avg.price),
                ..Context::default()
            };
            let market_price = context.market_price(5).unwrap();
            let order = rules.generate(&mut rng, symbol, market_price);
            let verdict = preflight::validate(symbol, &order, &context);
            let answer = test_order(&running, &client, &order);
            let params = order.params();
            match (&verdict, &answer) {
                (Ok(()), Answer::Accepted) => accepted += 1,
                (Err(failures), Answer::Refused { code, msg }) => {
                    match explains(failures, *code, msg) {
                        Some(check) => {
                            confirmed.insert(check.name());
                            refused += 1;
                        }
                        None => disagreements.push(format!(
                            "{params:?}: sandbox {code} {msg:?}, validator {:?}",
                            failures.iter().map(|f| f.to_string()).collect::<Vec<_>>()
                        )),
                    }
                    if let Some(fixed) = preflight::suggest(symbol, &order, &context) {
                        match test_order(&running, &client, &fixed) {
                            Answer::Accepted => repaired += 1,
                            refusal => disagreements.push(format!(
                                "suggested {:?} for {params:?}: sandbox {refusal:?}",
                                fixed.params()
                            )),
                        }
                    }
                }
                (Ok(()), Answer::Refused { code, msg }) => disagreements.push(format!(
                    "{params:?}: validator accepts, sandbox {code} {msg:?}"
                )),
                (Err(failures), Answer::Accepted) => disagreements.push(format!(
                    "{params:?}: sandbox accepts, validator {:?}",
                    failures.iter().map(|f| f.to_string()).collect::<Vec<_>>()
                )),
            }
        }
    }
    eprintln!(
        "agreed: {accepted} accepted, {refused} refused ({confirmed:?}), {repaired} repaired by suggest"
    );
    assert!(
        disagreements.is_empty(),
        "{} disagreements, e.g.:\n{}",
        disagreements.len(),
        disagreements[..disagreements.len().min(15)].join("\n")
    );
    // The sample must exercise both answers and every filter the sandbox
    // checks, or agreeing proves little. (`orderTypes` cannot refuse: the
    // sandbox lists every Spot order type.)
    assert!(accepted >= 80, "only {accepted} accepted");
    assert!(refused >= 250, "only {refused} refused");
    assert!(repaired >= 180, "only {repaired} repaired");
    for check in [
        "precision",
        "parameters",
        "icebergAllowed",
        "PRICE_FILTER",
        "PERCENT_PRICE_BY_SIDE",
        "LOT_SIZE",
        "MARKET_LOT_SIZE",
        "NOTIONAL",
    ] {
        assert!(
            confirmed.contains(check),
            "no refusal by {check} confirmed: {confirmed:?}"
        );
    }
}

#[test]
fn suggestions_are_what_the_sandbox_accepts() {
    let running = Running::demo();
    let client = client(&running);
    let info = running
        .block_on(client.exchange_info(&["BTCUSDT".to_owned()]))
        .unwrap();
    let symbol = info.symbol("BTCUSDT").unwrap();
    // The failure's own suggestions, tried one by one.
    let order = NewOrder::limit(
        "BTCUSDT",
        Side::Buy,
        "0.000123456".parse().unwrap(),
        "50000.005".parse().unwrap(),
    );
    let failures = preflight::validate(symbol, &order, &Context::default()).unwrap_err();
    let texts: Vec<String> = failures.iter().map(|f| f.to_string()).collect();
    assert_eq!(
        texts,
        [
            "precision: quantity 0.000123456 has more than 8 decimals: use 0.00012346 or 0.00012345",
            "PRICE_FILTER: price 50000.005 is not a multiple of tickSize 0.01000000: use 50000.01 or 50000.00",
            "LOT_SIZE: quantity 0.000123456 is not a multiple of stepSize 0.00001000: use 0.00012 or 0.00013",
        ]
    );
    match test_order(&running, &client, &order) {
        Answer::Refused { code, msg } => {
            assert_eq!(
                (code, msg.as_str()),
                (-1111, "Parameter 'quantity' has too much precision.")
            )
        }
        Answer::Accepted => panic!("the sandbox took a quantity of 9 decimals"),
    }
    let fixed = preflight::suggest(symbol, &order, &Context::default()).unwrap();
    assert_eq!(fixed.quantity.unwrap().to_string(), "0.00012");
    assert_eq!(fixed.price.unwrap().to_string(), "50000.01");
    assert!(matches!(
        test_order(&running, &client, &fixed),
        Answer::Accepted
    ));
}

/// The numbers of a sandbox symbol's filters that generation aims at.
struct Rules {
    tick: Decimal,
    min_price: Decimal,
    max_price: Decimal,
    step: Decimal,
    min_qty: Decimal,
    max_qty: Decimal,
    market_max_qty: Decimal,
    min_notional: Decimal,
    max_notional: Decimal,
}

impl Rules {
    fn of(symbol: &SymbolInfo) -> Rules {
        let mut rules = Rules {
            tick: Decimal::ZERO,
            min_price: Decimal::ZERO,
            max_price: Decimal::ZERO,
            step: Decimal::ZERO,
            min_qty: Decimal::ZERO,
            max_qty: Decimal::ZERO,
            market_max_qty: Decimal::ZERO,
            min_notional: Decimal::ZERO,
            max_notional: Decimal::ZERO,
        };
        for filter in &symbol.filters {
            match *filter {
                SymbolFilter::PriceFilter {
                    min_price,
                    max_price,
                    tick_size,
                } => {
                    (rules.min_price, rules.max_price, rules.tick) =
                        (min_price, max_price, tick_size)
                }
                SymbolFilter::LotSize {
                    min_qty,
                    max_qty,
                    step_size,
                } => (rules.min_qty, rules.max_qty, rules.step) = (min_qty, max_qty, step_size),
                SymbolFilter::MarketLotSize { max_qty, .. } => rules.market_max_qty = max_qty,
                SymbolFilter::Notional {
                    min_notional,
                    max_notional,
                    ..
                } => (rules.min_notional, rules.max_notional) = (min_notional, max_notional),
                _ => {}
            }
        }
        assert!(rules.tick > Decimal::ZERO && rules.step > Decimal::ZERO);
        rules
    }

    /// One order: mostly well-formed LIMIT and MARKET orders near the
    /// filters' bounds, some with a number off the grid, out of bounds or
    /// too precise, and a few the symbol does not take at all.
    fn generate(&self, rng: &mut SplitMix, symbol: &SymbolInfo, avg: Decimal) -> NewOrder {
        let side = if rng.below(2) == 0 {
            Side::Buy
        } else {
            Side::Sell
        };
        let name = symbol.symbol.as_str();
        match rng.below(20) {
            0..=9 => {
                let price = self.price(rng, avg);
                let quantity = self.limit_quantity(rng, price);
                let mut order = NewOrder::limit(name, side, quantity, price);
                match rng.below(5) {
                    0 => {
                        order.order_type = OrderType::LimitMaker;
                        order.time_in_force = None;
                    }
                    1 => order.time_in_force = Some(TimeInForce::Ioc),
                    2 => order.time_in_force = Some(TimeInForce::Fok),
                    _ => {}
                }
                order
            }
            10..=13 => NewOrder::market(name, side, self.market_quantity(rng, avg)),
            14..=16 => {
                let mut order = NewOrder::market(name, side, Decimal::ZERO);
                order.quantity = None;
                order.quote_order_qty = Some(self.quote_quantity(rng));
                order
            }
            17 => {
                let price = self.on_grid(avg, self.tick);
                let mut order = NewOrder::limit(name, side, self.min_qty * dec("1000"), price);
                order.order_type = *rng.pick(&[
                    OrderType::StopLossLimit,
                    OrderType::TakeProfitLimit,
                    OrderType::StopLoss,
                    OrderType::TakeProfit,
                ]);
                if matches!(
                    order.order_type,
                    OrderType::StopLoss | OrderType::TakeProfit
                ) {
                    order.price = None;
                    order.time_in_force = None;
                }
                order.stop_price = Some(price);
                order
            }
            18 => {
                let price = self.on_grid(avg, self.tick);
                let mut order = NewOrder::limit(name, side, self.min_qty * dec("1000"), price);
                order.iceberg_qty = Some(self.min_qty * dec("100"));
                order
            }
            _ => {
                // Parameters the order type does not take, or lacks.
                let price = self.on_grid(avg, self.tick);
                let quantity = self.market_quantity(rng, avg);
                match rng.below(3) {
                    0 => {
                        let mut order = NewOrder::limit(name, side, quantity, price);
                        order.time_in_force = None;
                        order
                    }
                    1 => {
                        let mut order = NewOrder::market(name, side, quantity);
                        order.price = Some(price);
                        order
                    }
                    _ => {
                        let mut order = NewOrder::market(name, side, quantity);
                        order.quote_order_qty = Some(dec("100"));
                        order
                    }
                }
            }
        }
    }

    /// A price around the average, far from the 0.2× and 5× bounds of
    /// `PERCENT_PRICE_BY_SIDE`, then maybe spoiled.
    fn price(&self, rng: &mut SplitMix, avg: Decimal) -> Decimal {
        let factor = *rng.pick(&[
            "0.1", "0.15", "0.3", "0.5", "0.9", "1", "1.1", "2", "4", "6", "20",
        ]);
        let price = self
            .on_grid(avg * dec(factor), self.tick)
            .max(self.min_price);
        self.spoil(rng, price, self.tick, self.min_price, self.max_price)
    }

    /// A LIMIT quantity aimed at the notional bounds at `price` (exact:
    /// the notional does not depend on the market), then maybe spoiled.
    fn limit_quantity(&self, rng: &mut SplitMix, price: Decimal) -> Decimal {
        let quantity = if price <= Decimal::ZERO {
            self.min_qty
        } else {
            match rng.below(4) {
                0 => self.min_qty * Decimal::from(1 + rng.below(50)),
                1 => {
                    let factor = *rng.pick(&["0.9", "1.1", "2"]);
                    self.max_notional / price * dec(factor)
                }
                _ => {
                    let factor = *rng.pick(&["0.5", "0.999", "1", "1.001", "1.5", "3", "50"]);
                    self.min_notional / price * dec(factor)
                }
            }
        };
        let rounding = *rng.pick(&[Rounding::Down, Rounding::Up]);
        let quantity = round_to_step(quantity.min(dec("1000000000")), self.step, rounding)
            .unwrap()
            .max(self.step);
        self.spoil(rng, quantity, self.step, self.min_qty, self.max_qty)
    }

    /// A MARKET quantity: its notional at the average price is at least
    /// twice or at most half the minimum, since the average moves.
    fn market_quantity(&self, rng: &mut SplitMix, avg: Decimal) -> Decimal {
        let quantity = match rng.below(6) {
            0 => self.market_max_qty * dec("1.5"),
            _ => {
                let factor = *rng.pick(&["0.3", "0.5", "2", "10", "1000"]);
                self.min_notional / avg * dec(factor)
            }
        };
        let quantity = round_to_step(quantity, self.step, Rounding::Down)
            .unwrap()
            .max(self.step);
        self.spoil(rng, quantity, self.step, self.min_qty, self.max_qty)
    }

    /// A `quoteOrderQty` at the minimum notional's edges (exact: it is the
    /// notional itself).
    fn quote_quantity(&self, rng: &mut SplitMix) -> Decimal {
        let factor = *rng.pick(&["0.5", "0.999", "1", "1.001", "3", "100"]);
        let quote = (self.min_notional * dec(factor)).round_dp(8);
        if rng.below(8) == 0 {
            quote + dec("0.000000001")
        } else {
            quote
        }
    }

    /// Usually `value`; sometimes off the grid, out of bounds or with one
    /// decimal too many.
    fn spoil(
        &self,
        rng: &mut SplitMix,
        value: Decimal,
        step: Decimal,
        min: Decimal,
        max: Decimal,
    ) -> Decimal {
        match rng.below(24) {
            0 => value + step / dec("2"),
            1 => value + step * dec("0.3"),
            2 => min / dec("2"),
            3 => max + step,
            4 => value + dec("0.000000001"),
            _ => value,
        }
    }

    fn on_grid(&self, value: Decimal, step: Decimal) -> Decimal {
        preflight::round_to_step(value, step, Rounding::Nearest).unwrap()
    }
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// SplitMix64: a fixed, seeded sample, the same on every run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}
