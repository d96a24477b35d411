//! `--verify` over HTTPS: a stand-in vendor on 127.0.0.1 serving a certificate from a test
//! CA (rcgen), reached through a loopback `https://` override. The key is accepted only
//! when that CA is in the trust store loftyscan reads (`SSL_CERT_FILE`, as a corporate
//! CA would be installed), and refused as untrusted otherwise.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::common::*;

/// A TLS server answering 200 to every request, recording each request head; it serves
/// at most 10 connections and stops by itself after 60 s. Gives (port, CA PEM, heads).
fn start() -> (u16, String, Arc<Mutex<Vec<String>>>) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca)
        .unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let log = heads.clone();
    std::thread::spawn(move || {
        let (end, mut served) = (Instant::now() + Duration::from_secs(60), 0);
        while Instant::now() < end && served < 10 {
            let Ok((tcp, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            };
            served += 1;
            tcp.set_nonblocking(false).unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = BufReader::new(rustls::StreamOwned::new(conn, tcp));
            let mut head = String::new();
            loop {
                let mut line = String::new();
                match tls.read_line(&mut line) {
                    Ok(n) if n > 0 && head.len() < 16 * 1024 => head.push_str(&line),
                    _ => break, // the client refused the certificate, or went away
                }
                if line == "\r\n" {
                    log.lock().unwrap().push(head.clone());
                    let _ = tls.get_mut().write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
                    let _ = tls.get_mut().flush();
                    break;
                }
            }
        }
    });
    (port, ca.pem(), heads)
}

#[test]
fn https_uses_the_system_trust_store() {
    let tmp = tempfile::tempdir().unwrap();
    let key = Rng::new(190).lfk();
    write(tmp.path(), "k.env", &format!("TL={key}\n"));
    let (port, ca_pem, heads) = start();
    let ca = tmp.path().join("ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    let scan = |trust: Option<&std::path::Path>| {
        let mut c = bin();
        c.current_dir(tmp.path())
            .env("LOFTYSCAN_VERIFY_URL_TRUSTLEADS", format!("https://127.0.0.1:{port}"))
            .env_remove("SSL_CERT_DIR")
            .args(["dir", ".", "--verify", "--format", "json", "--no-progress"]);
        match trust {
            Some(p) => c.env("SSL_CERT_FILE", p),
            None => c.env_remove("SSL_CERT_FILE"),
        };
        let r = run(&mut c);
        assert!(!r.all().contains(&key));
        r.json()["findings"][0]["verification"].clone()
    };
    let untrusted = scan(None);
    assert_eq!(untrusted["status"], "unknown", "a certificate from an unknown CA: {untrusted}");
    assert!(untrusted.get("http_status").is_none());
    assert!(heads.lock().unwrap().is_empty(), "the key was sent over an untrusted connection");
    let trusted = scan(Some(&ca));
    assert_eq!(
        (trusted["status"].as_str(), trusted["http_status"].as_u64()),
        (Some("live"), Some(200)),
        "{trusted}"
    );
    let heads = heads.lock().unwrap();
    assert_eq!(heads.len(), 1);
    assert!(heads[0].starts_with("GET /v1/usage HTTP/1.1\r\n"), "{}", heads[0]);
    let sent = heads[0].lines().filter(|l| l.contains(&key)).collect::<Vec<_>>();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].to_ascii_lowercase().starts_with("x-api-key: "), "{}", sent[0]);
}
