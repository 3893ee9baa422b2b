//! The app: its state, the events it folds in at the top of each frame, the actions views ask
//! for, and the window's layout (top bar, tree, details or console, activity log).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui::{self, Key, RichText};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use super::accounts::{
    self, AccountConfig, AccountsFile, CloudConfig, PendingDeviceCode, Session, SessionInputs,
};
use super::activity::ActivityLog;
use super::backend::{Backend, Directory, Embedded, Event};
use super::command::Command;
use super::console::Console;
use super::details::DetailsPanel;
use super::dialogs::{AddAccount, Confirm};
use super::fetch::Fetch;
use super::tree::{self, Kind, Load, Tree, TreeNode};
use crate::arm::RELAY_API;
use crate::arm::tree::Node;
use crate::auth::{AuthMethod, SecretKind, Vault};
use crate::report::Report;

/// Where the app keeps its files, and which keyring it uses.
pub struct AppOptions {
    /// `accounts.json` lives here.
    pub config_dir: PathBuf,
    /// The embedded emulator's state folder.
    pub emulator_state_dir: PathBuf,
    pub vault: Arc<Vault>,
    /// Changes to the embedded emulator's options (tests shorten its timings).
    pub emulator_configure: Option<fn(&mut crate::emulator::Options)>,
}

impl AppOptions {
    /// The platform's folders and the OS keyring.
    pub fn from_platform() -> anyhow::Result<Self> {
        let dirs = directories::ProjectDirs::from("", "", "relay-explorer").ok_or_else(|| {
            anyhow::anyhow!("this platform has no home folder to keep settings in")
        })?;
        Ok(Self {
            config_dir: dirs.config_dir().to_path_buf(),
            emulator_state_dir: dirs.data_dir().join("gui-emulator"),
            vault: Arc::new(Vault::open()),
            emulator_configure: None,
        })
    }
}

/// What survives a restart (eframe persistence; never a secret).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Persisted {
    pub theme: Theme,
    pub activity_open: bool,
    pub expanded: Vec<String>,
    pub selected: Option<String>,
    pub saved_requests: Vec<super::console::SavedRequest>,
}

