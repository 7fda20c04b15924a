//! The profile file, `~/.config/mbx/config.toml`.
//!
//! ```toml
//! default_profile = "testnet"
//!
//! [profiles.testnet]
//! environment = "testnet"                  # production, testnet, demo or a URL
//! api_key = "…"                            # or api_key_env = "MY_KEY_VAR"
//! secret_file = "~/.config/mbx/testnet.secret"   # HMAC; or:
//! # key_file = "~/.config/mbx/ed25519.pem"       # Ed25519 or RSA private key
//! recv_window = 5000
//! ```
//!
//! A secret is never written in the profile itself, only the path of a file
//! holding it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::env;
use crate::output::UserError;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The profile used without `--profile`.
    pub default_profile: Option<String>,
    /// Named profiles.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One named profile.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// `production`, `testnet`, `demo` or a base URL.
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

/// Where the profile file is: `MBX_CONFIG`, else
/// `$XDG_CONFIG_HOME/mbx/config.toml`, else `~/.config/mbx/config.toml`.
pub fn config_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env::MBX_CONFIG) {
        return Some(PathBuf::from(path));
    }
    if let Some(dir) = std::env::var_os(env::XDG_CONFIG_HOME).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("mbx").join("config.toml"));
    }
    std::env::var_os(env::HOME)
        .filter(|d| !d.is_empty())
        .map(|home| {
            PathBuf::from(home)
                .join(".config")
                .join("mbx")
                .join("config.toml")
        })
}

/// Reads the profile file; a missing file is an empty configuration.
pub fn load(path: &Path) -> Result<ConfigFile, UserError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
        Err(err) => {
            return Err(UserError::usage(
                format!("cannot read the profile file `{}`: {err}", path.display()),
                Some("check the file's permissions, or point `MBX_CONFIG` at another file"),
            ));
        }
    };
    parse(&text).map_err(|reason| {
        UserError::usage(
            format!("the profile file `{}` is invalid: {reason}", path.display()),
            Some(
                "each profile is a `[profiles.NAME]` table with `environment`, `api_key`, `secret_file` or `key_file`, `recv_window`",
            ),
        )
    })
}

/// Parses the file's text.
pub fn parse(text: &str) -> Result<ConfigFile, String> {
    toml::from_str(text).map_err(|err| err.message().to_owned())
}

/// Expands a leading `~/` with `HOME`.
pub fn expand_home(path: &Path) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~")
        && let Some(home) = std::env::var_os(env::HOME)
    {
        return PathBuf::from(home).join(rest);
    }
    path.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_profiles() {
        let file = parse(
            r#"
default_profile = "test"
[profiles.test]
environment = "testnet"
api_key = "abc"
secret_file = "~/s"
recv_window = 3000
[profiles.live]
key_file = "/k.pem"
"#,
        )
        .unwrap();
        assert_eq!(file.default_profile.as_deref(), Some("test"));
        let test = &file.profiles["test"];
        assert_eq!(test.environment.as_deref(), Some("testnet"));
        assert_eq!(test.recv_window, Some(3000));
        assert_eq!(
            file.profiles["live"].key_file.as_deref(),
            Some(Path::new("/k.pem"))
        );
    }

    #[test]
    fn rejects_a_secret_in_the_file() {
        let err = parse("[profiles.x]\napi_secret = \"s3cr3t\"\n").unwrap_err();
        assert!(err.contains("api_secret"), "{err}");
        assert!(!err.contains("s3cr3t"), "{err}");
    }
}
