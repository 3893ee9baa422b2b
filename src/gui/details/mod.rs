//! The details pane of the selected node: Overview, Entities, SAS rules, Role assignments and
//! Access tabs. `DetailsPanel` owns what the tabs fetched (kept, stale while it refreshes) and
//! what the user typed; drawing returns what it wants done as [`Command`]s through its [`Cx`].
//!
//! Layout: `header.rs` (the frame and tabs), one file per tab (`overview.rs`, `entities.rs`,
//! `rules.rs`, `assignments.rs`, `access.rs`), `verdict.rs` (a verdict drawn), `fetches.rs`
//! (background requests and changes). The Identities view shares the panel's checks
//! (`gui/identities.rs`).

mod access;
mod assignments;
mod entities;
mod fetches;
mod header;
mod overview;
mod rules;
mod verdict;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;

use super::accounts::{AccountConfig, Session};
use super::activity::ActivityLog;
use super::backend::{Backend, Directory, Embedded, Event};
use super::command::{CheckSlot, Command};
use super::fetch::{self, Fetch};
use super::tree::{self, Kind, Tree};
use crate::access::explain::WhoRow;
use crate::arm::access::Checked;
use crate::arm::relay::AccessKeys;
use crate::arm::tree::Node;
use crate::report::Report;

/// What the details pane may read of the app while it draws, and where it puts what it wants
/// done. Built by `App` for each frame from its own fields.
pub struct Cx<'a> {
    pub tree: &'a Tree,
    pub sessions: &'a HashMap<String, Arc<Session>>,
    pub accounts: &'a [AccountConfig],
    /// Why an account has no tree, by account id.
    pub account_errors: &'a HashMap<String, Report>,
    pub directories: &'a HashMap<String, Directory>,
    pub embedded: Option<&'a Arc<Embedded>>,
    pub backend: &'a Backend,
    pub activity: &'a mut ActivityLog,
    pub commands: &'a mut Vec<Command>,
}

impl Cx<'_> {
    /// The Resource Manager and Graph clients of a node's account, and the node's ARM id.
    pub fn clients_of(
        &self,
        key: &str,
    ) -> Option<(
        crate::arm::ArmClient,
        crate::arm::graph::GraphClient,
        String,
    )> {
        let (arm, id) = self.arm_of(key)?;
        let graph = self
            .tree
            .get(key)
            .and_then(|n| self.sessions.get(&n.account))
            .and_then(|s| s.graph.clone())?;
        Some((arm, graph, id))
    }

    pub fn arm_of(&self, key: &str) -> Option<(crate::arm::ArmClient, String)> {
        let node = self.tree.get(key)?;
        let arm = self.sessions.get(&node.account)?.arm.clone()?;
        Some((arm, node.arm.as_ref()?.id.clone()))
    }

    /// The CLI options that sign in as the node's account (for "copy as command").
    pub fn cli(&self, key: &str) -> String {
        self.tree
            .get(key)
            .and_then(|n| self.sessions.get(&n.account))
            .map(|s| s.account.cli_options(s.emulator_ready.as_deref()))
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Entities,
    SasRules,
    RoleAssignments,
    Access,
}

impl Tab {
    pub fn label(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Entities => "Entities",
            Tab::SasRules => "SAS rules",
            Tab::RoleAssignments => "Role assignments",
            Tab::Access => "Access",
        }
    }

    pub fn for_kind(kind: Kind, attached: bool) -> &'static [Tab] {
        if attached {
            return &[Tab::Overview];
        }
        match kind {
            Kind::HybridConnection | Kind::WcfRelay => &[
                Tab::Overview,
                Tab::Access,
                Tab::SasRules,
                Tab::RoleAssignments,
            ],
            Kind::Namespace => &[
                Tab::Overview,
                Tab::Entities,
                Tab::SasRules,
                Tab::RoleAssignments,
                Tab::Access,
            ],
            Kind::SignalR => &[Tab::Overview, Tab::Access, Tab::RoleAssignments],
            Kind::Subscription | Kind::ResourceGroup => &[Tab::Overview, Tab::RoleAssignments],
            _ => &[Tab::Overview],
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewRule {
    pub name: String,
    pub listen: bool,
    pub send: bool,
    pub manage: bool,
}

#[derive(Debug, Clone, Default)]
pub struct NewEntity {
    pub name: String,
    pub wcf: bool,
    pub requires_client_authorization: bool,
    pub user_metadata: String,
}

/// Columns of the role-assignment table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Principal,
    Type,
    Role,
    Scope,
}

pub struct DetailsPanel {
    pub tab: Tab,
    pub first_start: bool,
    pub rules: HashMap<String, Fetch<Vec<Node>>>,
    pub keys: HashMap<String, Fetch<AccessKeys>>,
    pub revealed: HashSet<String>,
    pub assignments: HashMap<String, Fetch<Vec<Node>>>,
    pub who: HashMap<String, Fetch<Vec<WhoRow>>>,
    pub checked: HashMap<String, Fetch<Checked>>,
    /// The last principal and action checked on each node, checked again after a change.
    pub last_check: HashMap<String, (String, String)>,
    pub identities: HashMap<String, Fetch<Vec<Value>>>,
    pub identity_checks: HashMap<String, Fetch<Checked>>,
    pub check_input: String,
    pub check_action: String,
    pub assignment_filter: String,
    pub sort: (Column, bool),
    pub new_rule: Option<NewRule>,
    pub new_entity: Option<NewEntity>,
    pub metadata_edit: Option<String>,
    pub attach_input: String,
    pub identity_entity: Option<String>,
    /// The principal pickers' searches (this tab's and *Add role assignment*'s).
    pub principals: super::picker::PrincipalSearch,
}

