//! The details pane of the selected node: Overview, Entities, SAS rules, Role assignments and
//! Access tabs, and the Identities view. Data is fetched in the background the first time a tab
//! asks for it and kept (stale while it refreshes).

use std::collections::{HashMap, HashSet};

use eframe::egui::{self, Color32, RichText};
use serde_json::Value;

use super::app::{Action, App};
use super::backend::Event;
use super::dialogs::{Confirm, ConfirmAction};
use super::tree::{self, Kind, Load};
use super::widgets::{copy_button, dot, error_text, masked, report_ui, section};
use crate::access::explain::{self, Blocker, Grant, WhoRow};
use crate::arm::RELAY_API;
use crate::arm::access::Checked;
use crate::arm::relay::AccessKeys;
use crate::arm::tree::Node;
use crate::report::Report;

/// A value fetched in the background: pending (keeping what was there), ready, or failed.
#[derive(Debug, Clone)]
pub enum Fetch<T> {
    Pending(Option<T>),
    Ready(T),
    Failed(Report, Option<T>),
    /// Shown while it is fetched again (after a change).
    Stale(T),
}

impl<T> Fetch<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Fetch::Pending(v) | Fetch::Failed(_, v) => v.as_ref(),
            Fetch::Ready(v) | Fetch::Stale(v) => Some(v),
        }
    }

    /// Whether a tab that shows it should ask for it (again).
    fn wanted(f: Option<&Fetch<T>>) -> bool {
        matches!(f, None | Some(Fetch::Stale(_)))
    }

    fn stale(self) -> Option<Fetch<T>> {
        self.take().map(Fetch::Stale)
    }

    fn resolve(previous: Option<Fetch<T>>, result: Result<T, Report>) -> Fetch<T> {
        match result {
            Ok(v) => Fetch::Ready(v),
            Err(e) => Fetch::Failed(e, previous.and_then(Fetch::take)),
        }
    }

    fn take(self) -> Option<T> {
        match self {
            Fetch::Pending(v) | Fetch::Failed(_, v) => v,
            Fetch::Ready(v) | Fetch::Stale(v) => Some(v),
        }
    }
}

/// Who asked for an access check: the Access tab (by entity) or the Identities view (by
/// identity, entity and action).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckSlot {
    Entity(String),
    Identity(String),
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
    fn label(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Entities => "Entities",
            Tab::SasRules => "SAS rules",
            Tab::RoleAssignments => "Role assignments",
            Tab::Access => "Access",
        }
    }

    fn for_kind(kind: Kind, attached: bool) -> &'static [Tab] {
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

pub struct DetailsState {
    pub tab: Tab,
    pub first_start: bool,
    pub rules: HashMap<String, Fetch<Vec<Node>>>,
    pub keys: HashMap<String, Fetch<AccessKeys>>,
    pub revealed: HashSet<String>,
    pub assignments: HashMap<String, Fetch<Vec<Node>>>,
    pub who: HashMap<String, Fetch<Vec<WhoRow>>>,
    pub checked: HashMap<String, Fetch<Checked>>,
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
}

impl Default for DetailsState {
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
        }
    }
}

impl DetailsState {
    /// Where a check's verdict is kept.
    fn check_map<'a>(
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
            Event::Rules { entity, result } => {
                let prev = self.rules.remove(&entity);
                self.rules.insert(entity, Fetch::resolve(prev, result));
            }
            Event::Keys { rule_id, result } => {
                let k = tree::arm_key(&rule_id);
                let prev = self.keys.remove(&k);
                self.keys.insert(k, Fetch::resolve(prev, result));
            }
            Event::RoleAssignments { scope, result } => {
                let prev = self.assignments.remove(&scope);
                self.assignments.insert(scope, Fetch::resolve(prev, result));
            }
            Event::WhoCan { entity, result } => {
                let prev = self.who.remove(&entity);
                self.who.insert(entity, Fetch::resolve(prev, result));
            }
            Event::Checked { slot, result } => {
                let (map, k) = self.check_map(&slot);
                let prev = map.remove(k);
                map.insert(k.to_string(), Fetch::resolve(prev, result));
            }
            Event::Identities { account, result } => {
                let prev = self.identities.remove(&account);
                self.identities
                    .insert(account, Fetch::resolve(prev, result));
            }
            _ => {}
        }
    }
}

fn hint(e: &crate::arm::ArmError) -> Report {
    Report::arm(e)
}

