//! A [`BackoffStore`] in files: the `Retry-After` wait or ban the server
//! imposed survives the process, so a second run does not turn a 429 into a
//! 418 ban.
//!
//! One small file per host (`backoff-<host>.json`, `{"untilMs":..,"banned":..}`)
//! in the cache directory ([`crate::config::cache_dir`]). A file that cannot
//! be read or written is ignored: the store must never fail a request.

use std::path::PathBuf;

use mbx_domain::rate_limit::{BackoffStore, ServerBackoff};
use serde::{Deserialize, Serialize};

/// Backoffs kept as files in a folder.
#[derive(Debug, Clone)]
pub struct FileBackoffStore {
    dir: PathBuf,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Saved {
    until_ms: i64,
    banned: bool,
}

impl FileBackoffStore {
    /// A store in `dir` (created when something is saved).
    pub fn new(dir: impl Into<PathBuf>) -> FileBackoffStore {
        FileBackoffStore { dir: dir.into() }
    }

    fn path(&self, host: &str) -> PathBuf {
        let name: String = host
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!("backoff-{name}.json"))
    }
}

impl BackoffStore for FileBackoffStore {
    fn load(&self, host: &str) -> Option<ServerBackoff> {
        let text = std::fs::read_to_string(self.path(host)).ok()?;
        let saved: Saved = serde_json::from_str(&text).ok()?;
        Some(ServerBackoff {
            until_ms: saved.until_ms,
            banned: saved.banned,
        })
    }

    fn save(&self, host: &str, backoff: ServerBackoff) {
        let saved = Saved {
            until_ms: backoff.until_ms,
            banned: backoff.banned,
        };
        let Ok(text) = serde_json::to_string(&saved) else {
            return;
        };
        if std::fs::create_dir_all(&self.dir).is_err() {
            tracing::debug!("cannot create {}", self.dir.display());
            return;
        }
        if let Err(err) = std::fs::write(self.path(host), text) {
            tracing::debug!("cannot save the backoff for {host}: {err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_ban_is_loaded_by_host() {
        let dir = std::env::temp_dir().join(format!("mbx-backoff-{}", std::process::id()));
        let store = FileBackoffStore::new(&dir);
        assert_eq!(store.load("api.binance.com"), None);
        let ban = ServerBackoff {
            until_ms: 1_800_000_000_000,
            banned: true,
        };
        store.save("api.binance.com", ban);
        assert_eq!(store.load("api.binance.com"), Some(ban));
        assert_eq!(store.load("127.0.0.1:9900"), None, "per host");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
