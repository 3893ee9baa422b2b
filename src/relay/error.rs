//! What goes wrong on the data plane, as values the CLI and the window can match on: a refusal
//! by the service (with its status and reason, e.g. a missing data action or no listener), a
//! connection that failed (unreachable, an untrusted certificate), a token that could not be had.

use crate::access::explain::Hint;

#[derive(Debug, Clone, thiserror::Error)]
pub enum RelayError {
    /// The service answered the upgrade or request with an error status.
    #[error("{what} was refused ({status}): {reason}")]
    Refused {
        what: String,
        status: u16,
        reason: String,
    },
    /// No answer: the connection, TLS or the WebSocket failed.
    #[error("{what} failed: {why}")]
    Failed { what: String, why: String },
    #[error("{what} timed out after {secs} s")]
    TimedOut { what: String, secs: u64 },
    #[error("could not get a Relay token: {0}")]
    Token(String),
}

impl RelayError {
    /// The status the service refused with.
    pub fn status(&self) -> Option<u16> {
        match self {
            RelayError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The entity (or its listener) is not there: 404, as the service says it.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// What a person can do about it (read once from the service's words).
    pub fn hint(&self) -> Option<Hint> {
        match self {
            RelayError::Refused { reason, .. } => Hint::from_service_message(reason),
            RelayError::Failed { why, .. } | RelayError::Token(why) => {
                Hint::from_service_message(why)
            }
            RelayError::TimedOut { .. } => None,
        }
    }
}

/// The error of a refused or failed WebSocket upgrade, with the service's reason.
pub fn upgrade_error(e: tokio_tungstenite::tungstenite::Error, what: &str) -> RelayError {
    match e {
        tokio_tungstenite::tungstenite::Error::Http(response) => {
            let status = response.status();
            let body = response
                .body()
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            let reason = body
                .split(" TrackingId:")
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            let reason = if reason.is_empty() {
                status.canonical_reason().unwrap_or("refused").to_string()
            } else {
                reason
            };
            RelayError::Refused {
                what: what.to_string(),
                status: status.as_u16(),
                reason,
            }
        }
        other => RelayError::Failed {
            what: what.to_string(),
            why: other.to_string(),
        },
    }
}
