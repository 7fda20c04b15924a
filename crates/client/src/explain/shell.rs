//! Splits a pasted shell command line into words, the way bash would before
//! running it, without running or expanding anything.
//!
//! Quotes (`'..'`, `".."`, `$'..'`, `$".."`), backslash escapes and
//! backslash-newline continuations are resolved. Expansions (`$VAR`,
//! `${VAR}`, `$(..)`, `` `..` ``) stay as text, spaces inside `$(..)`
//! included, so that `timestamp=$(date +%s)` is one word. Commands are
//! separated at unquoted `|`, `;`, `&` and line ends; `#` at the start of a
//! word begins a comment.

use std::fmt;

/// Why a command line could not be split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ShellError {
    /// A quote was opened and never closed.
    Unterminated(char),
}

impl fmt::Display for ShellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShellError::Unterminated(quote) => {
                write!(f, "a `{quote}` quote is opened and never closed")
            }
        }
    }
}

/// One simple command: its words and the operator that ended it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    /// The words, quotes resolved.
    pub words: Vec<String>,
    /// `|`, `;`, `&` or a line end; `None` at the end of the text.
    pub ended_by: Option<char>,
    /// The expansions the shell would have replaced (`$VAR`, `$(..)`,
    /// `` `..` ``, outside single quotes), as written; they stay as text in
    /// the words.
    pub expansions: Vec<String>,
}

/// The commands of `text`, each as its words.
pub(crate) fn commands(text: &str) -> Result<Vec<Command>, ShellError> {
    let bytes = text.as_bytes();
    let mut commands: Vec<Command> = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word: Vec<u8> = Vec::new();
    let mut expansions: Vec<String> = Vec::new();
    let mut in_word = false;
    let mut idx = 0;
    let end_word = |word: &mut Vec<u8>, words: &mut Vec<String>, in_word: &mut bool| {
        if *in_word {
            words.push(String::from_utf8_lossy(word).into_owned());
            word.clear();
            *in_word = false;
        }
    };
    while idx < bytes.len() {
        let byte = bytes[idx];
        match byte {
            b'\\' => {
                match bytes.get(idx + 1) {
                    Some(b'\n') => {}
                    Some(b'\r') if bytes.get(idx + 2) == Some(&b'\n') => idx += 1,
                    Some(&next) => {
                        word.push(next);
                        in_word = true;
                    }
                    None => {}
                }
                idx += 2;
            }
            b' ' | b'\t' | b'\r' => {
                end_word(&mut word, &mut words, &mut in_word);
                idx += 1;
            }
            b'\n' | b'|' | b';' | b'&' => {
                end_word(&mut word, &mut words, &mut in_word);
                if !words.is_empty() {
                    commands.push(Command {
                        words: std::mem::take(&mut words),
                        ended_by: Some(byte as char),
                        expansions: std::mem::take(&mut expansions),
                    });
                }
                idx += 1;
            }
            b'#' if !in_word => {
                while idx < bytes.len() && bytes[idx] != b'\n' {
                    idx += 1;
                }
            }
            b'\'' => {
                let close = find(bytes, idx + 1, b'\'').ok_or(ShellError::Unterminated('\''))?;
                word.extend_from_slice(&bytes[idx + 1..close]);
                in_word = true;
                idx = close + 1;
            }
            b'"' => {
                idx = double_quoted(bytes, idx + 1, &mut word, &mut expansions)?;
                in_word = true;
            }
            b'$' if bytes.get(idx + 1) == Some(&b'\'') => {
                idx = ansi_c_quoted(bytes, idx + 2, &mut word)?;
                in_word = true;
            }
            b'$' if bytes.get(idx + 1) == Some(&b'"') => {
                idx = double_quoted(bytes, idx + 2, &mut word, &mut expansions)?;
                in_word = true;
            }
            b'$' | b'`' => {
                idx = expansion(bytes, idx, &mut word, &mut expansions)?;
                in_word = true;
            }
            _ => {
                word.push(byte);
                in_word = true;
                idx += 1;
            }
        }
    }
    end_word(&mut word, &mut words, &mut in_word);
    if !words.is_empty() {
        commands.push(Command {
            words,
            ended_by: None,
            expansions,
        });
    }
    Ok(commands)
}

fn find(bytes: &[u8], from: usize, target: u8) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&b| b == target)
        .map(|pos| from + pos)
}

