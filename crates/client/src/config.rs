//! Configuration: the profile file and the one credentials loader, with one
//! documented precedence for every program built on the crates.
//!
//! # Where credentials come from
//!
//! A *source* is one place that holds an API key and its secret or private
//! key. They are looked at in this order, and the first one with an API key
//! wins:
//!
//! 1. the profile named explicitly (`--profile NAME` in the CLI,
//!    [`Sources::profile`]);
//! 2. the environment: `BINANCE_API_KEY` with `BINANCE_API_SECRET` (HMAC)
//!    or `BINANCE_PRIVATE_KEY_FILE` (Ed25519 or RSA PEM);
//! 3. the default profile: `MBX_PROFILE`, else the file's
//!    `default_profile` (not consulted at all when a profile is named
//!    explicitly).
//!
//! The secret or private key comes from a file given explicitly
//! ([`Sources::secret_file`], [`Sources::key_file`]) if any, else from the
//! same source as the API key: a key and a secret from different places
//! are almost always a mismatch (`-1022`). When a later source also holds a
//! key, a note says which one is used.
//!
//! The environment (production, testnet, …) and `recvWindow` follow the
//! same order: explicit flags, the explicit profile, the default profile,
//! then production and the server's default.
//!
//! # The profile file
//!
//! `MBX_CONFIG`, else `$XDG_CONFIG_HOME/mbx/config.toml`, else
//! `~/.config/mbx/config.toml`; [`TEMPLATE`] is a commented example. A
//! secret is never written in the file itself, only the path of a file
//! holding it; an `api_secret` key is refused.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use mbx_domain::credentials::{ApiKey, Credentials};
use mbx_domain::environment::Environment;
use mbx_domain::{ConfigError, Error, KeyProblem};
use mbx_signing::{HmacKey, Signer};
use serde::Deserialize;
use zeroize::Zeroizing;

/// The environment variables the loader reads.
pub mod vars {
    /// The API key, sent in the `X-MBX-APIKEY` header.
    pub const BINANCE_API_KEY: &str = "BINANCE_API_KEY";
    /// The HMAC secret. Never taken as a command-line argument.
    pub const BINANCE_API_SECRET: &str = "BINANCE_API_SECRET";
    /// A PEM file holding an Ed25519 or RSA private key.
    pub const BINANCE_PRIVATE_KEY_FILE: &str = "BINANCE_PRIVATE_KEY_FILE";
    /// The profile file.
    pub const MBX_CONFIG: &str = "MBX_CONFIG";
    /// The profile to use when none is named explicitly.
    pub const MBX_PROFILE: &str = "MBX_PROFILE";
    /// Used to find the profile file.
    pub const XDG_CONFIG_HOME: &str = "XDG_CONFIG_HOME";
    /// Used to find the cache directory.
    pub const XDG_CACHE_HOME: &str = "XDG_CACHE_HOME";
    /// Used to find the profile file and the cache, and to expand `~/`.
    pub const HOME: &str = "HOME";
}

/// A commented profile file, for `mbx config init`.
pub const TEMPLATE: &str = r#"# mbx profiles. Choose one with `--profile NAME` or `MBX_PROFILE=NAME`;
# `default_profile` is used when neither is given.
#
# Credentials are looked for in this order, the first API key wins:
#   1. the profile named with --profile
#   2. BINANCE_API_KEY with BINANCE_API_SECRET or BINANCE_PRIVATE_KEY_FILE
#   3. the default profile
# Never write a secret in this file: point `secret_file` or `key_file` at a
# file of its own, readable by you only (chmod 600).

# default_profile = "testnet"

[profiles.testnet]
environment = "testnet"          # production, testnet, demo, market-data or a URL
api_key = "paste-your-testnet-api-key-here"
secret_file = "~/.config/mbx/testnet.secret"   # the HMAC secret, alone in the file
# key_file = "~/.config/mbx/ed25519.pem"       # or an Ed25519 / RSA private key
# recv_window = 5000

# [profiles.live]
# environment = "production"
# api_key_env = "MY_LIVE_KEY"    # read the key from this environment variable
# key_file = "~/.config/mbx/live-ed25519.pem"
"#;

