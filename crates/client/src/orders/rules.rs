//! A symbol's trading rules (its `exchangeInfo` entry and the exchange
//! filters), cached per environment so that placing an order does not cost
//! an `exchangeInfo` request (weight 20) every time.
//!
//! [`ExchangeInfoStore`] is the port: [`FileExchangeInfoStore`] keeps one
//! small JSON file per host and symbol in the cache directory
//! ([`crate::config::cache_dir`]), [`MemoryExchangeInfoStore`] keeps them
//! for the life of the process (an embedded sandbox, tests). An entry is
//! used for [`super::TradingConfig::rules_ttl`] (10 minutes by default:
//! Binance changes filters rarely and announces it, and a `-1013` answer
//! refreshes the entry at once).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use mbx_domain::model::{ExchangeInfo, Millis};
use serde::{Deserialize, Serialize};

/// An `exchangeInfo` answer and when it was fetched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedInfo {
    /// Local time of the fetch, in milliseconds since the Unix epoch.
    pub fetched_at_ms: Millis,
    /// The answer of `GET /api/v3/exchangeInfo?symbol=...`.
    pub info: ExchangeInfo,
}

/// Where symbol rules are kept between orders. Never fails: a store that
/// cannot read or write behaves as empty, and the rules are fetched again.
#[cfg_attr(test, mockall::automock)]
pub trait ExchangeInfoStore: Send + Sync {
    /// The entry for `symbol` on `host`, if any (fresh or not).
    fn load(&self, host: &str, symbol: &str) -> Option<CachedInfo>;
    /// Keeps `entry` for `symbol` on `host`.
    fn save(&self, host: &str, symbol: &str, entry: &CachedInfo);
}

/// Rules kept as files: `exchange-info-<host>-<SYMBOL>.json` in a folder.
#[derive(Debug, Clone)]
pub struct FileExchangeInfoStore {
    dir: PathBuf,
}

impl FileExchangeInfoStore {
    /// A store in `dir` (created when something is saved).
    pub fn new(dir: impl Into<PathBuf>) -> FileExchangeInfoStore {
        FileExchangeInfoStore { dir: dir.into() }
    }

    fn path(&self, host: &str, symbol: &str) -> PathBuf {
        self.dir.join(format!(
            "exchange-info-{}-{}.json",
            safe(host),
            safe(symbol)
        ))
    }
}

impl ExchangeInfoStore for FileExchangeInfoStore {
    fn load(&self, host: &str, symbol: &str) -> Option<CachedInfo> {
        let text = std::fs::read_to_string(self.path(host, symbol)).ok()?;
        serde_json::from_str(&text).ok()
    }

    fn save(&self, host: &str, symbol: &str, entry: &CachedInfo) {
        let Ok(text) = serde_json::to_string(entry) else {
            return;
        };
        if std::fs::create_dir_all(&self.dir).is_err() {
            tracing::debug!("cannot create {}", self.dir.display());
            return;
        }
        // Written aside and renamed, so a concurrent reader never sees half
        // a file.
        let path = self.path(host, symbol);
        let partial = path.with_extension(format!("json.{}", std::process::id()));
        let res = std::fs::write(&partial, text).and_then(|()| std::fs::rename(&partial, &path));
        if let Err(err) = res {
            tracing::debug!("cannot save the rules of {symbol} for {host}: {err}");
            let _ = std::fs::remove_file(&partial);
        }
    }
}

/// Rules kept in memory, for one process.
#[derive(Debug, Default)]
pub struct MemoryExchangeInfoStore {
    entries: Mutex<HashMap<(String, String), CachedInfo>>,
}

impl MemoryExchangeInfoStore {
    /// An empty store.
    pub fn new() -> MemoryExchangeInfoStore {
        MemoryExchangeInfoStore::default()
    }
}

impl ExchangeInfoStore for MemoryExchangeInfoStore {
    fn load(&self, host: &str, symbol: &str) -> Option<CachedInfo> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(&(host.to_owned(), symbol.to_owned())).cloned()
    }

    fn save(&self, host: &str, symbol: &str, entry: &CachedInfo) {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.insert((host.to_owned(), symbol.to_owned()), entry.clone());
    }
}

/// A file-name-safe form of a host or symbol.
fn safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(fetched_at_ms: Millis) -> CachedInfo {
        CachedInfo {
            fetched_at_ms,
            info: serde_json::from_str(
                r#"{"serverTime": 1, "symbols": [{"symbol": "BTCUSDT", "status": "TRADING",
                    "baseAsset": "BTC", "quoteAsset": "USDT",
                    "filters": [{"filterType": "PRICE_FILTER", "minPrice": "0.01", "maxPrice": "1000000", "tickSize": "0.01"},
                                {"filterType": "SOMETHING_NEW"}]}]}"#,
            )
            .unwrap(),
        }
    }

    #[test]
    fn files_keep_entries_by_host_and_symbol() {
        let dir = std::env::temp_dir().join(format!("mbx-rules-{}", std::process::id()));
        let store = FileExchangeInfoStore::new(&dir);
        assert_eq!(store.load("api.binance.com", "BTCUSDT"), None);
        store.save("api.binance.com", "BTCUSDT", &entry(7));
        assert_eq!(store.load("api.binance.com", "BTCUSDT"), Some(entry(7)));
        assert_eq!(store.load("127.0.0.1:9900", "BTCUSDT"), None, "per host");
        assert_eq!(store.load("api.binance.com", "ETHUSDT"), None, "per symbol");
        store.save("api.binance.com", "BTCUSDT", &entry(8));
        assert_eq!(store.load("api.binance.com", "BTCUSDT"), Some(entry(8)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_that_does_not_parse_is_no_entry() {
        let dir = std::env::temp_dir().join(format!("mbx-rules-bad-{}", std::process::id()));
        let store = FileExchangeInfoStore::new(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(store.path("h", "BTCUSDT"), "{not json").unwrap();
        assert_eq!(store.load("h", "BTCUSDT"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn memory_keeps_entries_by_host_and_symbol() {
        let store = MemoryExchangeInfoStore::new();
        store.save("h", "BTCUSDT", &entry(1));
        assert_eq!(store.load("h", "BTCUSDT"), Some(entry(1)));
        assert_eq!(store.load("other", "BTCUSDT"), None);
    }
}
