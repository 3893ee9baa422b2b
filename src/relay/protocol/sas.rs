//! Shared Access Signature tokens, exactly as the official SDKs make and the service checks them:
//!
//! ```text
//! SharedAccessSignature sr={URLENC(resourceUri)}&sig={URLENC(base64(HMAC_SHA256(key, URLENC(resourceUri) + "\n" + se)))}&se={unix seconds}&skn={key name}
//! ```
//!
//! The key is used as its UTF-8 text (not base64-decoded), and the signature covers the encoded
//! `sr` *exactly as sent*, so a verifier keeps the raw string (SDKs differ in hex case).

use base64::Engine;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// What `encodeURIComponent` (Node) and `quote(safe='')` leave alone; uppercase hex otherwise,
/// like every current SDK.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

const PREFIX: &str = "SharedAccessSignature ";

/// Why a SAS token could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SasError {
    #[error(
        "the token does not start with 'SharedAccessSignature ' (it should look like 'SharedAccessSignature sr=…&sig=…&se=…&skn=…')"
    )]
    MissingPrefix,
    #[error("the token has no '{0}=' field (a SAS token needs sr, sig, se and skn)")]
    MissingField(&'static str),
    #[error("the token's '{field}' field is not valid: {why}")]
    BadField { field: &'static str, why: String },
}

/// A parsed SAS token. `Debug` never shows the signature.
#[derive(Clone, PartialEq, Eq)]
pub struct SasToken {
    /// The resource URI, decoded (`http://contoso.servicebus.windows.net/orders`).
    pub resource: String,
    /// `sr` exactly as it appears in the token (what the signature covers).
    pub raw_resource: String,
    /// The base64 signature, decoded from the URL encoding.
    signature: String,
    /// Expiry, in seconds since the Unix epoch.
    pub expiry: i64,
    raw_expiry: String,
    pub key_name: String,
}

impl std::fmt::Debug for SasToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SasToken")
            .field("resource", &self.resource)
            .field("expiry", &self.expiry)
            .field("key_name", &self.key_name)
            .field("signature", &"<redacted>")
            .finish()
    }
}

