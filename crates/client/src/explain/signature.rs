//! The signature checks: present, last, in the right encoding, and, with the
//! key, whether it covers the payload as sent, or which common wrong
//! payload it covers instead.
//!
//! The REST payload (rest-api.md § SIGNED Endpoint Examples; CHANGELOG
//! 2025-12-17): the query string as sent, percent-encoded, immediately
//! followed by the body, without the `signature` pair. The sandbox verifies
//! the same bytes.

use mbx_signing::payload::{
    decode_component, encode_component, rest_payload, split_signature, ws_api_payload,
};
use mbx_signing::{HmacKey, KeyKind, Verifier};

use super::checks::{Analysis, mask_key, shell_text, show};
use super::curl::curl_encode;
use super::finding::{Cause, Finding, Severity};
use super::request::{HandMadeRequest, Param, Part, is_sensitive_name, split_params};
use super::{Context, KeyMaterial};

/// Whether the request's signature matches its payload as sent, under
/// `key`; `None` when the request carries no signature.
///
/// ```
/// use mbx_client::explain::{HandMadeRequest, KeyMaterial, signature_matches};
/// use mbx_signing::{HmacKey, Signer};
///
/// let key = KeyMaterial::Signer(Signer::Hmac(HmacKey::new(b"NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")?));
/// let req = HandMadeRequest::from_payload(
///     "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
///     "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
/// );
/// assert_eq!(signature_matches(&req, &key), Some(true));
/// # Ok::<(), mbx_signing::Error>(())
/// ```
pub fn signature_matches(req: &HandMadeRequest, key: &KeyMaterial) -> Option<bool> {
    let params = req.params();
    let sent = params.iter().find(|param| param.name == "signature")?;
    let signature = sent.value.trim();
    Some(
        key.verifier()
            .verify(expected_payload(req).as_bytes(), signature)
            .is_ok(),
    )
}

/// The bytes Binance verifies for this request.
pub(crate) fn expected_payload(req: &HandMadeRequest) -> String {
    let (query, _) = split_signature(&req.query);
    let (body, _) = split_signature(&req.body);
    rest_payload(&query, &body)
}

pub(crate) fn check(a: &Analysis<'_>, ctx: &Context, findings: &mut Vec<Finding>) {
    let positions: Vec<usize> = a
        .params
        .iter()
        .enumerate()
        .filter(|(_, param)| param.name == "signature")
        .map(|(idx, _)| idx)
        .collect();
    let Some(&first_idx) = positions.first() else {
        if a.needs_signature {
            findings.push(Finding::new(
                Cause::SignatureMissing,
                Severity::Error,
                90,
                format!("{} is signed and needs `signature`; none is sent", a.endpoint_text()),
                "sign the payload (the percent-encoded query string followed by the body) and append `&signature=<hex>` last; Binance answers `-1102` without it",
            ));
        }
        return;
    };
    if let Some(endpoint) = a
        .endpoint
        .filter(|endpoint| !endpoint.security.needs_signature())
    {
        findings.push(Finding::new(
            Cause::SignatureNotNeeded,
            Severity::Info,
            5,
            format!(
                "{} {} is {}: it needs no signature (sending one is harmless)",
                endpoint.method, endpoint.path, endpoint.security
            ),
            "leave out `timestamp` and `signature` for public endpoints",
        ));
        return;
    }
    let first = &a.params[first_idx];
    if positions.len() > 1 {
        findings.push(Finding::new(
            Cause::SignatureRepeated,
            Severity::Error,
            60,
            format!("`signature` is sent {} times", positions.len()),
            "send one `signature`, last; Binance answers duplicates with `-1101`",
        ));
    }
    let same_part_after = a.params[first_idx + 1..]
        .iter()
        .any(|param| param.part == first.part && param.name != "signature");
    if same_part_after {
        findings.push(Finding::new(
            Cause::SignatureNotLast,
            Severity::Warning,
            30,
            format!(
                "`signature` is not the last parameter of the {}",
                first.part
            ),
            "append `signature` last, after everything it signs, as every example in the docs does",
        ));
    }
    if let Some(finding) = shell_text(a, "`signature`", first.raw_value, 90) {
        findings.push(finding);
        return;
    }
    let Some(signature) = read_signature(first, findings) else {
        return;
    };
    let kind = ctx.key.as_ref().map(KeyMaterial::kind);
    if !format_ok(&signature, kind, findings) {
        return;
    }
    match &ctx.key {
        Some(key) => match_payloads(a, key, &signature, findings),
        None => {
            if ctx
                .answer
                .as_ref()
                .is_some_and(|answer| answer.code == Some(-1022))
            {
                findings.push(
                    Finding::new(
                        Cause::SignatureMismatch,
                        Severity::Error,
                        50,
                        "Binance says the signature does not match; without the secret explain cannot tell which text was signed",
                        "give the secret (`BINANCE_API_SECRET`, `--secret-file` or `--key-file`) to find out, and check that it is the secret of this API key",
                    )
                    .evidence(format!("Binance verifies: {}", shown_payload(&expected_payload(a.req)))),
                );
            }
        }
    }
}

