//! Tokens as Entra ID issues them: RS256-signed JWTs with Azure's claims, and their validation
//! as Azure's resource servers (ARM, Graph, Relay) do it.

use std::path::Path;

use anyhow::{Context, Result};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, jwk::Jwk};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

const SIGNING_KEY_FILE: &str = "token-signing-key.pem";
/// Clock skew Azure tolerates on `exp`/`nbf`.
pub const CLOCK_SKEW_SECS: u64 = 300;

/// Who a token is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A person, signed in through a public client (device code).
    User {
        object_id: String,
        upn: String,
        name: String,
        client_id: String,
    },
    /// An app (client secret) or a managed identity: app-only.
    App {
        object_id: String,
        client_id: String,
        name: String,
        managed_identity_resource: Option<String>,
    },
}

impl Principal {
    pub fn object_id(&self) -> &str {
        match self {
            Principal::User { object_id, .. } | Principal::App { object_id, .. } => object_id,
        }
    }
    pub fn client_id(&self) -> &str {
        match self {
            Principal::User { client_id, .. } | Principal::App { client_id, .. } => client_id,
        }
    }
}

/// The validated caller behind a bearer token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Caller {
    pub object_id: String,
    pub client_id: String,
    pub tenant_id: String,
    pub audience: String,
    pub is_user: bool,
    pub upn: Option<String>,
    pub expires_at: i64,
}

impl Caller {
    /// How ARM names the caller in an `AuthorizationFailed` message.
    pub fn display_id(&self) -> &str {
        self.upn.as_deref().unwrap_or(&self.client_id)
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the access token is missing")]
    Missing,
    #[error("the access token is malformed or its signature is invalid: {0}")]
    Invalid(String),
    #[error("the access token expired at {expired_at} (UTC)")]
    Expired { expired_at: String },
    #[error("the access token has been obtained for wrong audience or resource '{0}'")]
    WrongAudience(String),
    #[error("the access token is from the wrong issuer '{0}'")]
    WrongIssuer(String),
}

/// Signs and checks tokens with the emulator's RSA key (kept in the state folder).
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    jwk: Value,
    /// `https://host:port` of the emulated login endpoint.
    pub authority: String,
}

impl TokenService {
    pub fn load_or_create(state_dir: &Path, authority: &str) -> Result<Self> {
        let path = state_dir.join(SIGNING_KEY_FILE);
        let pem = if path.exists() {
            std::fs::read_to_string(&path)
                .with_context(|| format!("reading the token signing key {}", path.display()))?
        } else {
            let key =
                rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                    .context("generating the token signing key")?;
            let pem = key.serialize_pem();
            super::state::write_private(&path, pem.as_bytes())?;
            pem
        };
        Self::from_pem(&pem, authority)
            .with_context(|| format!("the token signing key {} is damaged; delete it to make a new one (issued tokens become invalid)", path.display()))
    }

