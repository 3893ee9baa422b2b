//! How every client of the crate trusts servers: the system's roots plus the cloud's own CA (a
//! private cloud, the local emulator). The CA file is read here and nowhere else; HTTPS clients
//! (reqwest) and WebSockets (rustls) are both built from it.

use std::sync::Arc;

use anyhow::{Context, Result};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use super::{Cloud, CloudError};

/// The cloud's own CA certificates (none for Azure's public and sovereign clouds).
pub fn ca_certificates(cloud: &Cloud) -> Result<Vec<CertificateDer<'static>>, CloudError> {
    let Some(path) = &cloud.ca_cert else {
        return Ok(Vec::new());
    };
    let pem = std::fs::read(path).map_err(|e| CloudError::CaUnreadable {
        path: path.display().to_string(),
        cloud: cloud.name.clone(),
        why: e.to_string(),
    })?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CloudError::CaInvalid {
            path: path.display().to_string(),
            why: format!(" ({e:?})"),
        })?;
    if certs.is_empty() {
        return Err(CloudError::CaInvalid {
            path: path.display().to_string(),
            why: ": it holds no certificate".into(),
        });
    }
    Ok(certs)
}

/// An HTTPS client builder that trusts the system's roots and the cloud's CA, with the crate's
/// user agent and timeouts.
pub fn http_client_builder(cloud: &Cloud) -> Result<reqwest::ClientBuilder> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("relay-explorer/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(60));
    let certs = ca_certificates(cloud)?
        .iter()
        .map(|c| reqwest::Certificate::from_der(c))
        .collect::<Result<Vec<_>, _>>()
        .context("the cloud's CA certificate is not usable")?;
    if !certs.is_empty() {
        builder = builder.tls_certs_merge(certs);
    }
    Ok(builder)
}

/// [`http_client_builder`], built.
pub fn http_client(cloud: &Cloud) -> Result<reqwest::Client> {
    http_client_builder(cloud)?
        .build()
        .context("could not set up HTTPS")
}

/// A rustls client configuration (for WebSockets) with the same trust as [`http_client`].
pub fn rustls_config(cloud: Option<&Cloud>) -> Result<Arc<rustls::ClientConfig>> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(cloud) = cloud {
        for cert in ca_certificates(cloud)? {
            roots
                .add(cert)
                .context("the cloud's CA certificate is not usable")?;
        }
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_that_is_not_pem_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        let mut cloud = Cloud::azure_public();
        cloud.ca_cert = Some(path.clone());
        let err = format!("{:#}", ca_certificates(&cloud).unwrap_err());
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(ca_certificates(&Cloud::azure_public()).unwrap().is_empty());
    }
}
