//! A principal field that suggests the tenant's principals as one types: a Graph search
//! (`GraphClient::search`) once the text has rested for [`DEBOUNCE`], its answers kept by
//! account and text, shown in a list under the field with each principal's kind and object id.
//! Used by *Check a principal* and by *Add role assignment*.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use eframe::egui::{self, Key, Modifiers};

use super::backend::{Backend, Event};
use super::fetch::{self, Fetch};
use crate::arm::graph::{GraphClient, Principal};
use crate::report::Report;

/// How long the text rests before it is searched.
pub const DEBOUNCE: Duration = Duration::from_millis(300);
/// At most this many of each kind are asked for.
const TOP: usize = 8;
/// Searches kept before the oldest answers are forgotten.
const KEEP: usize = 200;

/// The answers of searches, by (account, text).
#[derive(Default)]
pub struct PrincipalSearch {
    results: HashMap<String, Fetch<Vec<Principal>>>,
}

fn slot(account: &str, text: &str) -> String {
    format!("{account}\n{}", text.trim().to_lowercase())
}

impl PrincipalSearch {
    pub fn on_result(&mut self, account: &str, text: &str, result: Result<Vec<Principal>, Report>) {
        fetch::finish(&mut self.results, slot(account, text), result);
    }

    fn get(&self, account: &str, text: &str) -> Option<&Fetch<Vec<Principal>>> {
        self.results.get(&slot(account, text))
    }

    /// Asks Graph, unless this text was asked already.
    fn want(&mut self, account: &str, text: &str, graph: GraphClient, backend: &Backend) {
        if self.results.len() >= KEEP {
            self.results.clear();
        }
        if !fetch::begin(&mut self.results, &slot(account, text), false) {
            return;
        }
        let (account, text) = (account.to_string(), text.trim().to_string());
        // Not an activity of its own: a search per pause in typing would flood the log.
        backend.spawn(0, async move {
            let result = graph.search(&text, TOP).await.map_err(|e| Report::arm(&e));
            Event::Principals {
                account,
                text,
                result,
            }
        });
    }
}

/// What a field remembers between frames (in egui's memory, by the field's id).
#[derive(Clone, Default)]
struct FieldState {
    /// When the text last changed, until it has been searched.
    typed: Option<Instant>,
    /// The list may show (closed by a pick, by Escape).
    open: bool,
    /// Where the list was drawn (a click there keeps it open while the field loses focus).
    list: Option<egui::Rect>,
}

/// Where a field searches: its account and that account's Graph.
pub struct Source<'a> {
    pub account: &'a str,
    pub graph: Option<GraphClient>,
    pub backend: &'a Backend,
}

/// A principal text field with its suggestions; the principal picked from the list, if any.
pub fn principal_field(
    ui: &mut egui::Ui,
    search: &mut PrincipalSearch,
    source: Source<'_>,
    text: &mut String,
    width: f32,
) -> (egui::Response, Option<Principal>) {
    let r = ui.add(
        egui::TextEdit::singleline(text)
            .char_limit(super::widgets::limits::SECRET)
            .hint_text("display name, object id, user@domain or client id")
            .desired_width(width),
    );
    let id = r.id.with("suggestions");
    let mut state: FieldState = ui.data(|d| d.get_temp(id)).unwrap_or_default();
    let now = Instant::now();
    if r.changed() {
        state.typed = Some(now);
        state.open = true;
    }
    let wanted = text.trim();
    if let Some(at) = state.typed {
        let rest = DEBOUNCE.saturating_sub(now - at);
        if wanted.is_empty() {
            state.typed = None;
        } else if rest.is_zero() {
            if let Some(graph) = source.graph.clone() {
                search.want(source.account, wanted, graph, source.backend);
            }
            state.typed = None;
        } else {
            ui.ctx().request_repaint_after(rest);
        }
    }
    let pointer_on_list = state
        .list
        .zip(ui.ctx().pointer_latest_pos())
        .is_some_and(|(rect, p)| rect.contains(p));
    let showing = state.open
        && !wanted.is_empty()
        && (r.has_focus() || pointer_on_list)
        && search.get(source.account, wanted).is_some();
    if showing && ui.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape)) {
        state.open = false;
    }
    let mut picked = None;
    if showing && state.open {
        let answer = search.get(source.account, wanted).cloned();
        let shown = egui::Popup::from_response(&r)
            .open(true)
            .close_behavior(egui::PopupCloseBehavior::IgnoreClicks)
            .width(r.rect.width().max(320.0))
            .show(|ui| list_ui(ui, answer.as_ref(), &mut picked));
        state.list = shown.map(|s| s.response.rect);
        if picked.is_some() {
            state.open = false;
        }
    } else if !r.has_focus() {
        state.list = None;
    }
    ui.data_mut(|d| d.insert_temp(id, state));
    (r, picked)
}

fn list_ui(
    ui: &mut egui::Ui,
    answer: Option<&Fetch<Vec<Principal>>>,
    picked: &mut Option<Principal>,
) {
    let found = answer.and_then(Fetch::value).cloned().unwrap_or_default();
    match answer {
        Some(Fetch::Pending(None)) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.weak("Searching the directory…");
            });
        }
        Some(Fetch::Failed(e, _)) => {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("Search failed: {}", e.message),
            );
        }
        _ if found.is_empty() => {
            ui.weak("No user, group or service principal starts with this (type a whole object or client id to find it by id).");
        }
        _ => {}
    }
    egui::ScrollArea::vertical()
        .max_height(240.0)
        .show(ui, |ui| {
            for p in &found {
                let kind = match p.kind.as_str() {
                    "servicePrincipal" => "app",
                    "managedIdentity" => "managed identity",
                    k => k,
                };
                let upn = p
                    .user_principal_name
                    .as_deref()
                    .map(|u| format!("  ·  {u}"))
                    .unwrap_or_default();
                let row = ui
                    .add(
                        egui::Button::selectable(
                            false,
                            format!("{}  ·  {kind}{upn}", p.display_name),
                        )
                        .right_text(egui::RichText::new(&p.id).monospace().weak())
                        .truncate(),
                    )
                    .on_hover_text(format!(
                        "{} ({kind})\nobject id {}{}",
                        p.display_name,
                        p.id,
                        p.app_id
                            .as_deref()
                            .map(|a| format!("\nclient id {a}"))
                            .unwrap_or_default()
                    ));
                if row.clicked() {
                    *picked = Some(p.clone());
                }
            }
        });
}
