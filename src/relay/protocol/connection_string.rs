//! Relay connection strings, parsed as `RelayConnectionStringBuilder` does:
//!
//! ```text
//! Endpoint=sb://{ns}.servicebus.windows.net/;SharedAccessKeyName={rule};SharedAccessKey={key}[;EntityPath={hc}]
//! Endpoint=sb://{ns}.servicebus.windows.net/;SharedAccessSignature=SharedAccessSignature sr=…[;EntityPath={hc}]
//! Endpoint=sb://{ns}.servicebus.windows.net/;Authentication=Managed Identity[;EntityPath={hc}]
//! ```
//!
//! Entries are split on `;` (empty ones dropped), then on the first `=`; key names are
//! case-insensitive; an unknown key is an error. `Debug` and `Display` never show a key.

use super::sas::SasToken;

/// Why a connection string was refused: each names the part that is wrong.
/// The longest connection string taken: Azure's are a few hundred bytes (a SAS one a little
/// more); anything near this is a paste gone wrong.
pub const MAX_LENGTH: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionStringError {
    #[error("the connection string is empty")]
    Empty,
    #[error(
        "the connection string is {0} bytes long: a Relay connection string is a few hundred (at most {MAX_LENGTH}); check what was pasted"
    )]
    TooLong(usize),
    #[error(
        "the connection string holds a control character (U+{0:04X}) at character {1}: copy it again without line breaks or tabs"
    )]
    ControlCharacter(u32, usize),
    #[error("the part '{0}' has no '=' (each part is Name=Value, separated by ';')")]
    NotAPair(String),
    #[error(
        "'{0}' is not a connection string setting (known: Endpoint, SharedAccessKeyName, SharedAccessKey, SharedAccessSignature, EntityPath, Authentication, OperationTimeout)"
    )]
    UnknownKey(String),
    #[error("'{0}' appears twice")]
    Repeated(String),
    #[error(
        "the Endpoint is missing (it looks like Endpoint=sb://contoso.servicebus.windows.net/)"
    )]
    MissingEndpoint,
    #[error(
        "the Endpoint '{0}' is not valid: it must be an sb:// address such as sb://contoso.servicebus.windows.net/"
    )]
    BadEndpoint(String),
    #[error("SharedAccessKeyName is given without SharedAccessKey (or the reverse): give both")]
    KeyWithoutName,
    #[error("SharedAccessSignature cannot be combined with SharedAccessKeyName or SharedAccessKey")]
    SignatureAndKey,
    #[error("the SharedAccessSignature is not valid: {0}")]
    BadSignature(String),
    #[error("Authentication='{0}' is not supported: the only value is 'Managed Identity'")]
    BadAuthentication(String),
    #[error(
        "the connection string has no credential: add SharedAccessKeyName and SharedAccessKey, or SharedAccessSignature"
    )]
    NoCredential,
    #[error("EntityPath is empty")]
    EmptyEntityPath,
}

/// How a connection string authenticates.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    Key { name: String, key: String },
    Signature(String),
    ManagedIdentity,
}

#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionString {
    /// The namespace address (`sb://host[:port]/`).
    pub endpoint: url::Url,
    pub credential: Credential,
    pub entity_path: Option<String>,
}

