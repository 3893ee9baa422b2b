//! The emulator's TLS: a CA made at first start and kept in the state folder (so clients keep
//! trusting it across restarts), and a leaf certificate for `localhost` and `127.0.0.1` signed by
//! it at every start.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

pub const CA_CERT_FILE: &str = "ca.pem";
const CA_KEY_FILE: &str = "ca-key.pem";

/// What a TLS listener needs, in PEM.
pub struct ServerIdentity {
    pub ca_cert_path: PathBuf,
    pub cert_chain_pem: String,
    pub key_pem: String,
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "Relay Explorer local emulator CA");
    dn.push(DnType::OrganizationName, "Relay Explorer");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    params
}

/// Loads the CA from `state_dir`, creating it on first start, and issues a fresh leaf for
/// `localhost`, the loopback addresses and the address the endpoints are bound to.
pub fn server_identity(state_dir: &Path, bind: std::net::IpAddr) -> Result<ServerIdentity> {
    let cert_path = state_dir.join(CA_CERT_FILE);
    let key_path = state_dir.join(CA_KEY_FILE);
    let ca_key = if cert_path.exists() && key_path.exists() {
        let pem = std::fs::read_to_string(&key_path)
            .with_context(|| format!("reading the emulator CA key {}", key_path.display()))?;
        KeyPair::from_pem(&pem).with_context(|| {
            format!(
                "the emulator CA key {} is damaged; delete {} and {} to make a new CA",
                key_path.display(),
                key_path.display(),
                cert_path.display()
            )
        })?
    } else {
        let key = KeyPair::generate().context("generating the emulator CA key")?;
        let cert = ca_params()
            .self_signed(&key)
            .context("signing the emulator CA")?;
        super::state::write_private(&key_path, key.serialize_pem().as_bytes())?;
        super::state::write_atomically(&cert_path, cert.pem().as_bytes())?;
        key
    };
    let ca_pem = std::fs::read_to_string(&cert_path)
        .with_context(|| format!("reading the emulator CA {}", cert_path.display()))?;
    let issuer = Issuer::new(ca_params(), ca_key);

    let mut leaf = CertificateParams::new(vec!["localhost".to_string()])
        .context("making the emulator's server certificate")?;
    leaf.subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::V4(
            std::net::Ipv4Addr::LOCALHOST,
        )));
    leaf.subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::V6(
            std::net::Ipv6Addr::LOCALHOST,
        )));
    if !bind.is_unspecified() && !leaf.subject_alt_names.contains(&SanType::IpAddress(bind)) {
        leaf.subject_alt_names.push(SanType::IpAddress(bind));
    }
    leaf.distinguished_name
        .push(DnType::CommonName, "Relay Explorer local emulator");
    leaf.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    leaf.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let now = chrono::Utc::now();
    leaf.not_before = rcgen::date_time_ymd(2024, 1, 1);
    leaf.not_after = rcgen::date_time_ymd(chrono::Datelike::year(&now) + 1, 12, 31);
    let leaf_key = KeyPair::generate().context("generating the server key")?;
    let leaf_cert = leaf
        .signed_by(&leaf_key, &issuer)
        .context("signing the server certificate")?;

    Ok(ServerIdentity {
        ca_cert_path: cert_path
            .canonicalize()
            .unwrap_or_else(|_| cert_path.clone()),
        cert_chain_pem: format!("{}{}", leaf_cert.pem(), ca_pem),
        key_pem: leaf_key.serialize_pem(),
    })
}
