//! The rig: the app on a harness, started on a fresh folder with its emulator in-process, and
//! the steps a person takes (click, type, wait for a label).

use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use relay_explorer::auth::Vault;
use relay_explorer::gui::{App, AppOptions};

pub struct Rig {
    pub harness: Harness<'static, App>,
    pub _dir: tempfile::TempDir,
    pub _runtime: tokio::runtime::Runtime,
    pub vault: Arc<Vault>,
}

pub fn short_device_codes(o: &mut relay_explorer::emulator::Options) {
    o.device_code_interval = 1;
}

/// A first start: no accounts file, a fresh emulator state, an in-memory keyring.
pub fn first_start() -> Rig {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    start(dir, runtime, Arc::new(Vault::in_memory("GUI tests")))
}

pub fn start(dir: tempfile::TempDir, runtime: tokio::runtime::Runtime, vault: Arc<Vault>) -> Rig {
    let options = AppOptions {
        config_dir: dir.path().join("config"),
        emulator_state_dir: dir.path().join("emulator"),
        vault: vault.clone(),
        emulator_configure: Some(short_device_codes),
    };
    let app = App::new(runtime.handle().clone(), options, None);
    let harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_ui_state(|ui, app: &mut App| app.frame_ui(ui), app);
    Rig {
        harness,
        _dir: dir,
        _runtime: runtime,
        vault,
    }
}

impl Rig {
    /// Closes the app (the emulator writes its state) and starts it again on the same folders
    /// and keyring, as a person would the next day.
    pub fn restart(mut self) -> Rig {
        self.harness.state_mut().shut_down();
        let Rig {
            harness,
            _dir,
            _runtime,
            vault,
        } = self;
        drop(harness);
        start(_dir, _runtime, vault)
    }

    /// Adds a device-code account and signs in as Alice in "the browser".
    pub fn sign_in_alice_by_device_code(&mut self) {
        self.click("+ Add account");
        self.click("Local emulator (built in)");
        self.click("device code");
        self.click("Sign in");
        self.wait_label("Sign in with a device code");
        let prompt = self
            .harness
            .state()
            .device_code_prompt()
            .cloned()
            .expect("a code is shown");
        self.wait_label(&prompt.user_code);
        self.wait_label_contains("The code expires in");
        let ready = self.ready();
        let alice = ready
            .principals
            .iter()
            .find(|p| p.username.as_deref() == Some("alice@northwind.example"))
            .cloned()
            .expect("Alice");
        let pem = std::fs::read(&ready.ca_cert).unwrap();
        let http = reqwest::Client::builder()
            .tls_certs_merge(reqwest::Certificate::from_pem_bundle(&pem).unwrap())
            .build()
            .unwrap();
        let status = self._runtime.block_on(async {
            http.post(&prompt.verification_uri)
                .form(&[
                    ("user_code", prompt.user_code.as_str()),
                    ("username", alice.username.as_deref().unwrap()),
                    ("password", alice.password.as_deref().unwrap()),
                ])
                .send()
                .await
                .unwrap()
                .status()
        });
        assert_eq!(status, 200);
        self.wait_label_contains("alice@northwind.example");
        assert!(
            self.harness
                .query_by_label("Sign in with a device code")
                .is_none()
        );
    }

    /// Steps frames until `done` holds (background work lands between frames).
    pub fn wait_for(&mut self, what: &str, done: impl Fn(&Harness<'static, App>) -> bool) {
        let started = Instant::now();
        loop {
            self.harness.step();
            if done(&self.harness) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "waited 30 s for {what}"
            );
            std::thread::sleep(Duration::from_millis(15));
        }
    }

    pub fn wait_label(&mut self, label: &str) {
        let l = label.to_string();
        self.wait_for(&format!("'{label}'"), move |h| {
            h.query_by_label(&l).is_some()
        });
    }

    /// Types into the text (or password) field labelled `label`.
    pub fn type_into(&mut self, label: &str, text: &str) {
        use egui::accesskit::Role;
        let field = self
            .harness
            .query_by_role_and_label(Role::TextInput, label)
            .or_else(|| {
                self.harness
                    .query_by_role_and_label(Role::PasswordInput, label)
            })
            .unwrap_or_else(|| panic!("no field '{label}'"));
        field.focus();
        field.type_text(text);
        self.harness.step();
    }

    pub fn wait_label_contains(&mut self, part: &str) {
        let l = part.to_string();
        self.wait_for(&format!("a label with '{part}'"), move |h| {
            h.query_all_by_label_contains(&l).next().is_some()
        });
    }