impl Default for Persisted {
    fn default() -> Self {
        Self {
            theme: Theme::System,
            activity_open: true,
            expanded: Vec::new(),
            selected: None,
            saved_requests: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    System,
    Light,
    Dark,
}

/// What the centre shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Details,
    Console(u64),
    Identities,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EmulatorState {
    NotNeeded,
    Starting,
    Running,
    Failed(Report),
}

/// The details pane's view of the app for one call: disjoint borrows of the app's fields, so
/// the panel (`self.details`) can be borrowed mutably beside it.
macro_rules! details_cx {
    ($app:ident) => {
        super::details::Cx {
            tree: &$app.tree,
            sessions: &$app.sessions,
            accounts: &$app.accounts,
            account_errors: &$app.account_errors,
            directories: &$app.directories,
            embedded: $app.embedded.as_ref(),
            backend: &$app.backend,
            activity: &mut $app.activity,
            commands: &mut $app.actions,
        }
    };
}
pub(super) use details_cx;

pub struct App {
    pub(super) options: AppOptions,
    pub(super) backend: Backend,
    events: mpsc::UnboundedReceiver<Event>,
    pub accounts: Vec<AccountConfig>,
    pub(super) sessions: HashMap<String, Arc<Session>>,
    /// Why an account has no tree, by account id.
    pub(super) account_errors: HashMap<String, Report>,
    /// Accounts added in this run that have not signed in yet (removed if they fail).
    pub(super) new_accounts: HashSet<String>,
    /// Secrets of accounts being added, on their way to the keyring (never persisted here).
    pending_secrets: HashMap<String, (SecretKind, String)>,
    /// Saves of the accounts file: the newest generation asked for, and one writer at a time.
    accounts_saved: (
        Arc<std::sync::atomic::AtomicU64>,
        Arc<parking_lot::Mutex<()>>,
    ),
    /// The tree node each loading activity fills (to reset it when the activity is cancelled).
    loading: HashMap<u64, String>,
    pub(super) directories: HashMap<String, Directory>,
    pub(super) embedded: Option<Arc<Embedded>>,
    pub emulator: EmulatorState,
    pub tree: Tree,
    pub(super) details: DetailsPanel,
    pub(super) consoles: Vec<Console>,
    next_console: u64,
    pub view: View,
    pub(super) activity: ActivityLog,
    pub(super) toasts: super::widgets::Notices,
    pub(super) add_account: Option<AddAccount>,
    pub(super) device_code: Option<PendingDeviceCode>,
    pub(super) confirm: Option<Confirm>,
    pub(super) accounts_window: bool,
    pub persisted: Persisted,
    pub(super) actions: Vec<Command>,
    last_live_refresh: Instant,
    pub(super) focus_filter: bool,
}

impl App {
    /// Builds the app and starts what it needs: the accounts it remembers, or — on a first
    /// start — the embedded emulator and its demo account.
    pub fn new(
        rt: tokio::runtime::Handle,
        options: AppOptions,
        persisted: Option<Persisted>,
    ) -> Self {
        let (backend, events) = Backend::new(rt);
        let accounts_file = AccountsFile::new(&options.config_dir);
        let mut activity = ActivityLog::default();
        let (accounts, first_start) = match accounts_file.load() {
            Ok(Some(a)) => (a, false),
            Ok(None) => (Vec::new(), true),
            Err(e) => {
                // Keep the unreadable file for the person to fix: the next save must not
                // overwrite it.
                let kept = accounts_file.path().with_extension("json.unreadable");
                let moved = std::fs::rename(accounts_file.path(), &kept).is_ok();
                let id = activity.start("Read the accounts", None);
                let why = if moved {
                    format!("{e:#}; it was kept as {}", kept.display())
                } else {
                    format!("{e:#}")
                };
                activity.finish(id, Err(why.into()), Duration::ZERO);
                (Vec::new(), false)
            }
        };
        let persisted = persisted.unwrap_or_default();
        let mut tree = Tree::default();
        tree.expanded = persisted.expanded.iter().cloned().collect();
        tree.selected = persisted.selected.clone();
        let needs_emulator =
            first_start || accounts.iter().any(|a| a.cloud == CloudConfig::Embedded);
        let mut app = Self {
            options,
            backend,
            events,
            accounts,
            sessions: HashMap::new(),
            account_errors: HashMap::new(),
            new_accounts: HashSet::new(),
            pending_secrets: HashMap::new(),
            loading: HashMap::new(),
            accounts_saved: Default::default(),
            directories: HashMap::new(),
            embedded: None,
            emulator: EmulatorState::NotNeeded,
            tree,
            details: DetailsPanel::default(),
            consoles: Vec::new(),
            next_console: 1,
            view: View::Details,
            activity,
            toasts: super::widgets::Notices::default(),
            add_account: None,
            device_code: None,
            confirm: None,
            accounts_window: false,
            persisted,
            actions: Vec::new(),
            last_live_refresh: Instant::now(),
            focus_filter: false,
        };
        for a in app.accounts.clone() {
            app.add_account_node(&a);
        }
        if needs_emulator {
            app.start_emulator(first_start);
        }
        for a in app.accounts.clone() {
            if a.cloud != CloudConfig::Embedded {
                app.sign_in(&a.id);
            }
        }
        app
    }

    fn start_emulator(&mut self, first_start: bool) {
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
    fn accounts_to_keep(&self) -> Vec<AccountConfig> {
        self.accounts
            .iter()
            .filter(|a| !self.new_accounts.contains(&a.id))
            .cloned()
            .collect()
    }

    fn save_accounts(&mut self) {
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

    fn add_account_node(&mut self, a: &AccountConfig) {
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

    fn remove_account(&mut self, id: &str) {
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

    fn attach_connection_string(
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

    fn fail_account(&mut self, account_id: &str, error: Report) {
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

    /// Folds one background event into the state.
    fn on_event(&mut self, event: Event) {
        match event {
            Event::Emulator(Ok(e)) => {
                self.emulator = EmulatorState::Running;
                self.embedded = Some(e.clone());
                if !self
                    .accounts
                    .iter()
                    .any(|a| a.cloud == CloudConfig::Embedded)
                    && self.details.first_start
                {
                    let demo = AccountConfig::demo(&e.running.ready);
                    self.accounts.push(demo.clone());
                    self.add_account_node(&demo);
                    self.save_accounts();
                }
                for a in self.accounts.clone() {
                    if a.cloud == CloudConfig::Embedded {
                        self.sign_in(&a.id);
                    }
                }
            }
            Event::Emulator(Err(e)) => {
                self.emulator = EmulatorState::Failed(e.clone());
                self.toasts
                    .error(format!(
                        "{e}. Add an Azure account, or check the activity log."
                    ))
                    .duration(Some(Duration::from_secs(10)));
                for a in self.accounts.clone() {
                    if a.cloud == CloudConfig::Embedded {
                        self.fail_account(&a.id, e.clone());
                    }
                }
            }
            Event::DeviceCode(p) => self.device_code = Some(p),
            Event::Directory {
                account,
                session,
                result,
            } => {
                if let Some(s) = &session {
                    self.sessions.insert(account.clone(), s.clone());
                }
                let attached = session.as_ref().and_then(|s| s.connection_string.clone());
                if let (Some(cs), Ok(_)) = (&attached, &result)
                    && let Some(a) = self.accounts.iter().find(|a| a.id == account).cloned()
                {
                    self.attach_connection_string(&a, cs);
                    return;
                }
                if self
                    .device_code
                    .as_ref()
                    .is_some_and(|d| d.account_id == account)
                {
                    self.device_code = None;
                }
                match result {
                    Ok(dir) => self.show_directory(&account, dir),
                    Err(e) => self.fail_account(&account, e),
                }
            }
            Event::Subtree {
                account,
                subscription,
                result,
            } => {
                let key = tree::arm_key(&format!("/subscriptions/{subscription}"));
                match result {
                    Ok(nodes) => {
                        self.tree.set_subscription_tree(&account, &key, &nodes);
                        if let Some(sel) = self.tree.selected.clone()
                            && self.tree.get(&sel).is_none()
                        {
                            self.tree.selected = Some(key);
                        }
                    }
                    Err(e) => {
                        if let Some(n) = self.tree.get_mut(&key) {
                            n.load = Load::Failed(e);
                        }
                    }
                }
            }
            Event::Entity { id, result } => {
                let key = tree::arm_key(&id);
                match result {
                    Ok(node) => {
                        if let Some(n) = self.tree.get_mut(&key) {
                            n.arm = Some(node);
                        }
                    }
                    Err(e) if e.is_not_found() => {
                        self.tree.remove(&key);
                    }
                    Err(_) => {}
                }
            }
            Event::Console { id, event } => {
                if let Some(c) = self.consoles.iter_mut().find(|c| c.id == id) {
                    c.on_event(event);
                }
            }
            Event::ActivityDone {
                id,
                result,
                elapsed,
            } => {
                self.loading.remove(&id);
                let failed = result.as_ref().err().cloned();
                let user_started = self.activity.finish(id, result, elapsed);
                if let (Some(e), true) = (failed, user_started) {
                    self.toasts
                        .error(e.to_string())
                        .duration(Some(Duration::from_secs(8)));
                }
            }
            Event::Changed {
                account,
                subscription,
                message,
                result,
            } => {
                if result.is_ok() {
                    self.toasts.success(message);
                }
                let key = tree::arm_key(&format!("/subscriptions/{subscription}"));
                if self.tree.get(&key).is_some() && self.sessions.contains_key(&account) {
                    self.load_subscription(&key);
                }
                self.details.invalidate();
            }
            Event::Saved(Ok(path)) => {
                self.toasts.success(format!("Saved {path}"));
            }
            Event::Saved(Err(_)) => {}
            Event::AccountsSaved(Err(e)) => {
                self.toasts
                    .error(e.to_string())
                    .duration(Some(Duration::from_secs(8)));
            }
            other => self.details.on_event(other),
        }
    }

    fn show_directory(&mut self, account_id: &str, dir: Directory) {
        let key = tree::account_key(account_id);
        let was_new = self.new_accounts.remove(account_id);
        if was_new {
            self.add_account = None;
            self.toasts.success("Signed in");
        }
        self.save_accounts();
        let hidden: Vec<String> = self
            .accounts
            .iter()
            .find(|a| a.id == account_id)
            .map(|a| a.hidden_subscriptions.clone())
            .unwrap_or_default();
        if let (Some(who), Some(n)) = (&dir.who, self.tree.get_mut(&key))
            && !n.label.contains(who.as_str())
        {
            n.label = format!("{} — {who}", n.label);
        }
        self.tree.clear_children(&key);
        for (tid, name) in &dir.tenants {
            let tkey = tree::tenant_key(account_id, tid);
            self.tree.upsert(TreeNode {
                key: tkey.clone(),
                parent: Some(key.clone()),
                children: Vec::new(),
                label: if name.is_empty() {
                    format!("Tenant {tid}")
                } else {
                    name.clone()
                },
                kind: Kind::Tenant,
                account: account_id.to_string(),
                arm: None,
                load: Load::Loaded,
            });
            self.tree.expanded.insert(tkey);
        }
        let mut to_load = Vec::new();
        for (sub, tid) in &dir.subscriptions {
            if hidden.iter().any(|h| h.eq_ignore_ascii_case(&sub.name)) {
                continue;
            }
            let skey = tree::arm_key(&sub.id);
            let parent = tree::tenant_key(account_id, tid);
            let parent = if self.tree.get(&parent).is_some() {
                parent
            } else {
                key.clone()
            };
            self.tree.upsert(TreeNode {
                key: skey.clone(),
                parent: Some(parent),
                children: Vec::new(),
                label: sub.display_name.clone().unwrap_or_else(|| sub.name.clone()),
                kind: Kind::Subscription,
                account: account_id.to_string(),
                arm: Some(sub.clone()),
                load: Load::NotLoaded,
            });
            if self.tree.expanded.contains(&skey) || dir.subscriptions.len() <= 3 {
                self.tree.expanded.insert(skey.clone());
                to_load.push(skey);
            }
        }
        if let Some(n) = self.tree.get_mut(&key) {
            n.load = Load::Loaded;
        }
        // A tenant the sign-in lists but shows no subscription of: say why, on the tenant.
        for (tid, _) in &dir.tenants {
            let tkey = tree::tenant_key(account_id, tid);
            let hidden_here = dir.subscriptions.iter().any(|(s, t)| {
                t.eq_ignore_ascii_case(tid)
                    && hidden.iter().any(|h| h.eq_ignore_ascii_case(&s.name))
            });
            if let Some(t) = self.tree.get_mut(&tkey)
                && t.children.is_empty()
            {
                t.load = Load::Failed(if hidden_here {
                    "its subscriptions are unticked in Accounts".into()
                } else {
                    "no subscription of this tenant is visible to this sign-in: Azure issues a token per tenant, so add the account again with this tenant's id, or ask for a role on one of its subscriptions".into()
                });
            }
        }
        self.directories.insert(account_id.to_string(), dir);
        for k in to_load {
            self.load_subscription(&k);
        }
        if self.tree.selected.is_none() {
            self.tree.selected = Some(key);
        }
    }

    fn run_actions(&mut self) {
        let actions = std::mem::take(&mut self.actions);
        for a in actions {
            match a {
                Command::Select(key) => {
                    self.tree.selected = Some(key.clone());
                    self.view = View::Details;
                    self.details.on_select();
                }
                Command::Toggle(key) => {
                    if !self.tree.expanded.remove(&key) {
                        self.tree.expanded.insert(key.clone());
                        if self.tree.get(&key).is_some_and(|n| {
                            n.kind == Kind::Subscription && n.load == Load::NotLoaded
                        }) {
                            self.load_subscription(&key);
                        }
                    }
                    self.tree.mark_dirty();
                }
                Command::Refresh(key) => self.refresh(&key),
                Command::OpenConsole { entity, listen } => self.open_console(&entity, listen),
                Command::CloseConsole(id) => {
                    self.consoles.retain(|c| c.id != id);
                    if self.view == View::Console(id) {
                        self.view = self
                            .consoles
                            .last()
                            .map_or(View::Details, |c| View::Console(c.id));
                    }
                }
                Command::ShowView(v) => self.view = v,
                Command::AddAccount => {
                    self.add_account = Some(AddAccount::default());
                }
                Command::RemoveAccount(id) => self.remove_account(&id),
                Command::SignIn(id) => self.sign_in(&id),
                Command::Confirm(c) => self.confirm = Some(c),
                Command::AttachEntity { account, entity } => self.attach_entity(&account, &entity),
                Command::Forget(key) => {
                    if self.tree.get(&key).is_some() {
                        self.tree.remove(&key);
                    }
                }
                Command::Cancel(activity) => {
                    if self.backend.cancel(activity) {
                        self.activity
                            .finish(activity, Err("cancelled".into()), Duration::ZERO);
                        if let Some(key) = self.loading.remove(&activity) {
                            match self.tree.get(&key).map(|n| (n.kind, n.account.clone())) {
                                Some((Kind::Account, account)) => {
                                    self.fail_account(&account, "sign-in cancelled".into())
                                }
                                Some(_) => {
                                    if let Some(n) = self.tree.get_mut(&key) {
                                        n.load = Load::NotLoaded;
                                    }
                                }
                                None => {}
                            }
                        }
                    }
                }
            }
        }
    }

    /// Picks a sensible identity for consoles that have none yet.
    fn default_console_auth(&mut self) {
        for c in self.consoles.iter_mut().filter(|c| c.auth.is_none()) {
            let rules = self.details.rules.get(&c.entity_key).and_then(Fetch::value);
            c.pick_default_auth(rules.map(Vec::as_slice));
        }
    }

    /// Draws console `id`, with what it may read of the app.
    fn console_ui(&mut self, ui: &mut egui::Ui, id: u64) {
        let Some(c) = self.consoles.iter_mut().find(|c| c.id == id) else {
            ui.label("This console was closed.");
            return;
        };
        let rules = self.details.rules.get(&c.entity_key);
        let mut cx = super::console::ConsoleCx {
            rules: rules.and_then(Fetch::value).map(Vec::as_slice),
            rules_failed: matches!(rules, Some(Fetch::Failed(..))),
            backend: &self.backend,
            activity: &mut self.activity,
            saved_requests: &mut self.persisted.saved_requests,
        };
        c.ui(ui, &mut cx);
    }

    /// Reloads what a node shows: an account's directory, a subscription's tree, the details.
    fn refresh(&mut self, key: &str) {
        let Some(node) = self.tree.get(key) else {
            return;
        };
        let account = node.account.clone();
        let kind = node.kind;
        self.details.invalidate();
        match kind {
            Kind::Account | Kind::Tenant => self.sign_in(&account),
            _ => {
                if let Some(sub) = self.tree.up_to(key, Kind::Subscription) {
                    let k = sub.key.clone();
                    self.load_subscription(&k);
                }
            }
        }
    }

    fn open_console(&mut self, entity_key: &str, listen: bool) {
        if let Some(c) = self
            .consoles
            .iter()
            .find(|c| c.entity_key == entity_key && c.listen == listen)
        {
            self.view = View::Console(c.id);
            return;
        }
        let Some(node) = self.tree.get(entity_key) else {
            return;
        };
        let namespace = self
            .tree
            .up_to(entity_key, Kind::Namespace)
            .and_then(|n| n.arm.as_ref())
            .and_then(|n| n.service_bus_endpoint.clone())
            .unwrap_or_default();
        let id = self.next_console;
        self.next_console += 1;
        let session = self.sessions.get(&node.account).cloned();
        let console = Console::new(id, listen, node, namespace, session);
        self.consoles.push(console);
        self.view = View::Console(id);
        let mut cx = details_cx!(self);
        self.details.request_rules(&mut cx, entity_key);
    }

    /// Every frame: events in, live refreshes, then the window.
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.backend.set_context(&ctx);
        while let Ok(e) = self.events.try_recv() {
            self.on_event(e);
        }
        self.live_refresh();
        self.default_console_auth();
        self.shortcuts(&ctx);
        apply_theme(&ctx, self.persisted.theme);

        egui::Panel::top("top").show(ui, |ui| self.top_bar_ui(ui));
        egui::Panel::bottom("activity")
            .resizable(true)
            .default_size(140.0)
            .min_size(28.0)
            .show(ui, |ui| self.activity_ui(ui));
        egui::Panel::left("tree")
            .resizable(true)
            .default_size(320.0)
            .min_size(200.0)
            .show(ui, |ui| self.left_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            self.tabs_ui(ui);
            match self.view {
                View::Details => {
                    let mut cx = details_cx!(self);
                    self.details.details_ui(&mut cx, ui);
                }
                View::Identities => {
                    let mut cx = details_cx!(self);
                    self.details.identities_ui(&mut cx, ui);
                }
                View::Console(id) => self.console_ui(ui, id),
            }
        });
        self.dialogs_ui(&ctx);
        self.toasts.show(&ctx);
        self.run_actions();
        // Countdowns and "reconnecting in N s" tick even when nothing arrives.
        if self.device_code.is_some()
            || self.consoles.iter().any(Console::is_live)
            || self.emulator == EmulatorState::Starting
        {
            ctx.request_repaint_after(Duration::from_millis(500));
        }
    }

    /// The selected hybrid connection's listener count, every few seconds.
    fn live_refresh(&mut self) {
        if self.last_live_refresh.elapsed() < Duration::from_secs(3) {
            return;
        }
        self.last_live_refresh = Instant::now();
        let Some(sel) = self.tree.selected.clone() else {
            return;
        };
        let Some(node) = self.tree.get(&sel) else {
            return;
        };
        if node.kind != Kind::HybridConnection || self.view != View::Details {
            return;
        }
        let Some(id) = node.arm.as_ref().map(|n| n.id.clone()) else {
            return;
        };
        let Some(arm) = self.sessions.get(&node.account).and_then(|s| s.arm.clone()) else {
            return;
        };
        self.backend.spawn(self.activity.quiet(), async move {
            let result = arm
                .get(&id, RELAY_API)
                .await
                .map(|v| Node::from_value(&v))
                .map_err(|e| Report::arm(&e));
            Event::Entity { id, result }
        });
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        let (ctrl_k, f5, up, down, left, right) = ctx.input(|i| {
            (
                i.modifiers.command && i.key_pressed(Key::K),
                i.key_pressed(Key::F5),
                i.key_pressed(Key::ArrowUp),
                i.key_pressed(Key::ArrowDown),
                i.key_pressed(Key::ArrowLeft),
                i.key_pressed(Key::ArrowRight),
            )
        });
        if ctrl_k {
            self.focus_filter = true;
        }
        if f5 && let Some(s) = self.tree.selected.clone() {
            self.actions.push(Command::Refresh(s));
        }
        if ctx.egui_wants_keyboard_input() || self.view != View::Details {
            return;
        }
        if up {
            self.tree.move_selection(-1);
            self.details.on_select();
        }
        if down {
            self.tree.move_selection(1);
            self.details.on_select();
        }
        if let Some(sel) = self.tree.selected.clone() {
            let has_children = self.tree.get(&sel).is_some_and(|n| n.load != Load::Leaf);
            let open = self.tree.expanded.contains(&sel);
            if right && has_children && !open {
                self.actions.push(Command::Toggle(sel.clone()));
            }
            if left {
                if open {
                    self.actions.push(Command::Toggle(sel));
                } else if let Some(p) = self.tree.get(&sel).and_then(|n| n.parent.clone()) {
                    self.tree.selected = Some(p);
                    self.details.on_select();
                }
            }
        }
    }

    fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading("Relay Explorer");
            ui.add_space(12.0);
            let label = ui.label("Search");
            let mut filter = self.tree.filter().to_string();
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut filter)
                        .hint_text("namespaces, entities…  Ctrl+K")
                        .desired_width(280.0),
                )
                .labelled_by(label.id);
            if self.focus_filter {
                edit.request_focus();
                self.focus_filter = false;
            }
            self.tree.set_filter(&filter);
            if !filter.is_empty()
                && super::widgets::icon_button(ui, "x", "Clear the search").clicked()
            {
                self.tree.set_filter("");
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let theme = match self.persisted.theme {
                    Theme::System => "Theme: system",
                    Theme::Light => "Theme: light",
                    Theme::Dark => "Theme: dark",
                };
                if ui
                    .button(theme)
                    .on_hover_text("Follow the system, or pick light or dark")
                    .clicked()
                {
                    self.persisted.theme = match self.persisted.theme {
                        Theme::System => Theme::Light,
                        Theme::Light => Theme::Dark,
                        Theme::Dark => Theme::System,
                    };
                }
                if ui
                    .button("Refresh")
                    .on_hover_text("Reload the selected node (F5)")
                    .clicked()
                    && let Some(s) = self.tree.selected.clone()
                {
                    self.actions.push(Command::Refresh(s));
                }
                if ui
                    .button("Accounts")
                    .on_hover_text("Accounts, tenants and subscriptions")
                    .clicked()
                {
                    self.accounts_window = !self.accounts_window;
                }
                match &self.emulator {
                    EmulatorState::Starting => {
                        ui.spinner();
                        ui.label("starting the local emulator…");
                    }
                    EmulatorState::Failed(e) => {
                        ui.colored_label(ui.visuals().error_fg_color, "emulator failed")
                            .on_hover_text(e.to_string());
                    }
                    _ => {}
                }
            });
        });
    }

