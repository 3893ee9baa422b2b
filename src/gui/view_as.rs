//! "View as": pick a principal and the tree marks, on every hybrid connection and WCF relay
//! shown, whether it may listen (L) and send (S) — each namespace evaluated at once
//! (`arm::reach::namespace_reach`) when its entities come into view.

use std::collections::HashMap;
use std::sync::Arc;

use eframe::egui::{self, Color32, RichText};

use super::accounts::Session;
use super::activity::ActivityLog;
use super::backend::{Backend, Event};
use super::fetch::{self, Fetch};
use super::picker::{PrincipalSearch, Source, principal_field};
use super::tree::{Kind, Tree, TreeNode};
use crate::arm::reach::NamespaceReach;
use crate::report::Report;

#[derive(Default)]
pub struct ViewAs {
    /// The control is shown.
    pub open: bool,
    pub input: String,
    /// (account, principal as given) viewed as.
    pub who: Option<(String, String)>,
    /// By namespace tree key.
    reach: HashMap<String, Fetch<NamespaceReach>>,
}

impl ViewAs {
    pub fn on_result(
        &mut self,
        namespace: String,
        who: &str,
        result: Result<NamespaceReach, Report>,
    ) {
        // An answer for a principal no longer viewed as is dropped.
        if self.who.as_ref().is_some_and(|(_, w)| w == who) {
            fetch::finish(&mut self.reach, namespace, result);
        }
    }

    pub fn view(&mut self, account: &str, who: &str) {
        self.who = Some((account.to_string(), who.trim().to_string()));
        self.reach.clear();
    }

    pub fn clear(&mut self) {
        self.who = None;
        self.open = false;
        self.reach.clear();
    }

    /// After a change (an assignment made or deleted): evaluated again.
    pub fn invalidate(&mut self) {
        self.reach.clear();
    }