/// The whole profile file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The profile used when none is named.
    pub default_profile: Option<String>,
    /// Named profiles.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One named profile.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// `production`, `testnet`, `demo`, `market-data` or a base URL.
    pub environment: Option<String>,
    /// The API key itself (not a secret).
    pub api_key: Option<String>,
    /// The name of an environment variable holding the API key.
    pub api_key_env: Option<String>,
    /// A file holding the HMAC secret.
    pub secret_file: Option<PathBuf>,
    /// A PEM file holding an Ed25519 or RSA private key.
    pub key_file: Option<PathBuf>,
    /// `recvWindow` in milliseconds.
    pub recv_window: Option<u32>,
}

/// Read access to environment variables: a port, so that tests need no
/// process environment.
pub trait Vars {
    /// The variable's value, if set and not empty.
    fn get(&self, name: &str) -> Option<String>;
}

/// The process's environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessVars;

impl Vars for ProcessVars {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|value| !value.is_empty())
    }
}

impl<const N: usize> Vars for [(&str, &str); N] {
    fn get(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
            .filter(|value| !value.is_empty())
    }
}

/// What the caller was told explicitly (command-line flags).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// The profile named explicitly.
    pub profile: Option<String>,
    /// A file holding the HMAC secret.
    pub secret_file: Option<PathBuf>,
    /// A PEM file holding an Ed25519 or RSA private key.
    pub key_file: Option<PathBuf>,
    /// The environment chosen explicitly, and how (e.g. `--testnet`).
    pub environment: Option<(Environment, String)>,
    /// `recvWindow` given explicitly.
    pub recv_window: Option<u32>,
}

/// Where one piece of the configuration came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A flag or an explicit argument.
    Flag(String),
    /// An environment variable.
    Env(String),
    /// A profile (`explicit`: named with `--profile`).
    Profile {
        /// The profile's name.
        name: String,
        /// Whether it was named explicitly.
        explicit: bool,
    },
    /// Nothing said otherwise.
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Flag(flag) => write!(f, "`{flag}`"),
            Origin::Env(var) => write!(f, "`{var}`"),
            Origin::Profile {
                name,
                explicit: true,
            } => write!(f, "profile `{name}`"),
            Origin::Profile { name, .. } => write!(f, "default profile `{name}`"),
            Origin::Default => f.write_str("the default"),
        }
    }
}

/// The signing key and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedSigner {
    /// The signer.
    pub signer: Signer,
    /// Where it came from, for messages (a variable or a file, never the
    /// secret).
    pub source: String,
    /// Its level in the precedence order.
    pub origin: Origin,
    /// The file it was read from, if any.
    pub file: Option<PathBuf>,
}

/// The API key and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedKey {
    /// The key.
    pub api_key: ApiKey,
    /// Where it came from, e.g. `` `BINANCE_API_KEY` ``.
    pub source: String,
    /// Its level in the precedence order.
    pub origin: Origin,
}

/// The configuration after applying the precedence, once.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Where requests go.
    pub environment: Environment,
    /// Where that came from.
    pub environment_origin: Origin,
    /// `recvWindow` for signed requests (`None`: the server's 5000).
    pub recv_window_ms: Option<u32>,
    /// The profile file looked at, if any.
    pub config_path: Option<PathBuf>,
    /// The profiles in play: the explicit one and the default one.
    pub profiles: Vec<(String, bool)>,
    /// The API key, or why there is none.
    pub api_key: Result<LoadedKey, Error>,
    /// The signing key, or why there is none.
    pub signer: Result<LoadedSigner, Error>,
    /// Things the user should know (a key found in two places, …).
    pub notes: Vec<String>,
}

impl Resolved {
    /// The API key with the signer that belongs to it: the signer of an
    /// explicit file, or of the same source as the key.
    pub fn credentials(&self) -> Result<Credentials, Error> {
        let key = self.api_key.as_ref().map_err(Clone::clone)?;
        let signer = self
            .signer
            .as_ref()
            .map_err(|_| Error::Config(ConfigError::NoSecret))?;
        let paired = matches!(signer.origin, Origin::Flag(_)) || signer.origin == key.origin;
        if !paired {
            return Err(Error::invalid_with_hint(
                format!(
                    "the API key comes from {} but the secret from {}",
                    key.origin, signer.origin
                ),
                format!(
                    "give the API key and its secret in the same place: both in the environment, or both in {}",
                    match &key.origin {
                        Origin::Profile { name, .. } => format!("profile `{name}`"),
                        _ => "one profile".to_owned(),
                    }
                ),
            ));
        }
        Ok(Credentials::new(key.api_key.clone(), signer.signer.clone()))
    }