    fn left_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.strong("EXPLORER");
            ui.weak(format!("{} nodes", self.tree.len()));
        });
        let identities_h = 70.0;
        let avail = (ui.available_height() - identities_h).max(80.0);
        egui::ScrollArea::vertical()
            .id_salt("tree-scroll")
            .max_height(avail)
            .auto_shrink([false, false])
            .show_rows(ui, 22.0, self.tree.rows().len(), |ui, range| {
                let rows: Vec<tree::Row> = self.tree.rows()[range].to_vec();
                for row in rows {
                    self.tree_row_ui(ui, &row);
                }
            });
        ui.separator();
        if ui
            .selectable_label(self.view == View::Identities, "Identities")
            .on_hover_text("Managed identities and the credential chain of this machine")
            .clicked()
        {
            self.actions.push(Command::ShowView(View::Identities));
        }
        if ui.button("+ Add account").clicked() {
            self.actions.push(Command::AddAccount);
        }
    }

    fn tree_row_ui(&mut self, ui: &mut egui::Ui, row: &tree::Row) {
        let Some(node) = self.tree.get(&row.key) else {
            return;
        };
        let selected = self.tree.selected.as_deref() == Some(row.key.as_str());
        let open = self.tree.expanded.contains(&row.key) || !self.tree.filter().is_empty();
        let kind = node.kind;
        let load = node.load.clone();
        let label = node.label.clone();
        let listeners = node.arm.as_ref().and_then(|n| n.listener_count);
        let anonymous = node
            .arm
            .as_ref()
            .and_then(|n| n.requires_client_authorization)
            == Some(false);
        ui.horizontal(|ui| {
            ui.set_height(20.0);
            ui.add_space(row.depth as f32 * 14.0);
            if load == Load::Leaf {
                ui.add_space(18.0);
            } else {
                let arrow = if open { "v" } else { ">" };
                if ui
                    .add(
                        egui::Button::new(RichText::new(arrow).monospace())
                            .small()
                            .frame(false),
                    )
                    .on_hover_text(if open { "Collapse" } else { "Expand" })
                    .clicked()
                {
                    self.actions.push(Command::Toggle(row.key.clone()));
                }
            }
            if kind == Kind::HybridConnection {
                let listened = listeners.is_some_and(|n| n > 0);
                let color = if listened {
                    egui::Color32::from_rgb(60, 170, 90)
                } else if anonymous {
                    egui::Color32::from_rgb(200, 150, 40)
                } else {
                    ui.visuals().weak_text_color()
                };
                super::widgets::dot(ui, color, listened).on_hover_text(match listeners {
                    Some(n) if n > 0 => format!("{n} listener(s) online"),
                    _ if anonymous => "no listener; accepts anonymous senders".to_string(),
                    _ => "no listener".to_string(),
                });
            } else {
                let (badge, color) = kind_badge(kind, ui.visuals());
                ui.label(RichText::new(badge).monospace().color(color));
            }
            let r = ui.selectable_label(selected, label.as_str());
            if r.clicked() {
                self.actions.push(Command::Select(row.key.clone()));
            }
            if r.double_clicked() && load != Load::Leaf {
                self.actions.push(Command::Toggle(row.key.clone()));
            }
            r.context_menu(|ui| {
                if ui.button("Refresh").clicked() {
                    self.actions.push(Command::Refresh(row.key.clone()));
                    ui.close();
                }
                if kind == Kind::HybridConnection {
                    if ui.button("Listen").clicked() {
                        self.actions.push(Command::OpenConsole {
                            entity: row.key.clone(),
                            listen: true,
                        });
                        ui.close();
                    }
                    if ui.button("Send").clicked() {
                        self.actions.push(Command::OpenConsole {
                            entity: row.key.clone(),
                            listen: false,
                        });
                        ui.close();
                    }
                }
                if let Some(id) = self
                    .tree
                    .get(&row.key)
                    .and_then(|n| n.arm.as_ref())
                    .map(|n| n.id.clone())
                    && ui.button("Copy id").clicked()
                {
                    ui.ctx().copy_text(id);
                    ui.close();
                }
                if kind == Kind::Account {
                    let account = self
                        .tree
                        .get(&row.key)
                        .map(|n| n.account.clone())
                        .unwrap_or_default();
                    if ui.button("Remove account").clicked() {
                        self.confirm = Some(Confirm::remove_account(&account, &label));
                        ui.close();
                    }
                }
            });
            match &load {
                Load::Loading => {
                    ui.spinner();
                }
                Load::Failed(e) => {
                    ui.colored_label(ui.visuals().error_fg_color, "failed")
                        .on_hover_text(e.to_string());
                }
                _ => {}
            }
        });
    }

    fn tabs_ui(&mut self, ui: &mut egui::Ui) {
        if self.consoles.is_empty() && self.view != View::Identities {
            return;
        }
        ui.horizontal_wrapped(|ui| {
            if ui
                .selectable_label(self.view == View::Details, "Explorer")
                .clicked()
            {
                self.actions.push(Command::ShowView(View::Details));
            }
            if self.view == View::Identities {
                let _ = ui.selectable_label(true, "Identities");
            }
            for c in &self.consoles {
                let title = c.title();
                let live = if c.is_online() { " (live)" } else { "" };
                if ui
                    .selectable_label(self.view == View::Console(c.id), format!("{title}{live}"))
                    .clicked()
                {
                    self.actions.push(Command::ShowView(View::Console(c.id)));
                }
                if super::widgets::icon_button(ui, "x", &format!("Close {title}")).clicked() {
                    self.actions.push(Command::CloseConsole(c.id));
                }
                ui.add_space(6.0);
            }
        });
        ui.separator();
    }

    /// Writes the accounts and the world of the embedded emulator, and stops the emulator.
    pub fn shut_down(&mut self) {
        // The last save is written now (later background saves of older states are skipped).
        let keep = self.accounts_to_keep();
        self.accounts_saved
            .0
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        {
            let _one_at_a_time = self.accounts_saved.1.lock();
            AccountsFile::new(&self.options.config_dir).save(&keep).ok();
        }
        self.consoles.clear();
        if let Some(e) = self.embedded.take()
            && let Ok(e) = Arc::try_unwrap(e)
        {
            let rt = self.backend.runtime().clone();
            let done = std::thread::Builder::new()
                .name("emulator-shutdown".into())
                .spawn(move || rt.block_on(e.running.shutdown()));
            if let Ok(handle) = done {
                handle.join().ok();
            }
        }
    }

    /// The embedded emulator's ready information (tests and the tour use it).
    pub fn embedded_ready(&self) -> Option<&crate::cloud::ReadyInfo> {
        self.embedded.as_ref().map(|e| &e.running.ready)
    }

    pub fn remember_layout(&mut self) {
        self.persisted.expanded = self.tree.expanded.iter().cloned().collect();
        self.persisted.selected = self.tree.selected.clone();
    }

    /// Selects a node by its label path, e.g. `["orders"]` (the first match), expanding its
    /// ancestors. Used by the screenshot tour.
    pub fn select_by_label(&mut self, label: &str) -> bool {
        let found = self
            .tree
            .nodes()
            .filter(|n| n.label == label)
            .map(|n| n.key.clone())
            .min();
        let Some(key) = found else {
            return false;
        };
        for a in self
            .tree
            .ancestors(&key)
            .iter()
            .map(|n| n.key.clone())
            .collect::<Vec<_>>()
        {
            self.tree.expanded.insert(a);
        }
        self.tree.mark_dirty();
        self.actions.push(Command::Select(key));
        true
    }

    pub fn open_console_for(&mut self, label: &str, listen: bool) {
        if let Some(key) = self
            .tree
            .nodes()
            .filter(|n| n.label == label && n.kind == Kind::HybridConnection)
            .map(|n| n.key.clone())
            .min()
        {
            self.actions.push(Command::OpenConsole {
                entity: key,
                listen,
            });
        }
    }
}

