//! The API key and the signer, checked before any request is sent.

use std::fmt;

use mbx_domain::Error;
use mbx_signing::Signer;

/// An API key: letters and digits only, checked when built so that a
/// malformed key never reaches the server (which would answer `-2014`).
///
/// `Debug` and `Display` show only the first four characters.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Checks the key's format: 1 to 256 ASCII letters and digits, no
    /// surrounding quotes or white space.
    pub fn new(text: &str) -> Result<ApiKey, Error> {
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
            Some(problem) => Err(Error::InvalidRequest(format!(
                "the API key is malformed: {problem} (Binance API keys are 64 letters and digits)"
            ))),
            None => Ok(ApiKey(text.to_owned())),
        }
    }

    /// The key, for the `X-MBX-APIKEY` header.
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
#[derive(Debug, Clone)]
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

#[cfg(test)]
mod tests {
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
            let err = ApiKey::new(bad).unwrap_err().to_string();
            assert!(
                err.starts_with("the API key is malformed"),
                "{bad:?}: {err}"
            );
        }
    }
}
