//! Reads the label of a PEM block so that errors can name what was given.

use crate::error::Error;

/// The kinds of PEM block a user is likely to hand us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PemLabel {
    /// `PRIVATE KEY`: PKCS#8, what `openssl genpkey` writes.
    Pkcs8Private,
    /// `RSA PRIVATE KEY`: PKCS#1, what older `openssl genrsa` writes.
    Pkcs1RsaPrivate,
    /// `PUBLIC KEY`: SPKI, what Binance asks to be registered.
    SpkiPublic,
    /// `RSA PUBLIC KEY`: PKCS#1 public key.
    Pkcs1RsaPublic,
    /// Anything else (encrypted keys, OpenSSH keys, certificates).
    Other(String),
}

impl PemLabel {
    pub(crate) fn text(&self) -> &str {
        match self {
            PemLabel::Pkcs8Private => "PRIVATE KEY",
            PemLabel::Pkcs1RsaPrivate => "RSA PRIVATE KEY",
            PemLabel::SpkiPublic => "PUBLIC KEY",
            PemLabel::Pkcs1RsaPublic => "RSA PUBLIC KEY",
            PemLabel::Other(label) => label,
        }
    }

    pub(crate) fn is_public(&self) -> bool {
        matches!(self, PemLabel::SpkiPublic | PemLabel::Pkcs1RsaPublic)
    }

    pub(crate) fn is_private(&self) -> bool {
        matches!(self, PemLabel::Pkcs8Private | PemLabel::Pkcs1RsaPrivate)
    }
}

/// Finds the first `-----BEGIN <label>-----` line.
pub(crate) fn label(pem: &str) -> Result<PemLabel, Error> {
    let start = pem.find("-----BEGIN ").ok_or(Error::NotPem)?;
    let rest = &pem[start + "-----BEGIN ".len()..];
    let end = rest.find("-----").ok_or(Error::NotPem)?;
    let label = rest[..end].trim();
    Ok(match label {
        "PRIVATE KEY" => PemLabel::Pkcs8Private,
        "RSA PRIVATE KEY" => PemLabel::Pkcs1RsaPrivate,
        "PUBLIC KEY" => PemLabel::SpkiPublic,
        "RSA PUBLIC KEY" => PemLabel::Pkcs1RsaPublic,
        other => PemLabel::Other(other.to_owned()),
    })
}

/// The error for a PEM block we do not read, with advice on what to do.
pub(crate) fn unsupported(label: &PemLabel) -> Error {
    let advice = match label.text() {
        "ENCRYPTED PRIVATE KEY" => {
            "the key is encrypted; write an unencrypted copy with `openssl pkey -in key.pem -out plain.pem` and keep it private"
        }
        "OPENSSH PRIVATE KEY" => {
            "this is an OpenSSH key; generate a PKCS#8 key with `openssl genpkey -algorithm ed25519 -out key.pem`"
        }
        "CERTIFICATE" => "this is a certificate, not a key",
        _ => "expected `PRIVATE KEY` (PKCS#8) or `PUBLIC KEY` (SPKI)",
    };
    Error::UnsupportedPem {
        label: label.text().to_owned(),
        advice,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(pem: &str, expected: PemLabel) {
        assert_eq!(label(pem).unwrap(), expected);
    }

    #[test]
    fn reads_labels() {
        check(
            "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n",
            PemLabel::Pkcs8Private,
        );
        check("junk\n-----BEGIN PUBLIC KEY-----\n", PemLabel::SpkiPublic);
        check(
            "-----BEGIN RSA PRIVATE KEY-----\n",
            PemLabel::Pkcs1RsaPrivate,
        );
        check(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n",
            PemLabel::Other("OPENSSH PRIVATE KEY".into()),
        );
    }

    #[test]
    fn rejects_non_pem() {
        assert_eq!(
            label("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"),
            Err(Error::NotPem)
        );
        assert_eq!(label(""), Err(Error::NotPem));
        assert_eq!(label("-----BEGIN "), Err(Error::NotPem));
    }
}