/// Steps the screenshot tour and tests can take, as a user would with clicks.
impl App {
    pub fn show_tab(&mut self, label: &str) {
        self.details.show_tab(label);
    }

    pub fn check_principal_for_tour(&mut self, who: &str, action: &str) {
        let Some(key) = self.tree.selected.clone() else {
            return;
        };
        if !self.details.checked.contains_key(&key) {
            self.details.check_input = who.to_string();
            self.details.check_action = action.to_string();
            let mut cx = details_cx!(self);
            self.details
                .request_check_public(&mut cx, &key, who, action);
        }
    }

    /// Opens Listen and Send on `orders`, starts both and sends a few messages.
    pub fn tour_listen_and_send(&mut self, waited: Duration) {
        if self.consoles.is_empty() {
            self.open_console_for("orders", true);
            self.open_console_for("orders", false);
            return;
        }
        let backend = self.backend.clone();
        let listener_online = self.consoles.iter().any(|c| c.listen && c.is_online());
        for c in &mut self.consoles {
            if c.auth.is_some()
                && !c.is_live()
                && (c.listen || listener_online)
                && c.transcript.is_empty()
            {
                let (label, command) = c.start(&backend);
                let a = self.activity.start(label, command);
                self.activity.finish(a, Ok(()), Duration::ZERO);
            }
            if !c.listen
                && c.is_online()
                && c.transcript.total() < 40
                && waited.as_millis().is_multiple_of(3)
            {
                c.send_text(&format!(
                    "{{\"order\": {}, \"item\": \"coffee\"}}",
                    c.transcript.total()
                ));
            }
        }
    }