impl Default for DetailsPanel {
    fn default() -> Self {
        Self {
            tab: Tab::Overview,
            first_start: false,
            rules: HashMap::new(),
            keys: HashMap::new(),
            revealed: HashSet::new(),
            assignments: HashMap::new(),
            who: HashMap::new(),
            checked: HashMap::new(),
            last_check: HashMap::new(),
            identities: HashMap::new(),
            identity_checks: HashMap::new(),
            check_input: String::new(),
            check_action: "send".into(),
            assignment_filter: String::new(),
            sort: (Column::Scope, true),
            new_rule: None,
            new_entity: None,
            metadata_edit: None,
            attach_input: String::new(),
            identity_entity: None,
            principals: Default::default(),
        }
    }
}

impl DetailsPanel {
    /// Where a check's verdict is kept.
    pub fn check_map<'a>(
        &mut self,
        slot: &'a CheckSlot,
    ) -> (&mut HashMap<String, Fetch<Checked>>, &'a str) {
        match slot {
            CheckSlot::Entity(k) => (&mut self.checked, k),
            CheckSlot::Identity(k) => (&mut self.identity_checks, k),
        }
    }

    pub fn show_tab(&mut self, label: &str) {
        for t in [
            Tab::Overview,
            Tab::Entities,
            Tab::SasRules,
            Tab::RoleAssignments,
            Tab::Access,
        ] {
            if t.label() == label {
                self.tab = t;
            }
        }
    }

    pub fn on_select(&mut self) {
        self.new_rule = None;
        self.new_entity = None;
        self.metadata_edit = None;
    }

    /// Forgets fetched data (after a change), so tabs fetch it again.
    /// Marks fetched data stale (after a change): tabs show it while they fetch it again.
    pub fn invalidate(&mut self) {
        fn stale<T>(map: &mut HashMap<String, Fetch<T>>) {
            *map = std::mem::take(map)
                .into_iter()
                .filter_map(|(k, v)| Some((k, v.stale()?)))
                .collect();
        }
        stale(&mut self.rules);
        stale(&mut self.assignments);
        stale(&mut self.who);
        // Keys may have been regenerated and verdicts changed: those are asked for again.
        self.keys.clear();
        self.checked.clear();
    }

    pub fn on_event(&mut self, event: Event) {
        match event {
            Event::Rules { entity, result } => fetch::finish(&mut self.rules, entity, result),
            Event::Keys { rule_id, result } => {
                fetch::finish(&mut self.keys, tree::arm_key(&rule_id), result)
            }
            Event::RoleAssignments { scope, result } => {
                fetch::finish(&mut self.assignments, scope, result)
            }
            Event::WhoCan { entity, result } => fetch::finish(&mut self.who, entity, result),
            Event::Checked { slot, result } => {
                let (map, k) = self.check_map(&slot);
                fetch::finish(map, k.to_string(), result)
            }
            Event::Identities { account, result } => {
                fetch::finish(&mut self.identities, account, result)
            }
            Event::Principals {
                account,
                text,
                result,
            } => self.principals.on_result(&account, &text, result),
            _ => {}
        }
    }
}

pub fn hint(e: &crate::arm::ArmError) -> Report {
    Report::arm(e)
}

/// `Subscription x / rg / namespace / entity` for a scope id.
pub fn scope_short(scope: &str) -> String {
    let parts: Vec<&str> = scope.split('/').filter(|s| !s.is_empty()).collect();
    match parts.as_slice() {
        [] => "root".into(),
        ["providers", _, "managementGroups", mg, ..] => format!("management group {mg}"),
        ["subscriptions", s] => format!("subscription {s}"),
        ["subscriptions", _, _, rg] => format!("resource group {rg}"),
        [.., name] => name.to_string(),
    }
}

/// A WebSocket address without its per-connection `sb-hc-id` (a fresh one each time).
pub fn without_id(url: &str) -> String {
    match url.find("&sb-hc-id=") {
        Some(i) => url[..i].to_string(),
        None => url.to_string(),
    }
}

/// The data action of the SignalR App Server role.
pub const SIGNALR_SERVER: &str = "Microsoft.SignalRService/SignalR/serverConnection/write";

pub fn valid_entity_name(name: &str) -> Result<(), String> {
    let n = name.trim();
    if n.is_empty() {
        return Err("give a name".into());
    }
    if n.len() > 260 {
        return Err("a name has at most 260 characters".into());
    }
    if !n
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
    {
        return Err(format!(
            "'{n}' may only have letters, digits, '-', '.' and '_'"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_shortened_to_what_a_person_reads() {
        assert_eq!(scope_short("/subscriptions/abc"), "subscription abc");
        assert_eq!(
            scope_short("/subscriptions/abc/resourceGroups/rg-relay"),
            "resource group rg-relay"
        );
        assert_eq!(
            scope_short(
                "/subscriptions/abc/resourceGroups/rg/providers/Microsoft.Relay/namespaces/ns/hybridConnections/orders"
            ),
            "orders"
        );
        assert_eq!(
            scope_short("/providers/Microsoft.Management/managementGroups/root-mg"),
            "management group root-mg"
        );
    }

    #[test]
    fn entity_names_are_checked_before_they_reach_azure() {
        assert!(valid_entity_name("orders-1.v2_x").is_ok());
        assert!(valid_entity_name("").is_err());
        assert!(
            valid_entity_name("no spaces")
                .unwrap_err()
                .contains("'no spaces'")
        );
    }
}
