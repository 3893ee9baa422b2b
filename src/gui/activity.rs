//! The activity log: every operation with its outcome and duration, and the command that does
//! the same from a terminal.

use std::collections::VecDeque;
use std::time::Duration;

use eframe::egui::{self, Color32, RichText};

use super::backend::Backend;
use super::command::Command;
use super::widgets::copy_button;

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Running,
    Done(Duration),
    Failed(crate::report::Report, Duration),
}

#[derive(Debug, Clone)]
pub struct Activity {
    pub id: u64,
    pub at: chrono::DateTime<chrono::Local>,
    pub label: String,
    pub command: Option<String>,
    pub outcome: Outcome,
}

/// At most this many entries are kept.
const KEEP: usize = 1000;

#[derive(Debug, Default)]
pub struct ActivityLog {
    entries: VecDeque<Activity>,
    next: u64,
    /// The entry whose "why?" is open.
    pub why: Option<u64>,
}

impl ActivityLog {
    /// Starts an entry; its id is given to the work that finishes it.
    pub fn start(&mut self, label: impl Into<String>, command: Option<String>) -> u64 {
        self.next += 1;
        self.entries.push_back(Activity {
            id: self.next,
            at: chrono::Local::now(),
            label: label.into(),
            command,
            outcome: Outcome::Running,
        });
        while self.entries.len() > KEEP {
            self.entries.pop_front();
        }
        self.next
    }

    /// An id for background work that is not logged (live refreshes).
    pub fn quiet(&self) -> u64 {
        0
    }

    /// Records the outcome; says whether the entry was a logged one.
    pub fn finish(
        &mut self,
        id: u64,
        result: Result<(), crate::report::Report>,
        elapsed: Duration,
    ) -> bool {
        let Some(e) = self.entries.iter_mut().find(|e| e.id == id) else {
            return false;
        };
        e.outcome = match result {
            Ok(()) => Outcome::Done(elapsed),
            Err(m) => Outcome::Failed(m, elapsed),
        };
        true
    }

    /// Replaces an entry's command (what it did changed after it started).
    pub fn set_command(&mut self, id: u64, command: Option<String>) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.id == id) {
            e.command = command;
        }
    }

    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &Activity> {
        self.entries.iter()
    }

    pub fn get(&self, id: u64) -> Option<&Activity> {
        self.entries.iter().find(|e| e.id == id)
    }
}

impl ActivityLog {
    /// Draws the log (collapsible with `open`); asks to cancel running work with a command.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        open: &mut bool,
        backend: &Backend,
        commands: &mut Vec<Command>,
    ) {
        ui.horizontal(|ui| {
            let label = if *open { "v Activity" } else { "> Activity" };
            if ui.selectable_label(false, label).clicked() {
                *open = !*open;
            }
            let running = self
                .entries()
                .filter(|e| e.outcome == Outcome::Running)
                .count();
            if running > 0 {
                ui.spinner();
                ui.weak(format!("{running} running"));
            }
            if let Some(last) = self.entries().next_back() {
                ui.weak(format!("{} {}", last.at.format("%H:%M:%S"), last.label));
            }
        });
        if !*open {
            return;
        }
        let entries: Vec<Activity> = self.entries().rev().take(200).cloned().collect();
        egui::ScrollArea::vertical()
            .id_salt("activity")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for e in &entries {
                    ui.horizontal(|ui| {
                        ui.monospace(e.at.format("%H:%M:%S").to_string());
                        let (mark, color, took) = match &e.outcome {
                            Outcome::Running => {
                                ("…", ui.visuals().weak_text_color(), String::new())
                            }
                            Outcome::Done(d) => (
                                "ok",
                                Color32::from_rgb(60, 170, 90),
                                format!("{} ms", d.as_millis()),
                            ),
                            Outcome::Failed(_, d) => (
                                "failed",
                                ui.visuals().error_fg_color,
                                format!("{} ms", d.as_millis()),
                            ),
                        };
                        ui.label(RichText::new(mark).color(color));
                        ui.label(&e.label);
                        if !took.is_empty() {
                            ui.weak(took);
                        }
                        if e.outcome == Outcome::Running
                            && backend.is_running(e.id)
                            && ui
                                .small_button("cancel")
                                .on_hover_text(format!("Cancel {}", e.label))
                                .clicked()
                        {
                            commands.push(Command::Cancel(e.id));
                        }
                        if let Some(c) = &e.command {
                            copy_button(ui, c, &format!("command of {}", e.label))
                                .on_hover_text(format!("Copy as command: {c}"));
                        }
                        if let Outcome::Failed(m, _) = &e.outcome {
                            if ui.small_button("why?").clicked() {
                                self.why = Some(e.id);
                            }
                            ui.add(
                                egui::Label::new(
                                    RichText::new(m.to_string()).color(ui.visuals().error_fg_color),
                                )
                                .truncate(),
                            );
                        }
                    });
                }
            });
        if let Some(id) = self.why
            && let Some(e) = self.get(id).cloned()
        {
            let mut open = true;
            egui::Window::new("Why did it fail?")
                .open(&mut open)
                .collapsible(false)
                .default_width(520.0)
                .show(ui.ctx(), |ui| {
                    ui.strong(&e.label);
                    if let Outcome::Failed(m, _) = &e.outcome {
                        ui.label(m.to_string());
                    }
                    if let Some(c) = &e.command {
                        ui.label("To try it from a terminal:");
                        ui.monospace(c);
                    }
                });
            if !open {
                self.why = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_finish_with_their_outcome() {
        let mut log = ActivityLog::default();
        let a = log.start("listKeys sender", Some("curl …".into()));
        let b = log.start("Delete orders", None);
        assert!(log.finish(b, Err("403".into()), Duration::from_millis(5)));
        assert!(log.finish(a, Ok(()), Duration::from_millis(3)));
        assert!(
            !log.finish(log.quiet(), Ok(()), Duration::ZERO),
            "quiet work is not logged"
        );
        let outcomes: Vec<_> = log.entries().map(|e| e.outcome.clone()).collect();
        assert_eq!(outcomes[0], Outcome::Done(Duration::from_millis(3)));
        assert!(matches!(&outcomes[1], Outcome::Failed(m, _) if m.message == "403"));
    }
}
