//! Figures for the desktop app (printed, not asserted): frame CPU time with 10k tree nodes and
//! with 100k console lines, resident memory after 1M console messages and at idle, and the time
//! from start to the first frame of the real window (under Xvfb, when `xvfb-run` is there).
//!
//! `cargo bench --bench gui`

use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;
use relay_explorer::arm::tree::Node;
use relay_explorer::auth::Vault;
use relay_explorer::gui::tree::{Kind, Load, TreeNode};
use relay_explorer::gui::{App, AppOptions, View};

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// An app with no account (an empty accounts file: no emulator starts).
fn quiet_app(rt: &tokio::runtime::Runtime, dir: &std::path::Path) -> App {
    std::fs::create_dir_all(dir.join("config")).unwrap();
    std::fs::write(dir.join("config/accounts.json"), "[]").unwrap();
    App::new(
        rt.handle().clone(),
        AppOptions {
            config_dir: dir.join("config"),
            emulator_state_dir: dir.join("emulator"),
            vault: Arc::new(Vault::in_memory("bench")),
            emulator_configure: None,
        },
        None,
    )
}

/// `n_namespaces` × `n_entities` hybrid connections under one subscription, all expanded.
fn big_tree(app: &mut App, n_namespaces: usize, n_entities: usize) {
    app.tree.upsert(TreeNode {
        key: "account:bench".into(),
        parent: None,
        children: Vec::new(),
        label: "Bench".into(),
        kind: Kind::Account,
        account: "bench".into(),
        arm: None,
        load: Load::Loaded,
    });
    app.tree.upsert(TreeNode {
        key: "/subscriptions/s".into(),
        parent: Some("account:bench".into()),
        children: Vec::new(),
        label: "Load test".into(),
        kind: Kind::Subscription,
        account: "bench".into(),
        arm: None,
        load: Load::Loaded,
    });
    let node = |id: String, t: &str| {
        let name = id.rsplit('/').next().unwrap().to_string();
        Node::from_value(
            &serde_json::json!({"id": id, "type": t, "name": name, "properties": {"listenerCount": 1}}),
        )
    };
    let mut nodes = vec![node(
        "/subscriptions/s/resourceGroups/rg".into(),
        "Microsoft.Resources/resourceGroups",
    )];
    for i in 0..n_namespaces {
        let ns = format!(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Relay/namespaces/ns{i:03}"
        );
        nodes.push(node(ns.clone(), "Microsoft.Relay/namespaces"));
        for j in 0..n_entities {
            nodes.push(node(
                format!("{ns}/hybridConnections/hc{j:03}"),
                "Microsoft.Relay/namespaces/hybridConnections",
            ));
        }
    }
    app.tree
        .set_subscription_tree("bench", "/subscriptions/s", &nodes);
    let keys: Vec<String> = app.tree.nodes().map(|n| n.key.clone()).collect();
    app.tree.expanded.extend(keys);
    app.tree.mark_dirty();
}

/// Runs `frames` frames (layout + tessellation) and returns the per-frame times, sorted.
fn frames(ctx: &egui::Context, app: &mut App, frames: usize) -> Vec<Duration> {
    let mut times = Vec::with_capacity(frames);
    for i in 0..frames {
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1400.0, 900.0),
            )),
            time: Some(i as f64 / 60.0),
            ..Default::default()
        };
        let started = Instant::now();
        let out = ctx.run_ui(input, |ui| app.frame_ui(ui));
        let _ = ctx.tessellate(out.shapes, out.pixels_per_point);
        times.push(started.elapsed());
    }
    times.sort();
    times
}

fn report(what: &str, t: &[Duration]) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p = |q: f64| t[((t.len() as f64 - 1.0) * q) as usize];
    println!(
        "{what:<48} median {:>6.2} ms   p95 {:>6.2} ms   max {:>6.2} ms",
        ms(p(0.5)),
        ms(p(0.95)),
        ms(p(1.0))
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    println!("# Relay Explorer GUI figures (frame = layout + tessellation, one CPU thread)");
    let before = rss_mb();

    // Idle: an empty window.
    let ctx = egui::Context::default();
    let mut app = quiet_app(&rt, dir.path());
    let t = frames(&ctx, &mut app, 60);
    report("empty window", &t);
    println!(
        "resident memory at idle (in process)            {:.1} MB",
        rss_mb()
    );

    // 10k tree nodes, all expanded; the list is virtual.
    big_tree(&mut app, 100, 100);
    let n = app.tree.len();
    let t = frames(&ctx, &mut app, 200);
    report(&format!("tree with {n} nodes, all expanded"), &t);
    app.tree.set_filter("hc05");
    let t = frames(&ctx, &mut app, 50);
    report("same tree, filtered as you type (hc05)", &t);
    app.tree.set_filter("");

    // 100k console lines.
    app.demo_console("bench", 100_000, 64);
    let t = frames(&ctx, &mut app, 200);
    report("console with 100,000 lines (following)", &t);
    app.view = View::Details;

    // 1M messages of 1 KiB through a console: memory stays bounded.
    let started = Instant::now();
    app.demo_console("million", 1_000_000, 1024);
    let took = started.elapsed();
    let t = frames(&ctx, &mut app, 50);
    report("console after 1,000,000 messages of 1 KiB", &t);
    println!(
        "resident memory after 1M console messages     {:.1} MB (process; {:.1} MB before the app; {:.2} s to push them)",
        rss_mb(),
        before,
        took.as_secs_f64()
    );

    // The real window: start to first frame, and idle memory, under Xvfb.
    let exe = env!("CARGO_BIN_EXE_relay-explorer");
    let xvfb = std::process::Command::new("sh")
        .args(["-c", "command -v xvfb-run"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !xvfb {
        println!("start to first frame: skipped (no xvfb-run; apt-get install xvfb xauth)");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    for run in 0..3 {
        let out = std::process::Command::new("xvfb-run")
            .args([
                "-a",
                "-s",
                "-screen 0 1400x900x24",
                exe,
                "gui",
                "--first-frame-only",
            ])
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            .env("XDG_DATA_HOME", home.path().join(".local/share"))
            .env("RELAY_EXPLORER_VAULT", "memory")
            .env("RUST_LOG", "error")
            .output()
            .expect("xvfb-run runs");
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find(|l| l.starts_with("first frame"))
            .unwrap_or("no frame");
        println!(
            "real window, {} start: {line}",
            if run == 0 {
                "first (demo emulator created)"
            } else {
                "later"
            }
        );
    }
    // Idle memory of the real window: start it, let it settle, read its resident set.
    let mut child = std::process::Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1400x900x24", exe, "gui"])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join(".config"))
        .env("XDG_DATA_HOME", home.path().join(".local/share"))
        .env("RELAY_EXPLORER_VAULT", "memory")
        .env("RUST_LOG", "error")
        .spawn()
        .expect("xvfb-run runs");
    std::thread::sleep(Duration::from_secs(8));
    let pids = std::process::Command::new("pgrep")
        .args(["-f", &format!("^{exe} gui$")])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_string())
        .unwrap_or_default();
    for pid in pids.split_whitespace() {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(f64::NAN, |kb| kb / 1024.0)
        };
        println!(
            "real window at idle, emulator running in it: resident {:.1} MB = {:.1} MB private + {:.1} MB mapped files (libraries; Mesa llvmpipe GL under Xvfb)",
            field("VmRSS:"),
            field("RssAnon:"),
            field("RssFile:")
        );
        std::process::Command::new("kill").arg(pid).status().ok();
    }
    child.wait().ok();
}
