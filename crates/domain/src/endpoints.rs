//! Every REST endpoint and WebSocket API method of the pinned Spot docs, with
//! its security type and documented request weight, as data.
//!
//! The table is generated from `shared/binance-docs/rest-api.md` and
//! `web-socket-api.md` by `cargo xtask endpoints DOCS_DIR` (see
//! `xtask/src/endpoints.rs`) and committed, because the docs live outside the
//! repository. Regenerate it when the pinned docs change; `--check` says
//! whether the committed table is current.
//!
//! The Spot docs do not describe the wallet endpoints under `/sapi`; the few
//! that mbx uses are kept by hand in [`wallet_endpoints`], each with the
//! address of the Wallet page it comes from. Other `/sapi` endpoints are not
//! in the table.
//!
//! ```
//! use mbx_domain::endpoints::{self, Security};
//!
//! let account = endpoints::rest_endpoint("GET", "/api/v3/account").unwrap();
//! assert_eq!(account.security, Security::UserData);
//! assert!(account.security.needs_signature());
//!
//! let place = endpoints::ws_method("order.place").unwrap();
//! assert_eq!(place.security, Security::Trade);
//! assert!(endpoints::rest_endpoint("GET", "/api/v3/ticker/price").unwrap().security == Security::None);
//! ```

#[rustfmt::skip]
mod table;

use std::fmt;

use serde::Serialize;

/// An HTTP method used by the REST API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method as written on the wire, e.g. `"GET"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    /// Reads a method in any letter case; `None` for methods the REST API
    /// does not use.
    ///
    /// ```
    /// use mbx_domain::endpoints::Method;
    /// assert_eq!(Method::parse("post"), Some(Method::Post));
    /// assert_eq!(Method::parse("PATCH"), None);
    /// ```
    pub fn parse(text: &str) -> Option<Method> {
        [Method::Get, Method::Post, Method::Put, Method::Delete]
            .into_iter()
            .find(|method| method.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The security type the docs show next to an endpoint's name
/// (rest-api.md § Request Security, web-socket-api.md § Request security).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Security {
    /// Public market data: no API key, no signature. The default when the
    /// docs show no type.
    None,
    /// Placing and cancelling orders.
    Trade,
    /// Private account data: orders, trades, balances.
    UserData,
    /// Managing user-data stream subscriptions.
    UserStream,
    /// The old type of `GET /api/v3/historicalTrades` (API key, no
    /// signature); changed to `NONE` in 2023 and carried by no endpoint of
    /// the pinned docs. Kept so that older references still parse.
    MarketData,
    /// Signed without a permission named: the WebSocket API's
    /// `session.logon`.
    Signed,
}

impl Security {
    /// The label as the docs write it, e.g. `"USER_DATA"`.
    pub fn label(self) -> &'static str {
        match self {
            Security::None => "NONE",
            Security::Trade => "TRADE",
            Security::UserData => "USER_DATA",
            Security::UserStream => "USER_STREAM",
            Security::MarketData => "MARKET_DATA",
            Security::Signed => "SIGNED",
        }
    }

    /// Whether a request needs the API key (`X-MBX-APIKEY` on REST,
    /// `apiKey` on the WebSocket API): every type but `NONE`.
    pub fn needs_api_key(self) -> bool {
        self != Security::None
    }

    /// Whether a request needs `timestamp` and `signature`. The docs: "Except
    /// for `NONE`, all endpoints with a security type are considered `SIGNED`
    /// requests". `MARKET_DATA` is the one historical exception (key only).
    pub fn needs_signature(self) -> bool {
        !matches!(self, Security::None | Security::MarketData)
    }
}

impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One REST endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RestEndpoint {
    /// The HTTP method.
    pub method: Method,
    /// The path, e.g. `/api/v3/order`.
    pub path: &'static str,
    /// The security type.
    pub security: Security,
    /// The documented request weight as text: a number, or conditions such
    /// as `"Without computeCommissionRates: 1; With computeCommissionRates: 20"`.
    pub weight: &'static str,
    /// The section title in the docs, without the security label.
    pub title: &'static str,
    /// Where it is documented: `rest-api.md#anchor` for the Spot docs, a
    /// `https://developers.binance.com/...` address for wallet endpoints.
    pub docs: &'static str,
    /// The docs mark it deprecated.
    pub deprecated: bool,
}