    /// `HMAC key vmPU… from `BINANCE_API_KEY`, secret from …`: where the
    /// credentials came from, without any secret.
    pub fn describe_credentials(&self) -> Result<String, Error> {
        let credentials = self.credentials()?;
        let key = self.api_key.as_ref().map_err(Clone::clone)?;
        let signer = self.signer.as_ref().map_err(Clone::clone)?;
        Ok(format!(
            "{} key {} from {}, {} from {}",
            credentials.signer().kind(),
            credentials.api_key(),
            key.source,
            if matches!(credentials.signer(), Signer::Hmac(_)) {
                "secret"
            } else {
                "private key"
            },
            signer.source
        ))
    }

    /// The files holding a secret or private key in use.
    pub fn key_files(&self) -> Vec<PathBuf> {
        self.signer
            .as_ref()
            .ok()
            .and_then(|signer| signer.file.clone())
            .into_iter()
            .collect()
    }
}

/// Applies the precedence to the explicit `sources`, the environment
/// variables and the profile file, once.
pub fn resolve(sources: &Sources, vars: &dyn Vars) -> Result<Resolved, Error> {
    let config_path = config_path(vars);
    let file = match &config_path {
        Some(path) => load_file(path)?,
        None => ConfigFile::default(),
    };
    let mut notes = Vec::new();
    let explicit = match &sources.profile {
        Some(name) => Some((
            name.clone(),
            find_profile(&file, name, config_path.as_deref())?,
        )),
        None => None,
    };
    let default_name = vars
        .get(vars::MBX_PROFILE)
        .or_else(|| file.default_profile.clone());
    // A profile named explicitly replaces the default one entirely.
    let default = match default_name {
        Some(name) if explicit.is_none() => Some((
            name.clone(),
            find_profile(&file, &name, config_path.as_deref())?,
        )),
        _ => None,
    };
    let origin_of = |name: &str, is_explicit: bool| Origin::Profile {
        name: name.to_owned(),
        explicit: is_explicit,
    };

    // The environment.
    let profile_environment = |entry: &Option<(String, Profile)>, is_explicit: bool| {
        entry.as_ref().and_then(|(name, profile)| {
            profile
                .environment
                .as_deref()
                .map(|text| (name.clone(), text.to_owned(), is_explicit))
        })
    };
    let (environment, environment_origin) = if let Some((environment, flag)) = &sources.environment
    {
        if let Some((name, text, _)) =
            profile_environment(&explicit, true).or(profile_environment(&default, false))
            && Environment::parse(&text).ok().as_ref() != Some(environment)
        {
            notes.push(format!(
                "profile `{name}` is for {text}, but {flag} was given: its API key may not work there"
            ));
        }
        (environment.clone(), Origin::Flag(flag.clone()))
    } else if let Some((name, text, is_explicit)) =
        profile_environment(&explicit, true).or(profile_environment(&default, false))
    {
        let environment = Environment::parse(&text).map_err(|err| {
            Error::Config(ConfigError::Profile(format!("profile `{name}`: {err}")))
        })?;
        (environment, origin_of(&name, is_explicit))
    } else {
        (Environment::Production, Origin::Default)
    };
    let recv_window_ms = sources.recv_window.or_else(|| {
        explicit
            .as_ref()
            .and_then(|(_, p)| p.recv_window)
            .or_else(|| default.as_ref().and_then(|(_, p)| p.recv_window))
    });

    // The API key: the first source that has one.
    let mut candidates: Vec<(Origin, Result<Option<KeyText>, Error>)> = Vec::new();
    if let Some((name, profile)) = &explicit {
        candidates.push((origin_of(name, true), profile_key(name, profile, vars)));
    }
    candidates.push((
        Origin::Env(vars::BINANCE_API_KEY.to_owned()),
        Ok(vars
            .get(vars::BINANCE_API_KEY)
            .map(|key| (key, format!("`{}`", vars::BINANCE_API_KEY)))),
    ));
    if let Some((name, profile)) = &default {
        candidates.push((origin_of(name, false), profile_key(name, profile, vars)));
    }
    let mut api_key: Result<LoadedKey, Error> = Err(Error::Config(ConfigError::NoApiKey));
    let mut chosen: Option<Origin> = None;
    for (origin, candidate) in candidates {
        match candidate {
            Ok(Some((text, source))) => {
                if let Some(first) = &chosen {
                    notes.push(format!(
                        "{origin} also holds an API key; using the one from {first} (the order is: --profile, the environment, the default profile)"
                    ));
                    continue;
                }
                api_key = ApiKey::from_source(&text, &source)
                    .map(|api_key| LoadedKey {
                        api_key,
                        source,
                        origin: origin.clone(),
                    })
                    .map_err(Error::Config);
                chosen = Some(origin);
            }
            Ok(None) => {}
            Err(err) if chosen.is_none() => {
                api_key = Err(err);
                chosen = Some(origin);
            }
            Err(_) => {}
        }
    }

    // The signer: an explicit file, else the key's source, else the first
    // source with one (enough for signing a payload without a key).
    let signer = if let Some(path) = &sources.key_file {
        let path = expand_home(path, vars);
        pem_signer(&path).map(|signer| LoadedSigner {
            signer,
            source: format!("`{}`", path.display()),
            origin: Origin::Flag("--key-file".to_owned()),
            file: Some(path),
        })
    } else if let Some(path) = &sources.secret_file {
        let path = expand_home(path, vars);
        file_secret(&path).map(|signer| LoadedSigner {
            signer,
            source: format!("`{}`", path.display()),
            origin: Origin::Flag("--secret-file".to_owned()),
            file: Some(path),
        })
    } else {
        let mut levels: Vec<Origin> = Vec::new();
        if let Some(origin) = &chosen {
            levels.push(origin.clone());
        }
        if let Some((name, _)) = &explicit {
            levels.push(origin_of(name, true));
        }
        levels.push(Origin::Env(vars::BINANCE_API_KEY.to_owned()));
        if let Some((name, _)) = &default {
            levels.push(origin_of(name, false));
        }
        let mut found: Option<Result<LoadedSigner, Error>> = None;
        for origin in levels {
            let profile = match &origin {
                Origin::Profile { name, .. } => explicit
                    .iter()
                    .chain(default.iter())
                    .find(|(n, _)| n == name)
                    .map(|(_, p)| p),
                _ => None,
            };
            let res = match (&origin, profile) {
                (Origin::Env(_), _) => env_signer(vars),
                (_, Some(profile)) => profile_signer(profile, vars),
                _ => None,
            };
            if let Some(res) = res {
                found = Some(res.map(|(signer, source, file)| LoadedSigner {
                    signer,
                    source,
                    origin,
                    file,
                }));
                break;
            }
        }
        found.unwrap_or(Err(Error::Config(ConfigError::NoSecret)))
    };

    let mut profiles = Vec::new();
    if let Some((name, _)) = &explicit {
        profiles.push((name.clone(), true));
    }
    if let Some((name, _)) = &default {
        profiles.push((name.clone(), false));
    }
    Ok(Resolved {
        environment,
        environment_origin,
        recv_window_ms,
        config_path,
        profiles,
        api_key,
        signer,
        notes,
    })
}