/// The index of the `)` that closes the `(` at `open`, skipping quoted text.
fn matching_paren(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut idx = open;
    while idx < bytes.len() {
        match bytes[idx] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(idx);
                }
            }
            b'\'' => idx = find(bytes, idx + 1, b'\'')?,
            b'"' => {
                let mut scan = idx + 1;
                while scan < bytes.len() && bytes[scan] != b'"' {
                    scan += if bytes[scan] == b'\\' { 2 } else { 1 };
                }
                idx = scan;
            }
            b'\\' => idx += 1,
            _ => {}
        }
        idx += 1;
    }
    None
}

/// Reads a double-quoted string starting after its `"`; returns the index
/// after the closing quote.
fn double_quoted(
    bytes: &[u8],
    mut idx: usize,
    word: &mut Vec<u8>,
    expansions: &mut Vec<String>,
) -> Result<usize, ShellError> {
    while idx < bytes.len() {
        match bytes[idx] {
            b'"' => return Ok(idx + 1),
            b'\\' => match bytes.get(idx + 1) {
                Some(b'\n') => idx += 2,
                Some(&next @ (b'"' | b'\\' | b'$' | b'`')) => {
                    word.push(next);
                    idx += 2;
                }
                _ => {
                    word.push(b'\\');
                    idx += 1;
                }
            },
            b'$' | b'`' => idx = expansion(bytes, idx, word, expansions)?,
            byte => {
                word.push(byte);
                idx += 1;
            }
        }
    }
    Err(ShellError::Unterminated('"'))
}

