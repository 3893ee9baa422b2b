//! The window's layout: the top bar, the explorer tree, the centre (details, identities or a
//! console) and the activity log; live refresh and keyboard shortcuts.

use super::*;

impl App {
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
        // The activity log's place is kept now (the bottom strip under both columns) and it is
        // drawn last: Tab visits widgets in the order they are made, so it comes after the
        // tree and the details, as it does on screen.
        let activity_rect = egui::Panel::bottom("activity")
            .resizable(true)
            .default_size(140.0)
            .min_size(28.0)
            .show(ui, |ui| {
                let rect = ui.max_rect();
                ui.allocate_rect(rect, egui::Sense::hover());
                rect
            })
            .inner;
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
        ui.scope_builder(
            egui::UiBuilder::new()
                .id_salt("activity-log")
                .max_rect(activity_rect)
                .layout(egui::Layout::top_down(egui::Align::Min)),
            |ui| {
                ui.set_clip_rect(activity_rect.intersect(ui.clip_rect()));
                self.activity.ui(
                    ui,
                    &mut self.persisted.activity_open,
                    &self.backend,
                    &mut self.actions,
                )
            },
        );
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
    pub(super) fn live_refresh(&mut self) {
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

    pub(super) fn shortcuts(&mut self, ctx: &egui::Context) {
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

    pub(super) fn top_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading("Relay Explorer");
            ui.add_space(12.0);
            let label = ui.label("Search");
            let mut filter = self.tree.filter().to_string();
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut filter)
                        .char_limit(crate::gui::widgets::limits::SEARCH)
                        .hint_text("namespaces, entities…  Ctrl+K")
                        .desired_width(280.0),
                )
                .labelled_by(label.id);
            if self.focus_filter {
                edit.request_focus();
                self.focus_filter = false;
            }
            let (escape, enter, down) = ui.input(|i| {
                (
                    i.key_pressed(egui::Key::Escape),
                    i.key_pressed(egui::Key::Enter),
                    i.key_pressed(egui::Key::ArrowDown),
                )
            });
            // TextEdit gives up its focus on the Escape it sees: ask the last frame.
            let typing = edit.has_focus() || edit.lost_focus() || self.search_had_focus;
            self.search_had_focus = edit.has_focus();
            if typing && escape {
                filter.clear();
            }
            self.tree.set_filter(&filter);
            // Enter or Down in the search box goes to the first match.
            if typing
                && (enter || down)
                && !filter.is_empty()
                && let Some(first) = self.tree.first_match()
            {
                edit.surrender_focus();
                self.tree.selected = Some(first);
                self.details.on_select();
            }
            if !filter.is_empty()
                && crate::gui::widgets::icon_button(ui, "x", "Clear the search").clicked()
            {
                self.tree.set_filter("");
            }
            crate::gui::widgets::at_right_end(
                ui,
                "top-bar",
                |_, _| {},
                |ui| {
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
                    if ui
                        .button("Accounts")
                        .on_hover_text("Accounts, tenants and subscriptions")
                        .clicked()
                    {
                        self.accounts_window = !self.accounts_window;
                    }
                    if ui
                        .button("Refresh")
                        .on_hover_text("Reload the selected node (F5)")
                        .clicked()
                        && let Some(s) = self.tree.selected.clone()
                    {
                        self.actions.push(Command::Refresh(s));
                    }
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
                },
            );
        });
    }

    pub(super) fn left_ui(&mut self, ui: &mut egui::Ui) {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.strong("EXPLORER");
            if self.tree.filter().is_empty() {
                ui.weak(format!("{} nodes", self.tree.len()));
            } else {
                let shown = self.tree.matched();
                ui.weak(format!("{shown} of {} nodes match", self.tree.len()));
            }
            if !self.view_as.open
                && ui
                    .small_button("View as…")
                    .on_hover_text("Mark what a principal may listen to and send to")
                    .clicked()
            {
                self.view_as.open = true;
            }
        });
        // The account viewed in: the selected node's, else the first signed in.
        let account = self
            .tree
            .selected
            .as_deref()
            .and_then(|k| self.tree.get(k))
            .map(|n| n.account.clone())
            .or_else(|| self.sessions.keys().min().cloned())
            .unwrap_or_default();
        self.view_as.ui(
            ui,
            &mut self.details.principals,
            &account,
            self.sessions.get(&account),
            &self.backend,
        );
        let identities_h = 70.0;
        let avail = (ui.available_height() - identities_h).max(80.0);
        egui::ScrollArea::vertical()
            .id_salt("tree-scroll")
            .max_height(avail)
            .auto_shrink([false, false])
            .show_rows(ui, 22.0, self.tree.rows().len(), |ui, range| {
                let rows: Vec<tree::Row> = self.tree.rows()[range].to_vec();
                let shown: Vec<String> = rows.iter().map(|r| r.key.clone()).collect();
                self.view_as.want(
                    &self.tree,
                    &shown,
                    &self.sessions,
                    &self.backend,
                    &mut self.activity,
                );
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

    pub(super) fn tree_row_ui(&mut self, ui: &mut egui::Ui, row: &tree::Row) {
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
                crate::gui::widgets::dot(ui, color, listened).on_hover_text(match listeners {
                    Some(n) if n > 0 => format!("{n} listener(s) online"),
                    _ if anonymous => "no listener; accepts anonymous senders".to_string(),
                    _ => "no listener".to_string(),
                });
            } else {
                let (badge, color) = kind_badge(kind, ui.visuals());
                ui.label(RichText::new(badge).monospace().color(color));
            }
            if let Some(node) = self.tree.get(&row.key) {
                self.view_as.badge_ui(ui, node);
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

    pub(super) fn tabs_ui(&mut self, ui: &mut egui::Ui) {
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
                if crate::gui::widgets::icon_button(ui, "x", &format!("Close {title}")).clicked() {
                    self.actions.push(Command::CloseConsole(c.id));
                }
                ui.add_space(6.0);
            }
        });
        ui.separator();
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
