//! JSON Web Tokens as a client sees them: claims decoded for display, nothing verified (the
//! server that accepts a token checks it; the emulator does in `emulator::tokens`).

use serde_json::Value;

/// Decodes a JWT's claims without checking anything (for display).
pub fn unverified_claims(token: &str) -> Option<Value> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}
