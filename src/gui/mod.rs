//! The desktop window (eframe/egui). Panels own their state, draw, and return what they want
//! done as [`command::Command`]s that `App` runs at the end of the frame; the [`backend`] runs
//! all I/O on tokio and reports back with events.
//!
//! Layout:
//! - `app/`: the state, sign-in, the event and command fold, the layout, dialogs, the tour;
//! - `command.rs`: the commands; `fetch.rs`: a value fetched in the background;
//! - `tree.rs`: the explorer tree, flattened into visible rows for a virtual list;
//! - `details/`: Overview / Entities / SAS rules / Role assignments / Access; `identities.rs`;
//! - `console/`: Listen and Send consoles (model, views, protocol, actor); `transcript.rs`:
//!   their bounded memory and rates;
//! - `accounts.rs`: remembered accounts (no secrets) and sessions; `dialogs.rs`: the Add account
//!   form and confirmations; `grant.rs`: the Add role assignment dialog; `activity.rs`: the activity log; `toasts.rs`: short notices;
//! - `backend.rs`: background work; `widgets.rs`: small shared widgets.

mod accounts;
mod activity;
mod app;
mod backend;
mod command;
mod console;
mod details;
mod dialogs;
mod fetch;
mod grant;
mod identities;
mod picker;
mod toasts;
pub mod transcript;
pub mod tree;
mod view_as;
mod widgets;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use eframe::egui;

pub use accounts::{AccountConfig, AccountsFile, CloudConfig};
pub use app::{App, AppOptions, Persisted, Tour, View};

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
        .with_min_inner_size([800.0, 500.0]);
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
            // The tour's consoles are live: it quits without asking.
            self.app.confirm_quit();
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
