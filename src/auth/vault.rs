//! Where secrets live: client secrets, SAS keys and refresh tokens go to the OS keyring (the
//! Secret Service on a Linux desktop, the kernel keyutils store on a headless Linux box), never
//! to a config file or a log. Where no keyring works, secrets are kept in memory for the
//! session only, and the vault says so (`warning`).

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Result, anyhow};
use parking_lot::Mutex;

const SERVICE: &str = "relay-explorer";

/// What kind of secret an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    RefreshToken,
    ClientSecret,
    SasKey,
}

impl SecretKind {
    fn as_str(self) -> &'static str {
        match self {
            SecretKind::RefreshToken => "refresh-token",
            SecretKind::ClientSecret => "client-secret",
            SecretKind::SasKey => "sas-key",
        }
    }
}

/// Opens one kind of OS keyring, if this machine has it.
type StoreMaker = fn() -> Option<Arc<keyring_core::CredentialStore>>;

enum Backend {
    Keyring {
        store: Arc<keyring_core::CredentialStore>,
        name: &'static str,
    },
    Memory(Mutex<HashMap<String, String>>),
}

pub struct Vault {
    backend: Backend,
    warning: Option<String>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("backend", &self.backend_name())
            .finish_non_exhaustive()
    }
}

/// Can this store read and write? (A missing entry is fine; no access is not.)
fn usable(store: &Arc<keyring_core::CredentialStore>) -> bool {
    let probe = format!("probe-{}", std::process::id());
    match store.build(SERVICE, &probe, None) {
        Ok(entry) => match entry.get_password() {
            Ok(_) | Err(keyring_core::Error::NoEntry) => true,
            Err(_) => false,
        },
        Err(_) => false,
    }
}

impl Vault {
    /// Opens the best keyring this machine has. `RELAY_EXPLORER_VAULT` may name one
    /// (`secret-service`, `keyutils`, `memory`).
    pub fn open() -> Self {
        Self::open_named(&std::env::var("RELAY_EXPLORER_VAULT").unwrap_or_default())
    }