impl ConnectionString {
    pub fn parse(text: &str) -> Result<Self, ConnectionStringError> {
        if text.len() > MAX_LENGTH {
            return Err(ConnectionStringError::TooLong(text.len()));
        }
        // Around it, white space (a pasted line break) is forgiven; inside it, not.
        if let Some((i, c)) = text
            .trim()
            .chars()
            .enumerate()
            .find(|(_, c)| c.is_control())
        {
            return Err(ConnectionStringError::ControlCharacter(c as u32, i + 1));
        }
        let mut endpoint = None;
        let (mut key_name, mut key, mut signature, mut entity, mut authentication) =
            (None, None, None, None, None);
        let parts: Vec<&str> = text
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if parts.is_empty() {
            return Err(ConnectionStringError::Empty);
        }
        for part in parts {
            let (name, value) = part.split_once('=').ok_or_else(|| {
                ConnectionStringError::NotAPair(
                    part.split(['=', ' ']).next().unwrap_or(part).to_string(),
                )
            })?;
            let slot = match name.trim().to_ascii_lowercase().as_str() {
                "endpoint" => &mut endpoint,
                "sharedaccesskeyname" => &mut key_name,
                "sharedaccesskey" => &mut key,
                "sharedaccesssignature" => &mut signature,
                "entitypath" => &mut entity,
                "authentication" => &mut authentication,
                "operationtimeout" => continue,
                _ => return Err(ConnectionStringError::UnknownKey(name.trim().to_string())),
            };
            if slot.is_some() {
                return Err(ConnectionStringError::Repeated(name.trim().to_string()));
            }
            *slot = Some(value.trim().to_string());
        }
        let endpoint_text = endpoint.ok_or(ConnectionStringError::MissingEndpoint)?;
        let endpoint = url::Url::parse(&endpoint_text)
            .ok()
            .filter(|u| u.scheme() == "sb" && u.host_str().is_some_and(|h| !h.is_empty()))
            .ok_or_else(|| ConnectionStringError::BadEndpoint(endpoint_text.clone()))?;
        let credential = match (key_name, key, signature, authentication) {
            (Some(_), None, _, _) | (None, Some(_), _, _) => {
                return Err(ConnectionStringError::KeyWithoutName);
            }
            (Some(_), Some(_), Some(_), _) => return Err(ConnectionStringError::SignatureAndKey),
            (Some(name), Some(key), None, _) => Credential::Key { name, key },
            (None, None, Some(sig), _) => {
                SasToken::parse(&sig)
                    .map_err(|e| ConnectionStringError::BadSignature(e.to_string()))?;
                Credential::Signature(sig)
            }
            (None, None, None, Some(a)) => {
                if a.replace(' ', "").eq_ignore_ascii_case("ManagedIdentity") {
                    Credential::ManagedIdentity
                } else {
                    return Err(ConnectionStringError::BadAuthentication(a));
                }
            }
            (None, None, None, None) => return Err(ConnectionStringError::NoCredential),
        };
        if entity.as_deref() == Some("") {
            return Err(ConnectionStringError::EmptyEntityPath);
        }
        Ok(Self {
            endpoint,
            credential,
            entity_path: entity,
        })
    }

    /// `host[:port]` of the namespace.
    pub fn namespace_host(&self) -> String {
        let host = self.endpoint.host_str().unwrap_or_default();
        match self.endpoint.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        }
    }

    /// The SAS resource URI for an entity, as the .NET SDK forms it: `http://{host}/{entity}`
    /// (scheme http, no port).
    pub fn resource_uri(&self, entity: Option<&str>) -> String {
        let host = self.endpoint.host_str().unwrap_or_default();
        match entity.or(self.entity_path.as_deref()) {
            Some(e) => format!("http://{host}/{}", e.trim_matches('/')),
            None => format!("http://{host}/"),
        }
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credential::Key { name, .. } => write!(f, "Key {{ name: {name:?}, key: *** }}"),
            Credential::Signature(_) => write!(f, "Signature(***)"),
            Credential::ManagedIdentity => write!(f, "ManagedIdentity"),
        }
    }
}

impl std::fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

