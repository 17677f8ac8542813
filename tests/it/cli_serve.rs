//! `huiqi demo` generates a zone and `huiqi serve` serves it: the health endpoint answers
//! with the enterprise count, and a signed-in API client reads an enterprise's JSON.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

fn huiqi(db: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_huiqi"));
    c.arg("--database").arg(db).env_remove("HUIQI_DATABASE_URL").env("RUST_LOG", "warn");
    c
}

struct Server(Child);
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A minimal HTTP/1.1 request; returns (status, body).
fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let status = resp.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    // Bodies may be chunked; the JSON we look for is intact inside either way.
    (status, body)
}

#[test]
fn demo_then_serve() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = huiqi(&db).args(["demo", "--no-serve", "--enterprises", "300"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("300 家企业"), "{text}");
    for role in ["enterprise", "cadre", "department", "leader", "supervisor", "policy", "admin"] {
        assert!(text.lines().any(|l| l.trim_start().starts_with(role)), "a login for {role}: {text}");
    }

    let mut child =
        huiqi(&db).args(["serve", "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let _server = Server(child);
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).unwrap();
    let addr = first.trim().rsplit("http://").next().unwrap().to_string();

    let (status, body) = http(&addr, "GET", "/healthz", &[], "");
    assert_eq!(status, 200);
    assert!(body.contains("\"enterprises\":300"), "{body}");

    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/auth/token",
        &[("Content-Type", "application/json")],
        r#"{"username":"admin","password":"admin-demo-2022"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let token = body.split("\"token\":\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    let (status, body) = http(
        &addr,
        "GET",
        "/api/v1/enterprises?per_page=1",
        &[("Authorization", &format!("Bearer {token}"))],
        "",
    );
    assert_eq!(status, 200, "{body}");
    let uscc = body.split("\"uscc\":\"").nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    let (status, body) = http(
        &addr,
        "GET",
        &format!("/api/v1/enterprises/{uscc}"),
        &[("Authorization", &format!("Bearer {token}"))],
        "",
    );
    assert_eq!(status, 200);
    assert!(body.contains("assistance_target") && body.contains("facts_by_year"), "{body}");
    let (status, _) = http(&addr, "GET", &format!("/api/v1/enterprises/{uscc}"), &[], "");
    assert_eq!(status, 401);
}
