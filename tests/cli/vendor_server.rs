//! A stand-in vendor API for the `--verify` tests: a small HTTP/1.1 server on 127.0.0.1
//! (std::net only) that answers each key as told and records every request it gets.
//!
//! It reads the key from `X-API-Key` or `Authorization: token …`, looks up the [`Reply`]
//! the test gave for it, and logs the request line, the headers and the time. It accepts
//! at most 200 connections and stops by itself after 120 s, or when dropped.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How the server answers one key.
#[derive(Clone, Debug)]
pub enum Reply {
    Status(u16),
    /// 200 with `X-RateLimit-Remaining: 0` and a reset this many seconds ahead.
    LastInWindow(u64),
    /// 429 (reset this many seconds ahead) to the first request, 200 afterwards.
    RateLimitedThenOk(u64),
    /// 429 with a reset this many seconds ahead, every time.
    RateLimited(u64),
    /// Accept the request and never answer (until the server stops, at most 60 s).
    Hang,
    /// 302 to this URL.
    Redirect(String),
    /// 200 with a 1 GiB body, written until the client goes away.
    HugeBody,
}

#[derive(Clone, Debug)]
pub struct Request {
    pub line: String,
    pub headers: Vec<(String, String)>,
    /// The whole request head as received.
    pub raw: String,
    pub at: Instant,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    /// The key the request carries, from either vendor's header.
    pub fn key(&self) -> Option<String> {
        if let Some(k) = self.header("x-api-key") {
            return Some(k.to_string());
        }
        self.header("authorization").and_then(|v| v.strip_prefix("token ")).map(str::to_string)
    }
}

#[derive(Default)]
struct State {
    requests: Mutex<Vec<Request>>,
    connections: AtomicU64,
    body_bytes_sent: AtomicU64,
    stop: AtomicBool,
}

pub struct Server {
    pub port: u16,
    pub host: String,
    state: Arc<State>,
}

impl Server {
    /// A server on 127.0.0.1 answering `replies` (any other key: 404).
    pub fn start<K: AsRef<str>>(replies: &[(K, Reply)]) -> Server {
        Server::start_on("127.0.0.1", replies)
    }

    /// A server that knows no key (404 to all).
    pub fn empty() -> Server {
        Server::start::<&str>(&[])
    }

    pub fn start_on<K: AsRef<str>>(host: &str, replies: &[(K, Reply)]) -> Server {
        let listener = TcpListener::bind((host, 0)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State::default());
        let replies: HashMap<String, Reply> =
            replies.iter().map(|(k, r)| (k.as_ref().to_string(), r.clone())).collect();
        let (st, replies) = (state.clone(), Arc::new(replies));
        std::thread::spawn(move || accept_loop(listener, st, replies));
        Server { port, host: host.to_string(), state }
    }

    /// `http://127.0.0.1:PORT`, for a `LOFTYSCAN_VERIFY_URL_*` variable.
    pub fn url(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.requests.lock().unwrap().clone()
    }

    pub fn connections(&self) -> u64 {
        self.state.connections.load(Ordering::SeqCst)
    }

    pub fn body_bytes_sent(&self) -> u64 {
        self.state.body_bytes_sent.load(Ordering::SeqCst)
    }

    /// How many requests carried `key`.
    pub fn sent(&self, key: &str) -> usize {
        self.requests().iter().filter(|r| r.key().as_deref() == Some(key)).count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
    }
}

fn accept_loop(listener: TcpListener, state: Arc<State>, replies: Arc<HashMap<String, Reply>>) {
    let end = Instant::now() + Duration::from_secs(120);
    while !state.stop.load(Ordering::SeqCst) && Instant::now() < end {
        match listener.accept() {
            Ok((stream, _)) if state.connections.fetch_add(1, Ordering::SeqCst) < 200 => {
                let (state, replies) = (state.clone(), replies.clone());
                std::thread::spawn(move || serve(stream, &state, &replies));
            }
            Ok(_) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// Answer requests on one connection until it closes (keep-alive), at most 20.
fn serve(stream: TcpStream, state: &State, replies: &HashMap<String, Reply>) {
    stream.set_nonblocking(false).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    for _ in 0..20 {
        let Some(req) = read_head(&mut reader) else { return };
        state.requests.lock().unwrap().push(req.clone());
        let key = req.key().unwrap_or_default();
        let seen = state.requests.lock().unwrap().iter().filter(|r| r.key().as_deref() == Some(&key)).count();
        let reply = replies.get(&key).cloned().unwrap_or(Reply::Status(404));
        if !answer(&mut out, &reply, seen, state) {
            return;
        }
    }
}

fn read_head(reader: &mut impl BufRead) -> Option<Request> {
    let mut raw = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 || raw.len() > 64 * 1024 {
            return None;
        }
        raw.push_str(&line);
        if line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut lines = raw.lines();
    let line = lines.next()?.to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Request { line, headers, raw, at: Instant::now() })
}

fn epoch() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Write the reply; false when the connection should close.
fn answer(out: &mut TcpStream, reply: &Reply, seen: usize, state: &State) -> bool {
    let body = br#"{"data":[{"id":1,"email":"customer@example.com"}]}"#;
    let simple = |out: &mut TcpStream, status: u16, extra: &str| {
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}\r\n",
            body.len()
        );
        out.write_all(head.as_bytes()).and_then(|_| out.write_all(body)).is_ok()
    };
    let limited = |secs: u64| {
        format!(
            "X-RateLimit-Limit: 20\r\nX-RateLimit-Remaining: 0\r\nX-RateLimit-Reset: {}\r\n",
            epoch() + secs
        )
    };
    match reply {
        Reply::Status(s) => simple(out, *s, ""),
        Reply::LastInWindow(secs) => simple(out, 200, &limited(*secs)),
        Reply::RateLimitedThenOk(secs) if seen == 1 => simple(out, 429, &limited(*secs)),
        Reply::RateLimitedThenOk(_) => simple(out, 200, ""),
        Reply::RateLimited(secs) => simple(out, 429, &limited(*secs)),
        Reply::Redirect(to) => simple(out, 302, &format!("Location: {to}\r\n")),
        Reply::Hang => {
            let end = Instant::now() + Duration::from_secs(60);
            while !state.stop.load(Ordering::SeqCst) && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(20));
            }
            false
        }
        Reply::HugeBody => {
            let head =
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n";
            if out.write_all(head.as_bytes()).is_err() {
                return false;
            }
            let chunk = vec![b'x'; 64 * 1024];
            for _ in 0..(1 << 14) {
                if out.write_all(&chunk).is_err() {
                    break;
                }
                state.body_bytes_sent.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            }
            false
        }
    }
}