/// One WebSocket API method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct WsMethod {
    /// The method name, e.g. `order.place`.
    pub name: &'static str,
    /// The security type.
    pub security: Security,
    /// The documented request weight as text.
    pub weight: &'static str,
    /// The section title in the docs, without the security label.
    pub title: &'static str,
    /// Where it is documented: `web-socket-api.md#anchor`.
    pub docs: &'static str,
    /// The docs mark it deprecated.
    pub deprecated: bool,
}

/// Every REST endpoint of the pinned Spot docs (`/api/v3/...`), in the
/// order of the docs. Wallet endpoints are in [`wallet_endpoints`].
pub fn rest_endpoints() -> &'static [RestEndpoint] {
    table::REST
}

/// The `/sapi` wallet endpoints mbx uses, kept by hand from Binance's Wallet
/// docs (they are not in the Spot docs, and not on the testnet).
pub fn wallet_endpoints() -> &'static [RestEndpoint] {
    WALLET
}

/// Every WebSocket API method of the pinned docs, in the order of the docs.
pub fn ws_methods() -> &'static [WsMethod] {
    table::WS
}

/// The endpoint for `method` (any letter case) and `path` (exact, no query
/// string), among the Spot and the wallet endpoints.
///
/// ```
/// use mbx_domain::endpoints::{rest_endpoint, Security};
/// assert_eq!(rest_endpoint("post", "/api/v3/order").unwrap().security, Security::Trade);
/// assert_eq!(rest_endpoint("GET", "/sapi/v1/account/status").unwrap().security, Security::UserData);
/// assert!(rest_endpoint("GET", "/api/v3/nothing").is_none());
/// ```
pub fn rest_endpoint(method: &str, path: &str) -> Option<&'static RestEndpoint> {
    let method = Method::parse(method)?;
    rest_endpoints()
        .iter()
        .chain(wallet_endpoints())
        .find(|endpoint| endpoint.method == method && endpoint.path == path)
}

/// Every endpoint at `path`, whatever its method: what a request with the
/// wrong method could have meant.
pub fn rest_endpoints_at(path: &str) -> impl Iterator<Item = &'static RestEndpoint> + '_ {
    rest_endpoints()
        .iter()
        .chain(wallet_endpoints())
        .filter(move |endpoint| endpoint.path == path)
}

/// The WebSocket API method called `name`; a version prefix such as `v3/`
/// is ignored, as the server ignores it.
///
/// ```
/// use mbx_domain::endpoints::{ws_method, Security};
/// assert_eq!(ws_method("v3/account.status").unwrap().security, Security::UserData);
/// assert_eq!(ws_method("session.logon").unwrap().security, Security::Signed);
/// ```
pub fn ws_method(name: &str) -> Option<&'static WsMethod> {
    let name = match name.split_once('/') {
        Some((version, rest))
            if version.starts_with('v') && version[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            rest
        }
        _ => name,
    };
    ws_methods().iter().find(|method| method.name == name)
}

