//! The sandbox's configuration file (TOML) and how it merges with
//! [`Overrides`] (the `mbx sandbox` flags) into a [`SandboxConfig`].
//!
//! ```toml
//! port = 9900
//! seed = 7
//! clock_offset_ms = 0
//! [limits]
//! request_weight_per_minute = 6000
//! [server]
//! max_connections = 512
//! header_read_timeout_ms = 30000
//! [[accounts]]
//! uid = 1
//! balances = { BTC = "1.5", USDT = "10000" }
//! [[accounts.api_keys]]
//! api_key = "myKey1"
//! secret = "mySecret1"            # or public_key_file = "ed25519.pub.pem"
//! read_only = false
//! [replay]
//! dir = "rec"                     # a recording of `mbx record --out rec`
//! speed = "max"                   # or 1, 10: a multiple of real time
//! loop = false
//! start_now = false
//! ```
//!
//! Every key is optional; an unknown key is an error. Merge rules, in
//! [`ConfigFile::resolve`]:
//!
//! 1. Start from [`SandboxConfig::demo`]. `port`, `seed` and
//!    `clock_offset_ms` come from the overrides, else the file, else the
//!    demo (port 0, seed 1, no offset); the sandbox listens on 127.0.0.1.
//! 2. `[limits]` replaces the limits it names; the others stay Binance's.
//!    `[server]` does the same for [`ServerLimits`] (512 connections, 30 s
//!    to send a request head).
//! 3. `[[accounts]]` in the file replace the demo account. Each key has
//!    exactly one of `secret` (HMAC) and `public_key_file` (Ed25519 or RSA
//!    SPKI PEM, read relative to the working directory).
//! 4. Keys given as overrides (`api_key` with `api_secret`, and/or public
//!    key files) replace the first account's keys. With both an HMAC secret
//!    and public keys, or both public key kinds, the later keys get the API
//!    key with `Ed25519` or `Rsa` appended.
//! 5. `read_only` makes every key read-only; otherwise a key is read-only
//!    only if the file says so.
//! 6. `balances` (`ASSET=AMOUNT,...`) replaces the first account's balances.
//! 7. `[replay]` drives the market by a recording: `dir` (relative to the
//!    working directory), `speed` (default 1), `loop`, `start_now`. The
//!    overrides' `replay` and `speed` replace the file's, their `looped`
//!    and `start_now` add to it; `speed`, `loop` or `start_now` with no
//!    directory in either is an error.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use mbx_signing::Verifier;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::config::{
    AccountConfig, ApiKeyConfig, Credential, DEMO_API_KEY, DEMO_API_SECRET, Permissions,
    RateLimitConfig, SandboxConfig,
};
use crate::error::Error;
use crate::replay::{ReplayConfig, Speed};
use crate::serve::ServerLimits;

/// The configuration file as written. Every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ConfigFile {
    /// TCP port on 127.0.0.1 (0 picks a free one).
    pub port: Option<u16>,
    /// Seed of the price walk.
    pub seed: Option<u64>,
    /// Sandbox clock = system clock + this many milliseconds.
    pub clock_offset_ms: Option<i64>,
    /// Rate limits to change.
    pub limits: Option<LimitsFile>,
    /// Connection limits to change.
    pub server: Option<ServerFile>,
    /// Accounts replacing the demo account.
    #[serde(default)]
    pub accounts: Vec<AccountFile>,
    /// A recording to drive the market by.
    pub replay: Option<ReplayFile>,
}

/// `[replay]`: what `--replay DIR [--speed S] [--loop] [--start-now]` says.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ReplayFile {
    /// The recording directory (`mbx record --out`).
    pub dir: Option<PathBuf>,
    /// `"max"` or a multiple of real time (`1`, `10`, or the same as text).
    pub speed: Option<SpeedFile>,
    /// Play the recording again from the start when it ends.
    #[serde(default, rename = "loop")]
    pub looped: bool,
    /// Start the replay clock at launch, not at the first subscriber.
    #[serde(default)]
    pub start_now: bool,
}

