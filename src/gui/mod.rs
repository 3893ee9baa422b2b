//! The desktop window (eframe/egui). `App` owns the state; views draw it and ask for actions;
//! the [`backend`] runs all I/O on tokio and reports back with events.
//!
//! Layout:
//! - `app.rs`: state, events, actions, the window's frame (top bar, tree, centre, activity);
//! - `tree.rs`: the explorer tree, flattened into visible rows for a virtual list;
//! - `details.rs`: Overview / Entities / SAS rules / Role assignments / Access, and Identities;
//! - `consoles.rs`: Listen and Send consoles; `transcript.rs`: their bounded memory and rates;
//! - `accounts.rs`: remembered accounts (no secrets) and sessions; `dialogs.rs`: add account,
//!   device code, confirmations, the accounts panel; `activity.rs`: the activity log;
//! - `backend.rs`: background work and the console actors; `widgets.rs`: small shared widgets.

mod accounts;
mod activity;
mod app;
mod backend;
mod command;
mod console;
mod details;
mod dialogs;
mod fetch;
mod identities;
pub mod transcript;
pub mod tree;
mod widgets;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use eframe::egui;

pub use accounts::{AccountConfig, AccountsFile, CloudConfig};
pub use app::{App, AppOptions, Persisted, View};

/// The window's options (from the command line).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GuiArgs {
    /// Walk through the main views and save a PNG screenshot of each into DIR, then exit
    /// (used by `scripts/screenshots` under Xvfb).
    #[arg(long, value_name = "DIR", hide = true)]
    pub tour: Option<PathBuf>,
    /// Print the time from start to the first frame, then exit (the start-up benchmark).
    #[arg(long, hide = true)]
    pub first_frame_only: bool,
}

const STORAGE_KEY: &str = "relay-explorer";

/// The window icon, from `assets/icon-256.png`.
fn icon() -> Option<egui::IconData> {
    let png = include_bytes!("../../assets/icon-256.png");
    let img = image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .ok()?
        .into_rgba8();
    Some(egui::IconData {
        width: img.width(),
        height: img.height(),
        rgba: img.into_raw(),
    })
}

/// Opens the window; returns when it is closed.
pub fn run(args: GuiArgs) -> Result<()> {
    let process_start = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("relay-explorer-io")
        .enable_all()
        .build()
        .context("could not start the background runtime")?;
    let options = AppOptions::from_platform()?;
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("Relay Explorer")
        .with_app_id("relay-explorer")
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([760.0, 480.0]);
    if let Some(i) = icon() {
        viewport = viewport.with_icon(std::sync::Arc::new(i));
    }
    let native = eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Glow,
        persist_window: args.tour.is_none(),
        ..Default::default()
    };
    let handle = runtime.handle().clone();
    let result = eframe::run_native(
        "Relay Explorer",
        native,
        Box::new(move |cc| {
            let persisted = if args.tour.is_some() {
                None
            } else {
                cc.storage
                    .and_then(|s| eframe::get_value::<Persisted>(s, STORAGE_KEY))
            };
            let app = App::new(handle, options, persisted);
            Ok(Box::new(Window {
                app,
                tour: args.tour.map(Tour::new),
                first_frame_only: args.first_frame_only,
                process_start,
            }))
        }),
    );
    drop(runtime);
    result.map_err(|e| anyhow::anyhow!("the window could not open: {e}"))
}

struct Window {
    app: App,
    tour: Option<Tour>,
    first_frame_only: bool,
    process_start: Instant,
}

impl eframe::App for Window {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.app.frame_ui(ui);
        if self.first_frame_only {
            println!(
                "first frame after {:.3} s",
                self.process_start.elapsed().as_secs_f64()
            );
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            self.first_frame_only = false;
        }
        if let Some(t) = &mut self.tour
            && t.step(&mut self.app, ui.ctx())
        {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.app.remember_layout();
        eframe::set_value(storage, STORAGE_KEY, &self.app.persisted);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.app.shut_down();
    }
}

/// The screenshot tour: each step gets the app somewhere, waits until it is there, and saves a
/// screenshot.
struct Tour {
    dir: PathBuf,
    step: usize,
    since: Instant,
    waiting_shot: bool,
    shot: std::sync::Arc<parking_lot::Mutex<Option<std::sync::Arc<egui::ColorImage>>>>,
    started: Instant,
}

impl Tour {
    fn new(dir: PathBuf) -> Self {
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
    fn step(&mut self, app: &mut App, ctx: &egui::Context) -> bool {
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
