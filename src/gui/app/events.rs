//! The event fold (what background work reported, into the state) and the commands panels
//! asked for, run once at the end of the frame.

use super::*;

impl App {
    /// The embedded emulator runs: the demo account on a first start, and its accounts signed in.
    fn on_emulator_running(&mut self, e: Arc<Embedded>) {
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

    pub(super) fn on_event(&mut self, event: Event) {
        match event {
            Event::Emulator(Ok(e)) => self.on_emulator_running(e),
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
                if let Some(c) = self.consoles.iter_mut().find(|c| c.id == id)
                    && let Some(e) = c.on_event(event, &mut self.activity)
                {
                    self.toasts
                        .error(format!("{}: {e}", c.title()))
                        .duration(Some(Duration::from_secs(8)));
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
                self.view_as.invalidate();
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
            Event::Reach {
                namespace,
                who,
                result,
            } => self.view_as.on_result(namespace, &who, result),
            other => self.details.on_event(other),
        }
    }

    pub(super) fn show_directory(&mut self, account_id: &str, dir: Directory) {
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

    pub(super) fn run_actions(&mut self) {
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
                Command::AddRoleAssignment(form) => self.grant = Some(*form),
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
    pub(super) fn default_console_auth(&mut self) {
        for c in self.consoles.iter_mut().filter(|c| c.auth.is_none()) {
            let rules = self.details.rules.get(&c.entity_key).and_then(Fetch::value);
            c.pick_default_auth(rules.map(Vec::as_slice));
        }
    }

    /// Draws console `id`, with what it may read of the app.
    pub(super) fn console_ui(&mut self, ui: &mut egui::Ui, id: u64) {
        let Some(c) = self.consoles.iter_mut().find(|c| c.id == id) else {
            ui.label("This console was closed.");
            return;
        };
        let rules = self.details.rules.get(&c.entity_key);
        let mut cx = crate::gui::console::ConsoleCx {
            rules: rules.and_then(Fetch::value).map(Vec::as_slice),
            rules_failed: matches!(rules, Some(Fetch::Failed(..))),
            backend: &self.backend,
            activity: &mut self.activity,
            saved_requests: &mut self.persisted.saved_requests,
        };
        c.ui(ui, &mut cx);
    }

    /// Reloads what a node shows: an account's directory, a subscription's tree, the details.
    pub(super) fn refresh(&mut self, key: &str) {
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

    pub(super) fn open_console(&mut self, entity_key: &str, listen: bool) {
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
}
