//! Shared by the end-to-end tests: an emulator started in-process on free ports, and the CLI
//! binary run against it.
#![allow(dead_code)]

pub mod rig;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use relay_explorer::emulator::{self, Options, ReadyInfo, RunningEmulator};

pub struct TestEmulator {
    pub ready: ReadyInfo,
    pub ready_file: PathBuf,
    pub dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    running: Option<RunningEmulator>,
}

impl TestEmulator {
    pub fn start() -> Self {
        Self::start_with(|_| {})
    }

    pub fn start_with(configure: impl FnOnce(&mut Options)) -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let mut options = Options::new(dir.path().join("emulator-state"));
        options.device_code_interval = 1;
        configure(&mut options);
        let running = runtime
            .block_on(emulator::start(options))
            .expect("the emulator starts");
        let ready = running.ready.clone();
        let ready_file = dir.path().join("ready.json");
        std::fs::write(&ready_file, serde_json::to_vec_pretty(&ready).unwrap()).unwrap();
        Self {
            ready,
            ready_file,
            dir,
            runtime,
            running: Some(running),
        }
    }

    pub fn principal(&self, name: &str) -> &emulator::ready::PrincipalInfo {
        self.ready
            .principals
            .iter()
            .find(|p| p.display_name == name)
            .unwrap_or_else(|| panic!("no principal {name}"))
    }

    /// The bootstrap admin's credential (Owner on the subscription), with the cloud and the HTTP
    /// client it signs in through.
    pub fn admin_credential(
        &self,
    ) -> (
        relay_explorer::cloud::Cloud,
        reqwest::Client,
        std::sync::Arc<dyn azure_core::credentials::TokenCredential>,
    ) {
        use relay_explorer::auth::{self, SignIn, Vault};
        let (cloud, _) = relay_explorer::cloud::Cloud::from_ready_file(&self.ready_file).unwrap();
        let http = auth::http_client(&cloud).unwrap();
        let sign_in = SignIn::client_secret(
            cloud.clone(),
            &self.ready.tenant_id,
            &self.ready.admin.client_id,
            &self.ready.admin.client_secret,
        );
        let credential = auth::credential(
            &sign_in,
            &http,
            std::sync::Arc::new(Vault::in_memory("test")),
            None,
        )
        .unwrap();
        (cloud, http, credential)
    }

    /// A namespace's `HOST:PORT`, from its Service Bus endpoint.
    pub fn namespace_host(&self, name: &str) -> String {
        let shared = self.shared();
        let world = shared.world.lock();
        let ns = world
            .resources
            .values()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no namespace {name}"));
        ns.properties["serviceBusEndpoint"]
            .as_str()
            .unwrap()
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_string()
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// An HTTP client that trusts the emulator's CA.
    pub fn http(&self) -> reqwest::Client {
        let pem = std::fs::read(&self.ready.ca_cert).unwrap();
        reqwest::Client::builder()
            .tls_certs_merge(reqwest::Certificate::from_pem_bundle(&pem).unwrap())
            .build()
            .unwrap()
    }

    /// The CLI with a clean environment: no AZURE_* from the developer's shell, and home,
    /// config and data folders inside the test's temporary folder.
    pub fn cli(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_relay-explorer"));
        for (k, _) in std::env::vars() {
            if k.starts_with("AZURE_")
                || k.starts_with("IDENTITY_")
                || k == "MSI_ENDPOINT"
                || k == "RUST_LOG"
            {
                cmd.env_remove(k);
            }
        }
        let home = self.dir.path().join("home");
        cmd.env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_STATE_HOME", home.join(".local/state"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .args(args)
            .arg("--emulator")
            .arg(&self.ready_file)
            .stdin(Stdio::null());
        cmd
    }

    pub fn with_secret(&self, cmd: &mut Command, app: &str) {
        let p = self.principal(app);
        cmd.env("AZURE_CLIENT_ID", p.client_id.as_ref().unwrap())
            .env("AZURE_CLIENT_SECRET", p.client_secret.as_ref().unwrap())
            .arg("--auth")
            .arg("client-secret");
    }

    pub fn shared(&self) -> std::sync::Arc<emulator::Shared> {
        self.running.as_ref().expect("running").shared.clone()
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }
}

impl Drop for TestEmulator {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            let _ = self.runtime.block_on(r.shutdown());
        }
    }
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the CLI runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The files below `dir` whose bytes hold `needle`, as paths relative to `dir`.
pub fn files_holding(dir: &Path, needle: &str) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, needle: &[u8], out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, needle, out);
            } else if let Ok(bytes) = std::fs::read(&p)
                && bytes.windows(needle.len()).any(|w| w == needle)
            {
                out.push(p.strip_prefix(root).unwrap_or(&p).display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, needle.as_bytes(), &mut out);
    out.sort();
    out
}

/// Every file below `dir`, as text (missing folder: nothing).
pub fn all_text_below(dir: &Path) -> String {
    let mut out = String::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.push_str(&all_text_below(&p));
        } else if let Ok(bytes) = std::fs::read(&p) {
            out.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    out
}