fn sign(key: &str, string_to_sign: &str) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key.as_bytes());
    let tag = aws_lc_rs::hmac::sign(&key, string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

/// Makes a token for `resource_uri` signed with `key` (the rule's key text), valid until
/// `expiry` (Unix seconds).
pub fn mint(resource_uri: &str, key_name: &str, key: &str, expiry: i64) -> String {
    let sr = utf8_percent_encode(resource_uri, COMPONENT).to_string();
    let signature = sign(key, &format!("{sr}\n{expiry}"));
    format!(
        "{PREFIX}sr={sr}&sig={}&se={expiry}&skn={}",
        utf8_percent_encode(&signature, COMPONENT),
        utf8_percent_encode(key_name, COMPONENT)
    )
}

impl SasToken {
    /// Reads a token (the `SharedAccessSignature ` prefix is matched case-insensitively; field
    /// order does not matter).
    pub fn parse(token: &str) -> Result<Self, SasError> {
        let token = token.trim();
        let body = token
            .get(..PREFIX.len())
            .filter(|p| p.eq_ignore_ascii_case(PREFIX))
            .map(|_| &token[PREFIX.len()..])
            .ok_or(SasError::MissingPrefix)?;
        let (mut sr, mut sig, mut se, mut skn) = (None, None, None, None);
        for field in body.split('&') {
            let (name, value) = field.split_once('=').unwrap_or((field, ""));
            match name {
                "sr" => sr = Some(value),
                "sig" => sig = Some(value),
                "se" => se = Some(value),
                "skn" => skn = Some(value),
                _ => {}
            }
        }
        let decode = |field: &'static str, v: &str| {
            percent_decode_str(v)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|e| SasError::BadField {
                    field,
                    why: e.to_string(),
                })
        };
        let raw_resource = sr.ok_or(SasError::MissingField("sr"))?.to_string();
        let raw_expiry = se.ok_or(SasError::MissingField("se"))?.to_string();
        let expiry = raw_expiry.parse::<i64>().map_err(|_| SasError::BadField {
            field: "se",
            why: format!("'{raw_expiry}' is not a number of seconds since 1970"),
        })?;
        let signature = decode("sig", sig.ok_or(SasError::MissingField("sig"))?)?;
        if signature.is_empty() {
            return Err(SasError::BadField {
                field: "sig",
                why: "it is empty".into(),
            });
        }
        let key_name = decode("skn", skn.ok_or(SasError::MissingField("skn"))?)?;
        let resource = decode("sr", &raw_resource)?;
        if url::Url::parse(&resource).is_err() {
            return Err(SasError::BadField {
                field: "sr",
                why: format!("'{resource}' is not a URI"),
            });
        }
        Ok(Self {
            resource,
            raw_resource,
            signature,
            expiry,
            raw_expiry,
            key_name,
        })
    }

    /// Was it signed with `key`? (Constant time.)
    pub fn signed_with(&self, key: &str) -> bool {
        let expected = sign(key, &format!("{}\n{}", self.raw_resource, self.raw_expiry));
        expected.len() == self.signature.len()
            && expected
                .bytes()
                .zip(self.signature.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    pub fn is_expired_at(&self, now: i64) -> bool {
        self.expiry <= now
    }

    /// Does the token's `sr` cover `host` + `path`? The scheme and port are ignored, the host is
    /// compared case-insensitively, and a token for a path covers everything below it. The `sr`
    /// is read as it was signed: nothing in it is normalised (a URL parser would resolve `..`),
    /// segments are compared one by one, and a `.` or `..` segment, plain or percent-encoded,
    /// makes it cover nothing.
    pub fn covers(&self, host: &str, path: &str) -> bool {
        let Some((sr_host, sr_path)) = split_resource(&self.resource) else {
            return false;
        };
        if !sr_host.eq_ignore_ascii_case(host) {
            return false;
        }
        let scope: Vec<String> = segments(sr_path);
        if scope.iter().any(|s| s == "." || s == "..") {
            return false;
        }
        let target: Vec<String> = segments(path);
        scope.len() <= target.len()
            && scope
                .iter()
                .zip(&target)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    }
}

/// `scheme://host[:port]/path` → (host, path), from the raw text (no normalisation).
fn split_resource(resource: &str) -> Option<(&str, &str)> {
    let (_, rest) = resource.split_once("://")?;
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return None;
    }
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => authority,
    };
    (!host.is_empty()).then_some((host, path))
}

fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "Qm9ndXNLZXlGb3JUZXN0VmVjdG9yc09ubHkxMjM0NTY=";

    /// Our own vector, computed independently with Python's `hmac` and Node's `crypto` (the
    /// algorithm of hyco-ws' `createRelayToken`) and kept in `shared/spec/hybrid-connections.md`
    /// §2. Microsoft's documentation gives the algorithm and code samples but publishes no
    /// key/signature pair to check against.
    #[test]
    fn minting_matches_our_vector_computed_with_python_and_node() {
        let token = mint(
            "http://contoso.servicebus.windows.net/hc1/",
            "RootManageSharedAccessKey",
            KEY,
            1_700_000_000,
        );
        assert_eq!(
            token,
            "SharedAccessSignature sr=http%3A%2F%2Fcontoso.servicebus.windows.net%2Fhc1%2F&sig=ytG1ylP9vcZQXl0dt%2BBYeCJ4oL2A72zQEN1DVOvrDJI%3D&se=1700000000&skn=RootManageSharedAccessKey"
        );
    }

    #[test]
    fn verification_uses_the_raw_sr_whatever_its_hex_case() {
        let upper = SasToken::parse("SharedAccessSignature sr=http%3A%2F%2Fcontoso.servicebus.windows.net%2Fhc1%2F&sig=ytG1ylP9vcZQXl0dt%2BBYeCJ4oL2A72zQEN1DVOvrDJI%3D&se=1700000000&skn=RootManageSharedAccessKey").unwrap();
        assert!(upper.signed_with(KEY));
        assert!(!upper.signed_with("another key"));
        // The same sr in lowercase hex has its own signature (from the spec), and it verifies.
        let lower = SasToken::parse("sharedaccesssignature skn=RootManageSharedAccessKey&se=1700000000&sr=http%3a%2f%2fcontoso.servicebus.windows.net%2fhc1%2f&sig=k0uZHTNPcORJzQYiviz9%2Bo5yoJjaT7eXvQT2FdfSUeo%3D").unwrap();
        assert!(lower.signed_with(KEY));
        assert_eq!(lower.resource, upper.resource);
        assert!(upper.is_expired_at(1_700_000_000));
        assert!(!upper.is_expired_at(1_699_999_999));
    }

    #[test]
    fn dot_segments_never_widen_a_scope() {
        let t = |sr: &str| SasToken::parse(&mint(sr, "k", KEY, 1)).unwrap();
        let host = "contoso.servicebus.windows.net";
        for sr in [
            "sb://contoso.servicebus.windows.net/hc/..",
            "sb://contoso.servicebus.windows.net/hc/%2E%2E",
            "sb://contoso.servicebus.windows.net/hc/%2e%2e/",
            "sb://contoso.servicebus.windows.net/hc/../hc2",
            "sb://contoso.servicebus.windows.net/./hc2",
        ] {
            for path in ["/hc2", "/hc", "/other"] {
                assert!(!t(sr).covers(host, path), "{sr} covers {path}");
            }
        }
        // A name that merely contains dots is a name.
        assert!(t("sb://contoso.servicebus.windows.net/hc..2").covers(host, "/hc..2"));
        // No user info, no empty host.
        assert!(!t("sb://user@contoso.servicebus.windows.net/hc").covers(host, "/hc"));
        assert!(!t("sb:///hc").covers(host, "/hc"));
    }

    #[test]
    fn scope_ignores_scheme_port_and_trailing_slash_and_covers_children() {
        let t = |sr: &str| SasToken::parse(&mint(sr, "k", KEY, 1)).unwrap();
        assert!(
            t("http://contoso.servicebus.windows.net/hc1/")
                .covers("CONTOSO.servicebus.windows.net", "/hc1")
        );
        assert!(
            t("sb://contoso.servicebus.windows.net:443/hc1")
                .covers("contoso.servicebus.windows.net", "/hc1/")
        );
        assert!(
            t("http://contoso.servicebus.windows.net/")
                .covers("contoso.servicebus.windows.net", "/hc1")
        );
        assert!(
            t("http://contoso.servicebus.windows.net/hc1")
                .covers("contoso.servicebus.windows.net", "/hc1/sub/path")
        );
        assert!(
            !t("http://contoso.servicebus.windows.net/hc1")
                .covers("contoso.servicebus.windows.net", "/hc10")
        );
        assert!(
            !t("http://contoso.servicebus.windows.net/hc1")
                .covers("fabrikam.servicebus.windows.net", "/hc1")
        );
        assert!(
            !t("http://contoso.servicebus.windows.net/hc1/x")
                .covers("contoso.servicebus.windows.net", "/hc1")
        );
    }

    #[test]
    fn malformed_tokens_say_what_is_wrong() {
        assert_eq!(
            SasToken::parse("sr=a&sig=b&se=1&skn=k"),
            Err(SasError::MissingPrefix)
        );
        assert_eq!(
            SasToken::parse("SharedAccessSignature sig=b&se=1&skn=k"),
            Err(SasError::MissingField("sr"))
        );
        assert_eq!(
            SasToken::parse("SharedAccessSignature sr=http%3A%2F%2Fa%2F&sig=b&skn=k"),
            Err(SasError::MissingField("se"))
        );
        assert!(matches!(
            SasToken::parse("SharedAccessSignature sr=http%3A%2F%2Fa%2F&sig=b&se=soon&skn=k"),
            Err(SasError::BadField { field: "se", .. })
        ));
        assert!(matches!(
            SasToken::parse("SharedAccessSignature sr=not%20a%20uri&sig=b&se=1&skn=k"),
            Err(SasError::BadField { field: "sr", .. })
        ));
    }

    #[test]
    fn debug_output_hides_the_signature() {
        let t = SasToken::parse(&mint("http://a/b", "k", KEY, 1)).unwrap();
        let shown = format!("{t:?}");
        assert!(shown.contains("<redacted>"));
        assert!(!shown.contains(&t.signature));
    }
}
