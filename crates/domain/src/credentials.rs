//! The API key and the key that signs for it, checked before any request is
//! sent. One type for REST and the WebSocket API.

use std::fmt;

use mbx_signing::Signer;

use crate::error::ConfigError;

/// An API key: letters and digits only, checked when built so that a
/// malformed key never reaches the server (which would answer `-2014`).
///
/// `Debug` and `Display` show only the first four characters.
///
/// ```
/// use mbx_domain::credentials::ApiKey;
///
/// let key = ApiKey::new("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A")?;
/// assert_eq!(key.to_string(), "vmPU…");
/// assert!(ApiKey::new("\"abc\"").is_err());
/// # Ok::<(), mbx_domain::ConfigError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Checks the key's format: 1 to 256 ASCII letters and digits, no
    /// surrounding quotes or white space.
    pub fn new(text: &str) -> Result<ApiKey, ConfigError> {
        ApiKey::from_source(text, "the API key")
    }

    /// [`ApiKey::new`], naming where the text came from in the error (e.g.
    /// `` `BINANCE_API_KEY` ``).
    pub fn from_source(text: &str, source_name: &str) -> Result<ApiKey, ConfigError> {
        let problem = if text.is_empty() {
            Some("it is empty")
        } else if text.trim() != text {
            Some("it has surrounding white space")
        } else if text.starts_with(['"', '\'']) || text.ends_with(['"', '\'']) {
            Some("it has surrounding quotes")
        } else if text.len() > 256 {
            Some("it is longer than 256 characters")
        } else if !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Some("it has characters other than letters and digits")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(ConfigError::MalformedApiKey {
                source_name: source_name.to_owned(),
                problem,
            }),
            None => Ok(ApiKey(text.to_owned())),
        }
    }

    /// The key, for the `X-MBX-APIKEY` header or the WebSocket API's
    /// `apiKey` parameter.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey({self})")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.0.chars().take(4).collect();
        write!(f, "{shown}…")
    }
}

/// An API key with the signer for its secret or private key.
///
/// `Debug` shows the key's first characters and the key type, never the
/// secret.
#[derive(Clone)]
pub struct Credentials {
    api_key: ApiKey,
    signer: Signer,
}

impl Credentials {
    /// Pairs a key with its signer.
    pub fn new(api_key: ApiKey, signer: Signer) -> Credentials {
        Credentials { api_key, signer }
    }

    /// The API key.
    pub fn api_key(&self) -> &ApiKey {
        &self.api_key
    }

    /// The signer.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &self.api_key)
            .field("key_type", &self.signer.kind())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use mbx_signing::HmacKey;

    use super::*;

    #[test]
    fn accepts_letters_and_digits() {
        let key = ApiKey::new("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A")
            .unwrap();
        assert_eq!(format!("{key:?}"), "ApiKey(vmPU…)");
    }

    #[test]
    fn rejects_common_paste_mistakes() {
        for bad in ["", " abc", "abc\n", "\"abc\"", "ab-c", "ab c"] {
            let err = ApiKey::from_source(bad, "`BINANCE_API_KEY`")
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("`BINANCE_API_KEY`: the API key is malformed"),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn debug_shows_no_secret() {
        let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
        let credentials = Credentials::new(
            ApiKey::new("abcdefgh").unwrap(),
            Signer::Hmac(HmacKey::new(secret.as_bytes()).unwrap()),
        );
        let text = format!("{credentials:?}");
        assert!(
            !text.contains(secret) && !text.contains("abcdefgh"),
            "{text}"
        );
    }
}