/// A replay speed as written: `10` or `"10"` or `"max"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SpeedFile {
    /// A multiple of real time.
    Times(u32),
    /// `"max"`, or a number as text.
    Text(String),
}

impl SpeedFile {
    fn speed(&self) -> Result<Speed, Error> {
        let parsed = match self {
            SpeedFile::Times(n) => n.to_string().parse(),
            SpeedFile::Text(text) => text.parse(),
        };
        parsed.map_err(|message: String| Error::ConfigSyntax {
            path: None,
            message: format!("[replay] speed: {message}"),
        })
    }
}

/// `[limits]`: each one given replaces Binance's value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LimitsFile {
    /// `REQUEST_WEIGHT` per minute.
    pub request_weight_per_minute: Option<u32>,
    /// `ORDERS` per 10 seconds, per account.
    pub orders_per_10s: Option<u32>,
    /// `ORDERS` per day, per account.
    pub orders_per_day: Option<u32>,
    /// `RAW_REQUESTS` per 5 minutes.
    pub raw_requests_per_5m: Option<u32>,
}

/// `[server]`: each one given replaces the default of [`ServerLimits`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ServerFile {
    /// Connections open at once, WebSockets included (at least 1).
    pub max_connections: Option<usize>,
    /// Milliseconds a client has to send a request head (at least 1).
    pub header_read_timeout_ms: Option<u64>,
}

/// `[[accounts]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct AccountFile {
    /// The account's `uid`.
    pub uid: u64,
    /// Asset → decimal text, e.g. `{ BTC = "1.5" }`.
    #[serde(default)]
    pub balances: BTreeMap<String, String>,
    /// Its API keys.
    #[serde(default)]
    pub api_keys: Vec<KeyFile>,
}

/// `[[accounts.api_keys]]`. `Debug` shows only the API key.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct KeyFile {
    /// The key sent in `X-MBX-APIKEY`.
    pub api_key: String,
    /// An HMAC secret (throwaway sandbox secrets only).
    pub secret: Option<String>,
    /// An Ed25519 or RSA public key (SPKI PEM file).
    pub public_key_file: Option<PathBuf>,
    /// The key may read but not trade.
    #[serde(default)]
    pub read_only: bool,
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyFile")
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

/// What the command line sets over the file; `None` and `false` leave the
/// file's value or the default. `Debug` hides the secret.
#[derive(Default)]
pub struct Overrides {
    /// TCP port on 127.0.0.1.
    pub port: Option<u16>,
    /// Seed of the price walk.
    pub seed: Option<u64>,
    /// Clock offset in milliseconds.
    pub clock_offset_ms: Option<i64>,
    /// The API key for the keys below (default: the demo key).
    pub api_key: Option<String>,
    /// The HMAC secret of `api_key`.
    pub api_secret: Option<String>,
    /// An Ed25519 public key (SPKI PEM file) to register.
    pub ed25519_public_key_file: Option<PathBuf>,
    /// An RSA public key (SPKI PEM file) to register.
    pub rsa_public_key_file: Option<PathBuf>,
    /// Every key may read but not trade.
    pub read_only: bool,
    /// The first account's balances, `ASSET=AMOUNT,...`.
    pub balances: Option<String>,
    /// The recording to replay (`--replay DIR`).
    pub replay: Option<PathBuf>,
    /// The replay's speed (`--speed`).
    pub speed: Option<Speed>,
    /// Play the recording again at its end (`--loop`).
    pub looped: bool,
    /// Start the replay clock at launch (`--start-now`).
    pub start_now: bool,
}