    pub fn from_pem(pem: &str, authority: &str) -> Result<Self> {
        let encoding = EncodingKey::from_rsa_pem(pem.as_bytes())?;
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256)?;
        let thumbprint = jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)?;
        let kid: String = thumbprint.chars().take(27).collect();
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        let decoding = DecodingKey::from_jwk(&jwk)?;
        let jwk = serde_json::to_value(&jwk)?;
        Ok(Self {
            encoding,
            decoding,
            kid,
            jwk,
            authority: authority.trim_end_matches('/').to_string(),
        })
    }

    /// The JWKS document (`/{tenant}/discovery/v2.0/keys`).
    pub fn jwks(&self, tenant: &str) -> Value {
        let mut key = self.jwk.clone();
        key["x5t"] = json!(self.kid);
        key["issuer"] = json!(self.issuer_v2(tenant));
        json!({ "keys": [key] })
    }

    /// `iss` of v1.0 access tokens (what ARM, Graph and Relay receive).
    pub fn issuer_v1(&self, tenant: &str) -> String {
        format!("{}/{}/", self.authority, tenant)
    }

    /// `iss` of v2.0 tokens and of the OpenID configuration.
    pub fn issuer_v2(&self, tenant: &str) -> String {
        format!("{}/{}/v2.0", self.authority, tenant)
    }

    fn sign(&self, claims: &Value) -> Result<String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".into());
        header.x5t = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &self.encoding)?)
    }

    /// A v1.0 access token for `audience`, valid `lifetime` seconds from now.
    pub fn access_token(
        &self,
        tenant: &str,
        principal: &Principal,
        audience: &str,
        lifetime: i64,
    ) -> Result<(String, i64)> {
        let now = chrono::Utc::now().timestamp();
        let exp = now + lifetime;
        let mut claims = json!({
            "aud": audience,
            "iss": self.issuer_v1(tenant),
            "iat": now,
            "nbf": now,
            "exp": exp,
            "tid": tenant,
            "oid": principal.object_id(),
            "sub": principal.object_id(),
            "appid": principal.client_id(),
            "azp": principal.client_id(),
            "ver": "1.0",
            "uti": uuid::Uuid::new_v4().simple().to_string(),
            "rh": "0.emulator.",
        });
        match principal {
            Principal::User { upn, name, .. } => {
                claims["idtyp"] = json!("user");
                claims["upn"] = json!(upn);
                claims["unique_name"] = json!(upn);
                claims["name"] = json!(name);
                claims["scp"] = json!("user_impersonation");
                claims["appidacr"] = json!("0");
                claims["amr"] = json!(["pwd"]);
            }
            Principal::App {
                name,
                managed_identity_resource,
                ..
            } => {
                claims["idtyp"] = json!("app");
                claims["appidacr"] = json!(if managed_identity_resource.is_some() {
                    "2"
                } else {
                    "1"
                });
                claims["app_displayname"] = json!(name);
                if let Some(res) = managed_identity_resource {
                    claims["xms_mirid"] = json!(res);
                }
            }
        }
        Ok((self.sign(&claims)?, exp))
    }

    /// The id_token of a user sign-in (v2.0).
    pub fn id_token(&self, tenant: &str, principal: &Principal) -> Result<String> {
        let now = chrono::Utc::now().timestamp();
        let (name, upn) = match principal {
            Principal::User { name, upn, .. } => (name.as_str(), upn.as_str()),
            Principal::App { name, .. } => (name.as_str(), ""),
        };
        self.sign(&json!({
            "aud": principal.client_id(),
            "iss": self.issuer_v2(tenant),
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "tid": tenant,
            "oid": principal.object_id(),
            "sub": principal.object_id(),
            "name": name,
            "preferred_username": upn,
            "ver": "2.0",
        }))
    }

    /// Checks a bearer token as an Azure resource server would: signature, lifetime (with
    /// Azure's five minutes of skew), audience and issuer.
    pub fn validate(
        &self,
        token: &str,
        accepted_audiences: &[&str],
        tenant: &str,
    ) -> Result<Caller, TokenError> {
        if token.is_empty() {
            return Err(TokenError::Missing);
        }
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false; // checked below, to report Azure's message
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<Value>(token, &self.decoding, &validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        let claims = data.claims;
        let now = chrono::Utc::now().timestamp();
        let exp = claims["exp"]
            .as_i64()
            .ok_or_else(|| TokenError::Invalid("no exp claim".into()))?;
        if exp + (CLOCK_SKEW_SECS as i64) < now {
            let expired_at = chrono::DateTime::from_timestamp(exp, 0)
                .map(|t| t.format("%m/%d/%Y %H:%M:%S").to_string())
                .unwrap_or_default();
            return Err(TokenError::Expired { expired_at });
        }
        if let Some(nbf) = claims["nbf"].as_i64()
            && nbf - (CLOCK_SKEW_SECS as i64) > now
        {
            return Err(TokenError::Invalid(
                "the token is not valid yet (nbf)".into(),
            ));
        }
        let aud = claims["aud"].as_str().unwrap_or_default().to_string();
        if !accepted_audiences.iter().any(|a| {
            a.trim_end_matches('/')
                .eq_ignore_ascii_case(aud.trim_end_matches('/'))
        }) {
            return Err(TokenError::WrongAudience(aud));
        }
        let iss = claims["iss"].as_str().unwrap_or_default();
        if !iss.eq_ignore_ascii_case(&self.issuer_v1(tenant))
            && !iss.eq_ignore_ascii_case(&self.issuer_v2(tenant))
        {
            return Err(TokenError::WrongIssuer(iss.to_string()));
        }
        let string = |k: &str| claims[k].as_str().map(str::to_string);
        Ok(Caller {
            object_id: string("oid").unwrap_or_default(),
            client_id: string("appid")
                .or_else(|| string("azp"))
                .unwrap_or_default(),
            tenant_id: string("tid").unwrap_or_default(),
            audience: aud,
            is_user: string("idtyp").as_deref() == Some("user"),
            upn: string("upn"),
            expires_at: exp,
        })
    }
}