/// The signature as Binance reads it, after reporting how it was sent
/// wrongly (openssl prefix, raw `+`, double encoding). `None` when nothing
/// usable is left.
fn read_signature(param: &Param<'_>, findings: &mut Vec<Finding>) -> Option<String> {
    let raw = param.raw_value;
    let decoded = param.value.trim().to_owned();
    if let Some(idx) = decoded.find("(stdin)=") {
        let rest = decoded[idx + "(stdin)=".len()..].trim().to_owned();
        findings.push(
            Finding::new(
                Cause::SignatureHasOpensslPrefix,
                Severity::Error,
                93,
                "The signature still starts with openssl's `(stdin)= ` label",
                "keep only the hex: `signature=$(printf '%s' \"$payload\" | openssl dgst -sha256 -hmac \"$secret\" | sed 's/^.*= //')`",
            )
            .evidence(format!("sent: {}", show(&decoded))),
        );
        return (!rest.is_empty()).then_some(rest);
    }
    if raw.contains("%25") {
        let twice = decode_component(&decoded).map_or(decoded.clone(), |text| text.into_owned());
        findings.push(
            Finding::new(
                Cause::SignatureDoubleEncoded,
                Severity::Error,
                85,
                "The signature is percent-encoded twice (`%25` is an encoded `%`)",
                "encode the signature once: `+` → `%2B`, `/` → `%2F`, `=` → `%3D`",
            )
            .evidence(format!("sent: {raw}")),
        );
        return Some(twice);
    }
    if raw.contains('+') {
        let intended = decode_component(&raw.replace('+', "%2B"))
            .map_or_else(|| raw.to_owned(), |text| text.into_owned());
        findings.push(
            Finding::new(
                Cause::SignatureNotUrlEncoded,
                Severity::Error,
                88,
                "The base64 signature's `+` is sent as it is; the server reads `+` in a URL or form as a space",
                "percent-encode the signature: `+` → `%2B`, `/` → `%2F`, `=` → `%3D` (e.g. `| openssl base64 -A | sed 's/+/%2B/g; s|/|%2F|g; s/=/%3D/g'`)",
            )
            .evidence(format!("sent: {raw}")),
        );
        return Some(intended);
    }
    if raw.contains(['/', '=']) {
        findings.push(Finding::new(
            Cause::SignatureNotUrlEncoded,
            Severity::Warning,
            25,
            "The base64 signature's `/` or `=` is not percent-encoded",
            "percent-encode it as the docs do: `/` → `%2F`, `=` → `%3D`",
        ));
    }
    Some(decoded)
}

