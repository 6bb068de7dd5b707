//! TLS to a `tcp://` daemon: the server's certificate must chain to the given CA and name
//! the host we dialled; we present our certificate for the daemon's `--tlsverify`.

use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::ClientError;
use super::host::TlsFiles;

/// Handshakes over `tcp` with the daemon at `addr` (`host:port`).
pub async fn connect(
    tcp: TcpStream,
    addr: &str,
    files: &TlsFiles,
) -> Result<TlsStream<TcpStream>, ClientError> {
    let fail = |message: String| ClientError::Tls {
        host: format!("tcp://{addr}"),
        message,
    };
    let read = |what: &std::path::Path, e: &dyn std::fmt::Display| {
        fail(format!("read {}: {e}", what.display()))
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&files.ca).map_err(|e| read(&files.ca, &e))? {
        let cert = cert.map_err(|e| read(&files.ca, &e))?;
        roots.add(cert).map_err(|e| read(&files.ca, &e))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(e.to_string()))?
        .with_root_certificates(roots);
    let config = if files.cert.exists() {
        let certs = CertificateDer::pem_file_iter(&files.cert)
            .and_then(|i| i.collect::<Result<Vec<_>, _>>())
            .map_err(|e| read(&files.cert, &e))?;
        let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| read(&files.key, &e))?;
        builder
            .with_client_auth_cert(certs, key)
            .map_err(|e| fail(e.to_string()))?
    } else {
        builder.with_no_client_auth()
    };
    let host = addr.rsplit_once(':').map_or(addr, |(h, _)| h);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(host.to_owned())
        .map_err(|e| fail(format!("server name {host:?}: {e}")))?;
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| fail(e.to_string()))
}
