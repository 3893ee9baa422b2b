//! Accounts and sign-in: the embedded emulator, the accounts file (no secret), adding and
//! removing accounts, signing in, connection strings, and the loads of what an account sees.

use super::*;

impl App {
    pub(super) fn start_emulator(&mut self, first_start: bool) {
        self.emulator = EmulatorState::Starting;
        let id = self.activity.start(
            "Start the local emulator",
            Some("relay-explorer emulator".into()),
        );
        let state_dir = self.options.emulator_state_dir.clone();
        let configure = self.options.emulator_configure;
        let backend = self.backend.clone();
        let vault = self.options.vault.clone();
        // Device-code sign-ins kept for the embedded emulator: (tenant, client id).
        let kept: Vec<(Option<String>, String)> = self
            .accounts
            .iter()
            .filter(|a| a.cloud == CloudConfig::Embedded && a.method == AuthMethod::DeviceCode)
            .map(|a| {
                (
                    a.tenant_id.clone(),
                    a.client_id
                        .clone()
                        .unwrap_or_else(|| crate::auth::AZURE_CLI_CLIENT_ID.into()),
                )
            })
            .collect();
        self.backend.spawn(id, async move {
            let result = async {
                let mut options = crate::emulator::Options::new(state_dir.clone());
                if let Some(f) = configure {
                    f(&mut options);
                }
                // The same login port as last time keeps the sign-ins kept for it (their vault
                // entries name the authority); when it is taken now, any free ports will do.
                let port_file = state_dir.join("gui-port");
                let last = std::fs::read_to_string(&port_file)
                    .ok()
                    .and_then(|p| p.trim().parse::<u16>().ok());
                let running = match last {
                    Some(p) if options.port == 0 => {
                        let mut fixed = options.clone();
                        fixed.port = p;
                        match crate::emulator::start(fixed).await {
                            Ok(r) => r,
                            Err(_) => crate::emulator::start(options).await?,
                        }
                    }
                    _ => crate::emulator::start(options).await?,
                };
                if let Some(port) = running.ready.authority_host.rsplit(':').next() {
                    std::fs::write(&port_file, port).ok();
                }
                // The login port was taken: the kept refresh tokens name the old authority, so
                // they move to the new one (the emulator's world still knows them).
                if let Some(old) = last
                    && !running.ready.authority_host.ends_with(&format!(":{old}"))
                {
                    let new = running.ready.authority_host.clone();
                    let old = new
                        .rsplit_once(':')
                        .map(|(h, _)| format!("{h}:{old}"))
                        .unwrap_or_default();
                    let tenant = running.ready.tenant_id.clone();
                    tokio::task::spawn_blocking(move || {
                        use crate::auth::{DeviceCodeCredential as D, SecretKind::RefreshToken};
                        for (t, client) in kept {
                            let t = t.unwrap_or_else(|| tenant.clone());
                            let from = D::account_key(&old, &t, &client);
                            if let Ok(Some(token)) = vault.get(&from, RefreshToken)
                                && vault
                                    .set(&D::account_key(&new, &t, &client), RefreshToken, &token)
                                    .is_ok()
                            {
                                vault.delete(&from, RefreshToken).ok();
                            }
                        }
                    })
                    .await
                    .ok();
                }
                let ready_path = state_dir.join("ready.json");
                crate::files::write_private(
                    &ready_path,
                    &serde_json::to_vec_pretty(&running.ready)?,
                )?;
                anyhow::Ok(Arc::new(Embedded {
                    running,
                    ready_path,
                }))
            }
            .await
            .map_err(|e| Report::of(&e.context("the local emulator did not start")));
            drop(backend);
            Event::Emulator(result)
        });
        self.details.first_start = first_start;
    }

    /// The accounts to remember: all but those still signing in for the first time.
    pub(super) fn accounts_to_keep(&self) -> Vec<AccountConfig> {
        self.accounts
            .iter()
            .filter(|a| !self.new_accounts.contains(&a.id))
            .cloned()
            .collect()
    }

    pub(super) fn save_accounts(&mut self) {
        let keep = self.accounts_to_keep();
        // Written off the UI thread; of saves that overlap, only the newest is written.
        let generation = self
            .accounts_saved
            .0
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            + 1;
        let (latest, writing) = (self.accounts_saved.0.clone(), self.accounts_saved.1.clone());
        let file = AccountsFile::new(&self.options.config_dir);
        let backend = self.backend.clone();
        self.backend.runtime().spawn_blocking(move || {
            let _one_at_a_time = writing.lock();
            if latest.load(std::sync::atomic::Ordering::SeqCst) != generation {
                return;
            }
            if let Err(e) = file.save(&keep) {
                backend.emit(Event::AccountsSaved(Err(Report::message(format!(
                    "Could not save the accounts: {e:#}"
                )))));
            }
        });
    }