    /// Clicks the widget labelled `label`, once every input on screen has an accessible name.
    pub fn click(&mut self, label: &str) {
        self.wait_label(label);
        self.harness.check_accessibility();
        // A person scrolls to what they click.
        self.harness.get_by_label(label).scroll_to_me();
        self.harness.step();
        self.harness.get_by_label(label).click();
        self.harness.step();
        self.harness.step();
    }

    /// A demo principal by display name, as the emulator's ready file lists it.
    pub fn principal(&self, name: &str) -> relay_explorer::emulator::ready::PrincipalInfo {
        self.ready()
            .principals
            .iter()
            .find(|p| p.display_name == name)
            .cloned()
            .unwrap_or_else(|| panic!("no demo principal {name}"))
    }

    /// The accounts file once it holds `part` (it is written in the background).
    pub fn accounts_file_with(&mut self, part: &str) -> String {
        let file = self._dir.path().join("config/accounts.json");
        let (f, p) = (file.clone(), part.to_string());
        self.wait_for(&format!("the accounts file to hold {part}"), move |_| {
            std::fs::read_to_string(&f).is_ok_and(|t| t.contains(&p))
        });
        std::fs::read_to_string(file).unwrap_or_default()
    }

    pub fn ready(&self) -> relay_explorer::emulator::ReadyInfo {
        self.harness
            .state()
            .embedded_ready()
            .expect("the embedded emulator runs")
            .clone()
    }

    /// Expands the tree down to the hybrid connection `orders` with the keyboard.
    pub fn browse_to_orders(&mut self) {
        self.click("rg-relay");
        self.harness.key_press(egui::Key::ArrowRight);
        self.click("northwind-relay");
        self.harness.key_press(egui::Key::ArrowRight);
        self.click("orders");
        self.wait_label("Listen");
    }
}

impl Rig {
    /// Opens Listen on `orders` with the given reply mode and starts it.
    pub fn listen_on_orders(&mut self, reply: &str, auto_accept: bool) {
        self.wait_label("rg-relay");
        self.browse_to_orders();
        self.click("Listen");
        self.wait_for("an identity to be picked", |h| {
            h.query_by_value("SAS rule listen-only").is_some()
        });
        self.click(reply);
        if !auto_accept {
            self.click("Accept connections automatically");
        }
        self.click("Start");
        self.wait_label("online");
    }

    pub fn open_send(&mut self) {
        self.click("Explorer");
        self.click("Send");
        self.wait_for("an identity to be picked", |h| {
            h.query_by_value("SAS rule sender").is_some()
        });
    }

    /// Starts a Listen console on `orders` with the SAS rule `sender`, which lacks Listen: the
    /// relay refuses it (403).
    pub fn start_a_refused_listener(&mut self) {
        self.wait_label("rg-relay");
        self.browse_to_orders();
        self.click("Listen");
        self.wait_for("an identity to be picked", |h| {
            h.query_by_value("SAS rule listen-only").is_some()
        });
        self.harness.get_by_value("SAS rule listen-only").click();
        self.harness.step();
        self.click("SAS rule sender (Send)");
        self.click("Start");
    }

    /// The text the last frames put on the clipboard.
    pub fn copied(&self) -> String {
        self.harness
            .output()
            .platform_output
            .commands
            .iter()
            .filter_map(|c| match c {
                egui::OutputCommand::CopyText(t) => Some(t.clone()),
                _ => None,
            })
            .next_back()
            .unwrap_or_default()
    }
}

impl Rig {
    /// The demo namespace's RootManageSharedAccessKey connection string, as the portal hands it
    /// out.
    pub fn namespace_connection_string(&self) -> String {
        use relay_explorer::arm::{ArmClient, DEFAULT_CONCURRENCY};
        use relay_explorer::auth::{self, SignIn};
        use relay_explorer::cloud::Cloud;
        let ready = self.ready();
        let cloud = Cloud::from_ready(&ready);
        self._runtime.block_on(async {
            let http = auth::http_client(&cloud).unwrap();
            let sign_in = SignIn::client_secret(
                cloud.clone(),
                &ready.tenant_id,
                &ready.admin.client_id,
                &ready.admin.client_secret,
            );
            let credential =
                auth::credential(&sign_in, &http, Arc::new(Vault::in_memory("t")), None).unwrap();
            let arm = ArmClient::new(&cloud, &http, credential, DEFAULT_CONCURRENCY);
            let rule = format!(
                "/subscriptions/{}/resourceGroups/rg-relay/providers/Microsoft.Relay/namespaces/northwind-relay/authorizationRules/RootManageSharedAccessKey",
                ready.subscription_id
            );
            arm.list_keys(&rule).await.unwrap().primary_connection_string
        })
    }
}