impl fmt::Debug for Overrides {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Overrides")
            .field("port", &self.port)
            .field("seed", &self.seed)
            .field("clock_offset_ms", &self.clock_offset_ms)
            .field("api_key", &self.api_key)
            .field(
                "api_secret",
                &self.api_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("ed25519_public_key_file", &self.ed25519_public_key_file)
            .field("rsa_public_key_file", &self.rsa_public_key_file)
            .field("read_only", &self.read_only)
            .field("balances", &self.balances)
            .field("replay", &self.replay)
            .field("speed", &self.speed)
            .field("looped", &self.looped)
            .field("start_now", &self.start_now)
            .finish()
    }
}

/// A configuration ready to start, and what to tell the person starting it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Resolved {
    /// The configuration for [`crate::Sandbox::start`].
    pub config: SandboxConfig,
    /// One line per fact a client needs: each API key with its kind and
    /// permissions (and the demo secret when the demo key is in use), the
    /// first account's balances, the seed, and the clock offset if any.
    pub summary: Vec<String>,
}

impl ConfigFile {
    /// Parses the file's text.
    ///
    /// ```
    /// let file = mbx_sandbox::ConfigFile::from_toml_str("seed = 7").unwrap();
    /// assert_eq!(file.seed, Some(7));
    /// assert!(mbx_sandbox::ConfigFile::from_toml_str("colour = 1").is_err());
    /// ```
    pub fn from_toml_str(text: &str) -> Result<ConfigFile, Error> {
        toml::from_str(text).map_err(|err| Error::ConfigSyntax {
            path: None,
            message: err.message().to_owned(),
        })
    }

    /// Reads and parses a file.
    pub fn read(path: &Path) -> Result<ConfigFile, Error> {
        let text = read_file(path)?;
        ConfigFile::from_toml_str(&text).map_err(|err| match err {
            Error::ConfigSyntax { message, .. } => Error::ConfigSyntax {
                path: Some(path.to_owned()),
                message,
            },
            other => other,
        })
    }

    /// Merges the file and `overrides` by the rules in the module docs.
    pub fn resolve(&self, overrides: &Overrides) -> Result<Resolved, Error> {
        let mut config = SandboxConfig::demo();
        let port = overrides.port.or(self.port).unwrap_or(0);
        config.bind = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        config.seed = overrides.seed.or(self.seed).unwrap_or(config.seed);
        config.clock_offset_ms = overrides
            .clock_offset_ms
            .or(self.clock_offset_ms)
            .unwrap_or(0);
        if let Some(limits) = &self.limits {
            config.limits = limits.over(RateLimitConfig::binance());
        }
        if let Some(server) = &self.server {
            config.server = server.over(ServerLimits::standard())?;
        }
        let permissions = permissions(overrides.read_only);
        let mut summary = Vec::new();
        if !self.accounts.is_empty() {
            config.accounts = self
                .accounts
                .iter()
                .map(|account| account.to_config(overrides.read_only, &mut summary))
                .collect::<Result<_, Error>>()?;
        }
        let override_keys = overrides.keys(permissions)?;
        let account = config.accounts.first_mut().ok_or(Error::NoAccount)?;
        if !override_keys.is_empty() {
            account.api_keys = override_keys;
        } else if self.accounts.is_empty() {
            for key in &mut account.api_keys {
                key.permissions = permissions;
            }
        }
        if overrides.gives_keys() {
            for key in &account.api_keys {
                summary.push(format!(
                    "API key    {}  ({})",
                    key.api_key,
                    describe(&key.credential, key.permissions)
                ));
            }
        } else if self.accounts.is_empty() {
            summary.push(format!("API key    {DEMO_API_KEY}"));
            summary.push(format!(
                "secret     {DEMO_API_SECRET}  (HMAC, throwaway demo secret)"
            ));
            summary.push(format!("permissions {}", permission_text(permissions)));
        }
        if let Some(text) = &overrides.balances {
            account.balances = parse_balances(text)?;
        }
        let balances: Vec<String> = account
            .balances
            .iter()
            .map(|(asset, amount)| format!("{asset}={amount}"))
            .collect();
        summary.push(format!(
            "account    uid {}: {}",
            account.uid,
            balances.join(", ")
        ));
        summary.push(format!("seed       {}", config.seed));
        if config.clock_offset_ms != 0 {
            summary.push(format!(
                "clock      system clock {:+} ms",
                config.clock_offset_ms
            ));
        }
        config.replay = self.replay_config(overrides)?;
        if let Some(replay) = &config.replay {
            summary.push(format!(
                "market     replaying {} ({})",
                replay.dir.display(),
                if replay.start_now {
                    "started"
                } else {
                    "starts with the first stream subscriber"
                }
            ));
        }
        Ok(Resolved { config, summary })
    }

