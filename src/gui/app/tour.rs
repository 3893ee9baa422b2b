//! The screenshot tour (`relay-explorer gui --tour DIR`) and the steps tests take through the
//! app as a person would.

use super::*;

/// The screenshot tour: each step gets the app somewhere, waits until it is there, and saves a
/// screenshot.
pub struct Tour {
    dir: PathBuf,
    step: usize,
    since: Instant,
    waiting_shot: bool,
    shot: std::sync::Arc<parking_lot::Mutex<Option<std::sync::Arc<egui::ColorImage>>>>,
    started: Instant,
}

impl Tour {
    pub fn new(dir: PathBuf) -> Self {
        std::fs::create_dir_all(&dir).ok();
        Self {
            dir,
            step: 0,
            since: Instant::now(),
            waiting_shot: false,
            shot: Default::default(),
            started: Instant::now(),
        }
    }

    /// Runs the tour; true when it is over.
    pub fn step(&mut self, app: &mut App, ctx: &egui::Context) -> bool {
        ctx.request_repaint_after(Duration::from_millis(100));
        if self.started.elapsed() > Duration::from_secs(120) {
            eprintln!("the tour took too long; stopping at step {}", self.step);
            return true;
        }
        // A screenshot arrives as an event some frames after it was asked for.
        if self.waiting_shot {
            let shot = self.shot.lock().take();
            if let Some(image) = shot {
                let name = STEPS[self.step].0;
                let path = self.dir.join(format!("{name}.png"));
                let [w, h] = image.size;
                let rgba: Vec<u8> = image.pixels.iter().flat_map(|p| p.to_array()).collect();
                match image::RgbaImage::from_raw(w as u32, h as u32, rgba)
                    .map(|img| img.save(&path))
                {
                    Some(Ok(())) => println!("saved {}", path.display()),
                    _ => eprintln!("could not save {}", path.display()),
                }
                self.waiting_shot = false;
                self.step += 1;
                self.since = Instant::now();
            }
            return false;
        }
        let Some((_, ready)) = STEPS.get(self.step) else {
            return true;
        };
        if ready(app, self.since.elapsed()) {
            let slot = self.shot.clone();
            let waker = ctx.clone();
            ctx.send_viewport_cmd(egui::ViewportCommand::Screenshot(
                egui::ScreenshotCallback::new(move |image| {
                    *slot.lock() = Some(image);
                    waker.request_repaint();
                }),
            ));
            self.waiting_shot = true;
        }
        false
    }
}