fn find_profile(file: &ConfigFile, name: &str, path: Option<&Path>) -> Result<Profile, Error> {
    file.profiles.get(name).cloned().ok_or_else(|| {
        let place = path.map_or("no profile file found".to_owned(), |p| {
            format!("not in `{}`", p.display())
        });
        Error::Config(ConfigError::Profile(format!(
            "profile `{name}` not found ({place})"
        )))
    })
}

/// The API key of a profile: `api_key`, or the variable `api_key_env` names.
/// An API key's text and where it came from.
type KeyText = (String, String);

fn profile_key(name: &str, profile: &Profile, vars: &dyn Vars) -> Result<Option<KeyText>, Error> {
    if let Some(key) = &profile.api_key {
        return Ok(Some((key.clone(), format!("profile `{name}`"))));
    }
    if let Some(var) = &profile.api_key_env {
        return match vars.get(var) {
            Some(key) => Ok(Some((key, format!("`{var}` (profile `{name}`)")))),
            None => Err(Error::Config(ConfigError::Profile(format!(
                "profile `{name}` reads the API key from `{var}`, which is not set"
            )))),
        };
    }
    Ok(None)
}

type FoundSigner = (Signer, String, Option<PathBuf>);

fn env_signer(vars: &dyn Vars) -> Option<Result<FoundSigner, Error>> {
    if let Some(path) = vars.get(vars::BINANCE_PRIVATE_KEY_FILE) {
        let path = expand_home(Path::new(&path), vars);
        return Some(pem_signer(&path).map(|signer| {
            let source = format!(
                "`{}` (`{}`)",
                path.display(),
                vars::BINANCE_PRIVATE_KEY_FILE
            );
            (signer, source, Some(path))
        }));
    }
    let secret = Zeroizing::new(vars.get(vars::BINANCE_API_SECRET)?);
    let source = format!("`{}`", vars::BINANCE_API_SECRET);
    Some(
        HmacKey::from_secret_text(&secret)
            .map(|key| (Signer::Hmac(key), source.clone(), None))
            .map_err(|err| key_error(err, source)),
    )
}