    /// The device code being shown, if a sign-in waits for one.
    pub fn device_code_prompt(&self) -> Option<&crate::auth::DeviceCodePrompt> {
        self.device_code.as_ref().map(|d| &d.prompt)
    }

    /// Selects a console's newest received message (the tour shows its details).
    pub fn select_last_message(&mut self, console: u64) {
        if let Some(c) = self.consoles.iter_mut().find(|c| c.id == console) {
            let last = c
                .transcript
                .iter()
                .filter(|e| {
                    e.direction == super::transcript::Direction::In
                        && e.kind == super::transcript::EventKind::Text
                })
                .map(|e| e.seq)
                .last();
            if last.is_some() {
                c.selected = last;
            }
        }
    }

    /// Opens a console on `entity` that is not connected, filled with `lines` received messages of
    /// `size` bytes each (benchmarks measure frames and memory with it).
    pub fn demo_console(&mut self, entity: &str, lines: usize, size: usize) {
        use super::transcript::{Direction, Entry, EventKind};
        let node = TreeNode {
            key: format!("demo:{entity}"),
            parent: None,
            children: Vec::new(),
            label: entity.to_string(),
            kind: Kind::HybridConnection,
            account: String::new(),
            arm: None,
            load: Load::Leaf,
        };
        let id = self.next_console;
        self.next_console += 1;
        let mut c = Console::new(id, true, &node, String::new(), None);
        let body = vec![b'x'; size];
        for i in 0..lines {
            c.push(
                Entry::new(Direction::In, EventKind::Text, format!("message {i}"))
                    .with_conn("bench")
                    .with_body(&body),
            );
        }
        self.consoles.push(c);
        self.view = View::Console(id);
    }

