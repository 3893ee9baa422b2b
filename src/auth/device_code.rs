//! Device-code sign-in (OAuth 2.0 device authorization grant, RFC 8628) against an account's
//! authority, with the refresh token kept in the vault so that a person stays signed in across
//! restarts until the token is revoked or expires. `azure_identity` has no such credential;
//! this is the small flow, by hand.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use parking_lot::Mutex;
use serde::Deserialize;
use tokio::sync::Notify;

use super::vault::{SecretKind, Vault};

/// What the user must do: open `verification_uri` and enter `user_code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCodePrompt {
    pub user_code: String,
    pub verification_uri: String,
    pub message: String,
    /// Unix seconds.
    pub expires_at: i64,
}

pub type PromptFn = Arc<dyn Fn(&DeviceCodePrompt) + Send + Sync>;

/// Why a sign-in failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("the sign-in was declined")]
    Declined,
    #[error("the device code expired before anyone signed in; start the sign-in again")]
    Expired,
    #[error("the sign-in was cancelled")]
    Cancelled,
    #[error("not signed in: sign in with --auth device-code first")]
    NotSignedIn,
    #[error(
        "the saved sign-in has expired or was revoked ({0}); it was forgotten: run the command again to sign in with a new device code"
    )]
    SessionExpired(String),
    #[error("{description} ({error})")]
    Entra { error: String, description: String },
    #[error("could not reach the login service: {0}")]
    Unreachable(String),
}

#[derive(Debug, Deserialize)]
struct DeviceCodeResponse {
    device_code: String,
    user_code: String,
    verification_uri: String,
    #[serde(default = "default_expires")]
    expires_in: i64,
    #[serde(default = "default_interval")]
    interval: u64,
    #[serde(default)]
    message: String,
}

