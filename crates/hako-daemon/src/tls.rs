//! `tcp://` listeners and TLS, with Docker's flags (`--tlsverify --tlscacert --tlscert
//! --tlskey`): with `--tlsverify` a client must present a certificate signed by the CA.
//! Plain TCP is served only on loopback unless forced (`--insecure-tcp`): anyone who can
//! reach the port is root on this host.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::error::DaemonError;

/// Certificates for the TCP listeners.
#[derive(Debug, Clone, Default)]
pub struct TlsFiles {
    /// CA certificates that client certificates must chain to (`--tlscacert`).
    pub ca: Option<PathBuf>,
    /// The server's certificate chain (`--tlscert`).
    pub cert: PathBuf,
    /// The server's private key (`--tlskey`).
    pub key: PathBuf,
    /// `--tlsverify`: require and verify client certificates against `ca`.
    pub verify: bool,
}

fn tls_error(what: &str, e: impl std::fmt::Display) -> DaemonError {
    DaemonError::Tls(format!("{what}: {e}"))
}

/// Builds the acceptor from the files; refuses `verify` without a CA.
pub fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, DaemonError> {
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| tls_error(&format!("read {}", files.cert.display()), e))?;
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| tls_error(&format!("read {}", files.key.display()), e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_error("TLS versions", e))?;
    let builder = if files.verify {
        let ca = files
            .ca
            .as_ref()
            .ok_or_else(|| DaemonError::Tls("--tlsverify needs --tlscacert".into()))?;
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(ca)
            .map_err(|e| tls_error(&format!("read {}", ca.display()), e))?
        {
            let cert = cert.map_err(|e| tls_error(&format!("read {}", ca.display()), e))?;
            roots
                .add(cert)
                .map_err(|e| tls_error(&format!("CA {}", ca.display()), e))?;
        }
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| tls_error("client verifier", e))?;
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| tls_error("server certificate", e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Parses `tcp://host:port` (or `host:port`); Docker's default port 2375/2376 when
/// omitted.
pub fn parse_tcp(raw: &str, tls: bool) -> Result<SocketAddr, DaemonError> {
    let rest = raw.strip_prefix("tcp://").unwrap_or(raw);
    let rest = rest.trim_end_matches('/');
    let with_port = if rest
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        rest.to_string()
    } else {
        format!("{rest}:{}", if tls { 2376 } else { 2375 })
    };
    use std::net::ToSocketAddrs;
    with_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| DaemonError::Tls(format!("invalid tcp address {raw:?}")))
}

/// Refuses plain TCP on anything but loopback unless `force`d.
pub fn check_plain(addr: SocketAddr, force: bool) -> Result<(), DaemonError> {
    if addr.ip().is_loopback() {
        tracing::warn!(%addr, "serving the API on plain TCP (loopback only)");
        return Ok(());
    }
    if force {
        tracing::warn!(
            %addr,
            "serving the API on plain TCP without TLS: anyone who reaches this port is root on this host"
        );
        return Ok(());
    }
    Err(DaemonError::Tls(format!(
        "refusing plain TCP on {addr}: anyone who can reach it would be root on this host; \
         use --tlsverify with --tlscacert/--tlscert/--tlskey, listen on 127.0.0.1, or force it with --insecure-tcp"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            parse_tcp("tcp://127.0.0.1:1234", true).unwrap().to_string(),
            "127.0.0.1:1234"
        );
        assert_eq!(parse_tcp("tcp://127.0.0.1", true).unwrap().port(), 2376);
        assert_eq!(parse_tcp("0.0.0.0", false).unwrap().port(), 2375);
        assert!(parse_tcp("tcp://:::x", false).is_err());
        assert!(check_plain(parse_tcp("127.0.0.1:1", false).unwrap(), false).is_ok());
        let e = check_plain(parse_tcp("0.0.0.0:1", false).unwrap(), false).unwrap_err();
        assert!(e.to_string().contains("--insecure-tcp"), "{e}");
        assert!(check_plain(parse_tcp("0.0.0.0:1", false).unwrap(), true).is_ok());
    }

    #[test]
    fn missing_files_are_named() {
        let Err(e) = acceptor(&TlsFiles {
            cert: "/nonexistent/cert.pem".into(),
            key: "/nonexistent/key.pem".into(),
            ..TlsFiles::default()
        }) else {
            panic!("missing files accepted");
        };
        assert!(e.to_string().contains("/nonexistent/cert.pem"), "{e}");
    }
}