type Step = (&'static str, fn(&mut App, Duration) -> bool);

/// The tour's steps: (screenshot name, "get there; are we there yet?").
const STEPS: &[Step] = &[
    ("1-explorer", |app, waited| {
        if app.tree.nodes().any(|n| n.label == "orders") {
            app.select_by_label("orders");
            return waited > Duration::from_secs(2);
        }
        false
    }),
    ("2-sas-rules", |app, waited| {
        app.show_tab("SAS rules");
        waited > Duration::from_secs(2)
    }),
    ("3-role-assignments", |app, waited| {
        app.show_tab("Role assignments");
        waited > Duration::from_secs(2)
    }),
    ("4-access", |app, waited| {
        app.show_tab("Access");
        app.check_principal_for_tour("carol@northwind.example", "send");
        app.view_as_for_tour("carol@northwind.example");
        waited > Duration::from_secs(3)
    }),
    ("5-send", |app, waited| {
        app.tour_listen_and_send(waited);
        app.view = View::Console(2);
        waited > Duration::from_secs(6)
    }),
    ("6-listen", |app, waited| {
        app.view = View::Console(1);
        app.select_last_message(1);
        waited > Duration::from_secs(2)
    }),
    ("7-identities", |app, waited| {
        app.view = View::Identities;
        app.pick_identity_entity("orders");
        waited > Duration::from_secs(3)
    }),
    ("8-add-account", |app, waited| {
        app.view = View::Details;
        app.open_add_account();
        waited > Duration::from_secs(1)
    }),
];

/// Steps the screenshot tour and tests can take, as a user would with clicks.
impl App {
    pub fn show_tab(&mut self, label: &str) {
        self.details.show_tab(label);
    }

    /// Views the tree as `who` (as *View as…* and a pick do).
    pub fn view_as_for_tour(&mut self, who: &str) {
        if self.view_as.who.is_none()
            && let Some(account) = self.sessions.keys().min().cloned()
        {
            self.view_as.open = true;
            self.view_as.input = who.to_string();
            self.view_as.view(&account, who);
        }
    }

    pub fn check_principal_for_tour(&mut self, who: &str, action: &str) {
        let Some(key) = self.tree.selected.clone() else {
            return;
        };
        if !self.details.checked.contains_key(&key) {
            self.details.check_input = who.to_string();
            self.details.check_action = action.to_string();
            let mut cx = details_cx!(self);
            self.details
                .request_check_public(&mut cx, &key, who, action);
        }
    }

    /// Opens Listen and Send on `orders`, starts both and sends a few messages.
    pub fn tour_listen_and_send(&mut self, waited: Duration) {
        if self.consoles.is_empty() {
            self.open_console_for("orders", true);
            self.open_console_for("orders", false);
            return;
        }
        let backend = self.backend.clone();
        let listener_online = self.consoles.iter().any(|c| c.listen && c.is_online());
        for c in &mut self.consoles {
            if c.auth.is_some()
                && !c.is_live()
                && (c.listen || listener_online)
                && c.transcript.is_empty()
            {
                c.start(&backend, &mut self.activity);
            }
            if !c.listen
                && c.is_online()
                && c.transcript.total() < 40
                && waited.as_millis().is_multiple_of(3)
            {
                c.send_text(&format!(
                    "{{\"order\": {}, \"item\": \"coffee\"}}",
                    c.transcript.total()
                ));
            }
        }
    }

    /// The device code being shown, if a sign-in waits for one.
    pub fn device_code_prompt(&self) -> Option<&crate::auth::DeviceCodePrompt> {
        self.device_code.as_ref().map(|d| &d.prompt)
    }

    /// Selects a console's newest received message (the tour shows its details).
    pub fn select_last_message(&mut self, console: u64) {
        if let Some(c) = self.consoles.iter_mut().find(|c| c.id == console) {
            let last = c
                .transcript
                .iter()
                .filter(|e| {
                    e.direction == crate::gui::transcript::Direction::In
                        && e.kind == crate::gui::transcript::EventKind::Text
                })
                .map(|e| e.seq)
                .last();
            if last.is_some() {
                c.selected = last;
            }
        }
    }

    /// Opens a console on `entity` that is not connected, filled with `lines` received messages of
    /// `size` bytes each (benchmarks measure frames and memory with it).
    pub fn demo_console(&mut self, entity: &str, lines: usize, size: usize) {
        use crate::gui::transcript::{Direction, Entry, EventKind};
        let node = TreeNode {
            key: format!("demo:{entity}"),
            parent: None,
            children: Vec::new(),
            label: entity.to_string(),
            kind: Kind::HybridConnection,
            account: String::new(),
            arm: None,
            load: Load::Leaf,
        };
        let id = self.next_console;
        self.next_console += 1;
        let mut c = Console::new(id, true, &node, String::new(), None);
        let body = vec![b'x'; size];
        for i in 0..lines {
            c.push(
                Entry::new(Direction::In, EventKind::Text, format!("message {i}"))
                    .with_conn("bench")
                    .with_body(&body),
            );
        }
        self.consoles.push(c);
        self.view = View::Console(id);
    }

    /// Picks the entity the Identities view checks managed identities against.
    pub fn pick_identity_entity(&mut self, label: &str) {
        if self.details.identity_entity.is_none() {
            self.details.identity_entity = self
                .tree
                .nodes()
                .filter(|n| n.label == label && n.kind.is_entity())
                .map(|n| n.key.clone())
                .min();
        }
    }

    /// Opens the "Add account" dialog (as its button does).
    pub fn open_add_account(&mut self) {
        if self.add_account.is_none() {
            self.actions.push(Command::AddAccount);
        }
    }

    /// Quits without asking about live consoles (the tour, when it is over).
    pub fn confirm_quit(&mut self) {
        self.quit_confirmed = true;
    }

    /// Where toasts were drawn in the last frame, if any were.
    pub fn toast_rect(&self) -> Option<egui::Rect> {
        self.toasts.shown_rect()
    }

    /// The consoles, for tests.
    pub fn console_titles(&self) -> Vec<String> {
        self.consoles.iter().map(Console::title).collect()
    }
}