    /// `[replay]` under the overrides (rule 7).
    fn replay_config(&self, overrides: &Overrides) -> Result<Option<ReplayConfig>, Error> {
        let file = self.replay.as_ref();
        let speed = match (overrides.speed, file.and_then(|file| file.speed.as_ref())) {
            (Some(speed), _) => Some(speed),
            (None, Some(speed)) => Some(speed.speed()?),
            (None, None) => None,
        };
        let looped = overrides.looped || file.is_some_and(|file| file.looped);
        let start_now = overrides.start_now || file.is_some_and(|file| file.start_now);
        let dir = overrides
            .replay
            .clone()
            .or_else(|| file.and_then(|file| file.dir.clone()));
        let Some(dir) = dir else {
            if speed.is_some() || looped || start_now {
                return Err(Error::ConfigSyntax {
                    path: None,
                    message: "a replay speed, `loop` or `start_now` needs a recording: give `--replay DIR` or `dir` under [replay]".to_owned(),
                });
            }
            return Ok(None);
        };
        Ok(Some(ReplayConfig {
            dir,
            speed: speed.unwrap_or(Speed::Times(1)),
            looped,
            start_now,
        }))
    }
}

impl SandboxConfig {
    /// The configuration a file's text gives on its own (no overrides).
    ///
    /// ```
    /// let config = mbx_sandbox::SandboxConfig::from_toml_str(
    ///     "seed = 7\n[[accounts]]\nuid = 5\nbalances = { BTC = \"3\" }\n",
    /// )
    /// .unwrap();
    /// assert_eq!((config.seed, config.accounts[0].uid), (7, 5));
    /// ```
    pub fn from_toml_str(text: &str) -> Result<SandboxConfig, Error> {
        let resolved = ConfigFile::from_toml_str(text)?.resolve(&Overrides::default())?;
        Ok(resolved.config)
    }
}

impl LimitsFile {
    fn over(&self, defaults: RateLimitConfig) -> RateLimitConfig {
        RateLimitConfig {
            request_weight_per_minute: self
                .request_weight_per_minute
                .unwrap_or(defaults.request_weight_per_minute),
            orders_per_10s: self.orders_per_10s.unwrap_or(defaults.orders_per_10s),
            orders_per_day: self.orders_per_day.unwrap_or(defaults.orders_per_day),
            raw_requests_per_5m: self
                .raw_requests_per_5m
                .unwrap_or(defaults.raw_requests_per_5m),
        }
    }
}

impl ServerFile {
    fn over(&self, defaults: ServerLimits) -> Result<ServerLimits, Error> {
        let zero = |key: &str| Error::ConfigSyntax {
            path: None,
            message: format!("[server] {key} must be at least 1"),
        };
        let max_connections = self.max_connections.unwrap_or(defaults.max_connections);
        if max_connections == 0 {
            return Err(zero("max_connections"));
        }
        let header_read_timeout = match self.header_read_timeout_ms {
            Some(0) => return Err(zero("header_read_timeout_ms")),
            Some(ms) => std::time::Duration::from_millis(ms),
            None => defaults.header_read_timeout,
        };
        Ok(ServerLimits {
            header_read_timeout,
            max_connections,
        })
    }
}