pub use crate::auth::jwt::unverified_claims;

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> TokenService {
        let key =
            rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
                .unwrap();
        TokenService::from_pem(&key.serialize_pem(), "https://127.0.0.1:8443").unwrap()
    }

    fn alice() -> Principal {
        Principal::User {
            object_id: "oid-alice".into(),
            upn: "alice@contoso.example".into(),
            name: "Alice".into(),
            client_id: "04b07795-8ddb-461a-bbee-02f9e1bf7b46".into(),
        }
    }

    const ARM: &[&str] = &[
        "https://management.azure.com",
        "https://management.core.windows.net/",
    ];

    #[test]
    fn tokens_round_trip_with_azure_claims() {
        let s = service();
        let (token, exp) = s
            .access_token("t1", &alice(), "https://management.azure.com", 3600)
            .unwrap();
        let caller = s.validate(&token, ARM, "t1").unwrap();
        assert_eq!(caller.object_id, "oid-alice");
        assert!(caller.is_user);
        assert_eq!(caller.expires_at, exp);
        let claims = unverified_claims(&token).unwrap();
        assert_eq!(claims["iss"], "https://127.0.0.1:8443/t1/");
        assert_eq!(claims["upn"], "alice@contoso.example");
        assert_eq!(claims["idtyp"], "user");
        assert_eq!(claims["appid"], "04b07795-8ddb-461a-bbee-02f9e1bf7b46");
    }

    #[test]
    fn bad_tokens_are_refused_with_the_reason() {
        let s = service();
        let other = service();
        let app = Principal::App {
            object_id: "oid-app".into(),
            client_id: "cid".into(),
            name: "app".into(),
            managed_identity_resource: None,
        };
        let (expired, _) = s
            .access_token("t1", &app, "https://management.azure.com", -3600)
            .unwrap();
        let (within_skew, _) = s
            .access_token("t1", &app, "https://management.azure.com", -60)
            .unwrap();
        let (graph, _) = s
            .access_token("t1", &app, "https://graph.microsoft.com", 3600)
            .unwrap();
        let (forged, _) = other
            .access_token("t1", &app, "https://management.azure.com", 3600)
            .unwrap();
        let (good, _) = s
            .access_token("t1", &app, "https://management.azure.com", 3600)
            .unwrap();
        let mut tampered = good.clone();
        tampered.insert(good.len() / 2, 'x');

        assert!(matches!(
            s.validate(&expired, ARM, "t1"),
            Err(TokenError::Expired { .. })
        ));
        assert!(s.validate(&within_skew, ARM, "t1").is_ok());
        assert!(
            matches!(s.validate(&graph, ARM, "t1"), Err(TokenError::WrongAudience(a)) if a == "https://graph.microsoft.com")
        );
        assert!(matches!(
            s.validate(&forged, ARM, "t1"),
            Err(TokenError::Invalid(_))
        ));
        assert!(matches!(
            s.validate(&tampered, ARM, "t1"),
            Err(TokenError::Invalid(_))
        ));
        assert!(matches!(
            s.validate("not-a-jwt", ARM, "t1"),
            Err(TokenError::Invalid(_))
        ));
        assert!(matches!(
            s.validate("", ARM, "t1"),
            Err(TokenError::Missing)
        ));
        assert!(matches!(
            s.validate(&good, ARM, "t2"),
            Err(TokenError::WrongIssuer(_))
        ));
        assert!(s.validate(&good, ARM, "t1").is_ok());
    }

    #[test]
    fn jwks_publishes_the_signing_key() {
        let s = service();
        let jwks = s.jwks("t1");
        let key = &jwks["keys"][0];
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["use"], "sig");
        assert_eq!(key["e"], "AQAB");
        let (token, _) = s
            .access_token("t1", &alice(), "https://management.azure.com", 60)
            .unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), key["kid"].as_str());
        // a verifier that only has the JWKS accepts the token
        let jwk: Jwk = serde_json::from_value(key.clone()).unwrap();
        let mut v = Validation::new(Algorithm::RS256);
        v.validate_aud = false;
        jsonwebtoken::decode::<Value>(&token, &DecodingKey::from_jwk(&jwk).unwrap(), &v).unwrap();
    }
}