    /// What `account` needs to become a session; its device-code prompt names the account.
    pub(super) fn session_inputs(&self, account: &str) -> SessionInputs {
        let backend = self.backend.clone();
        let account_id = account.to_string();
        SessionInputs {
            vault: self.options.vault.clone(),
            embedded: self
                .embedded
                .as_ref()
                .map(|e| (e.running.ready.clone(), e.ready_path.clone())),
            prompt: Some(Arc::new(move |p: &crate::auth::DeviceCodePrompt| {
                backend.emit(Event::DeviceCode(PendingDeviceCode {
                    account_id: account_id.clone(),
                    prompt: p.clone(),
                }));
            })),
        }
    }

    pub(super) fn add_account_node(&mut self, a: &AccountConfig) {
        let key = tree::account_key(&a.id);
        self.tree.upsert(TreeNode {
            key: key.clone(),
            parent: None,
            children: Vec::new(),
            label: a.label.clone(),
            kind: Kind::Account,
            account: a.id.clone(),
            arm: None,
            load: Load::Loading,
        });
        self.tree.expanded.insert(key);
    }

    /// Adds a new account (its secret, if any, goes to the vault) and signs it in.
    pub fn add_account(&mut self, account: AccountConfig, secret: Option<String>) {
        if let Some(s) = secret {
            let kind = if account.method == AuthMethod::ConnectionString {
                SecretKind::SasKey
            } else {
                SecretKind::ClientSecret
            };
            self.pending_secrets.insert(account.id.clone(), (kind, s));
        }
        self.new_accounts.insert(account.id.clone());
        self.accounts.push(account.clone());
        self.add_account_node(&account);
        if account.cloud == CloudConfig::Embedded && self.embedded.is_none() {
            if self.emulator != EmulatorState::Starting {
                self.start_emulator(false);
            }
            return; // signed in when the emulator is up
        }
        self.sign_in(&account.id);
    }

    pub(super) fn remove_account(&mut self, id: &str) {
        let device = self.sessions.remove(id).and_then(|s| s.device_code.clone());
        if let Some(d) = &device {
            d.cancel();
        }
        if let Some(a) = self.accounts.iter().find(|a| a.id == id) {
            // The keyring may be a D-Bus round trip away: not on the UI thread.
            let key = a.vault_key();
            let vault = self.options.vault.clone();
            self.backend.runtime().spawn_blocking(move || {
                if let Some(d) = device {
                    d.sign_out().ok();
                }
                vault.delete(&key, SecretKind::ClientSecret).ok();
                vault.delete(&key, SecretKind::SasKey).ok();
            });
        }
        self.accounts.retain(|a| a.id != id);
        self.new_accounts.remove(id);
        self.tree.remove(&tree::account_key(id));
        self.consoles.retain(|c| c.account != id);
        if matches!(self.view, View::Console(_)) {
            self.view = View::Details;
        }
        self.save_accounts();
    }