    /// Opens the keyring `wanted` names (`secret-service`, `keyutils`, `memory`), or the best one
    /// when it is empty; memory, with a warning, when none can be had.
    pub fn open_named(wanted: &str) -> Self {
        if wanted == "memory" {
            return Self::in_memory(
                "RELAY_EXPLORER_VAULT=memory: secrets are kept for this session only",
            );
        }
        #[cfg(target_os = "linux")]
        {
            let candidates: [(&str, &'static str, StoreMaker); 2] = [
                ("secret-service", "Secret Service", || {
                    zbus_secret_service_keyring_store::Store::new()
                        .ok()
                        .map(|s| s as Arc<keyring_core::CredentialStore>)
                }),
                ("keyutils", "kernel keyutils", || {
                    linux_keyutils_keyring_store::Store::new()
                        .ok()
                        .map(|s| s as Arc<keyring_core::CredentialStore>)
                }),
            ];
            for (key, name, make) in candidates {
                if (wanted.is_empty() || wanted == key)
                    && let Some(store) = make()
                    && usable(&store)
                {
                    return Self {
                        backend: Backend::Keyring { store, name },
                        warning: None,
                    };
                }
            }
        }
        Self::without_keyring()
    }

    /// What a machine with no usable keyring at all gets: memory, with the warning that says so.
    pub fn without_keyring() -> Self {
        Self::in_memory(
            "no OS keyring is available: secrets and sign-ins are kept for this session only (install and unlock a Secret Service such as gnome-keyring to keep them)",
        )
    }

    /// What a machine without a Secret Service gets: the kernel keyring where it can be used,
    /// else memory with a warning (as `open` falls back).
    pub fn fallback() -> Self {
        Self::open_named("keyutils")
    }

    /// Where secrets go, as a sentence's end ("the kernel keyutils keyring", "memory only").
    pub fn where_kept(&self) -> String {
        match &self.backend {
            Backend::Keyring { name, .. } => format!("the {name} keyring"),
            Backend::Memory(_) => "memory, for this session only".to_string(),
        }
    }

    pub fn in_memory(reason: &str) -> Self {
        Self {
            backend: Backend::Memory(Mutex::new(HashMap::new())),
            warning: Some(reason.to_string()),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            Backend::Keyring { name, .. } => name,
            Backend::Memory(_) => "memory (this session only)",
        }
    }

    /// Set when secrets will not outlive this process.
    pub fn warning(&self) -> Option<&str> {
        self.warning.as_deref()
    }

    fn user(account: &str, kind: SecretKind) -> String {
        format!("{account}/{}", kind.as_str())
    }

    pub fn set(&self, account: &str, kind: SecretKind, secret: &str) -> Result<()> {
        let user = Self::user(account, kind);
        match &self.backend {
            Backend::Memory(map) => {
                map.lock().insert(user, secret.to_string());
                Ok(())
            }
            Backend::Keyring { store, name } => store
                .build(SERVICE, &user, None)
                .and_then(|e| e.set_password(secret))
                .map_err(|e| anyhow!("could not save a secret to the {name} keyring: {e}")),
        }
    }

    pub fn get(&self, account: &str, kind: SecretKind) -> Result<Option<String>> {
        let user = Self::user(account, kind);
        match &self.backend {
            Backend::Memory(map) => Ok(map.lock().get(&user).cloned()),
            Backend::Keyring { store, name } => match store
                .build(SERVICE, &user, None)
                .and_then(|e| e.get_password())
            {
                Ok(s) => Ok(Some(s)),
                Err(keyring_core::Error::NoEntry) => Ok(None),
                Err(e) => Err(anyhow!(
                    "could not read a secret from the {name} keyring: {e}"
                )),
            },
        }
    }

    pub fn delete(&self, account: &str, kind: SecretKind) -> Result<()> {
        let user = Self::user(account, kind);
        match &self.backend {
            Backend::Memory(map) => {
                map.lock().remove(&user);
                Ok(())
            }
            Backend::Keyring { store, name } => match store
                .build(SERVICE, &user, None)
                .and_then(|e| e.delete_credential())
            {
                Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
                Err(e) => Err(anyhow!(
                    "could not delete a secret from the {name} keyring: {e}"
                )),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(vault: &Vault) {
        let account = format!("test-{}", uuid::Uuid::new_v4());
        assert_eq!(vault.get(&account, SecretKind::RefreshToken).unwrap(), None);
        vault
            .set(&account, SecretKind::RefreshToken, "rt-1")
            .unwrap();
        vault
            .set(&account, SecretKind::ClientSecret, "cs-1")
            .unwrap();
        assert_eq!(
            vault
                .get(&account, SecretKind::RefreshToken)
                .unwrap()
                .as_deref(),
            Some("rt-1")
        );
        vault
            .set(&account, SecretKind::RefreshToken, "rt-2")
            .unwrap();
        assert_eq!(
            vault
                .get(&account, SecretKind::RefreshToken)
                .unwrap()
                .as_deref(),
            Some("rt-2")
        );
        vault.delete(&account, SecretKind::RefreshToken).unwrap();
        vault.delete(&account, SecretKind::RefreshToken).unwrap();
        assert_eq!(vault.get(&account, SecretKind::RefreshToken).unwrap(), None);
        assert_eq!(
            vault
                .get(&account, SecretKind::ClientSecret)
                .unwrap()
                .as_deref(),
            Some("cs-1")
        );
        vault.delete(&account, SecretKind::ClientSecret).unwrap();
    }

    #[test]
    fn memory_vault_keeps_secrets_and_warns() {
        let v = Vault::in_memory("test");
        assert!(v.warning().is_some());
        round_trip(&v);
    }

    /// A real keyring, by name. Where `RELAY_EXPLORER_REQUIRE_VAULT` names it (`scripts/test`
    /// does, running these tests inside a D-Bus session with gnome-keyring unlocked), it must be
    /// there: no silent fall-back to memory, so the keyring path is what is tested.
    fn real_keyring(key: &str, name: &str) {
        let v = Vault::open_named(key);
        let required = std::env::var("RELAY_EXPLORER_REQUIRE_VAULT")
            .is_ok_and(|r| r.split(',').any(|k| k == key));
        if v.warning().is_some() {
            assert!(
                !required,
                "the {name} keyring is required here but is not available"
            );
            eprintln!("no {name} keyring on this machine: not tested here");
            return;
        }
        assert_eq!(v.backend_name(), name);
        round_trip(&v);
        // What one vault wrote, another opened on the same keyring reads.
        let shared = format!("vault-test-{}", uuid::Uuid::new_v4());
        v.set(&shared, SecretKind::RefreshToken, "rt-1").unwrap();
        let again = Vault::open_named(key);
        assert_eq!(
            again
                .get(&shared, SecretKind::RefreshToken)
                .unwrap()
                .as_deref(),
            Some("rt-1")
        );
        again.delete(&shared, SecretKind::RefreshToken).unwrap();
    }

    #[test]
    fn the_secret_service_keeps_secrets() {
        real_keyring("secret-service", "Secret Service");
    }

    #[test]
    fn the_kernel_keyring_keeps_secrets() {
        real_keyring("keyutils", "kernel keyutils");
    }
}
