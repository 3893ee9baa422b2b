//! The app: its state, the events it folds in at the top of each frame, the actions views ask
//! for, and the window's layout (top bar, tree, details or console, activity log).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui::{self, Key, RichText};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

mod dialogs;
mod events;
mod layout;
mod sign_in;
mod tour;

pub use tour::Tour;

use crate::arm::RELAY_API;
use crate::arm::tree::Node;
use crate::auth::{AuthMethod, SecretKind, Vault};
use crate::gui::accounts::{
    self, AccountConfig, AccountsFile, CloudConfig, PendingDeviceCode, Session, SessionInputs,
};
use crate::gui::activity::ActivityLog;
use crate::gui::backend::{Backend, Directory, Embedded, Event};
use crate::gui::command::Command;
use crate::gui::console::Console;
use crate::gui::details::DetailsPanel;
use crate::gui::dialogs::{AddAccount, Confirm};
use crate::gui::fetch::Fetch;
use crate::gui::tree::{self, Kind, Load, Tree, TreeNode};
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
    pub saved_requests: Vec<crate::gui::console::SavedRequest>,
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
        crate::gui::details::Cx {
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
    pub(super) view_as: crate::gui::view_as::ViewAs,
    pub(super) consoles: Vec<Console>,
    next_console: u64,
    pub view: View,
    pub(super) activity: ActivityLog,
    pub(super) toasts: crate::gui::toasts::Notices,
    pub(super) add_account: Option<AddAccount>,
    pub(super) device_code: Option<PendingDeviceCode>,
    pub(super) confirm: Option<Confirm>,
    /// The *Add role assignment* dialog, when open.
    pub(super) grant: Option<crate::gui::grant::NewAssignment>,
    pub(super) accounts_window: bool,
    pub persisted: Persisted,
    pub(super) actions: Vec<Command>,
    last_live_refresh: Instant,
    pub(super) focus_filter: bool,
    /// Whether the search box had the focus in the last frame (Escape clears it).
    pub(super) search_had_focus: bool,
    /// Closing was asked for with live consoles: the question is shown.
    pub(super) quit_asked: bool,
    /// The user said to quit anyway.
    pub(super) quit_confirmed: bool,
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
            view_as: Default::default(),
            consoles: Vec::new(),
            next_console: 1,
            view: View::Details,
            activity,
            toasts: crate::gui::toasts::Notices::default(),
            add_account: None,
            device_code: None,
            confirm: None,
            grant: None,
            accounts_window: false,
            persisted,
            actions: Vec::new(),
            last_live_refresh: Instant::now(),
            focus_filter: false,
            search_had_focus: false,
            quit_asked: false,
            quit_confirmed: false,
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
        // Stopped even while a background task still holds a reference to it: its ports must be
        // free when the window has closed.
        if let Some(e) = self.embedded.take() {
            let rt = self.backend.runtime().clone();
            let done = std::thread::Builder::new()
                .name("emulator-shutdown".into())
                .spawn(move || rt.block_on(e.running.stop()));
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
