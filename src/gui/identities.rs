//! The Identities view: managed identities (client id and object id side by side), their
//! verdicts on a chosen entity, and the credential chain.

use eframe::egui::{self, Color32};

use super::backend::Event;
use super::command::CheckSlot;
use super::details::{Cx, DetailsPanel, hint};
use super::fetch::Fetch;
use super::widgets::{ValueRows, copy_button, report_ui, section};
use crate::access::explain;

impl DetailsPanel {
    pub fn identities_ui(&mut self, cx: &mut Cx<'_>, ui: &mut egui::Ui) {
        ui.heading("Identities");
        let accounts: Vec<(String, String)> = cx
            .accounts
            .iter()
            .filter(|a| cx.sessions.get(&a.id).is_some_and(|s| s.arm.is_some()))
            .map(|a| (a.id.clone(), a.label.clone()))
            .collect();
        let entities: Vec<(String, String)> = cx
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
                    .identity_entity
                    .as_ref()
                    .and_then(|k| entities.iter().find(|(e, _)| e == k))
                    .map(|(_, l)| l.clone())
                    .unwrap_or_else(|| "(pick an entity)".into());
                egui::ComboBox::from_id_salt("identity-entity").width(200.0).truncate().selected_text(current).show_ui(ui, |ui| {
                    for (k, l) in &entities {
                        ui.selectable_value(&mut self.identity_entity, Some(k.clone()), l);
                    }
                })
                .response
                .labelled_by(on_label.id);
            });
            for (account, label) in &accounts {
                ui.add_space(6.0);
                ui.strong(label);
                self.request_identities(cx, account);
                match self.identities.get(account).cloned() {
                    None | Some(Fetch::Pending(None)) => {
                        ui.spinner();
                    }
                    Some(Fetch::Failed(e, _)) => report_ui(ui, &e),
                    Some(f) => {
                        let list = f.value().cloned().unwrap_or_default();
                        if list.is_empty() {
                            ui.weak("No managed identity in the subscriptions of this account (user-assigned, a Relay namespace's or SignalR resource's own, or system-assigned with a role).");
                        }
                        for mi in &list {
                            self.identity_ui(cx, ui, mi);
                        }
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
                ui.add(egui::Label::new(egui::RichText::new(format!("{}. {} ({}): {}", i + 1, s.credential, s.status, s.why)).color(color)).wrap());
            }
            for w in &d.warnings {
                ui.add(egui::Label::new(egui::RichText::new(format!("Warning: {w}")).color(Color32::from_rgb(200, 150, 40))).wrap());
            }
        });
    }

    /// One managed identity: its name and kind with what it may do on the chosen entity, then
    /// its client id and object id, each on one line with a copy button.
    fn identity_ui(&mut self, cx: &mut Cx<'_>, ui: &mut egui::Ui, mi: &serde_json::Value) {
        let name = mi["name"].as_str().unwrap_or_default().to_string();
        let client = mi["properties"]["clientId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let object = mi["properties"]["principalId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let kind = if mi["systemAssigned"].as_bool() == Some(true) {
            "system-assigned"
        } else {
            "user-assigned"
        };
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                ui.strong(format!("{name} ({kind})"));
                ui.add_space(8.0);
                self.identity_verdicts_ui(cx, ui, &object);
            });
            let rows = &mut ValueRows::new(ui);
            for (what, id) in [("Client id", &client), ("Object id", &object)] {
                rows.row(ui, what, egui::RichText::new(id).monospace(), |ui| {
                    copy_button(ui, id, &format!("{} of {name}", what.to_lowercase()));
                });
            }
        });
    }

    /// What the identity `object` may do on the chosen entity: listen, send, manage, each yes or
    /// no with its proof on hover.
    fn identity_verdicts_ui(&mut self, cx: &mut Cx<'_>, ui: &mut egui::Ui, object: &str) {
        let Some(entity) = self.identity_entity.clone() else {
            ui.weak("pick an entity above to see what it may do");
            return;
        };
        for action in ["listen", "send", "manage"] {
            let slot = format!("{object}|{entity}|{action}");
            match self.identity_checks.get(&slot).cloned() {
                None => {
                    self.request_check(cx, &entity, object, action, CheckSlot::Identity(slot));
                }
                Some(Fetch::Pending(_) | Fetch::Stale(_)) => {
                    ui.spinner();
                }
                Some(Fetch::Failed(e, _)) => {
                    ui.colored_label(ui.visuals().error_fg_color, "?")
                        .on_hover_text(e.to_string());
                }
                Some(Fetch::Ready(c)) => {
                    let (mark, color) = if c.verdict.allowed {
                        ("yes", Color32::from_rgb(60, 170, 90))
                    } else {
                        ("no", ui.visuals().error_fg_color)
                    };
                    let names = |id: &str| c.name(id);
                    let tip = c
                        .verdict
                        .grants
                        .iter()
                        .map(|g| explain::describe_grant(g, &names))
                        .chain(
                            c.verdict
                                .blocked_by
                                .iter()
                                .map(|b| explain::describe_block(b, &names)),
                        )
                        .collect::<Vec<_>>()
                        .join("\n");
                    let tip = super::widgets::plain(&tip);
                    ui.colored_label(color, format!("{action} {mark}"))
                        .on_hover_text(if tip.is_empty() {
                            "no role assignment grants it".to_string()
                        } else {
                            tip
                        });
                }
            }
        }
    }

    pub(crate) fn request_identities(&mut self, cx: &mut Cx<'_>, account: &str) {
        if self.identities.contains_key(account) {
            return;
        }
        let Some(arm) = cx.sessions.get(account).and_then(|s| s.arm.clone()) else {
            return;
        };
        let graph = cx.sessions.get(account).and_then(|s| s.graph.clone());
        let subs: Vec<String> = cx
            .directories
            .get(account)
            .map(|d| {
                d.subscriptions
                    .iter()
                    .map(|(s, _)| s.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        self.identities
            .insert(account.to_string(), Fetch::Pending(None));
        let activity = cx.activity.start("List managed identities", None);
        let account = account.to_string();
        cx.backend.spawn(activity, async move {
            let mut all = Vec::new();
            let mut error = None;
            let mut assigned = Vec::new();
            // The resources (by principal id) whose system-assigned identity it is.
            let mut owners: Vec<(String, String)> = Vec::new();
            for s in subs {
                match arm.user_assigned_identities(&s).await {
                    Ok(l) => all.extend(l),
                    Err(e) => error = Some(hint(&e)),
                }
                // A resource names its system-assigned identity in `identity.principalId`, with
                // or without a role assignment.
                let (namespaces, signalr) =
                    tokio::join!(arm.namespaces(&s), arm.signalr_resources(&s));
                for r in namespaces.into_iter().chain(signalr).flatten() {
                    if let (Some(id), Some(name)) =
                        (r["identity"]["principalId"].as_str(), r["name"].as_str())
                    {
                        assigned.push(id.to_string());
                        owners.push((id.to_ascii_lowercase(), name.to_string()));
                    }
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
                        let owner = owners
                            .iter()
                            .find(|(id, _)| id.eq_ignore_ascii_case(&p.id))
                            .map(|(_, name)| name.clone());
                        all.push(serde_json::json!({
                            "name": owner.unwrap_or(p.display_name),
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