    /// Builds the account's session and loads its tenants and subscriptions.
    pub fn sign_in(&mut self, account_id: &str) {
        let Some(account) = self.accounts.iter().find(|a| a.id == account_id).cloned() else {
            return;
        };
        let key = tree::account_key(&account.id);
        self.account_errors.remove(&account.id);
        if let Some(n) = self.tree.get_mut(&key) {
            n.load = Load::Loading;
        }
        let inputs = self.session_inputs(&account.id);
        let secret = self.pending_secrets.remove(&account.id);
        let id = self.activity.start(
            format!("Sign in: {}", account.label),
            Some(format!(
                "relay-explorer ls {}",
                account.cli_options(inputs.embedded.as_ref().map(|(_, p)| p.as_path()))
            )),
        );
        let account_id = account.id.clone();
        self.loading.insert(id, key.clone());
        self.backend.spawn(id, async move {
            // Keyring and CA-file reads block: they run on a blocking thread.
            let built = tokio::task::spawn_blocking(move || {
                if let Some((kind, s)) = secret {
                    inputs
                        .vault
                        .set(&account.vault_key(), kind, &s)
                        .map_err(|e| {
                            anyhow::anyhow!("could not keep the secret in the keyring: {e:#}")
                        })?;
                }
                accounts::session(&account, &inputs).map(Arc::new)
            })
            .await;
            let session = match built {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    return Event::Directory {
                        account: account_id,
                        session: None,
                        result: Err(Report::of(&e)),
                    };
                }
                Err(e) => {
                    return Event::Directory {
                        account: account_id,
                        session: None,
                        result: Err(Report::message(format!("signing in stopped: {e}"))),
                    };
                }
            };
            let result = if session.connection_string.is_some() {
                Ok(Directory {
                    tenants: Vec::new(),
                    subscriptions: Vec::new(),
                    who: None,
                })
            } else {
                load_directory(&session).await
            };
            Event::Directory {
                account: account_id,
                session: Some(session),
                result,
            }
        });
    }

    pub(super) fn attach_connection_string(
        &mut self,
        account: &AccountConfig,
        cs: &crate::relay::protocol::ConnectionString,
    ) {
        let host = cs.namespace_host();
        let ns_key = format!("cs:{}", account.id);
        let endpoint = cs.endpoint.to_string();
        let mut ns = Node::from_value(&serde_json::json!({
            "id": endpoint, "type": "Microsoft.Relay/namespaces", "name": host,
            "properties": {"serviceBusEndpoint": endpoint.replace("sb://", "https://")}
        }));
        ns.service_bus_endpoint = Some(endpoint.replace("sb://", "https://"));
        self.tree.upsert(TreeNode {
            key: ns_key.clone(),
            parent: Some(tree::account_key(&account.id)),
            children: Vec::new(),
            label: host,
            kind: Kind::Namespace,
            account: account.id.clone(),
            arm: Some(ns),
            load: Load::Loaded,
        });
        self.tree.expanded.insert(ns_key.clone());
        if let Some(e) = &cs.entity_path {
            self.attach_entity(&account.id, e);
        }
        if let Some(n) = self.tree.get_mut(&tree::account_key(&account.id)) {
            n.load = Load::Loaded;
        }
        if self.new_accounts.remove(&account.id) {
            self.add_account = None;
            self.toasts.success(format!("Attached {}", account.label));
        }
        self.save_accounts();
    }

    /// Adds an entity under a connection-string account's namespace.
    pub(super) fn attach_entity(&mut self, account_id: &str, entity: &str) {
        let ns_key = format!("cs:{account_id}");
        let key = format!("{ns_key}/{}", entity.to_ascii_lowercase());
        let node = Node::from_value(&serde_json::json!({
            "id": key, "type": "Microsoft.Relay/namespaces/hybridConnections", "name": entity,
        }));
        self.tree.upsert(TreeNode {
            key: key.clone(),
            parent: Some(ns_key),
            children: Vec::new(),
            label: entity.to_string(),
            kind: Kind::HybridConnection,
            account: account_id.to_string(),
            arm: Some(node),
            load: Load::Leaf,
        });
    }

    pub(super) fn fail_account(&mut self, account_id: &str, error: Report) {
        if self.new_accounts.remove(account_id) {
            let label = self
                .accounts
                .iter()
                .find(|a| a.id == account_id)
                .map(|a| a.label.clone())
                .unwrap_or_default();
            self.toasts
                .error(format!("Could not add {label}: {error}"))
                .duration(Some(Duration::from_secs(10)));
            if let Some(d) = &mut self.add_account {
                d.error = Some(error.to_string());
                d.busy = false;
            }
            self.accounts.retain(|a| a.id != account_id);
            self.tree.remove(&tree::account_key(account_id));
            self.sessions.remove(account_id);
            return;
        }
        if let Some(n) = self.tree.get_mut(&tree::account_key(account_id)) {
            n.load = Load::Failed(error.clone());
        }
        self.account_errors.insert(account_id.to_string(), error);
    }

    /// Loads a subscription's tree (resource groups, namespaces, entities, SignalR).
    pub(super) fn load_subscription(&mut self, key: &str) {
        let Some(node) = self.tree.get(key) else {
            return;
        };
        let account = node.account.clone();
        let subscription = node
            .arm
            .as_ref()
            .map(|n| n.name.clone())
            .unwrap_or_default();
        let Some(session) = self.sessions.get(&account).cloned() else {
            return;
        };
        if let Some(n) = self.tree.get_mut(key) {
            n.load = Load::Loading;
        }
        let id = self.activity.start(
            format!("List subscription {subscription}"),
            Some(format!(
                "relay-explorer ls /subscriptions/{subscription} {}",
                session
                    .account
                    .cli_options(session.emulator_ready.as_deref())
            )),
        );
        self.loading.insert(id, key.to_string());
        self.backend.spawn(id, async move {
            let result = load_subscription_tree(&session, &subscription).await;
            Event::Subtree {
                account,
                subscription,
                result,
            }
        });
    }
}

/// Tenants and subscriptions of a signed-in account.
async fn load_directory(session: &Session) -> Result<Directory, Report> {
    let arm = session
        .arm
        .as_ref()
        .ok_or_else(|| "this account has no Resource Manager access".to_string())?;
    let me = match session.account.method {
        AuthMethod::DeviceCode => session.graph.as_ref(),
        _ => None,
    };
    crate::arm::directory::directory(arm, me)
        .await
        .map_err(|e| Report::arm(&e))
}

/// A subscription's resource groups, namespaces and entities, plus its SignalR resources.
async fn load_subscription_tree(
    session: &Session,
    subscription: &str,
) -> Result<Vec<Node>, Report> {
    let arm = session
        .arm
        .as_ref()
        .ok_or_else(|| "this account has no Resource Manager access".to_string())?;
    crate::arm::directory::subscription_tree(arm, subscription)
        .await
        .map_err(|e| Report::arm(&e))
}