/// Whether the signature has the shape its key type produces; reports
/// what is wrong when not.
fn format_ok(signature: &str, kind: Option<KeyKind>, findings: &mut Vec<Finding>) -> bool {
    let is_hex = !signature.is_empty() && signature.bytes().all(|b| b.is_ascii_hexdigit());
    let is_base64 = signature.len().is_multiple_of(4)
        && !signature.is_empty()
        && signature
            .trim_end_matches('=')
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
    let shape = if is_hex {
        format!("{} hex digits", signature.len())
    } else if is_base64 {
        format!("{} base64 characters", signature.len())
    } else {
        format!(
            "{} characters that are neither hex nor base64",
            signature.len()
        )
    };
    let problem = match kind {
        Some(KeyKind::Hmac) if is_hex && signature.len() == 64 => None,
        Some(KeyKind::Hmac) if is_hex && signature.len() == 128 => Some(
            "An HMAC signature is 64 hex digits (SHA-256); this has 128, as SHA-512 gives"
                .to_owned(),
        ),
        Some(KeyKind::Hmac) if is_base64 => Some(format!(
            "An HMAC signature is 64 hex digits; this is {shape} (the digest in base64, or a signature of an Ed25519/RSA key)"
        )),
        Some(KeyKind::Hmac) => Some(format!(
            "An HMAC signature is 64 hex digits; this is {shape}"
        )),
        Some(KeyKind::Ed25519) if is_base64 && signature.len() == 88 => None,
        Some(KeyKind::Ed25519) => Some(format!(
            "An Ed25519 signature is 88 base64 characters; this is {shape}"
        )),
        Some(KeyKind::Rsa) if is_base64 && signature.len() >= 340 => None,
        Some(KeyKind::Rsa) => Some(format!(
            "An RSA signature is base64 (344 characters for a 2048-bit key); this is {shape}"
        )),
        None if (is_hex && signature.len() == 64) || (is_base64 && signature.len() >= 88) => None,
        None => Some(format!(
            "The signature is {shape}: neither an HMAC signature (64 hex digits) nor an Ed25519 (88) or RSA (344+) base64 one"
        )),
    };
    if let Some(what) = problem {
        findings.push(Finding::new(
            Cause::SignatureFormat,
            Severity::Error,
            80,
            what,
            "HMAC keys sign with HMAC-SHA256 in lower-case hex; Ed25519 and RSA keys sign in base64; check that the whole signature was copied",
        ));
        return false;
    }
    if is_hex && signature.bytes().any(|b| b.is_ascii_uppercase()) {
        findings.push(Finding::new(
            Cause::SignatureUppercaseHex,
            Severity::Info,
            5,
            "The HMAC signature is in upper-case hex; Binance accepts either case",
            "nothing to do: HMAC signatures are not case-sensitive",
        ));
    }
    true
}

fn match_payloads(
    a: &Analysis<'_>,
    key: &KeyMaterial,
    signature: &str,
    findings: &mut Vec<Finding>,
) {
    let verifier = key.verifier();
    let expected = expected_payload(a.req);
    if verifier.verify(expected.as_bytes(), signature).is_ok() {
        return;
    }
    if let Some(signer) = key.signer().filter(|signer| signer.kind() != KeyKind::Hmac) {
        let right = signer.sign(expected.as_bytes());
        if right.as_str().eq_ignore_ascii_case(signature) {
            findings.push(Finding::new(
                Cause::SignatureCaseChanged,
                Severity::Error,
                90,
                "The signature is right but its letter case was changed; base64 signatures are case-sensitive",
                "send the base64 text exactly as the signer produced it (only HMAC hex may change case)",
            ));
            return;
        }
    }
    let candidates = candidates(a);
    for candidate in &candidates {
        if verifier
            .verify(candidate.text.as_bytes(), signature)
            .is_ok()
        {
            report(candidate, &expected, None, findings);
            return;
        }
    }
    let api_key = a.keys.first().map(|key| key.value.trim().to_owned());
    if let Some(api_key) = api_key.filter(|key| !key.is_empty())
        && signature.len() == 64
    {
        let with_key = Verifier::Hmac(HmacKey::new_unchecked(api_key.as_bytes()));
        let exact = Candidate {
            causes: Vec::new(),
            text: expected.clone(),
        };
        for candidate in std::iter::once(&exact).chain(&candidates) {
            if with_key
                .verify(candidate.text.as_bytes(), signature)
                .is_ok()
            {
                report(candidate, &expected, Some(&api_key), findings);
                return;
            }
        }
    }
    findings.push(
        Finding::new(
            Cause::SignatureMismatch,
            Severity::Error,
            60,
            "The signature matches neither the payload as sent nor any common wrong payload",
            "check that the secret (or private key) is the one of this API key, sign exactly the bytes below, and send them unchanged; a library that encodes or reorders after signing breaks the signature",
        )
        .evidence(format!("Binance verifies: {}", shown_payload(&expected))),
    );
}

fn report(
    candidate: &Candidate,
    expected: &str,
    api_key: Option<&str>,
    findings: &mut Vec<Finding>,
) {
    let mut causes = candidate.causes.clone();
    if api_key.is_some() {
        causes.insert(0, Cause::SignedWithApiKey);
    }
    for (idx, cause) in causes.iter().enumerate() {
        let (what, fix) = describe(*cause);
        let mut finding = Finding::new(
            *cause,
            Severity::Error,
            if idx == 0 { 95 } else { 90 },
            what,
            fix,
        );
        if idx == 0 {
            if let Some(api_key) = api_key {
                finding =
                    finding.evidence(format!("HMAC key used: the API key {}", mask_key(api_key)));
            }
            if candidate.text != expected {
                finding = finding
                    .evidence(format!("signed:    {}", shown_payload(&candidate.text)))
                    .evidence(format!("should be: {}", shown_payload(expected)));
            }
        }
        findings.push(finding);
    }
}

