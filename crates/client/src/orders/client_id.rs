//! Client order ids: made up when the caller gives none, checked when it
//! does. The id is what makes an unknown outcome resolvable, so every order
//! has one before it is sent.

use mbx_domain::Error;
use rand::Rng as _;

/// The longest id Binance takes.
const MAX_LEN: usize = 36;

/// `mbx-` and 20 random letters and digits: 62^20 ≈ 7·10^35 values, so two
/// orders never share one by chance.
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    let mut id = String::with_capacity(24);
    id.push_str("mbx-");
    for _ in 0..20 {
        id.push(char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]));
    }
    id
}

/// Checks an id against Binance's `^[\.A-Z\:/a-z0-9_-]{1,36}$`.
pub fn check(id: &str) -> Result<(), Error> {
    let legal = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '/' | '_' | '-');
    if id.is_empty() || id.len() > MAX_LEN || !id.chars().all(legal) {
        return Err(Error::invalid_with_hint(
            format!("the client order id `{id}` is not 1 to 36 of `A-Z a-z 0-9 . : / _ -`"),
            "use letters, digits and `.:/_-` only, at most 36 of them",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_id(id: &str, ok: bool) {
        assert_eq!(check(id).is_ok(), ok, "{id:?}");
    }

    #[test]
    fn ids_are_checked() {
        check_id("mbx-abc", true);
        check_id("a.b:c/d_e-F9", true);
        check_id(&"x".repeat(36), true);
        check_id(&"x".repeat(37), false);
        check_id("", false);
        check_id("with space", false);
        check_id("é", false);
    }

    #[test]
    fn generated_ids_are_valid_and_unique() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert_eq!(a.len(), 24);
        assert!(a.starts_with("mbx-"));
        check_id(&a, true);
    }
}