    /// The control: a principal field (with suggestions), *View* and a close button, then what
    /// is viewed as, or why it cannot be.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        search: &mut PrincipalSearch,
        account: &str,
        session: Option<&Arc<Session>>,
        backend: &Backend,
    ) {
        if !self.open {
            return;
        }
        ui.horizontal(|ui| {
            let l = ui.label("View as");
            // What the View and close buttons leave (the panel keeps its width: a field as wide
            // as the panel would widen it a little on every frame).
            let buttons = 90.0 + 3.0 * ui.spacing().item_spacing.x;
            let field = (ui.available_width() - buttons).max(80.0);
            let source = Source {
                account,
                graph: session.and_then(|s| s.graph.clone()),
                backend,
            };
            let (r, picked) = principal_field(ui, search, source, &mut self.input, field);
            let r = r.labelled_by(l.id);
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if let Some(p) = picked {
                self.input = p.id.clone();
                self.view(account, &p.id);
            }
            if (ui.button("View").clicked() || enter) && !self.input.trim().is_empty() {
                let who = self.input.clone();
                self.view(account, &who);
            }
            if super::widgets::icon_button(ui, "x", "Stop viewing as a principal").clicked() {
                self.clear();
            }
        });
        let Some((_, who)) = &self.who else {
            ui.weak(
                "Pick a principal: each entity shown is marked L (may listen) and S (may send).",
            );
            return;
        };
        let name = self
            .reach
            .values()
            .find_map(|f| f.value().and_then(|r| r.display_name.clone()))
            .unwrap_or_else(|| who.clone());
        if let Some(e) = self.reach.values().find_map(|f| match f {
            Fetch::Failed(e, _) => Some(e),
            _ => None,
        }) {
            ui.colored_label(ui.visuals().error_fg_color, e.to_string());
        } else if self
            .reach
            .values()
            .any(|f| matches!(f, Fetch::Pending(None)))
        {
            ui.horizontal(|ui| {
                ui.spinner();
                // Cut, not widening the panel (a line in a row does not wrap).
                ui.add(
                    egui::Label::new(
                        RichText::new(format!("Evaluating what {name} may reach…")).weak(),
                    )
                    .truncate(),
                );
            });
        } else {
            ui.add(
                egui::Label::new(
                    RichText::new(format!("Viewing as {name}: L may listen, S may send")).weak(),
                )
                .truncate(),
            );
        }
    }

    /// Evaluates the namespaces whose entities are among `shown` (tree keys), once each.
    pub fn want(
        &mut self,
        tree: &Tree,
        shown: &[String],
        sessions: &HashMap<String, Arc<Session>>,
        backend: &Backend,
        activity: &mut ActivityLog,
    ) {
        let Some((account, who)) = self.who.clone() else {
            return;
        };
        for key in shown {
            let Some(node) = tree
                .get(key)
                .filter(|n| is_entity(n) && n.account == account)
            else {
                continue;
            };
            let Some(ns) = node.parent.as_deref().and_then(|p| tree.get(p)) else {
                continue;
            };
            if ns.kind != Kind::Namespace || !fetch::begin(&mut self.reach, &ns.key, false) {
                continue;
            }
            let (Some(session), Some(id)) = (
                sessions.get(&account),
                ns.arm.as_ref().map(|a| a.id.clone()),
            ) else {
                continue;
            };
            let (Some(arm), Some(graph)) = (session.arm.clone(), session.graph.clone()) else {
                continue;
            };
            let activity = activity.start(format!("View {} as {who}", ns.label), None);
            let (namespace, who) = (ns.key.clone(), who.clone());
            backend.spawn(activity, async move {
                let result = crate::arm::reach::namespace_reach(&arm, &graph, &id, &who)
                    .await
                    .map_err(|e| Report::message(format!("{e:#}")));
                Event::Reach {
                    namespace,
                    who,
                    result,
                }
            });
        }
    }

    /// The L and S marks of an entity's row (nothing when not viewing as anyone).
    pub fn badge_ui(&self, ui: &mut egui::Ui, node: &TreeNode) {
        if self.who.is_none() || !is_entity(node) {
            return;
        }
        let Some(reach) = node
            .parent
            .as_deref()
            .and_then(|p| self.reach.get(p))
            .and_then(Fetch::value)
        else {
            return;
        };
        let Some(id) = node.arm.as_ref().map(|a| a.id.as_str()) else {
            return;
        };
        let Some(e) = reach
            .entities
            .iter()
            .find(|e| e.id.eq_ignore_ascii_case(id))
        else {
            return;
        };
        let who = reach.display_name.as_deref().unwrap_or(&reach.object_id);
        let mark = |ui: &mut egui::Ui,
                    letter: &str,
                    (allowed, blocked): (bool, bool),
                    verb: &str,
                    note: &str| {
            let color = if allowed {
                Color32::from_rgb(60, 170, 90)
            } else {
                ui.visuals().weak_text_color()
            };
            let text = if allowed {
                letter.to_string()
            } else {
                "·".to_string()
            };
            let said = format!(
                "{who} may{} {verb} on {}",
                if allowed { "" } else { " not" },
                e.name
            );
            let r = ui.label(RichText::new(text).monospace().strong().color(color));
            // A screen reader (and a test) reads the mark as what it means.
            r.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Label, true, &said));
            r.on_hover_text(if allowed {
                format!("{who} may {verb} on {}{note}", e.name)
            } else {
                format!(
                    "{who} may not {verb} on {}: {} (the Access tab shows the proof)",
                    e.name,
                    if blocked {
                        "a deny assignment or a role's NotDataActions takes it away"
                    } else {
                        "no role assignment that reaches it grants it"
                    }
                )
            });
        };
        mark(ui, "L", (e.listen, e.listen_blocked), "listen", "");
        let note = if e.anonymous_send {
            " (anyone may: it accepts anonymous senders)"
        } else {
            ""
        };
        mark(ui, "S", (e.send, e.send_blocked), "send", note);
    }
}

fn is_entity(n: &TreeNode) -> bool {
    matches!(n.kind, Kind::HybridConnection | Kind::WcfRelay)
}