fn profile_signer(profile: &Profile, vars: &dyn Vars) -> Option<Result<FoundSigner, Error>> {
    if let Some(path) = &profile.key_file {
        let path = expand_home(path, vars);
        return Some(
            pem_signer(&path).map(|signer| (signer, format!("`{}`", path.display()), Some(path))),
        );
    }
    let path = expand_home(profile.secret_file.as_ref()?, vars);
    Some(file_secret(&path).map(|signer| (signer, format!("`{}`", path.display()), Some(path))))
}

/// Reads a PEM private key (Ed25519 or RSA; the type is read from the PEM).
pub fn pem_signer(path: &Path) -> Result<Signer, Error> {
    let text = read_secret_file(path)?;
    Signer::from_private_key_pem(&text)
        .map_err(|err| key_error(err, format!("`{}`", path.display())))
}

/// Reads an HMAC secret from a file (a trailing newline is ignored).
pub fn file_secret(path: &Path) -> Result<Signer, Error> {
    let text = read_secret_file(path)?;
    if text.contains("-----BEGIN") {
        return Err(Error::Config(ConfigError::BadKey {
            source_name: format!("`{}`", path.display()),
            reason: "this file holds a PEM key, not an HMAC secret".to_owned(),
            kind: KeyProblem::UnsupportedKey,
        }));
    }
    HmacKey::from_secret_text(&text)
        .map(Signer::Hmac)
        .map_err(|err| key_error(err, format!("`{}`", path.display())))
}

/// Reads a file that holds key material, kept in zeroized memory.
pub fn read_secret_file(path: &Path) -> Result<Zeroizing<String>, Error> {
    std::fs::read_to_string(path)
        .map(Zeroizing::new)
        .map_err(|err| {
            Error::Config(ConfigError::Unreadable {
                path: path.display().to_string(),
                cause: mbx_domain::Cause::new(err.to_string()),
            })
        })
}

fn key_error(err: mbx_signing::Error, source_name: String) -> Error {
    let mut config = ConfigError::from(err);
    if let ConfigError::BadKey {
        source_name: name, ..
    } = &mut config
    {
        *name = source_name;
    }
    Error::Config(config)
}

/// Where the profile file is: `MBX_CONFIG`, else
/// `$XDG_CONFIG_HOME/mbx/config.toml`, else `~/.config/mbx/config.toml`.
pub fn config_path(vars: &dyn Vars) -> Option<PathBuf> {
    if let Some(path) = vars.get(vars::MBX_CONFIG) {
        return Some(PathBuf::from(path));
    }
    if let Some(dir) = vars.get(vars::XDG_CONFIG_HOME) {
        return Some(PathBuf::from(dir).join("mbx").join("config.toml"));
    }
    vars.get(vars::HOME).map(|home| {
        PathBuf::from(home)
            .join(".config")
            .join("mbx")
            .join("config.toml")
    })
}

/// The cache directory: `$XDG_CACHE_HOME/mbx`, else `~/.cache/mbx`.
pub fn cache_dir(vars: &dyn Vars) -> Option<PathBuf> {
    if let Some(dir) = vars.get(vars::XDG_CACHE_HOME) {
        return Some(PathBuf::from(dir).join("mbx"));
    }
    vars.get(vars::HOME)
        .map(|home| PathBuf::from(home).join(".cache").join("mbx"))
}