impl AccountFile {
    /// The account with its keys; one summary line per key.
    fn to_config(
        &self,
        read_only: bool,
        summary: &mut Vec<String>,
    ) -> Result<AccountConfig, Error> {
        let mut api_keys = Vec::new();
        for key in &self.api_keys {
            let credential = match (&key.secret, &key.public_key_file) {
                (Some(secret), None) => Credential::HmacSecret(secret.clone()),
                (None, Some(path)) => Credential::PublicKeyPem(read_file(path)?),
                _ => {
                    return Err(Error::KeyCredential {
                        api_key: key.api_key.clone(),
                    });
                }
            };
            let permissions = permissions(key.read_only || read_only);
            summary.push(format!(
                "API key    {}  (uid {}, {})",
                key.api_key,
                self.uid,
                describe(&credential, permissions)
            ));
            api_keys.push(ApiKeyConfig {
                api_key: key.api_key.clone(),
                credential,
                permissions,
            });
        }
        Ok(AccountConfig {
            uid: self.uid,
            api_keys,
            balances: self
                .balances
                .iter()
                .map(|(asset, amount)| (asset.clone(), amount.clone()))
                .collect(),
        })
    }
}

impl Overrides {
    fn gives_keys(&self) -> bool {
        self.api_key.is_some()
            || self.api_secret.is_some()
            || self.ed25519_public_key_file.is_some()
            || self.rsa_public_key_file.is_some()
    }

    /// The keys the overrides register (none when they name no credential).
    fn keys(&self, permissions: Permissions) -> Result<Vec<ApiKeyConfig>, Error> {
        let base_key = self
            .api_key
            .clone()
            .unwrap_or_else(|| DEMO_API_KEY.to_owned());
        if base_key.is_empty() || !base_key.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::ApiKeySyntax);
        }
        let mut keys = Vec::new();
        if let Some(secret) = &self.api_secret {
            keys.push(ApiKeyConfig {
                api_key: base_key.clone(),
                credential: Credential::HmacSecret(secret.trim().to_owned()),
                permissions,
            });
        } else if self.api_key.is_some()
            && self.ed25519_public_key_file.is_none()
            && self.rsa_public_key_file.is_none()
        {
            return Err(Error::MissingCredential);
        }
        for (path, suffix) in [
            (&self.ed25519_public_key_file, "Ed25519"),
            (&self.rsa_public_key_file, "Rsa"),
        ] {
            let Some(path) = path else { continue };
            let pem = read_file(path)?;
            Verifier::from_public_key_pem(&pem).map_err(|err| Error::PublicKey {
                path: path.clone(),
                reason: err.to_string(),
            })?;
            let api_key = if keys.is_empty() {
                base_key.clone()
            } else {
                format!("{base_key}{suffix}")
            };
            keys.push(ApiKeyConfig {
                api_key,
                credential: Credential::PublicKeyPem(pem),
                permissions,
            });
        }
        Ok(keys)
    }
}

/// Reads `ASSET=AMOUNT,...` (e.g. `btc=1.5, USDT=10000`): assets are
/// upper-cased letters and digits, amounts non-negative decimals kept as
/// written.
pub fn parse_balances(text: &str) -> Result<Vec<(String, String)>, Error> {
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let bad = || Error::BalancesSyntax {
                part: part.to_owned(),
            };
            let (asset, amount) = part.split_once('=').ok_or_else(bad)?;
            let asset = asset.trim().to_ascii_uppercase();
            let amount = amount.trim();
            let valid_amount = amount
                .parse::<Decimal>()
                .is_ok_and(|amount| amount >= Decimal::ZERO);
            if asset.is_empty()
                || !asset.bytes().all(|b| b.is_ascii_alphanumeric())
                || !valid_amount
            {
                return Err(bad());
            }
            Ok((asset, amount.to_owned()))
        })
        .collect()
}