    /// Picks the entity the Identities view checks managed identities against.
    pub fn pick_identity_entity(&mut self, label: &str) {
        if self.details.identity_entity.is_none() {
            self.details.identity_entity = self
                .tree
                .nodes()
                .filter(|n| n.label == label && n.kind.is_entity())
                .map(|n| n.key.clone())
                .min();
        }
    }

    /// Opens the "Add account" dialog (as its button does).
    pub fn open_add_account(&mut self) {
        if self.add_account.is_none() {
            self.actions.push(Command::AddAccount);
        }
    }

    /// The consoles, for tests.
    pub fn console_titles(&self) -> Vec<String> {
        self.consoles.iter().map(Console::title).collect()
    }
}

fn apply_theme(ctx: &egui::Context, theme: Theme) {
    let pref = match theme {
        Theme::System => egui::ThemePreference::System,
        Theme::Light => egui::ThemePreference::Light,
        Theme::Dark => egui::ThemePreference::Dark,
    };
    ctx.options_mut(|o| {
        if o.theme_preference != pref {
            o.theme_preference = pref;
        }
    });
}

/// A short badge for a kind, coloured; a hybrid connection with listeners gets a filled dot.
fn kind_badge(kind: Kind, visuals: &egui::Visuals) -> (String, egui::Color32) {
    let weak = visuals.weak_text_color();
    match kind {
        Kind::Account => ("@".into(), visuals.hyperlink_color),
        Kind::Tenant => ("T".into(), weak),
        Kind::Subscription => ("S".into(), weak),
        Kind::ResourceGroup => ("G".into(), weak),
        Kind::Namespace => ("N".into(), visuals.hyperlink_color),
        Kind::HybridConnection => ("H".into(), weak),
        Kind::WcfRelay => ("W".into(), weak),
        Kind::SignalR => ("R".into(), weak),
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