/// Reads the profile file; a missing file is an empty configuration.
pub fn load_file(path: &Path) -> Result<ConfigFile, Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
        Err(err) => {
            return Err(Error::Config(ConfigError::Unreadable {
                path: path.display().to_string(),
                cause: mbx_domain::Cause::new(err.to_string()),
            }));
        }
    };
    parse(&text).map_err(|reason| {
        Error::Config(ConfigError::Profile(format!(
            "the profile file `{}` is invalid: {reason}",
            path.display()
        )))
    })
}

/// Parses the profile file's text. The message names the key at fault,
/// never a value.
pub fn parse(text: &str) -> Result<ConfigFile, String> {
    toml::from_str(text).map_err(|err| err.message().to_owned())
}

/// Writes [`TEMPLATE`] to `path` with mode 600 (creating its folder);
/// refuses to overwrite a file.
pub fn write_template(path: &Path) -> Result<(), Error> {
    let unwritable = |err: std::io::Error| {
        Error::Config(ConfigError::Unreadable {
            path: path.display().to_string(),
            cause: mbx_domain::Cause::new(err.to_string()),
        })
    };
    if path.exists() {
        return Err(Error::invalid_with_hint(
            format!("`{}` already exists", path.display()),
            "edit the file, or move it away first",
        ));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(unwritable)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(unwritable)?;
    std::io::Write::write_all(&mut file, TEMPLATE.as_bytes()).map_err(unwritable)
}

/// Expands a leading `~/` with `HOME`.
pub fn expand_home(path: &Path, vars: &dyn Vars) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~")
        && let Some(home) = vars.get(vars::HOME)
    {
        return PathBuf::from(home).join(rest);
    }
    path.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

    /// A scratch folder with a profile file and a secret file.
    struct Scratch {
        dir: PathBuf,
        config: String,
    }

    impl Scratch {
        fn new(name: &str, profiles: &str) -> Scratch {
            let dir =
                std::env::temp_dir().join(format!("mbx-config-{name}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("secret"), format!("{SECRET}\n")).unwrap();
            let text = profiles.replace("SECRET_FILE", &dir.join("secret").display().to_string());
            std::fs::write(dir.join("config.toml"), text).unwrap();
            let config = dir.join("config.toml").display().to_string();
            Scratch { dir, config }
        }

        fn config(&self) -> &str {
            &self.config
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    const PROFILES: &str = r#"
default_profile = "test"
[profiles.test]
environment = "testnet"
api_key = "profileKey1"
secret_file = "SECRET_FILE"
recv_window = 3000
[profiles.live]
api_key = "liveKey1"
secret_file = "SECRET_FILE"
"#;

    #[test]
    fn parses_profiles() {
        let file = parse(PROFILES).unwrap();
        assert_eq!(file.default_profile.as_deref(), Some("test"));
        assert_eq!(file.profiles["test"].recv_window, Some(3000));
    }

    #[test]
    fn rejects_a_secret_in_the_file() {
        let err = parse("[profiles.x]\napi_secret = \"s3cr3t\"\n").unwrap_err();
        assert!(err.contains("api_secret"), "{err}");
        assert!(!err.contains("s3cr3t"), "{err}");
    }

    #[test]
    fn the_template_parses() {
        let file = parse(TEMPLATE).unwrap();
        assert!(file.profiles.contains_key("testnet"));
    }

    #[test]
    fn the_environment_wins_over_the_default_profile_and_says_so() {
        let scratch = Scratch::new("env-wins", PROFILES);
        let vars = [
            (vars::MBX_CONFIG, scratch.config()),
            (vars::BINANCE_API_KEY, "envKey1"),
            (vars::BINANCE_API_SECRET, SECRET),
        ];
        let resolved = resolve(&Sources::default(), &vars).unwrap();
        let credentials = resolved.credentials().unwrap();
        assert_eq!(credentials.api_key().as_str(), "envKey1");
        assert_eq!(
            resolved.environment,
            Environment::Testnet,
            "still the profile's environment"
        );
        assert_eq!(resolved.recv_window_ms, Some(3000));
        assert!(
            resolved
                .notes
                .iter()
                .any(|n| n.contains("default profile `test` also holds an API key")),
            "{:?}",
            resolved.notes
        );
    }

    #[test]
    fn an_explicit_profile_wins_over_the_environment() {
        let scratch = Scratch::new("explicit", PROFILES);
        let vars = [
            (vars::MBX_CONFIG, scratch.config()),
            (vars::BINANCE_API_KEY, "envKey1"),
            (vars::BINANCE_API_SECRET, SECRET),
        ];
        let sources = Sources {
            profile: Some("live".into()),
            ..Sources::default()
        };
        let resolved = resolve(&sources, &vars).unwrap();
        assert_eq!(
            resolved.credentials().unwrap().api_key().as_str(),
            "liveKey1"
        );
        assert_eq!(resolved.environment, Environment::Production);
        let description = resolved.describe_credentials().unwrap();
        assert!(description.contains("profile `live`"), "{description}");
        assert!(!description.contains(SECRET));
        assert_eq!(resolved.key_files().len(), 1);
    }

    #[test]
    fn flags_win_over_everything() {
        let scratch = Scratch::new("flags", PROFILES);
        let vars = [(vars::MBX_CONFIG, scratch.config())];
        let sources = Sources {
            environment: Some((Environment::Demo, "--demo".into())),
            recv_window: Some(9000),
            secret_file: Some(scratch.dir.join("secret")),
            ..Sources::default()
        };
        let resolved = resolve(&sources, &vars).unwrap();
        assert_eq!(resolved.environment, Environment::Demo);
        assert_eq!(resolved.recv_window_ms, Some(9000));
        assert!(
            resolved.credentials().is_ok(),
            "a flag's secret pairs with any key"
        );
        assert!(
            resolved
                .notes
                .iter()
                .any(|n| n.contains("is for testnet, but --demo was given")),
            "{:?}",
            resolved.notes
        );
    }

    #[test]
    fn a_key_and_a_secret_from_different_places_are_refused() {
        let scratch = Scratch::new("mixed", "[profiles.p]\nsecret_file = \"SECRET_FILE\"\n");
        let vars = [
            (vars::MBX_CONFIG, scratch.config()),
            (vars::MBX_PROFILE, "p"),
            (vars::BINANCE_API_KEY, "envKey1"),
        ];
        let resolved = resolve(&Sources::default(), &vars).unwrap();
        let err = resolved.credentials().unwrap_err();
        assert!(
            err.to_string().contains("comes from `BINANCE_API_KEY`"),
            "{err}"
        );
        assert!(resolved.signer.is_ok(), "enough to sign a payload");
    }

    #[test]
    fn nothing_configured_says_what_is_missing() {
        let resolved = resolve(&Sources::default(), &[(vars::HOME, "/nonexistent")]).unwrap();
        assert!(matches!(
            resolved.credentials(),
            Err(Error::Config(ConfigError::NoApiKey))
        ));
        assert_eq!(resolved.environment, Environment::Production);
    }

    #[test]
    fn an_unknown_profile_is_an_error() {
        let scratch = Scratch::new("unknown", PROFILES);
        let vars = [(vars::MBX_CONFIG, scratch.config())];
        let sources = Sources {
            profile: Some("nope".into()),
            ..Sources::default()
        };
        let err = resolve(&sources, &vars).unwrap_err();
        assert!(
            err.to_string().contains("profile `nope` not found"),
            "{err}"
        );
    }

    #[test]
    fn a_public_key_as_key_file_says_so() {
        let scratch = Scratch::new("pubkey", "");
        let pem = scratch.dir.join("pub.pem");
        std::fs::write(
            &pem,
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n",
        )
        .unwrap();
        let sources = Sources {
            key_file: Some(pem),
            ..Sources::default()
        };
        let resolved = resolve(&sources, &[(vars::HOME, "/nonexistent")]).unwrap();
        let err = resolved.signer.unwrap_err();
        assert!(matches!(
            err,
            Error::Config(ConfigError::BadKey {
                kind: KeyProblem::PublicKeyGiven,
                ..
            })
        ));
        assert!(err.hint().unwrap().as_str().contains("private key"));
    }

    #[cfg(unix)]
    #[test]
    fn the_template_is_written_private_and_never_over_a_file() {
        use std::os::unix::fs::PermissionsExt as _;
        let scratch = Scratch::new("template", "");
        let path = scratch.dir.join("new").join("config.toml");
        write_template(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert!(write_template(&path).is_err());
    }
}
