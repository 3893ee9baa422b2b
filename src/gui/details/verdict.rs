//! A verdict drawn as a person reads it: chips for scope, group, role and the matched pattern;
//! what blocks it in red; the hint of a refusal. Also a who-can cell.

use eframe::egui::{self, Color32, RichText};

use super::scope_short;
use crate::access::explain::{self, Blocker, Grant};
use crate::arm::access::Checked;

/// Why a cell is "no" when nothing grants or blocks it: the principal's roles reach the entity
/// only to manage it (a role without data actions, such as Owner), or none of them has the action.
pub fn why_not(action: &str, manage: &explain::Cell) -> String {
    if action == "manage" {
        return "No role assigned to it that reaches this entity may manage it (write, delete)."
            .into();
    }
    let managing: Vec<&str> = manage
        .grants
        .iter()
        .filter_map(|g| match g {
            Grant::Role { role_name, .. } => Some(role_name.as_str()),
            _ => None,
        })
        .collect();
    let role = if action == "listen" {
        "Listener"
    } else {
        "Sender"
    };
    if managing.is_empty() {
        format!(
            "No role assigned to it that reaches this entity has the {action} data action: assign Azure Relay {role} (or Azure Relay Owner)."
        )
    } else {
        format!(
            "{} manages it but has no data actions, so it cannot {action}: assign Azure Relay {role} (or Azure Relay Owner).",
            managing.join(", ")
        )
    }
}

/// A cell of the who-can matrix: yes / key / no, its proof (or `why_not`) on hover.
pub fn cell_ui(ui: &mut egui::Ui, cell: &explain::Cell, why_not: impl FnOnce() -> String) {
    let names = |id: &str| id.to_string();
    let lines: Vec<String> = cell
        .grants
        .iter()
        .map(|g| super::super::widgets::plain(&explain::describe_grant(g, &names)))
        .chain(
            cell.blocked_by
                .iter()
                .map(|b| super::super::widgets::plain(&explain::describe_block(b, &names))),
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
    } else if !cell.allowed {
        r.on_hover_text(why_not());
    }
}

/// A verdict, its proof drawn as chips: scope → group → role → matched pattern; what blocks it in
/// red; the hint for a refusal, with a button that assigns the role it names (the GUID of that
/// role is returned when it is clicked).
pub fn verdict_ui(ui: &mut egui::Ui, c: &Checked) -> Option<String> {
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
    let mut assign = None;
    if let Some(h) = explain::refusal_hint(v, &c.entity_id) {
        ui.add(egui::Label::new(RichText::new(h.to_string()).italics()).wrap());
        if let explain::Hint::MissingPermission(m) = &h
            && let Some(role) = m.role()
            && ui
                .button(format!("Assign {}…", role.role_name))
                .on_hover_text(
                    "Opens Add role assignment, filled in: this role, this principal, this scope",
                )
                .clicked()
        {
            assign = Some(role.id);
        }
    }
    assign
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