fn permissions(read_only: bool) -> Permissions {
    if read_only {
        Permissions::read_only()
    } else {
        Permissions::trading()
    }
}

fn describe(credential: &Credential, permissions: Permissions) -> String {
    let kind = match credential {
        Credential::HmacSecret(_) => "HMAC".to_owned(),
        Credential::PublicKeyPem(pem) => match Verifier::from_public_key_pem(pem) {
            Ok(verifier) => verifier.kind().to_string(),
            Err(_) => "public key".to_owned(),
        },
    };
    format!("{kind}, {}", permission_text(permissions))
}

fn permission_text(permissions: Permissions) -> &'static str {
    if permissions.enable_spot_and_margin_trading {
        "reading + spot trading"
    } else {
        "read-only"
    }
}

fn read_file(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::ReadFile {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn resolve(file: &str, overrides: &Overrides) -> Resolved {
        ConfigFile::from_toml_str(file)
            .unwrap()
            .resolve(overrides)
            .unwrap()
    }

    #[track_caller]
    fn check_balances(text: &str, expected: Option<&[(&str, &str)]>) {
        let parsed = parse_balances(text).ok();
        let expected = expected.map(|pairs| {
            pairs
                .iter()
                .map(|(asset, amount)| ((*asset).to_owned(), (*amount).to_owned()))
                .collect::<Vec<_>>()
        });
        assert_eq!(parsed, expected);
    }

    #[test]
    fn balances_text() {
        check_balances(
            "btc=1.5, USDT=10000",
            Some(&[("BTC", "1.5"), ("USDT", "10000")]),
        );
        check_balances("BTC=0,", Some(&[("BTC", "0")]));
        check_balances("BTC", None);
        check_balances("BTC=-1", None);
        check_balances("B-C=1", None);
        check_balances("=1", None);
    }

    #[test]
    fn the_replay_comes_from_the_file_and_the_flags_replace_or_add_to_it() {
        let file = "[replay]\ndir = \"rec\"\nspeed = \"max\"\nloop = true\n";
        let replay = resolve(file, &Overrides::default()).config.replay.unwrap();
        assert_eq!(
            replay,
            ReplayConfig {
                dir: PathBuf::from("rec"),
                speed: Speed::Max,
                looped: true,
                start_now: false,
            }
        );
        // A number is a multiple of real time; the flags win or add.
        let overrides = Overrides {
            replay: Some(PathBuf::from("other")),
            start_now: true,
            ..Overrides::default()
        };
        let resolved = resolve("[replay]\ndir = \"rec\"\nspeed = 10\n", &overrides);
        let replay = resolved.config.replay.unwrap();
        assert_eq!(
            (replay.dir, replay.speed, replay.looped, replay.start_now),
            (PathBuf::from("other"), Speed::Times(10), false, true)
        );
        assert!(
            resolved
                .summary
                .iter()
                .any(|line| line.contains("replaying other (started)")),
            "{:?}",
            resolved.summary
        );
        // A speed flag with the file's directory.
        let overrides = Overrides {
            speed: Some(Speed::Max),
            ..Overrides::default()
        };
        let replay = resolve("[replay]\ndir = \"rec\"\n", &overrides)
            .config
            .replay;
        assert_eq!(replay.map(|replay| replay.speed), Some(Speed::Max));
        // No file section, no flag: the seeded walk.
        assert_eq!(
            resolve("seed = 3", &Overrides::default()).config.replay,
            None
        );
    }

    #[test]
    fn a_replay_speed_without_a_recording_or_a_bad_speed_is_refused() {
        let file = ConfigFile::from_toml_str("[replay]\nspeed = 10\n").unwrap();
        let err = file.resolve(&Overrides::default()).unwrap_err().to_string();
        assert!(err.contains("needs a recording"), "{err}");
        let overrides = Overrides {
            looped: true,
            ..Overrides::default()
        };
        let err = ConfigFile::default()
            .resolve(&overrides)
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs a recording"), "{err}");
        let file =
            ConfigFile::from_toml_str("[replay]\ndir = \"rec\"\nspeed = \"fast\"\n").unwrap();
        let err = file.resolve(&Overrides::default()).unwrap_err().to_string();
        assert!(err.contains("[replay] speed"), "{err}");
        assert!(ConfigFile::from_toml_str("[replay]\nfolder = \"rec\"\n").is_err());
    }

    #[test]
    fn no_file_and_no_overrides_is_the_demo() {
        let resolved = resolve("", &Overrides::default());
        let demo = SandboxConfig::demo();
        assert_eq!(resolved.config.seed, demo.seed);
        assert_eq!(resolved.config.accounts[0].uid, demo.accounts[0].uid);
        assert_eq!(resolved.config.bind.port(), 0);
        assert!(resolved.summary[1].contains(DEMO_API_SECRET));
        assert_eq!(resolved.summary[2], "permissions reading + spot trading");
    }

    #[test]
    fn overrides_win_over_the_file() {
        let file = "port = 9900\nseed = 7\nclock_offset_ms = 5\n";
        let overrides = Overrides {
            seed: Some(3),
            clock_offset_ms: Some(-1000),
            ..Overrides::default()
        };
        let resolved = resolve(file, &overrides);
        assert_eq!(resolved.config.bind.port(), 9900);
        assert_eq!(resolved.config.seed, 3);
        assert_eq!(resolved.config.clock_offset_ms, -1000);
        assert_eq!(
            resolved.summary.last().unwrap(),
            "clock      system clock -1000 ms"
        );
    }

    #[test]
    fn limits_replace_only_what_they_name() {
        let resolved = resolve("[limits]\norders_per_10s = 3\n", &Overrides::default());
        let limits = resolved.config.limits;
        assert_eq!(limits.orders_per_10s, 3);
        assert_eq!(
            limits.request_weight_per_minute,
            RateLimitConfig::binance().request_weight_per_minute
        );
    }

    #[test]
    fn server_limits_replace_only_what_they_name() {
        let resolved = resolve("[server]\nmax_connections = 8\n", &Overrides::default());
        let server = resolved.config.server;
        assert_eq!(server.max_connections, 8);
        assert_eq!(
            server.header_read_timeout,
            ServerLimits::DEFAULT_HEADER_READ_TIMEOUT
        );
        let zero = ConfigFile::from_toml_str("[server]\nheader_read_timeout_ms = 0\n")
            .unwrap()
            .resolve(&Overrides::default());
        assert!(zero.unwrap_err().to_string().contains("at least 1"));
    }

    #[test]
    fn file_accounts_replace_the_demo_and_read_only_applies_everywhere() {
        let file = "[[accounts]]\nuid = 5\nbalances = { BTC = \"3\" }\n[[accounts.api_keys]]\napi_key = \"k1\"\nsecret = \"s1\"\n[[accounts]]\nuid = 6\n";
        let resolved = resolve(file, &Overrides::default());
        let uids: Vec<u64> = resolved.config.accounts.iter().map(|a| a.uid).collect();
        assert_eq!(uids, [5, 6]);
        assert_eq!(
            resolved.summary[0],
            "API key    k1  (uid 5, HMAC, reading + spot trading)"
        );
        assert_eq!(resolved.summary[1], "account    uid 5: BTC=3");
        let read_only = Overrides {
            read_only: true,
            ..Overrides::default()
        };
        let resolved = resolve(file, &read_only);
        assert_eq!(
            resolved.config.accounts[0].api_keys[0].permissions,
            Permissions::read_only()
        );
        assert!(!resolved.summary.iter().any(|line| line.contains("s1")));
    }

    #[test]
    fn override_keys_and_balances_replace_the_first_accounts() {
        let overrides = Overrides {
            api_key: Some("myKey".to_owned()),
            api_secret: Some(" mySecret \n".to_owned()),
            balances: Some("ETH=2".to_owned()),
            ..Overrides::default()
        };
        let resolved = resolve("", &overrides);
        let account = &resolved.config.accounts[0];
        assert_eq!(account.api_keys.len(), 1);
        assert_eq!(account.api_keys[0].api_key, "myKey");
        assert!(
            matches!(&account.api_keys[0].credential, Credential::HmacSecret(s) if s == "mySecret")
        );
        assert_eq!(account.balances, [("ETH".to_owned(), "2".to_owned())]);
        assert_eq!(
            resolved.summary,
            [
                "API key    myKey  (HMAC, reading + spot trading)",
                "account    uid 354937868: ETH=2",
                "seed       1",
            ]
        );
    }

    fn key_file(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/keys")
            .join(name)
    }

    #[test]
    fn later_public_keys_get_a_suffixed_api_key() {
        let overrides = Overrides {
            api_key: Some("k".to_owned()),
            api_secret: Some("s".to_owned()),
            ed25519_public_key_file: Some(key_file("ed25519.pub.pem")),
            rsa_public_key_file: Some(key_file("rsa.pub.pem")),
            read_only: true,
            ..Overrides::default()
        };
        let resolved = resolve("", &overrides);
        assert_eq!(
            &resolved.summary[..3],
            [
                "API key    k  (HMAC, read-only)",
                "API key    kEd25519  (Ed25519, read-only)",
                "API key    kRsa  (RSA, read-only)",
            ]
        );
        let private = Overrides {
            api_key: Some("k".to_owned()),
            ed25519_public_key_file: Some(key_file("ed25519.pem")),
            ..Overrides::default()
        };
        let err = ConfigFile::default().resolve(&private).unwrap_err();
        assert!(matches!(err, Error::PublicKey { .. }), "{err}");
    }

    #[track_caller]
    fn check_error(file: &str, overrides: &Overrides, expected: &str) {
        let err = ConfigFile::from_toml_str(file)
            .and_then(|file| file.resolve(overrides))
            .unwrap_err();
        assert_eq!(err.to_string(), expected);
    }

    #[test]
    fn mistakes_are_named() {
        let none = Overrides::default();
        check_error(
            "colour = 1",
            &none,
            "unknown field `colour`, expected one of `port`, `seed`, `clock_offset_ms`, `limits`, `server`, `accounts`, `replay`",
        );
        check_error(
            "[[accounts]]\nuid = 1\n[[accounts.api_keys]]\napi_key = \"k\"\n",
            &none,
            "key k needs exactly one of `secret` and `public_key_file`",
        );
        let bad_key = Overrides {
            api_key: Some("my key".to_owned()),
            api_secret: Some("s".to_owned()),
            ..Overrides::default()
        };
        check_error("", &bad_key, "the API key must be letters and digits only");
        let no_credential = Overrides {
            api_key: Some("myKey".to_owned()),
            ..Overrides::default()
        };
        check_error(
            "",
            &no_credential,
            "the API key has no secret or public key",
        );
        let bad_balances = Overrides {
            balances: Some("BTC".to_owned()),
            ..Overrides::default()
        };
        check_error("", &bad_balances, "cannot read balance `BTC`");
    }

    #[test]
    fn debug_hides_secrets() {
        let overrides = Overrides {
            api_secret: Some("topSecret1".to_owned()),
            ..Overrides::default()
        };
        assert!(!format!("{overrides:?}").contains("topSecret1"));
        let file = ConfigFile::from_toml_str(
            "[[accounts]]\nuid = 1\n[[accounts.api_keys]]\napi_key = \"k\"\nsecret = \"topSecret2\"\n",
        )
        .unwrap();
        assert!(!format!("{file:?}").contains("topSecret2"));
    }
}