fn describe(cause: Cause) -> (&'static str, &'static str) {
    match cause {
        Cause::SignedUnencoded => (
            "The signature was computed over the values before percent-encoding, but the encoded text was sent",
            "percent-encode first, sign the encoded text, and send that same text: Binance REST verifies the encoded bytes (enforced since 2026-01-15)",
        ),
        Cause::SignedOtherEncoding => (
            "The signature was computed over a differently percent-encoded text than the one sent (`%20` or `+`, upper- or lower-case hex)",
            "encode once, sign those bytes and send exactly them; don't let a library (or curl's `--data-urlencode`) encode again after signing",
        ),
        Cause::SignedOtherOrder => (
            "The parameters were signed in another order than they are sent",
            "build the query string once, sign it and send it unchanged: Binance signs the parameters in the order they arrive (a dict or a sort can reorder them)",
        ),
        Cause::SignedBodyThenQuery => (
            "The body was signed before the query string",
            "sign the query string followed by the body",
        ),
        Cause::SignedJoinedWithAmpersand => (
            "The query string and the body were joined with `&` before signing, as if the body were part of the query string",
            "Binance's payload is the query string immediately followed by the body, with no `&` between them; or send every parameter in one place",
        ),
        Cause::SignedQueryOnly => (
            "Only the query string was signed; the body's parameters were left out",
            "sign the query string followed by the body, or send every parameter in one place",
        ),
        Cause::SignedBodyOnly => (
            "Only the body was signed; the query string's parameters were left out",
            "sign the query string followed by the body, or send every parameter in one place",
        ),
        Cause::SignedTrailingNewline => (
            "A line break was signed after the text (`echo` without `-n`, or a file's final newline)",
            "sign the text without a line break: `printf '%s' \"$payload\"` or `echo -n \"$payload\"`",
        ),
        Cause::SignedWebSocketPayload => (
            "The signed text is the WebSocket API's payload (parameters sorted by name, not percent-encoded), not REST's",
            "on REST, sign the percent-encoded query string followed by the body, in the order sent; the sorted form is only for the WebSocket API",
        ),
        Cause::SignedSignatureParameter => (
            "The `signature=` parameter itself was part of the signed text",
            "sign everything except `signature`, then append `&signature=<signature>` last",
        ),
        Cause::SignedUrl => (
            "The URL, or its `?`, was part of the signed text",
            "sign only the parameters, `name=value&...`, without `?`, path or host",
        ),
        Cause::SignedWithApiKey => (
            "The HMAC was keyed with the API key instead of the secret key",
            "use the secret key (shown once when the API key was made) as the HMAC key; the API key only goes in `X-MBX-APIKEY`",
        ),
        _ => (
            "The signature does not match",
            "sign exactly the bytes that are sent",
        ),
    }
}

/// A wrong text somebody may have signed, and why they would have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub causes: Vec<Cause>,
    pub text: String,
}