fn default_expires() -> i64 {
    900
}
fn default_interval() -> u64 {
    5
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    refresh_token: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ErrorResponse {
    error: String,
    #[serde(default)]
    error_description: String,
}

/// Signs a person in with a device code and keeps them signed in.
pub struct DeviceCodeCredential {
    http: reqwest::Client,
    token_url: String,
    device_code_url: String,
    client_id: String,
    /// The vault entry under which the refresh token is kept.
    account: String,
    vault: Arc<Vault>,
    prompt: Option<PromptFn>,
    cache: Mutex<HashMap<String, AccessToken>>,
    cancelled: AtomicBool,
    cancel: Notify,
}

impl std::fmt::Debug for DeviceCodeCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCodeCredential")
            .field("client_id", &self.client_id)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

const RESERVED: &str = "offline_access openid profile";

impl DeviceCodeCredential {
    /// `prompt` is called with the code to show; `None` makes the credential silent (it only
    /// refreshes a saved sign-in, and fails with [`SignInError::NotSignedIn`] otherwise).
    pub fn new(
        http: reqwest::Client,
        authority_host: &str,
        tenant: &str,
        client_id: &str,
        vault: Arc<Vault>,
        prompt: Option<PromptFn>,
    ) -> Self {
        let base = format!(
            "{}/{tenant}/oauth2/v2.0",
            authority_host.trim_end_matches('/')
        );
        Self {
            http,
            token_url: format!("{base}/token"),
            device_code_url: format!("{base}/devicecode"),
            client_id: client_id.to_string(),
            account: Self::account_key(authority_host, tenant, client_id),
            vault,
            prompt,
            cache: Mutex::new(HashMap::new()),
            cancelled: AtomicBool::new(false),
            cancel: Notify::new(),
        }
    }

    /// The vault key of a device-code account.
    pub fn account_key(authority_host: &str, tenant: &str, client_id: &str) -> String {
        format!(
            "device-code|{}|{tenant}|{client_id}",
            authority_host.trim_end_matches('/')
        )
    }

    /// Stops a sign-in that is waiting for the user.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.cancel.notify_waiters();
    }

    /// Forgets the saved sign-in.
    pub fn sign_out(&self) -> anyhow::Result<()> {
        self.cache.lock().clear();
        self.vault.delete(&self.account, SecretKind::RefreshToken)
    }

    async fn post(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<Result<TokenResponse, ErrorResponse>, SignInError> {
        let response = self
            .http
            .post(url)
            .form(form)
            .send()
            .await
            .map_err(|e| SignInError::Unreachable(without_url_secrets(&e.to_string())))?;
        let ok = response.status().is_success();
        let body = response
            .bytes()
            .await
            .map_err(|e| SignInError::Unreachable(e.to_string()))?;
        if ok {
            serde_json::from_slice::<TokenResponse>(&body)
                .map(Ok)
                .map_err(|e| {
                    SignInError::Unreachable(format!(
                        "the login service sent an unreadable token response: {e}"
                    ))
                })
        } else {
            Ok(Err(serde_json::from_slice::<ErrorResponse>(&body)
                .unwrap_or(ErrorResponse {
                    error: "unexpected_response".into(),
                    error_description: String::from_utf8_lossy(&body).chars().take(300).collect(),
                })))
        }
    }

    /// Runs the device-code flow for `scope` (interactive).
    pub async fn sign_in(&self, scope: &str) -> Result<AccessToken, SignInError> {
        let Some(prompt) = &self.prompt else {
            return Err(SignInError::NotSignedIn);
        };
        self.cancelled.store(false, Ordering::SeqCst);
        let full_scope = format!("{scope} {RESERVED}");
        let response = self
            .http
            .post(&self.device_code_url)
            .form(&[
                ("client_id", self.client_id.as_str()),
                ("scope", full_scope.as_str()),
            ])
            .send()
            .await
            .map_err(|e| SignInError::Unreachable(e.to_string()))?;
        let ok = response.status().is_success();
        let body = response
            .bytes()
            .await
            .map_err(|e| SignInError::Unreachable(e.to_string()))?;
        if !ok {
            let e: ErrorResponse = serde_json::from_slice(&body).unwrap_or(ErrorResponse {
                error: "unexpected_response".into(),
                error_description: String::from_utf8_lossy(&body).chars().take(300).collect(),
            });
            return Err(SignInError::Entra {
                error: e.error,
                description: first_line(&e.error_description),
            });
        }
        let code: DeviceCodeResponse = serde_json::from_slice(&body).map_err(|e| {
            SignInError::Unreachable(format!("unreadable device code response: {e}"))
        })?;
        let expires_at = chrono::Utc::now().timestamp() + code.expires_in;
        prompt(&DeviceCodePrompt {
            user_code: code.user_code.clone(),
            verification_uri: code.verification_uri.clone(),
            message: code.message.clone(),
            expires_at,
        });
        let mut interval = code.interval.max(1);
        loop {
            if self.cancelled.load(Ordering::SeqCst) {
                return Err(SignInError::Cancelled);
            }
            let result = self
                .post(
                    &self.token_url,
                    &[
                        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                        ("client_id", &self.client_id),
                        ("device_code", &code.device_code),
                    ],
                )
                .await?;
            match result {
                Ok(tokens) => return Ok(self.keep(scope, tokens)),
                Err(e) => match e.error.as_str() {
                    "authorization_pending" => {}
                    "slow_down" => interval += 5,
                    "authorization_declined" | "access_denied" => {
                        return Err(SignInError::Declined);
                    }
                    "expired_token" | "code_expired" => return Err(SignInError::Expired),
                    _ => {
                        return Err(SignInError::Entra {
                            error: e.error,
                            description: first_line(&e.error_description),
                        });
                    }
                },
            }
            if chrono::Utc::now().timestamp() > expires_at {
                return Err(SignInError::Expired);
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(interval)) => {}
                _ = self.cancel.notified() => return Err(SignInError::Cancelled),
            }
        }
    }

    /// Redeems the saved refresh token for `scope`.
    async fn refresh(&self, scope: &str) -> Result<AccessToken, SignInError> {
        let saved = self
            .vault
            .get(&self.account, SecretKind::RefreshToken)
            .map_err(|e| SignInError::Unreachable(e.to_string()))?;
        let Some(refresh_token) = saved else {
            return Err(SignInError::NotSignedIn);
        };
        let full_scope = format!("{scope} {RESERVED}");
        match self
            .post(
                &self.token_url,
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", &self.client_id),
                    ("refresh_token", &refresh_token),
                    ("scope", &full_scope),
                ],
            )
            .await?
        {
            Ok(tokens) => Ok(self.keep(scope, tokens)),
            Err(e) if e.error == "invalid_grant" => {
                // Revoked or expired: forget it, so the next attempt signs in afresh.
                let _ = self.vault.delete(&self.account, SecretKind::RefreshToken);
                Err(SignInError::SessionExpired(first_line(
                    &e.error_description,
                )))
            }
            Err(e) => Err(SignInError::Entra {
                error: e.error,
                description: first_line(&e.error_description),
            }),
        }
    }

    fn keep(&self, scope: &str, tokens: TokenResponse) -> AccessToken {
        if let Some(rt) = &tokens.refresh_token
            && let Err(e) = self.vault.set(&self.account, SecretKind::RefreshToken, rt)
        {
            tracing::warn!("the sign-in will not be remembered: {e:#}");
        }
        let expires_on = time::OffsetDateTime::now_utc()
            + time::Duration::seconds(tokens.expires_in.unwrap_or(3599));
        let token = AccessToken::new(tokens.access_token, expires_on);
        self.cache.lock().insert(scope.to_string(), token.clone());
        token
    }

    /// A token for `scope`: cached, refreshed silently, or (with a prompt) signed in afresh.
    pub async fn token(&self, scope: &str) -> Result<AccessToken, SignInError> {
        if let Some(t) = self.cache.lock().get(scope)
            && t.expires_on > time::OffsetDateTime::now_utc() + time::Duration::minutes(5)
        {
            return Ok(t.clone());
        }
        match self.refresh(scope).await {
            Ok(t) => Ok(t),
            Err(SignInError::NotSignedIn) => self.sign_in(scope).await,
            Err(e) => Err(e),
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_string()
}

/// reqwest errors name the URL; ours carry no secrets in URLs, but be safe about query strings.
fn without_url_secrets(s: &str) -> String {
    match s.find('?') {
        Some(i) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[async_trait::async_trait]
impl TokenCredential for DeviceCodeCredential {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        self.token(&scopes.join(" ")).await.map_err(|e| {
            azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, e.to_string())
        })
    }
}
