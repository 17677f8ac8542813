//! Request tracing (tower-http): every request gets a request id, a log span and one log
//! line when it is answered.
//!
//! - The id comes from the client's `x-request-id` header when it is a plain token (1 to 64
//!   characters of letters, digits, `-`, `_`, `.`, `:`), else a new UUID v4; it is echoed in
//!   the response's `x-request-id`.
//! - The span `request` carries `id`, `method`, `path` (without the query string, which may
//!   hold search words) and `user` (the username, once [`crate::limits::limit_requests`] knows
//!   it), so every log line written while the request runs names them.
//! - One line per request, at INFO when it is answered: `status` and `latency_ms`. Errors of
//!   the server are logged once more where they are turned into a 500 ([`crate::error`]).
//!
//! No personal data beyond the username: no query strings, bodies, cookies or addresses.

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, Response};
use axum::middleware::{self, Next};
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

/// The request id header.
pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Whether a client's request id is taken as it is.
fn plain_id(v: &[u8]) -> bool {
    (1..=64).contains(&v.len()) && v.iter().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
}

/// Drops a client's request id that is not a plain token, so a fresh one is made.
async fn drop_odd_ids(mut req: Request, next: Next) -> axum::response::Response {
    if req.headers().get(&REQUEST_ID).is_some_and(|v| !plain_id(v.as_bytes())) {
        req.headers_mut().remove(&REQUEST_ID);
    }
    next.run(req).await
}

fn span_of(req: &Request<Body>) -> Span {
    let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
    tracing::info_span!(
        "request",
        id = %id,
        method = %req.method(),
        path = %req.uri().path(),
        user = tracing::field::Empty,
    )
}

fn log_response(resp: &Response<Body>, latency: Duration, _span: &Span) {
    let latency_ms = (latency.as_secs_f64() * 10_000.0).round() / 10.0;
    tracing::info!(status = resp.status().as_u16(), latency_ms, "answered");
}

/// Wraps the whole application in the request id and the request's span and log line.
pub fn around<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router.layer(
        ServiceBuilder::new()
            .layer(middleware::from_fn(drop_odd_ids))
            .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(span_of)
                    .on_request(())
                    .on_response(log_response)
                    .on_body_chunk(())
                    .on_eos(())
                    .on_failure(()),
            ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    async fn handler() -> &'static str {
        Span::current().record("user", tracing::field::display("li"));
        tracing::info!("inside");
        "ok"
    }

    #[test]
    fn each_request_has_an_id_echoed_and_one_line_naming_it() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::TRACE)
            .finish();
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = around(Router::new().route("/x", get(handler)));
        let send = |id: Option<&str>| {
            let mut req = Request::builder().uri("/x?q=secret");
            if let Some(id) = id {
                req = req.header("x-request-id", id);
            }
            rt.block_on(app.clone().oneshot(req.body(Body::empty()).unwrap())).unwrap()
        };
        let r = send(Some("abc-123"));
        assert_eq!(r.headers()["x-request-id"], "abc-123", "a client's id is echoed");
        let r = send(Some("bad id\twith tab"));
        let made = r.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(made.len(), 36, "an odd id is replaced by a UUID: {made}");
        let r = send(None);
        assert_ne!(r.headers()["x-request-id"].to_str().unwrap(), made, "ids are fresh");

        let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
        let first: Vec<&str> = text.lines().filter(|l| l.contains("id=abc-123")).collect();
        assert_eq!(first.len(), 2, "the handler's line and the answer line name the id:\n{text}");
        let answered: Vec<&str> = text.lines().filter(|l| l.contains("answered")).collect();
        assert_eq!(answered.len(), 3, "one line per request:\n{text}");
        for l in &answered {
            for part in ["method=GET", "path=/x", "user=li", "status=200", "latency_ms="] {
                assert!(l.contains(part), "{part} in {l}");
            }
        }
        assert!(!text.contains("secret"), "no query string in the logs:\n{text}");
    }
}