impl App {
    /// The Resource Manager and Graph clients of a node's account, and the node's ARM id.
    fn clients_of(
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

    fn arm_of(&self, key: &str) -> Option<(crate::arm::ArmClient, String)> {
        let node = self.tree.get(key)?;
        let arm = self.sessions.get(&node.account)?.arm.clone()?;
        Some((arm, node.arm.as_ref()?.id.clone()))
    }

    fn cli(&self, key: &str) -> String {
        self.tree
            .get(key)
            .and_then(|n| self.sessions.get(&n.account))
            .map(|s| s.account.cli_options(s.emulator_ready.as_deref()))
            .unwrap_or_default()
    }

    /// SAS rules of an entity (and of its namespace), or of a namespace.
    pub(super) fn request_rules(&mut self, key: &str) {
        if !Fetch::wanted(self.details.rules.get(key)) {
            return;
        }
        let Some((arm, id)) = self.arm_of(key) else {
            return;
        };
        let namespace = self
            .tree
            .up_to(key, Kind::Namespace)
            .and_then(|n| n.arm.as_ref())
            .map(|n| n.id.clone())
            .filter(|ns| !ns.eq_ignore_ascii_case(&id));
        let prev = self.details.rules.remove(key).and_then(Fetch::take);
        self.details
            .rules
            .insert(key.to_string(), Fetch::Pending(prev));
        let activity = self.activity.start(
            format!(
                "List SAS rules of {}",
                id.rsplit('/').next().unwrap_or_default()
            ),
            Some(format!("relay-explorer ls {id} --rules {}", self.cli(key))),
        );
        let entity = key.to_string();
        self.backend.spawn(activity, async move {
            let mut result = arm
                .list(format!("{id}/authorizationRules"), RELAY_API)
                .await
                .map(|l| l.iter().map(Node::from_value).collect::<Vec<_>>())
                .map_err(|e| hint(&e));
            if let (Ok(rules), Some(ns)) = (&mut result, namespace)
                && let Ok(more) = arm
                    .list(format!("{ns}/authorizationRules"), RELAY_API)
                    .await
            {
                rules.extend(more.iter().map(Node::from_value));
            }
            Event::Rules { entity, result }
        });
    }

    fn request_keys(&mut self, rule_id: &str, key: &str) {
        let Some((arm, _)) = self.arm_of(key) else {
            return;
        };
        let k = tree::arm_key(rule_id);
        self.details.keys.insert(k, Fetch::Pending(None));
        let activity = self.activity.start(
            format!("listKeys {}", rule_id.rsplit('/').next().unwrap_or_default()),
            Some(format!(
                "curl -X POST -H \"Authorization: Bearer $(relay-explorer token {})\" '{}{rule_id}/listKeys?api-version={RELAY_API}'",
                self.cli(key),
                self.sessions.get(&self.tree.get(key).map(|n| n.account.clone()).unwrap_or_default()).map(|s| s.cloud.resource_manager.clone()).unwrap_or_default()
            )),
        );
        let rule_id = rule_id.to_string();
        self.backend.spawn(activity, async move {
            let result = arm.list_keys(&rule_id).await.map_err(|e| hint(&e));
            Event::Keys { rule_id, result }
        });
    }

    pub(super) fn regenerate_key(&mut self, rule_id: &str, key: &str, secondary: bool) {
        let Some((arm, _)) = self.arm_of(key) else {
            return;
        };
        let which = if secondary {
            crate::arm::relay::KeyKind::Secondary
        } else {
            crate::arm::relay::KeyKind::Primary
        };
        let activity = self.activity.start(
            format!(
                "Regenerate the {} key of {}",
                if secondary { "secondary" } else { "primary" },
                rule_id.rsplit('/').next().unwrap_or_default()
            ),
            None,
        );
        self.details
            .keys
            .insert(tree::arm_key(rule_id), Fetch::Pending(None));
        let rule_id = rule_id.to_string();
        self.backend.spawn(activity, async move {
            let result = arm
                .regenerate_key(&rule_id, which)
                .await
                .map_err(|e| hint(&e));
            Event::Keys { rule_id, result }
        });
    }

    fn request_assignments(&mut self, key: &str) {
        if !Fetch::wanted(self.details.assignments.get(key)) {
            return;
        }
        let Some((arm, graph, id)) = self.clients_of(key) else {
            return;
        };
        let prev = self.details.assignments.remove(key).and_then(Fetch::take);
        self.details
            .assignments
            .insert(key.to_string(), Fetch::Pending(prev));
        let activity = self.activity.start(
            format!(
                "List role assignments of {}",
                id.rsplit('/').next().unwrap_or_default()
            ),
            Some(format!(
                "relay-explorer ls {id} --role-assignments {}",
                self.cli(key)
            )),
        );
        let scope_key = key.to_string();
        self.backend.spawn(activity, async move {
            let result = async {
                let mut assignments = arm.assignments_reaching(&id).await.map_err(|e| hint(&e))?;
                graph.name_principals(&mut assignments).await.ok();
                Ok::<_, Report>(assignments)
            }
            .await;
            Event::RoleAssignments {
                scope: scope_key,
                result,
            }
        });
    }

    fn request_who(&mut self, key: &str, force: bool) {
        if !force && !Fetch::wanted(self.details.who.get(key)) {
            return;
        }
        let Some((arm, graph, id)) = self.clients_of(key) else {
            return;
        };
        let prev = self.details.who.remove(key).and_then(Fetch::take);
        self.details
            .who
            .insert(key.to_string(), Fetch::Pending(prev));
        let activity = self.activity.start(
            format!(
                "Who can reach {}",
                id.rsplit('/').next().unwrap_or_default()
            ),
            Some(format!(
                "relay-explorer access --entity {id} --who {}",
                self.cli(key)
            )),
        );
        let entity = key.to_string();
        self.backend.spawn(activity, async move {
            let result = crate::arm::access::who_can(&arm, &graph, &id)
                .await
                .map_err(|e| Report::of(&e));
            Event::WhoCan { entity, result }
        });
    }

    pub(super) fn request_check_public(&mut self, key: &str, who: &str, action: &str) {
        self.request_check(key, who, action, CheckSlot::Entity(key.to_string()));
    }

    fn request_check(&mut self, key: &str, who: &str, action: &str, slot: CheckSlot) {
        let Some((arm, graph, id)) = self.clients_of(key) else {
            return;
        };
        let (map, k) = self.details.check_map(&slot);
        let prev = map.remove(k).and_then(Fetch::take);
        map.insert(k.to_string(), Fetch::Pending(prev));
        let activity = self.activity.start(
            format!(
                "May {who} {action} on {}?",
                id.rsplit('/').next().unwrap_or_default()
            ),
            Some(format!(
                "relay-explorer access --principal {who} --entity {id} --action {action} {}",
                self.cli(key)
            )),
        );
        let (who, action) = (who.to_string(), action.to_string());
        self.backend.spawn(activity, async move {
            let result = crate::arm::access::check(&arm, &graph, &id, &who, &action)
                .await
                .map_err(|e| Report::of(&e));
            Event::Checked { slot, result }
        });
    }

    fn change<F>(
        &mut self,
        key: &str,
        label: String,
        command: Option<String>,
        message: String,
        work: F,
    ) where
        F: std::future::Future<Output = Result<(), crate::arm::ArmError>> + Send + 'static,
    {
        let Some(node) = self.tree.get(key) else {
            return;
        };
        let account = node.account.clone();
        let subscription = node
            .arm
            .as_ref()
            .and_then(|n| n.id.split('/').nth(2).map(str::to_string))
            .unwrap_or_default();
        let activity = self.activity.start(label, command);
        self.backend.spawn(activity, async move {
            let result = work.await.map_err(|e| hint(&e));
            Event::Changed {
                account,
                subscription,
                message,
                result,
            }
        });
    }

    pub(super) fn run_confirmed(&mut self, action: ConfirmAction) {
        match action {
            ConfirmAction::RemoveAccount(id) => self.actions.push(Action::RemoveAccount(id)),
            ConfirmAction::Regenerate {
                rule_id,
                key,
                secondary,
            } => self.regenerate_key(&rule_id, &key, secondary),
            ConfirmAction::Delete { id, key } => {
                let Some((arm, _)) = self.arm_of(&key) else {
                    return;
                };
                let name = id.rsplit('/').next().unwrap_or_default().to_string();
                let target = id.clone();
                self.change(
                    &key,
                    format!("Delete {name}"),
                    None,
                    format!("Deleted {name}"),
                    async move { arm.delete(&target).await },
                );
                if self.tree.get(&tree::arm_key(&id)).is_some() {
                    self.tree.remove(&tree::arm_key(&id));
                }
            }
        }
    }

    pub(super) fn details_ui(&mut self, ui: &mut egui::Ui) {
        let Some(key) = self.tree.selected.clone() else {
            self.empty_state_ui(ui);
            return;
        };
        // Everything but the children (a namespace may have thousands), once a frame.
        let Some(node) = self.tree.get(&key).map(tree::TreeNode::shallow) else {
            self.empty_state_ui(ui);
            return;
        };
        let attached = key.starts_with("cs:");
        // Header: name, kind, live badges, actions.
        ui.horizontal(|ui| {
            ui.heading(&node.label);
            ui.weak(format!("({})", node.kind.noun()));
            if let Some(n) = &node.arm {
                if let Some(c) = n.listener_count {
                    let color = if c > 0 {
                        Color32::from_rgb(60, 170, 90)
                    } else {
                        ui.visuals().weak_text_color()
                    };
                    dot(ui, color, c > 0);
                    ui.label(
                        RichText::new(format!("{c} listener{}", if c == 1 { "" } else { "s" }))
                            .color(color),
                    );
                }
                match n.requires_client_authorization {
                    Some(true) => {
                        ui.label("client authorization required");
                    }
                    Some(false) => {
                        ui.colored_label(
                            Color32::from_rgb(200, 150, 40),
                            "anonymous senders allowed",
                        );
                    }
                    None => {}
                }
            }
            let deletable = node.kind.is_entity() && !attached;
            if node.kind == Kind::HybridConnection || deletable {
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if deletable
                        && let Some(id) = node.arm.as_ref().map(|n| n.id.clone())
                        && ui
                            .button(format!("Delete this {}", node.kind.noun()))
                            .clicked()
                    {
                        self.confirm = Some(Confirm::delete(&id, &key));
                    }
                    if node.kind != Kind::HybridConnection {
                        return;
                    }
                    if ui
                        .button("Send")
                        .on_hover_text("Open a Send console on this hybrid connection")
                        .clicked()
                    {
                        self.actions.push(Action::OpenConsole {
                            entity: key.clone(),
                            listen: false,
                        });
                    }
                    if ui
                        .button("Listen")
                        .on_hover_text("Open a Listen console on this hybrid connection")
                        .clicked()
                    {
                        self.actions.push(Action::OpenConsole {
                            entity: key.clone(),
                            listen: true,
                        });
                    }
                });
            }
        });
        let tabs = Tab::for_kind(node.kind, attached);
        if !tabs.contains(&self.details.tab) {
            self.details.tab = Tab::Overview;
        }
        ui.horizontal(|ui| {
            for t in tabs {
                if ui
                    .selectable_label(self.details.tab == *t, t.label())
                    .clicked()
                {
                    self.details.tab = *t;
                }
            }
        });
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("details")
            .auto_shrink([false, false])
            .show(ui, |ui| match self.details.tab {
                Tab::Overview => self.overview_ui(ui, &key, &node),
                Tab::Entities => self.entities_ui(ui, &key),
                Tab::SasRules => self.rules_ui(ui, &key, &node),
                Tab::RoleAssignments => self.assignments_ui(ui, &key),
                Tab::Access => self.access_ui(ui, &key, &node),
            });
    }

    fn empty_state_ui(&mut self, ui: &mut egui::Ui) {
        ui.vertical_centered(|ui| {
            ui.add_space(60.0);
            ui.heading("Nothing selected");
            if self.accounts.is_empty() {
                ui.label("Add an account to browse Azure Relay, or start from the local emulator's demo.");
                if ui.button("+ Add account").clicked() {
                    self.actions.push(Action::AddAccount);
                }
            } else {
                ui.label("Pick a namespace or a hybrid connection in the tree on the left.");
            }
        });
    }

    fn overview_ui(&mut self, ui: &mut egui::Ui, key: &str, node: &tree::TreeNode) {
        if node.kind == Kind::Account {
            self.account_overview_ui(ui, node);
            return;
        }
        if let Load::Failed(e) = &node.load {
            report_ui(ui, e);
        }
        let Some(n) = &node.arm else {
            ui.label("A tenant of this account. Expand it to see its subscriptions.");
            return;
        };
        let attached = key.starts_with("cs:");
        egui::Grid::new("overview")
            .num_columns(3)
            .striped(true)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                let row = |ui: &mut egui::Ui, name: &str, value: &str, copy: bool| {
                    ui.label(name);
                    ui.add(egui::Label::new(RichText::new(value).monospace()).wrap());
                    if copy {
                        copy_button(ui, value, name);
                    } else {
                        ui.label("");
                    }
                    ui.end_row();
                };
                if !attached {
                    row(ui, "Id", &n.id, true);
                }
                if let Some(d) = &n.display_name {
                    row(ui, "Display name", d, false);
                }
                if node.kind == Kind::Subscription {
                    row(ui, "Subscription id", &n.name, true);
                }
                if let Some(l) = &n.location {
                    row(ui, "Location", l, false);
                }
                let endpoint = self
                    .tree
                    .up_to(key, Kind::Namespace)
                    .and_then(|ns| ns.arm.as_ref())
                    .and_then(|ns| ns.service_bus_endpoint.clone());
                if let Some(e) = &endpoint {
                    row(ui, "Service Bus endpoint", e, true);
                }
                if node.kind == Kind::HybridConnection
                    && let Some(e) = &endpoint
                    && let Ok(ep) = crate::relay::client::Endpoint::new(e, &n.name)
                {
                    row(
                        ui,
                        "Listener URL",
                        &without_id(&ep.ws_url("listen", "", &[])),
                        true,
                    );
                    row(
                        ui,
                        "Sender URL",
                        &without_id(&ep.ws_url("connect", "", &[])),
                        true,
                    );
                    row(ui, "HTTP URL", &ep.https_url(""), true);
                }
                if let Some(c) = n.listener_count {
                    row(ui, "Listeners", &c.to_string(), false);
                }
                if let Some(r) = n.requires_client_authorization {
                    row(
                        ui,
                        "Requires client authorization",
                        if r { "yes" } else { "no (anyone may send)" },
                        false,
                    );
                }
                if let Some(t) = &n.relay_type {
                    row(ui, "Relay type", t, false);
                }
                if node.kind == Kind::HybridConnection && !attached {
                    let meta_label = ui.label("User metadata");
                    let mut save = None;
                    match &mut self.details.metadata_edit {
                        Some(text) => {
                            ui.add(egui::TextEdit::multiline(text).desired_rows(2))
                                .labelled_by(meta_label.id);
                            let mut cancel = false;
                            ui.horizontal(|ui| {
                                if ui.button("Save").clicked() {
                                    save = Some(text.clone());
                                }
                                if ui.button("Cancel").clicked() {
                                    cancel = true;
                                }
                            });
                            if cancel {
                                self.details.metadata_edit = None;
                            }
                        }
                        None => {
                            ui.label(n.user_metadata.as_deref().unwrap_or("(none)"));
                            if ui.small_button("Edit").clicked() {
                                self.details.metadata_edit =
                                    Some(n.user_metadata.clone().unwrap_or_default());
                            }
                        }
                    }
                    if let Some(text) = save {
                        self.details.metadata_edit = None;
                        if let Some((arm, id)) = self.arm_of(key) {
                            let ns = id
                                .rsplit_once("/hybridConnections/")
                                .or_else(|| id.rsplit_once("/hybridconnections/"))
                                .map(|(a, b)| (a.to_string(), b.to_string()));
                            let rca = n.requires_client_authorization.unwrap_or(true);
                            if let Some((ns, name)) = ns {
                                self.change(
                                    key,
                                    format!("Update {name}"),
                                    None,
                                    format!("Saved the user metadata of {name}"),
                                    async move {
                                        arm.put_hybrid_connection(&ns, &name, rca, Some(&text))
                                            .await
                                            .map(|_| ())
                                    },
                                );
                            }
                        }
                    }
                    ui.end_row();
                }
            });
        if attached && node.kind == Kind::Namespace {
            ui.add_space(8.0);
            ui.label("This namespace was attached with a connection string. Add a hybrid connection by name to listen or send on it:");
            ui.horizontal(|ui| {
                let l = ui.label("Hybrid connection");
                ui.add(
                    egui::TextEdit::singleline(&mut self.details.attach_input).hint_text("orders"),
                )
                .labelled_by(l.id);
                if ui.button("Add").clicked() && !self.details.attach_input.trim().is_empty() {
                    let name = self.details.attach_input.trim().to_string();
                    self.details.attach_input.clear();
                    self.attach_entity(&node.account, &name);
                }
            });
        }
    }

    fn account_overview_ui(&mut self, ui: &mut egui::Ui, node: &tree::TreeNode) {
        let Some(account) = self.accounts.iter().find(|a| a.id == node.account).cloned() else {
            return;
        };
        ui.label(format!(
            "Signed in with {} to {}.",
            account.method_label(),
            account.cloud.label()
        ));
        if let Some(dir) = self.directories.get(&account.id) {
            ui.label(format!(
                "{} tenant(s), {} subscription(s){}",
                dir.tenants.len(),
                dir.subscriptions.len(),
                dir.who
                    .as_ref()
                    .map(|w| format!(", as {w}"))
                    .unwrap_or_default()
            ));
        }
        if let Some(e) = self.account_errors.get(&account.id) {
            report_ui(ui, e);
            if ui.button("Sign in again").clicked() {
                self.actions.push(Action::SignIn(account.id.clone()));
            }
        }
        if account.cloud == super::accounts::CloudConfig::Embedded {
            ui.add_space(8.0);
            section(ui, "The local emulator");
            ui.label("This is the built-in emulator of Entra ID, Resource Manager, Graph and the Relay data plane, with the demo company Northwind Traders. Expand it to browse; pick a hybrid connection and Listen and Send in two tabs; open Access to see who may do what and why.");
            if let Some(e) = &self.embedded {
                ui.horizontal(|ui| {
                    ui.label("Ready file (for the CLI and the Azure SDKs):");
                    let p = e.ready_path.display().to_string();
                    ui.monospace(&p);
                    copy_button(ui, &p, "ready file path");
                });
            }
            if ui.button("+ Add an Azure account").clicked() {
                self.actions.push(Action::AddAccount);
            }
        }
        ui.add_space(8.0);
        if ui.button("Remove account").clicked() {
            self.confirm = Some(Confirm::remove_account(&account.id, &account.label));
        }
    }

    fn entities_ui(&mut self, ui: &mut egui::Ui, key: &str) {
        let children: Vec<String> = self
            .tree
            .get(key)
            .map(|n| n.children.clone())
            .unwrap_or_default();
        ui.horizontal(|ui| {
            if ui.button("+ Hybrid connection").clicked() {
                self.details.new_entity = Some(NewEntity {
                    requires_client_authorization: true,
                    ..Default::default()
                });
            }
            if ui.button("+ WCF relay").clicked() {
                self.details.new_entity = Some(NewEntity {
                    wcf: true,
                    requires_client_authorization: true,
                    ..Default::default()
                });
            }
        });
        if let Some(mut form) = self.details.new_entity.take() {
            let mut keep = true;
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.strong(if form.wcf {
                    "New WCF relay"
                } else {
                    "New hybrid connection"
                });
                ui.horizontal(|ui| {
                    let l = ui.label("Name");
                    ui.add(egui::TextEdit::singleline(&mut form.name))
                        .labelled_by(l.id);
                });
                ui.checkbox(
                    &mut form.requires_client_authorization,
                    "Requires client authorization (cannot be changed later)",
                );
                if !form.wcf {
                    ui.horizontal(|ui| {
                        let l = ui.label("User metadata");
                        ui.add(egui::TextEdit::singleline(&mut form.user_metadata))
                            .labelled_by(l.id);
                    });
                }
                let valid = valid_entity_name(&form.name);
                if let Err(why) = &valid
                    && !form.name.is_empty()
                {
                    error_text(ui, why);
                }
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(valid.is_ok(), egui::Button::new("Create"))
                        .clicked()
                        && let Some((arm, ns)) = self.arm_of(key)
                    {
                        let f = form.clone();
                        let label = format!("Create {}", f.name);
                        self.change(
                            key,
                            label,
                            Some(format!(
                                "az relay hyco create -g RG --namespace-name {} -n {}",
                                ns.rsplit('/').next().unwrap_or_default(),
                                f.name
                            )),
                            format!("Created {}", f.name),
                            async move {
                                if f.wcf {
                                    arm.put_wcf_relay(
                                        &ns,
                                        &f.name,
                                        "NetTcp",
                                        f.requires_client_authorization,
                                    )
                                    .await
                                    .map(|_| ())
                                } else {
                                    let meta = (!f.user_metadata.is_empty())
                                        .then_some(f.user_metadata.as_str());
                                    arm.put_hybrid_connection(
                                        &ns,
                                        &f.name,
                                        f.requires_client_authorization,
                                        meta,
                                    )
                                    .await
                                    .map(|_| ())
                                }
                            },
                        );
                        keep = false;
                    }
                    if ui.button("Cancel").clicked() {
                        keep = false;
                    }
                });
            });
            if keep {
                self.details.new_entity = Some(form);
            }
        }
        ui.add_space(6.0);
        if children.is_empty() {
            ui.weak("No hybrid connections or WCF relays yet.");
            return;
        }
        // A virtual table: a namespace may hold thousands of entities.
        use egui_extras::{Column as C, TableBuilder};
        let (tree, actions, confirm) = (&self.tree, &mut self.actions, &mut self.confirm);
        TableBuilder::new(ui)
            .id_salt("entities")
            .striped(true)
            .max_scroll_height(420.0)
            .column(C::initial(240.0).at_least(80.0))
            .column(C::initial(140.0))
            .column(C::initial(80.0))
            .column(C::remainder())
            .header(20.0, |mut h| {
                for title in ["Name", "Kind", "Listeners", ""] {
                    h.col(|ui| {
                        ui.strong(title);
                    });
                }
            })
            .body(|body| {
                body.rows(22.0, children.len(), |mut row| {
                    let Some(c) = tree.get(&children[row.index()]) else {
                        return;
                    };
                    row.col(|ui| {
                        if ui.link(&c.label).clicked() {
                            actions.push(Action::Select(c.key.clone()));
                        }
                    });
                    row.col(|ui| {
                        ui.label(c.kind.noun());
                    });
                    row.col(|ui| {
                        ui.label(
                            c.arm
                                .as_ref()
                                .and_then(|n| n.listener_count)
                                .map(|n| n.to_string())
                                .unwrap_or_default(),
                        );
                    });
                    row.col(|ui| {
                        if let Some(id) = c.arm.as_ref().map(|n| n.id.as_str())
                            && ui
                                .small_button("Delete")
                                .on_hover_text(format!("Delete {}", c.label))
                                .clicked()
                        {
                            *confirm = Some(Confirm::delete(id, key));
                        }
                    });
                });
            });
    }

    fn rules_ui(&mut self, ui: &mut egui::Ui, key: &str, node: &tree::TreeNode) {
        self.request_rules(key);
        let fetch = self.details.rules.get(key).cloned();
        if let Some(Fetch::Failed(e, _)) = &fetch {
            report_ui(ui, e);
        }
        if matches!(fetch, Some(Fetch::Pending(None)) | None) {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Loading SAS rules…");
            });
            return;
        }
        let rules = fetch.and_then(|f| f.value().cloned()).unwrap_or_default();
        ui.horizontal(|ui| {
            ui.label(
                "A SAS rule's key signs tokens for Listen, Send or Manage (which implies both).",
            );
            if ui.button("+ Add rule").clicked() {
                self.details.new_rule = Some(NewRule::default());
            }
        });
        if let Some(mut form) = self.details.new_rule.take() {
            let mut keep = true;
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.strong(format!("New SAS rule on {}", node.label));
                ui.horizontal(|ui| {
                    let l = ui.label("Rule name");
                    ui.add(egui::TextEdit::singleline(&mut form.name))
                        .labelled_by(l.id);
                });
                ui.horizontal(|ui| {
                    ui.checkbox(&mut form.listen, "Listen");
                    ui.checkbox(&mut form.send, "Send");
                    if ui.checkbox(&mut form.manage, "Manage").changed() && form.manage {
                        form.listen = true;
                        form.send = true;
                    }
                });
                let ok = valid_entity_name(&form.name).is_ok() && (form.listen || form.send);
                ui.horizontal(|ui| {
                    if ui
                        .add_enabled(ok, egui::Button::new("Create rule"))
                        .clicked()
                        && let Some((arm, parent)) = self.arm_of(key)
                    {
                        let f = form.clone();
                        self.change(
                            key,
                            format!("Create rule {}", f.name),
                            None,
                            format!("Created rule {}", f.name),
                            async move {
                                let mut rights = Vec::new();
                                if f.listen {
                                    rights.push("Listen");
                                }
                                if f.send {
                                    rights.push("Send");
                                }
                                if f.manage {
                                    rights.push("Manage");
                                }
                                arm.put_rule(&parent, &f.name, &rights).await.map(|_| ())
                            },
                        );
                        keep = false;
                    }
                    if ui.button("Cancel").clicked() {
                        keep = false;
                    }
                });
            });
            if keep {
                self.details.new_rule = Some(form);
            }
        }
        if rules.is_empty() {
            ui.weak("No SAS rules here: only Entra identities can reach it.");
            return;
        }
        let entity_id = node.arm.as_ref().map(|n| n.id.clone()).unwrap_or_default();
        for r in &rules {
            let rk = tree::arm_key(&r.id);
            let at_namespace =
                !crate::access::is_same_or_below(&r.id, &entity_id) || node.kind == Kind::Namespace;
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.strong(&r.name);
                    ui.label(r.rights.clone().unwrap_or_default().join(", "));
                    ui.weak(if at_namespace && node.kind != Kind::Namespace {
                        "namespace rule"
                    } else {
                        ""
                    });
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        if ui
                            .small_button("Delete")
                            .on_hover_text(format!("Delete rule {}", r.name))
                            .clicked()
                        {
                            self.confirm = Some(Confirm::delete(&r.id, key));
                        }
                    });
                });
                match self.details.keys.get(&rk).cloned() {
                    None => {
                        if ui.button(format!("Show keys of {}", r.name)).clicked() {
                            self.request_keys(&r.id, key);
                        }
                    }
                    Some(Fetch::Pending(_) | Fetch::Stale(_)) => {
                        ui.spinner();
                    }
                    Some(Fetch::Failed(e, _)) => report_ui(ui, &e),
                    Some(Fetch::Ready(k)) => {
                        let shown = self.details.revealed.contains(&rk);
                        egui::Grid::new(("keys", &rk))
                            .num_columns(4)
                            .show(ui, |ui| {
                                for (label, value, secondary) in [
                                    ("Primary key", &k.primary_key, Some(false)),
                                    ("Secondary key", &k.secondary_key, Some(true)),
                                    (
                                        "Primary connection string",
                                        &k.primary_connection_string,
                                        None,
                                    ),
                                    (
                                        "Secondary connection string",
                                        &k.secondary_connection_string,
                                        None,
                                    ),
                                ] {
                                    ui.label(label);
                                    ui.monospace(masked(value, shown));
                                    copy_button(ui, value, &format!("{label} of {}", r.name));
                                    if let Some(s) = secondary {
                                        if ui
                                            .small_button("Regenerate")
                                            .on_hover_text(format!(
                                                "Regenerate the {label} of {}",
                                                r.name
                                            ))
                                            .clicked()
                                        {
                                            self.confirm =
                                                Some(Confirm::regenerate(&r.id, key, s, &r.name));
                                        }
                                    } else {
                                        ui.label("");
                                    }
                                    ui.end_row();
                                }
                            });
                        let text = if shown { "Hide keys" } else { "Reveal keys" };
                        if ui.button(format!("{text} of {}", r.name)).clicked() {
                            if shown {
                                self.details.revealed.remove(&rk);
                            } else {
                                self.details.revealed.insert(rk.clone());
                            }
                        }
                    }
                }
            });
        }
    }

    fn assignments_ui(&mut self, ui: &mut egui::Ui, key: &str) {
        self.request_assignments(key);
        let fetch = self.details.assignments.get(key).cloned();
        let list = match &fetch {
            Some(Fetch::Failed(e, _)) => {
                report_ui(ui, e);
                return;
            }
            Some(f) => f.value().cloned(),
            None => None,
        };
        let Some(mut list) = list else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Loading role assignments…");
            });
            return;
        };
        ui.horizontal(|ui| {
            let l = ui.label("Filter");
            ui.add(
                egui::TextEdit::singleline(&mut self.details.assignment_filter)
                    .hint_text("principal, role or scope"),
            )
            .labelled_by(l.id);
            ui.weak(format!("{} assignment(s)", list.len()));
        });
        let f = self.details.assignment_filter.to_lowercase();
        if !f.is_empty() {
            list.retain(|a| {
                [
                    &a.principal_name,
                    &a.role_name,
                    &a.scope,
                    &a.principal_id,
                    &a.principal_type,
                ]
                .iter()
                .any(|x| x.as_deref().is_some_and(|s| s.to_lowercase().contains(&f)))
            });
        }
        let (col, asc) = self.details.sort;
        list.sort_by(|a, b| {
            let k = |n: &Node| match col {
                Column::Principal => n
                    .principal_name
                    .clone()
                    .or(n.principal_id.clone())
                    .unwrap_or_default()
                    .to_lowercase(),
                Column::Type => n.principal_type.clone().unwrap_or_default(),
                Column::Role => n.role_name.clone().unwrap_or_default(),
                Column::Scope => n.scope.clone().unwrap_or_default().to_lowercase(),
            };
            let o = k(a).cmp(&k(b));
            if asc { o } else { o.reverse() }
        });
        use egui_extras::{Column as C, TableBuilder};
        TableBuilder::new(ui)
            .striped(true)
            .resizable(true)
            .column(C::initial(200.0).at_least(80.0))
            .column(C::initial(110.0))
            .column(C::initial(180.0))
            .column(C::remainder().at_least(120.0))
            .header(22.0, |mut h| {
                for (c, name) in [
                    (Column::Principal, "Principal"),
                    (Column::Type, "Type"),
                    (Column::Role, "Role"),
                    (Column::Scope, "Scope"),
                ] {
                    h.col(|ui| {
                        let arrow = if col == c {
                            if asc { " ^" } else { " v" }
                        } else {
                            ""
                        };
                        if ui
                            .button(format!("{name}{arrow}"))
                            .on_hover_text(format!("Sort by {name}"))
                            .clicked()
                        {
                            self.details.sort = (c, if col == c { !asc } else { true });
                        }
                    });
                }
            })
            .body(|body| {
                body.rows(22.0, list.len(), |mut row| {
                    let a = &list[row.index()];
                    row.col(|ui| {
                        ui.label(
                            a.principal_name
                                .clone()
                                .or(a.principal_id.clone())
                                .unwrap_or_default(),
                        )
                        .on_hover_text(a.principal_id.clone().unwrap_or_default());
                    });
                    row.col(|ui| {
                        ui.label(a.principal_type.clone().unwrap_or_default());
                    });
                    row.col(|ui| {
                        ui.label(
                            a.role_name.clone().unwrap_or_else(|| {
                                a.role_definition_id.clone().unwrap_or_default()
                            }),
                        );
                    });
                    row.col(|ui| {
                        let scope = a.scope.clone().unwrap_or_default();
                        let short = scope_short(&scope);
                        let text = match &a.inherited_from {
                            Some(_) => format!("{short} (inherited)"),
                            None => short,
                        };
                        ui.label(text).on_hover_text(scope);
                    });
                });
            });
    }

    fn access_ui(&mut self, ui: &mut egui::Ui, key: &str, node: &tree::TreeNode) {
        self.request_who(key, false);
        let signalr = node.kind == Kind::SignalR;
        if signalr != (self.details.check_action == SIGNALR_SERVER)
            && self.details.check_action != "manage"
        {
            self.details.check_action = if signalr {
                SIGNALR_SERVER.into()
            } else {
                "send".into()
            };
        }
        section(ui, "Check a principal");
        ui.horizontal(|ui| {
            let l = ui.label("Principal");
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.details.check_input)
                        .hint_text("object id, user@domain or client id")
                        .desired_width(300.0),
                )
                .labelled_by(l.id);
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            let action_label = ui.label("action");
            egui::ComboBox::from_id_salt("check-action")
                .selected_text(self.details.check_action.clone())
                .show_ui(ui, |ui| {
                    let actions: &[&str] = if node.kind == Kind::SignalR {
                        &[SIGNALR_SERVER, "manage"]
                    } else {
                        &["listen", "send", "manage"]
                    };
                    for a in actions {
                        ui.selectable_value(&mut self.details.check_action, a.to_string(), *a);
                    }
                })
                .response
                .labelled_by(action_label.id);
            if (ui.button("Check").clicked() || enter)
                && !self.details.check_input.trim().is_empty()
            {
                let (who, action) = (
                    self.details.check_input.trim().to_string(),
                    self.details.check_action.clone(),
                );
                self.request_check(key, &who, &action, CheckSlot::Entity(key.to_string()));
            }
        });
        match self.details.checked.get(key).cloned() {
            Some(Fetch::Pending(_)) => {
                ui.spinner();
            }
            Some(Fetch::Failed(e, _)) => report_ui(ui, &e),
            Some(Fetch::Ready(c) | Fetch::Stale(c)) => verdict_ui(ui, &c),
            None => {}
        }
        ui.add_space(10.0);
        ui.horizontal(|ui| {
            section(ui, "Who can reach it");
            if ui
                .small_button("Refresh")
                .on_hover_text("Evaluate again")
                .clicked()
            {
                self.request_who(key, true);
            }
        });
        match self.details.who.get(key).cloned() {
            None | Some(Fetch::Pending(None)) => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Evaluating role assignments, deny assignments and SAS rules…");
                });
            }
            Some(Fetch::Failed(e, _)) => report_ui(ui, &e),
            Some(f) => {
                let rows = f.value().cloned().unwrap_or_default();
                // Listen and Send are Relay's data actions; a SignalR resource is reached by
                // its own (check them above), so its matrix shows Manage only.
                let is_signalr = node.kind == Kind::SignalR;
                if is_signalr {
                    ui.weak("SignalR data actions (such as serverConnection/write for the SignalR App Server role) are checked per principal above.");
                }
                egui::Grid::new("who")
                    .striped(true)
                    .num_columns(5)
                    .spacing([16.0, 4.0])
                    .show(ui, |ui| {
                        ui.strong("Principal");
                        ui.strong("Kind");
                        if !is_signalr {
                            ui.strong("Listen");
                            ui.strong("Send");
                        }
                        ui.strong("Manage");
                        ui.end_row();
                        for r in &rows {
                            if is_signalr && (r.kind == "sas" || r.kind == "anonymous") {
                                continue;
                            }
                            let name = r
                                .display_name
                                .clone()
                                .unwrap_or_else(|| r.principal.clone());
                            let l = ui.label(&name);
                            if r.kind != "sas" && r.kind != "anonymous" {
                                l.on_hover_text(&r.principal);
                            }
                            ui.label(&r.kind);
                            if !is_signalr {
                                cell_ui(ui, &r.listen);
                                cell_ui(ui, &r.send);
                            }
                            cell_ui(ui, &r.manage);
                            ui.end_row();
                        }
                    });
                if rows.is_empty() {
                    ui.weak("Nobody: no role assignment, SAS rule or anonymous access reaches it.");
                }
            }
        }
    }

    pub(super) fn identities_ui(&mut self, ui: &mut egui::Ui) {
        ui.heading("Identities");
        let accounts: Vec<(String, String)> = self
            .accounts
            .iter()
            .filter(|a| self.sessions.get(&a.id).is_some_and(|s| s.arm.is_some()))
            .map(|a| (a.id.clone(), a.label.clone()))
            .collect();
        let entities: Vec<(String, String)> = self
            .tree
            .entities()
            .iter()
            .map(|n| (n.key.clone(), n.label.clone()))
            .collect();
        egui::ScrollArea::vertical().id_salt("identities").auto_shrink([false, false]).show(ui, |ui| {
            section(ui, "Managed identities");
            ui.label("A managed identity has two ids: role assignments name its object (principal) id; code that picks a user-assigned identity passes its client id.");
            ui.horizontal(|ui| {
                let on_label = ui.label("Check what they may do on");
                let current = self
                    .details
                    .identity_entity
                    .as_ref()
                    .and_then(|k| entities.iter().find(|(e, _)| e == k))
                    .map(|(_, l)| l.clone())
                    .unwrap_or_else(|| "(pick an entity)".into());
                egui::ComboBox::from_id_salt("identity-entity").selected_text(current).show_ui(ui, |ui| {
                    for (k, l) in &entities {
                        ui.selectable_value(&mut self.details.identity_entity, Some(k.clone()), l);
                    }
                })
                .response
                .labelled_by(on_label.id);
            });
            for (account, label) in &accounts {
                ui.add_space(6.0);
                ui.strong(label);
                self.request_identities(account);
                match self.details.identities.get(account).cloned() {
                    None | Some(Fetch::Pending(None)) => {
                        ui.spinner();
                    }
                    Some(Fetch::Failed(e, _)) => report_ui(ui, &e),
                    Some(f) => {
                        let list = f.value().cloned().unwrap_or_default();
                        if list.is_empty() {
                            ui.weak("No managed identity in the subscriptions of this account (user-assigned, or system-assigned with a role).");
                        }
                        egui::Grid::new(("mi", account)).striped(true).num_columns(6).show(ui, |ui| {
                            ui.strong("Name");
                            ui.strong("Client id");
                            ui.strong("");
                            ui.strong("Object id");
                            ui.strong("");
                            ui.strong("May listen / send / manage");
                            ui.end_row();
                            for mi in &list {
                                let name = mi["name"].as_str().unwrap_or_default().to_string();
                                let client = mi["properties"]["clientId"].as_str().unwrap_or_default().to_string();
                                let object = mi["properties"]["principalId"].as_str().unwrap_or_default().to_string();
                                let kind = if mi["systemAssigned"].as_bool() == Some(true) {
                                    "system-assigned"
                                } else {
                                    "user-assigned"
                                };
                                ui.label(format!("{name} ({kind})"));
                                ui.monospace(&client);
                                copy_button(ui, &client, &format!("client id of {name}"));
                                ui.monospace(&object);
                                copy_button(ui, &object, &format!("object id of {name}"));
                                ui.horizontal(|ui| {
                                    let Some(entity) = self.details.identity_entity.clone() else {
                                        ui.weak("pick an entity above");
                                        return;
                                    };
                                    for action in ["listen", "send", "manage"] {
                                        let slot = format!("{object}|{entity}|{action}");
                                        match self.details.identity_checks.get(&slot).cloned() {
                                            None => {
                                                self.request_check(&entity, &object, action, CheckSlot::Identity(slot));
                                            }
                                            Some(Fetch::Pending(_) | Fetch::Stale(_)) => {
                                                ui.spinner();
                                            }
                                            Some(Fetch::Failed(e, _)) => {
                                                ui.colored_label(ui.visuals().error_fg_color, "?").on_hover_text(e.to_string());
                                            }
                                            Some(Fetch::Ready(c)) => {
                                                let (mark, color) = if c.verdict.allowed { ("yes", Color32::from_rgb(60, 170, 90)) } else { ("no", ui.visuals().error_fg_color) };
                                                let names = |id: &str| c.name(id);
                                                let tip = c.verdict.grants.iter().map(|g| explain::describe_grant(g, &names)).chain(c.verdict.blocked_by.iter().map(|b| explain::describe_block(b, &names))).collect::<Vec<_>>().join("\n");
                                                let tip = super::widgets::plain(&tip);
                                                ui.colored_label(color, format!("{action} {mark}")).on_hover_text(if tip.is_empty() { "no role assignment grants it".to_string() } else { tip });
                                            }
                                        }
                                    }
                                });
                                ui.end_row();
                            }
                        });
                    }
                }
            }
            ui.add_space(12.0);
            section(ui, "Credential chain on this machine");
            let env: Vec<(String, String)> = std::env::vars()
                .filter(|(k, _)| k.starts_with("AZURE_") || k.starts_with("IDENTITY_") || k.starts_with("MSI_"))
                .collect();
            let d = crate::auth::diagnose::diagnose(&crate::auth::diagnose::Machine { env, imds_reachable: None, azure_cli_signed_in: None });
            ui.label("What a DefaultAzureCredential-style chain would use here, in order:");
            for (i, s) in d.steps.iter().enumerate() {
                let color = match s.status.as_str() {
                    "selected" => Color32::from_rgb(60, 170, 90),
                    "available" => ui.visuals().text_color(),
                    _ => ui.visuals().weak_text_color(),
                };
                ui.colored_label(color, format!("{}. {} ({}): {}", i + 1, s.credential, s.status, s.why));
            }
            for w in &d.warnings {
                ui.colored_label(Color32::from_rgb(200, 150, 40), format!("Warning: {w}"));
            }
        });
    }

    fn request_identities(&mut self, account: &str) {
        if self.details.identities.contains_key(account) {
            return;
        }
        let Some(arm) = self.sessions.get(account).and_then(|s| s.arm.clone()) else {
            return;
        };
        let graph = self.sessions.get(account).and_then(|s| s.graph.clone());
        let subs: Vec<String> = self
            .directories
            .get(account)
            .map(|d| {
                d.subscriptions
                    .iter()
                    .map(|(s, _)| s.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        self.details
            .identities
            .insert(account.to_string(), Fetch::Pending(None));
        let activity = self.activity.start("List managed identities", None);
        let account = account.to_string();
        self.backend.spawn(activity, async move {
            let mut all = Vec::new();
            let mut error = None;
            let mut assigned = Vec::new();
            for s in subs {
                match arm.user_assigned_identities(&s).await {
                    Ok(l) => all.extend(l),
                    Err(e) => error = Some(hint(&e)),
                }
                // System-assigned identities have no resource of their own: they show up as
                // the principals of role assignments.
                if let Ok(list) = arm.role_assignments(&format!("/subscriptions/{s}")).await {
                    assigned.extend(list.into_iter().filter_map(|a| a.principal_id));
                }
            }
            assigned.sort();
            assigned.dedup();
            if let Some(graph) = graph
                && let Ok(found) = graph.principals(&assigned).await
            {
                for p in found.into_iter().filter(|p| p.kind == "managedIdentity") {
                    let known = all.iter().any(|mi| {
                        mi["properties"]["principalId"]
                            .as_str()
                            .is_some_and(|id| id.eq_ignore_ascii_case(&p.id))
                    });
                    if !known {
                        all.push(serde_json::json!({
                            "name": p.display_name,
                            "systemAssigned": true,
                            "properties": {"clientId": p.app_id, "principalId": p.id},
                        }));
                    }
                }
            }
            let result = match (all.is_empty(), error) {
                (true, Some(e)) => Err(e),
                _ => Ok(all),
            };
            Event::Identities { account, result }
        });
    }
}

/// `Subscription x / rg / namespace / entity` for a scope id.
fn scope_short(scope: &str) -> String {
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
fn without_id(url: &str) -> String {
    match url.find("&sb-hc-id=") {
        Some(i) => url[..i].to_string(),
        None => url.to_string(),
    }
}

/// The data action of the SignalR App Server role.
const SIGNALR_SERVER: &str = "Microsoft.SignalRService/SignalR/serverConnection/write";

fn valid_entity_name(name: &str) -> Result<(), String> {
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

fn cell_ui(ui: &mut egui::Ui, cell: &explain::Cell) {
    let names = |id: &str| id.to_string();
    let lines: Vec<String> = cell
        .grants
        .iter()
        .map(|g| super::widgets::plain(&explain::describe_grant(g, &names)))
        .chain(
            cell.blocked_by
                .iter()
                .map(|b| super::widgets::plain(&explain::describe_block(b, &names))),
        )
        .collect();
    let (text, color) = if cell.allowed {
        ("yes", Color32::from_rgb(60, 170, 90))
    } else if cell.grants.iter().any(|g| matches!(g, Grant::Sas { .. })) {
        ("key", ui.visuals().text_color())
    } else {
        ("no", ui.visuals().weak_text_color())
    };
    let r = ui.colored_label(color, text);
    if !lines.is_empty() {
        r.on_hover_text(lines.join("\n"));
    }
}

/// A verdict, its proof drawn as chips: scope → group → role → matched pattern; what blocks it in
/// red; the hint for a refusal.
fn verdict_ui(ui: &mut egui::Ui, c: &Checked) {
    let v = &c.verdict;
    let who = c.name(&c.object_id);
    let (text, color) = if v.allowed {
        ("ALLOWED", Color32::from_rgb(60, 170, 90))
    } else {
        ("NOT ALLOWED", ui.visuals().error_fg_color)
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(text).strong().color(color));
        ui.label(format!(
            "{who} · {} {}",
            if v.data_action {
                "data action"
            } else {
                "action"
            },
            v.action
        ));
    });
    if let Some(w) = &c.warning {
        ui.colored_label(Color32::from_rgb(200, 150, 40), w);
    }
    if let Some(p) = &c.principal
        && let Some(app) = &p.app_id
    {
        ui.weak(format!(
            "{}: object (principal) id {} · client (application) id {app}",
            p.kind, p.id
        ));
    }
    for g in &v.grants {
        ui.horizontal_wrapped(|ui| match g {
            Grant::Role {
                role_name,
                scope,
                scope_level,
                via_group,
                group_chain,
                matched,
                condition,
                may_be_propagating,
                ..
            } => {
                let short = scope_short(scope);
                let text = if short.starts_with(scope_level.as_str()) {
                    short
                } else {
                    format!("{scope_level} {short}")
                };
                chip(ui, &text, None).on_hover_text(scope);
                if via_group.is_some() {
                    let chain: Vec<String> = if group_chain.is_empty() {
                        via_group.iter().map(|g| c.short_name(g)).collect()
                    } else {
                        group_chain.iter().map(|g| c.short_name(g)).collect()
                    };
                    ui.label(">");
                    chip(ui, &format!("group {}", chain.join(" in ")), None);
                }
                ui.label(">");
                chip(ui, role_name, None);
                ui.label(">");
                chip(ui, &format!("matches {matched}"), None);
                if condition.is_some() {
                    ui.weak("(conditional, not evaluated)");
                }
                if *may_be_propagating {
                    ui.colored_label(
                        Color32::from_rgb(200, 150, 40),
                        "assigned minutes ago: may still be propagating",
                    );
                }
            }
            Grant::Sas {
                rule,
                scope,
                rights,
            } => {
                chip(
                    ui,
                    &format!("SAS rule {rule} ({})", rights.join(", ")),
                    None,
                )
                .on_hover_text(scope);
                ui.weak("for whoever holds its key");
            }
            Grant::Anonymous => {
                chip(ui, "anyone: anonymous senders allowed", None);
            }
        });
    }
    for b in &v.blocked_by {
        let red = ui.visuals().error_fg_color;
        ui.horizontal_wrapped(|ui| match b {
            Blocker::Deny {
                name,
                scope,
                matched,
                ..
            } => {
                chip(ui, &format!("deny assignment {name}"), Some(red)).on_hover_text(scope);
                ui.colored_label(red, format!("matches {matched}: it wins over every grant"));
            }
            Blocker::NotActions {
                role_name,
                excluded_by,
                ..
            } => {
                chip(ui, role_name, Some(red));
                ui.colored_label(red, format!("excludes it by {excluded_by}"));
            }
        });
    }
    if let Some(h) = explain::refusal_hint(v, &c.entity_id) {
        ui.label(RichText::new(h.to_string()).italics());
    }
}

fn chip(ui: &mut egui::Ui, text: &str, color: Option<Color32>) -> egui::Response {
    let stroke = color.unwrap_or(ui.visuals().widgets.noninteractive.bg_stroke.color);
    egui::Frame::new()
        .stroke(egui::Stroke::new(1.0, stroke))
        .corner_radius(8.0)
        .inner_margin(egui::Margin::symmetric(6, 2))
        .show(ui, |ui| {
            let t = RichText::new(text);
            ui.add(
                egui::Label::new(if let Some(c) = color { t.color(c) } else { t })
                    .wrap_mode(egui::TextWrapMode::Extend),
            )
        })
        .inner
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