/// Hand-kept: the Spot docs do not describe `/sapi`. Source: the Wallet
/// pages cited in shared/binance-docs/DIGEST.md § 9 (weights are IP weights).
static WALLET: &[RestEndpoint] = &[
    RestEndpoint {
        method: Method::Get,
        path: "/sapi/v1/account/status",
        security: Security::UserData,
        weight: "1",
        title: "Account status",
        docs: "https://developers.binance.com/docs/wallet/account/account-status",
        deprecated: false,
    },
    RestEndpoint {
        method: Method::Get,
        path: "/sapi/v1/account/apiRestrictions",
        security: Security::UserData,
        weight: "1",
        title: "Get API Key Permission",
        docs: "https://developers.binance.com/docs/wallet/account/api-key-permission",
        deprecated: false,
    },
    RestEndpoint {
        method: Method::Get,
        path: "/sapi/v1/capital/config/getall",
        security: Security::UserData,
        weight: "10",
        title: "All Coins' Information",
        docs: "https://developers.binance.com/docs/wallet/capital",
        deprecated: false,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_rest(method: &str, path: &str, security: Security) {
        let endpoint =
            rest_endpoint(method, path).unwrap_or_else(|| panic!("{method} {path} is missing"));
        assert_eq!(endpoint.security, security, "{method} {path}");
    }

    #[test]
    fn rest_security_types() {
        check_rest("GET", "/api/v3/ping", Security::None);
        check_rest("GET", "/api/v3/time", Security::None);
        check_rest("GET", "/api/v3/historicalTrades", Security::None);
        check_rest("GET", "/api/v3/account", Security::UserData);
        check_rest("GET", "/api/v3/account/commission", Security::UserData);
        check_rest("POST", "/api/v3/order", Security::Trade);
        check_rest("POST", "/api/v3/order/test", Security::Trade);
        check_rest("GET", "/api/v3/order", Security::UserData);
        check_rest("DELETE", "/api/v3/order", Security::Trade);
        check_rest("DELETE", "/api/v3/openOrders", Security::Trade);
        check_rest("PUT", "/api/v3/order/amend/keepPriority", Security::Trade);
        check_rest("POST", "/api/v3/sor/order/test", Security::Trade);
        check_rest("GET", "/api/v3/myFilters", Security::UserData);
        check_rest("GET", "/api/v3/rateLimit/order", Security::UserData);
    }

    #[track_caller]
    fn check_ws(name: &str, security: Security) {
        let method = ws_method(name).unwrap_or_else(|| panic!("{name} is missing"));
        assert_eq!(method.security, security, "{name}");
    }

    #[test]
    fn ws_security_types() {
        check_ws("ping", Security::None);
        check_ws("depth", Security::None);
        check_ws("session.logon", Security::Signed);
        check_ws("session.status", Security::None);
        check_ws("order.place", Security::Trade);
        check_ws("account.status", Security::UserData);
        check_ws("userDataStream.subscribe", Security::UserStream);
        check_ws("userDataStream.subscribe.signature", Security::UserStream);
        check_ws("userDataStream.unsubscribe", Security::None);
        check_ws("v3/order.cancel", Security::Trade);
    }

    #[test]
    fn table_is_complete_and_unique() {
        // rest-api.md has 48 `METHOD /path` blocks and web-socket-api.md 55
        // `"method"` requests (pinned commit a5e0bc3).
        assert_eq!(rest_endpoints().len(), 48);
        assert_eq!(ws_methods().len(), 55);
        let mut keys: Vec<(Method, &str)> = rest_endpoints()
            .iter()
            .chain(wallet_endpoints())
            .map(|endpoint| (endpoint.method, endpoint.path))
            .collect();
        keys.sort_unstable_by_key(|(method, path)| (method.as_str(), *path));
        keys.dedup();
        assert_eq!(
            keys.len(),
            rest_endpoints().len() + wallet_endpoints().len()
        );
        for endpoint in rest_endpoints() {
            assert!(
                !endpoint.weight.is_empty(),
                "{} has no weight",
                endpoint.path
            );
            assert!(
                endpoint.docs.starts_with("rest-api.md#"),
                "{}",
                endpoint.docs
            );
        }
        for method in ws_methods() {
            assert!(!method.weight.is_empty(), "{} has no weight", method.name);
        }
    }

    #[test]
    fn deprecated_entries_are_marked() {
        assert!(
            rest_endpoint("POST", "/api/v3/order/oco")
                .unwrap()
                .deprecated
        );
        assert!(
            !rest_endpoint("POST", "/api/v3/orderList/oco")
                .unwrap()
                .deprecated
        );
        assert!(ws_method("orderList.place").unwrap().deprecated);
    }

    #[test]
    fn lookups_are_exact() {
        assert!(rest_endpoint("GET", "/api/v3/account/").is_none());
        assert!(rest_endpoint("PATCH", "/api/v3/account").is_none());
        assert!(ws_method("order").is_none());
        assert_eq!(rest_endpoints_at("/api/v3/order").count(), 3);
    }

    #[test]
    fn security_rules() {
        assert!(!Security::None.needs_api_key());
        assert!(!Security::None.needs_signature());
        assert!(Security::MarketData.needs_api_key());
        assert!(!Security::MarketData.needs_signature());
        for security in [
            Security::Trade,
            Security::UserData,
            Security::UserStream,
            Security::Signed,
        ] {
            assert!(security.needs_api_key() && security.needs_signature());
        }
    }
}