/// The common wrong payloads for this request, most telling first, each
/// different from the right payload and from each other.
pub(crate) fn candidates(a: &Analysis<'_>) -> Vec<Candidate> {
    let req = a.req;
    let (query, _) = split_signature(&req.query);
    let (body, _) = split_signature(&req.body);
    let (query, body) = (query.as_ref(), body.as_ref());
    let expected = rest_payload(query, body);
    let query_params = split_params(query, Part::Query);
    let body_params = split_params(body, Part::Body);
    let all: Vec<&Param<'_>> = query_params.iter().chain(&body_params).collect();
    let mut base: Vec<(Cause, String)> = Vec::new();

    let join = |params: &[Param<'_>], encode: &dyn Fn(&str) -> String| {
        params
            .iter()
            .map(|param| {
                if param.has_equals {
                    format!("{}={}", encode(&param.name), encode(&param.value))
                } else {
                    encode(&param.name)
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    };
    let as_is = |text: &str| text.to_owned();
    base.push((
        Cause::SignedUnencoded,
        format!(
            "{}{}",
            join(&query_params, &as_is),
            join(&body_params, &as_is)
        ),
    ));
    let encoders: [&dyn Fn(&str) -> String; 4] = [
        &|text| encode_component(text).into_owned(),
        &|text| encode_component(text).replace("%20", "+"),
        &curl_encode,
        &|text| curl_encode(text).replace('+', "%20"),
    ];
    for encode in encoders {
        base.push((
            Cause::SignedOtherEncoding,
            format!(
                "{}{}",
                join(&query_params, encode),
                join(&body_params, encode)
            ),
        ));
    }
    if !query.is_empty() && !body.is_empty() {
        base.push((Cause::SignedJoinedWithAmpersand, format!("{query}&{body}")));
        base.push((Cause::SignedBodyThenQuery, format!("{body}{query}")));
        base.push((Cause::SignedQueryOnly, query.to_owned()));
        base.push((Cause::SignedBodyOnly, body.to_owned()));
    }
    let mut sorted = all.clone();
    sorted.sort_by(|x, y| x.name.as_bytes().cmp(y.name.as_bytes()));
    base.push((Cause::SignedOtherOrder, raw_join(&sorted)));
    for name in ["timestamp", "recvWindow"] {
        let (moved, rest): (Vec<&Param<'_>>, Vec<&Param<'_>>) =
            all.iter().partition(|param| param.name == name);
        if moved.is_empty() {
            continue;
        }
        let mut last = rest.clone();
        last.extend(&moved);
        let mut first = moved.clone();
        first.extend(rest);
        // Only orders that differ from the one sent: a timestamp already
        // last is not "moved last" (that text is the query and body joined
        // with `&`).
        let same_order =
            |order: &[&Param<'_>]| order.iter().zip(&all).all(|(x, y)| std::ptr::eq(*x, *y));
        for order in [last, first] {
            if !same_order(&order) {
                base.push((Cause::SignedOtherOrder, raw_join(&order)));
            }
        }
    }
    let decoded: Vec<(&str, &str)> = all
        .iter()
        .map(|param| (param.name.as_ref(), param.value.as_ref()))
        .collect();
    base.push((
        Cause::SignedWebSocketPayload,
        ws_api_payload(decoded.iter().copied()),
    ));
    if let Some(key) = a.keys.first()
        && !decoded.iter().any(|(name, _)| *name == "apiKey")
    {
        let mut with_key = decoded.clone();
        with_key.push(("apiKey", key.value.trim()));
        base.push((Cause::SignedWebSocketPayload, ws_api_payload(with_key)));
    }
    let with_signature_name = |text: &str, bare: bool| {
        text.split('&')
            .map(|pair| {
                if pair.starts_with("signature=") {
                    if bare { "signature" } else { "signature=" }
                } else {
                    pair
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    };
    for bare in [false, true] {
        base.push((
            Cause::SignedSignatureParameter,
            format!(
                "{}{}",
                with_signature_name(&req.query, bare),
                with_signature_name(&req.body, bare)
            ),
        ));
    }
    base.push((Cause::SignedUrl, format!("?{expected}")));
    if let Some(path) = &req.path {
        base.push((Cause::SignedUrl, format!("{path}?{expected}")));
        if let Some(origin) = req.origin() {
            base.push((Cause::SignedUrl, format!("{origin}{path}?{expected}")));
        }
    }

    let mut res: Vec<Candidate> = Vec::new();
    let mut push = |causes: Vec<Cause>, text: String| {
        if text != expected && !res.iter().any(|candidate| candidate.text == text) {
            res.push(Candidate { causes, text });
        }
    };
    push(vec![Cause::SignedTrailingNewline], format!("{expected}\n"));
    push(
        vec![Cause::SignedTrailingNewline],
        format!("{expected}\r\n"),
    );
    for (cause, text) in &base {
        push(vec![*cause], text.clone());
    }
    for (cause, text) in base {
        push(
            vec![cause, Cause::SignedTrailingNewline],
            format!("{text}\n"),
        );
    }
    res
}

fn raw_join(params: &[&Param<'_>]) -> String {
    params
        .iter()
        .map(|param| param.raw)
        .collect::<Vec<_>>()
        .join("&")
}

/// A payload for evidence: API keys shortened, control characters escaped.
fn shown_payload(text: &str) -> String {
    let masked: Vec<String> = text
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if is_sensitive_name(name) && name != "signature" => {
                format!("{name}={}", mask_key(value))
            }
            _ => pair.to_owned(),
        })
        .collect();
    show(&masked.join("&"))
}