/// At a `$` or a backtick: copies the expansion (`$(..)`, `${..}`, `$NAME`,
/// `$1`, `$?`, `` `..` ``) into the word as text, records it, and returns
/// the index after it. A `$` that starts no expansion is a plain `$`.
fn expansion(
    bytes: &[u8],
    idx: usize,
    word: &mut Vec<u8>,
    expansions: &mut Vec<String>,
) -> Result<usize, ShellError> {
    let end = match (bytes[idx], bytes.get(idx + 1).copied()) {
        (b'`', _) => find(bytes, idx + 1, b'`').ok_or(ShellError::Unterminated('`'))? + 1,
        (_, Some(b'(')) => matching_paren(bytes, idx + 1).ok_or(ShellError::Unterminated('('))? + 1,
        (_, Some(b'{')) => find(bytes, idx + 2, b'}').ok_or(ShellError::Unterminated('{'))? + 1,
        (_, Some(c))
            if c.is_ascii_digit() || matches!(c, b'?' | b'$' | b'#' | b'@' | b'*' | b'!') =>
        {
            idx + 2
        }
        (_, Some(c)) if c.is_ascii_alphabetic() || c == b'_' => {
            let name_len = bytes[idx + 1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            idx + 1 + name_len
        }
        _ => {
            word.push(b'$');
            return Ok(idx + 1);
        }
    };
    let text = &bytes[idx..end];
    word.extend_from_slice(text);
    expansions.push(String::from_utf8_lossy(text).into_owned());
    Ok(end)
}

/// Reads a `$'..'` string starting after its `'`, resolving bash's ANSI-C
/// escapes (`\n`, `\t`, `\xHH`, `\NNN` octal, `\uHHHH`, ...).
fn ansi_c_quoted(bytes: &[u8], mut idx: usize, word: &mut Vec<u8>) -> Result<usize, ShellError> {
    while idx < bytes.len() {
        match bytes[idx] {
            b'\'' => return Ok(idx + 1),
            b'\\' => {
                let Some(&kind) = bytes.get(idx + 1) else {
                    break;
                };
                idx += 2;
                match kind {
                    b'n' => word.push(b'\n'),
                    b't' => word.push(b'\t'),
                    b'r' => word.push(b'\r'),
                    b'a' => word.push(0x07),
                    b'b' => word.push(0x08),
                    b'e' | b'E' => word.push(0x1b),
                    b'f' => word.push(0x0c),
                    b'v' => word.push(0x0b),
                    b'0'..=b'7' => {
                        let (value, used) = digits(&bytes[idx - 1..], 8, 3);
                        word.push(value as u8);
                        idx += used - 1;
                    }
                    b'x' => {
                        let (value, used) = digits(&bytes[idx..], 16, 2);
                        if used == 0 {
                            word.extend_from_slice(b"\\x");
                        } else {
                            word.push(value as u8);
                            idx += used;
                        }
                    }
                    b'u' | b'U' => {
                        let max = if kind == b'u' { 4 } else { 8 };
                        let (value, used) = digits(&bytes[idx..], 16, max);
                        match char::from_u32(value).filter(|_| used > 0) {
                            Some(c) => {
                                let mut buf = [0u8; 4];
                                word.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                                idx += used;
                            }
                            None => word.extend_from_slice(&[b'\\', kind]),
                        }
                    }
                    other => word.push(other),
                }
            }
            byte => {
                word.push(byte);
                idx += 1;
            }
        }
    }
    Err(ShellError::Unterminated('\''))
}

/// Up to `max` digits of `radix` at the start of `bytes`: the value and how
/// many were read.
fn digits(bytes: &[u8], radix: u32, max: usize) -> (u32, usize) {
    let mut value = 0u32;
    let mut used = 0;
    for &byte in bytes.iter().take(max) {
        match (byte as char).to_digit(radix) {
            Some(digit) => {
                value = value * radix + digit;
                used += 1;
            }
            None => break,
        }
    }
    (value, used)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, expected: &[&[&str]]) {
        let got: Vec<Vec<String>> = commands(text)
            .unwrap()
            .into_iter()
            .map(|command| command.words)
            .collect();
        let expected: Vec<Vec<String>> = expected
            .iter()
            .map(|words| words.iter().map(|w| (*w).to_owned()).collect())
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn plain_words() {
        check("curl -s  https://a", &[&["curl", "-s", "https://a"]]);
    }
    #[test]
    fn single_quotes_keep_everything() {
        check(r#"echo 'a "b" $c \d'"#, &[&["echo", r#"a "b" $c \d"#]]);
    }
    #[test]
    fn double_quotes_resolve_some_escapes() {
        check(r#"echo "a \"b\" \$c \d""#, &[&["echo", r#"a "b" $c \d"#]]);
    }
    #[test]
    fn adjacent_quotes_join() {
        check(r#"echo 'a'"b"c"#, &[&["echo", "abc"]]);
    }
    #[test]
    fn continuations() {
        check(
            "curl \\\n  -H 'X: y' \\\r\n  https://a",
            &[&["curl", "-H", "X: y", "https://a"]],
        );
        check("echo \"a\\\nb\"", &[&["echo", "ab"]]);
    }
    #[test]
    fn ansi_c_quotes() {
        check(
            r"echo $'a\nb\tc\x41\101\u00e9\''",
            &[&["echo", "a\nb\tcAAé'"]],
        );
        check(r"echo $'\357\274\221'", &[&["echo", "１"]]);
    }
    #[test]
    fn expansions_stay_text() {
        check(
            r#"curl "https://a/?timestamp=$(date +%s)&x=$X" `date +%s`"#,
            &[&[
                "curl",
                "https://a/?timestamp=$(date +%s)&x=$X",
                "`date +%s`",
            ]],
        );
        check(
            "echo a=$(date +%s | cut -c1)",
            &[&["echo", "a=$(date +%s | cut -c1)"]],
        );
    }
    #[test]
    fn commands_split_at_operators() {
        check(
            "ts=1; curl a | jq . && echo done # note\nnext",
            &[
                &["ts=1"],
                &["curl", "a"],
                &["jq", "."],
                &["echo", "done"],
                &["next"],
            ],
        );
    }
    #[test]
    fn unterminated_quote_is_an_error() {
        assert_eq!(commands("echo 'a"), Err(ShellError::Unterminated('\'')));
        assert_eq!(commands("echo \"a"), Err(ShellError::Unterminated('"')));
        assert_eq!(commands("a & b").unwrap()[0].ended_by, Some('&'));
        assert_eq!(
            commands("echo ${a").unwrap_err(),
            ShellError::Unterminated('{')
        );
    }

    #[test]
    fn expansions_are_recorded_outside_single_quotes() {
        let command = &commands(r#"curl "a=$A&b=${B}&c=$(date +%s)" d=`e` '$F' $ 5$"#).unwrap()[0];
        assert_eq!(command.expansions, ["$A", "${B}", "$(date +%s)", "`e`"]);
        assert_eq!(command.words[3], "$F");
        assert_eq!(command.words[4], "$");
        assert_eq!(command.words[5], "5$");
    }
}
