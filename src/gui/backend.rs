//! The app's background side: every piece of I/O runs here, on tokio, and reports back as an
//! [`Event`] on a channel that the UI drains at the top of each frame (followed by a repaint
//! request, so the UI never polls and never waits).
//!
//! Consoles are actors (`gui/console/actor.rs`: one task owns the listener or the sender
//! socket); the UI talks to them with commands and hears their events as [`Event::Console`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use tokio::sync::mpsc;

use super::accounts::PendingDeviceCode;
use super::console::ConsoleEvent;
use crate::access::explain::WhoRow;
use crate::arm::access::Checked;
use crate::arm::relay::AccessKeys;
use crate::arm::tree::Node;
use crate::report::Report;

/// The embedded emulator, once it runs.
pub struct Embedded {
    pub running: crate::emulator::RunningEmulator,
    /// Its ready file (for "copy as command" and for other tools).
    pub ready_path: std::path::PathBuf,
}

pub use crate::arm::directory::Directory;

/// What background work reports.
pub enum Event {
    Emulator(Result<Arc<Embedded>, Report>),
    DeviceCode(PendingDeviceCode),
    Directory {
        account: String,
        session: Option<Arc<super::accounts::Session>>,
        result: Result<Directory, Report>,
    },
    /// A subscription's resource groups, namespaces, entities and SignalR resources.
    Subtree {
        account: String,
        subscription: String,
        result: Result<Vec<Node>, Report>,
    },
    Entity {
        id: String,
        result: Result<Node, Report>,
    },
    Rules {
        entity: String,
        result: Result<Vec<Node>, Report>,
    },
    Keys {
        rule_id: String,
        result: Result<AccessKeys, Report>,
    },
    RoleAssignments {
        scope: String,
        result: Result<Vec<Node>, Report>,
    },
    WhoCan {
        entity: String,
        result: Result<Vec<WhoRow>, Report>,
    },
    Checked {
        slot: super::command::CheckSlot,
        result: Result<Checked, Report>,
    },
    Identities {
        account: String,
        result: Result<Vec<serde_json::Value>, Report>,
    },
    /// What a principal may reach in a namespace ("view as").
    Reach {
        namespace: String,
        who: String,
        result: Result<crate::arm::reach::NamespaceReach, Report>,
    },
    /// The principals whose names start with `text` (a picker's suggestions; shown in its
    /// list, never a toast).
    Principals {
        account: String,
        text: String,
        result: Result<Vec<crate::arm::graph::Principal>, Report>,
    },
    /// Something was created, changed or deleted: reload what shows it.
    Changed {
        account: String,
        subscription: String,
        message: String,
        result: Result<(), Report>,
    },
    Console {
        id: u64,
        event: ConsoleEvent,
    },
    ActivityDone {
        id: u64,
        result: Result<(), Report>,
        elapsed: Duration,
    },
    /// A file was written (transcript export).
    Saved(Result<String, Report>),
    /// The accounts file could not be written.
    AccountsSaved(Result<(), Report>),
}

impl Event {
    /// The failure this event reports, if it is one.
    fn failure(&self) -> Option<Report> {
        let e = match self {
            Event::Emulator(Err(e))
            | Event::Directory { result: Err(e), .. }
            | Event::Subtree { result: Err(e), .. }
            | Event::Entity { result: Err(e), .. }
            | Event::Rules { result: Err(e), .. }
            | Event::Keys { result: Err(e), .. }
            | Event::RoleAssignments { result: Err(e), .. }
            | Event::WhoCan { result: Err(e), .. }
            | Event::Checked { result: Err(e), .. }
            | Event::Identities { result: Err(e), .. }
            | Event::Reach { result: Err(e), .. }
            | Event::Changed { result: Err(e), .. }
            | Event::Saved(Err(e)) => e,
            _ => return None,
        };
        Some(e.clone())
    }
}

#[derive(Clone)]
pub struct Backend {
    rt: tokio::runtime::Handle,
    tx: mpsc::UnboundedSender<Event>,
    ctx: Arc<Mutex<Option<eframe::egui::Context>>>,
    running: Arc<Mutex<HashMap<u64, tokio::task::AbortHandle>>>,
}

impl Backend {
    pub fn new(rt: tokio::runtime::Handle) -> (Self, mpsc::UnboundedReceiver<Event>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Self {
                rt,
                tx,
                ctx: Arc::new(Mutex::new(None)),
                running: Arc::default(),
            },
            rx,
        )
    }

    pub fn runtime(&self) -> &tokio::runtime::Handle {
        &self.rt
    }

    /// The context to wake when an event arrives (set on the first frame).
    pub fn set_context(&self, ctx: &eframe::egui::Context) {
        let mut slot = self.ctx.lock();
        if slot.is_none() {
            *slot = Some(ctx.clone());
        }
    }

    pub fn emit(&self, e: Event) {
        if self.tx.send(e).is_ok()
            && let Some(ctx) = self.ctx.lock().as_ref()
        {
            ctx.request_repaint();
        }
    }

    /// Runs a piece of work for activity `activity`: its event, then the activity's outcome.
    pub fn spawn<F>(&self, activity: u64, work: F)
    where
        F: std::future::Future<Output = Event> + Send + 'static,
    {
        let me = self.clone();
        let running = self.running.clone();
        // Held until the task has registered itself, so it cannot finish unregistered.
        let mut slot = running.lock();
        let task = self.rt.spawn(async move {
            let started = Instant::now();
            let event = work.await;
            let result = match event.failure() {
                Some(e) => Err(e),
                None => Ok(()),
            };
            me.running.lock().remove(&activity);
            me.emit(event);
            me.emit(Event::ActivityDone {
                id: activity,
                result,
                elapsed: started.elapsed(),
            });
        });
        if activity != 0 {
            slot.insert(activity, task.abort_handle());
        }
    }

    /// Stops the work of an activity; false when it had finished already.
    pub fn cancel(&self, activity: u64) -> bool {
        match self.running.lock().remove(&activity) {
            Some(h) => {
                h.abort();
                true
            }
            None => false,
        }
    }

    /// Whether the work of an activity is still running (and can be cancelled).
    pub fn is_running(&self, activity: u64) -> bool {
        self.running.lock().contains_key(&activity)
    }
}