/// Shows the connection string with its secret replaced by `***`.
impl std::fmt::Display for ConnectionString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Endpoint={}", self.endpoint)?;
        match &self.credential {
            Credential::Key { name, .. } => {
                write!(f, ";SharedAccessKeyName={name};SharedAccessKey=***")?
            }
            Credential::Signature(_) => write!(f, ";SharedAccessSignature=***")?,
            Credential::ManagedIdentity => write!(f, ";Authentication=Managed Identity")?,
        }
        if let Some(e) = &self.entity_path {
            write!(f, ";EntityPath={e}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_strings_and_control_characters_are_refused_by_name() {
        let good =
            "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=v";
        assert!(ConnectionString::parse(&format!("  {good}\n")).is_ok());
        let huge = format!("{good};EntityPath={}", "x".repeat(100_000));
        assert!(matches!(
            ConnectionString::parse(&huge),
            Err(ConnectionStringError::TooLong(n)) if n > 100_000
        ));
        let e = ConnectionString::parse(&huge).unwrap_err().to_string();
        assert!(e.len() < 200, "the error repeats the input: {e}");
        for (bad, code) in [
            (
                good.replace("SharedAccessKey=v", "SharedAccessKey=v\u{7}"),
                7,
            ),
            (good.replace(";Shared", ";\tShared"), 9),
            (good.replace(";Shared", "\n;Shared"), 10),
        ] {
            let at = bad.trim().chars().position(|c| c.is_control()).unwrap() + 1;
            assert_eq!(
                ConnectionString::parse(&bad),
                Err(ConnectionStringError::ControlCharacter(code, at)),
                "{bad:?}"
            );
        }
    }

    use ConnectionStringError as E;

    #[test]
    fn the_official_forms_parse() {
        let cs = ConnectionString::parse("Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=abc=;EntityPath=orders").unwrap();
        assert_eq!(cs.namespace_host(), "contoso.servicebus.windows.net");
        assert_eq!(
            cs.credential,
            Credential::Key {
                name: "RootManageSharedAccessKey".into(),
                key: "abc=".into()
            }
        );
        assert_eq!(cs.entity_path.as_deref(), Some("orders"));
        assert_eq!(
            cs.resource_uri(None),
            "http://contoso.servicebus.windows.net/orders"
        );
        let local = ConnectionString::parse(
            "endpoint=sb://localhost:9443/;sharedaccesskeyname=k;sharedaccesskey=v;",
        )
        .unwrap();
        assert_eq!(local.namespace_host(), "localhost:9443");
        assert_eq!(local.resource_uri(Some("echo")), "http://localhost/echo");
        let sig =
            super::super::sas::mint("http://contoso.servicebus.windows.net/orders", "k", "v", 1);
        let with_sig = ConnectionString::parse(&format!(
            "Endpoint=sb://contoso.servicebus.windows.net/;SharedAccessSignature={sig}"
        ))
        .unwrap();
        assert_eq!(with_sig.credential, Credential::Signature(sig));
        let mi = ConnectionString::parse(
            "Endpoint=sb://contoso.servicebus.windows.net/;Authentication=Managed Identity",
        )
        .unwrap();
        assert_eq!(mi.credential, Credential::ManagedIdentity);
    }

    #[test]
    fn bad_strings_name_the_part_that_is_wrong() {
        let cases: &[(&str, E)] = &[
            ("", E::Empty),
            (
                "Endpoint=sb://a/;SharedAccessKeyName=k;SharedAccessKey=v;Colour=blue",
                E::UnknownKey("Colour".into()),
            ),
            (
                "Endpoint=sb://a/;SharedAccessKeyName=k;SharedAccessKey",
                E::NotAPair("SharedAccessKey".into()),
            ),
            (
                "SharedAccessKeyName=k;SharedAccessKey=v",
                E::MissingEndpoint,
            ),
            (
                "Endpoint=https://a/;SharedAccessKeyName=k;SharedAccessKey=v",
                E::BadEndpoint("https://a/".into()),
            ),
            ("Endpoint=sb://a/;SharedAccessKeyName=k", E::KeyWithoutName),
            ("Endpoint=sb://a/;SharedAccessKey=v", E::KeyWithoutName),
            ("Endpoint=sb://a/", E::NoCredential),
            (
                "Endpoint=sb://a/;Authentication=Password",
                E::BadAuthentication("Password".into()),
            ),
            (
                "Endpoint=sb://a/;Endpoint=sb://b/;SharedAccessKeyName=k;SharedAccessKey=v",
                E::Repeated("Endpoint".into()),
            ),
            (
                "Endpoint=sb://a/;SharedAccessKeyName=k;SharedAccessKey=v;EntityPath=",
                E::EmptyEntityPath,
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                ConnectionString::parse(text).as_ref(),
                Err(expected),
                "{text}"
            );
        }
        assert!(matches!(
            ConnectionString::parse("Endpoint=sb://a/;SharedAccessSignature=garbage"),
            Err(E::BadSignature(_))
        ));
    }

    #[test]
    fn keys_never_show() {
        let cs = ConnectionString::parse(
            "Endpoint=sb://a/;SharedAccessKeyName=k;SharedAccessKey=TOPSECRET",
        )
        .unwrap();
        assert!(!format!("{cs} {cs:?}").contains("TOPSECRET"));
    }
}
