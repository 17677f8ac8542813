//! Request rate limits (issue 14), and who is asking: the client's address and, when the
//! request carries a session or bearer token, the user.
//!
//! Token buckets, each refilled at a steady rate up to a burst: one per client address for
//! every request, one per signed-in user for every request, and one per user for writes
//! (POST, PUT, PATCH, DELETE). A request that finds its bucket empty gets 429 with
//! `Retry-After` (whole seconds until a token is back) and the bilingual `web.rate_limited`
//! message; nothing else happens for it. Static assets (`/static/…`) are not counted: a page
//! load fetches several. The shipped numbers ([`RateLimits::default`], set in
//! `config/base.yaml`) are generous for an office of a hundred people behind one address:
//! 3,000 requests a minute per address (burst 600), 600 a minute per user (burst 200), and
//! 120 writes a minute per user (burst 60): one client could create 3,719 problems in 6 s
//! before, now at most 72.
//!
//! The buckets live in this process's memory (a restart refills them; several server
//! processes each keep their own). Buckets full again are dropped when the map grows past
//! [`MAX_KEYS`].

use crate::auth::session_of;
use crate::error::WebError;
use crate::state::{AppState, WebConfig};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One limit: a steady rate and the burst a client may spend at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Rate {
    pub per_minute: u32,
    pub burst: u32,
}

/// The request rate limits (`rate_limits` in the settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RateLimits {
    /// Off only for benchmarks that load one user on purpose.
    pub enabled: bool,
    /// Every request from one client address.
    pub per_address: Rate,
    /// Every request of one signed-in user.
    pub per_user: Rate,
    /// POST, PUT, PATCH and DELETE requests of one signed-in user.
    pub writes_per_user: Rate,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            enabled: true,
            per_address: Rate { per_minute: 3000, burst: 600 },
            per_user: Rate { per_minute: 600, burst: 200 },
            writes_per_user: Rate { per_minute: 120, burst: 60 },
        }
    }
}

/// Buckets beyond this many in one map and the full ones are dropped.
pub const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets of one limit, by key.
#[derive(Debug)]
struct Buckets {
    per_second: f64,
    burst: f64,
    map: Mutex<HashMap<String, Bucket>>,
}

impl Buckets {
    fn new(rate: Rate) -> Buckets {
        Buckets {
            per_second: f64::from(rate.per_minute) / 60.0,
            burst: f64::from(rate.burst.max(1)),
            map: Mutex::default(),
        }
    }

    /// Takes one token for `key` at `now`, or says how long until one is back.
    fn take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let Ok(mut map) = self.map.lock() else { return Ok(()) };
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            let (rate, burst) = (self.per_second, self.burst);
            map.retain(|_, b| b.tokens + rate * now.duration_since(b.at).as_secs_f64() < burst);
        }
        let b = map.entry(key.to_string()).or_insert(Bucket { tokens: self.burst, at: now });
        b.tokens = (b.tokens + self.per_second * now.duration_since(b.at).as_secs_f64()).min(self.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            return Ok(());
        }
        if self.per_second <= 0.0 {
            return Err(Duration::from_secs(3600));
        }
        Err(Duration::from_secs_f64((1.0 - b.tokens) / self.per_second))
    }
}

/// The buckets of every limit.
#[derive(Debug)]
pub struct Limiter {
    enabled: bool,
    addresses: Buckets,
    users: Buckets,
    writes: Buckets,
}

impl Limiter {
    pub fn new(limits: &RateLimits) -> Limiter {
        Limiter {
            enabled: limits.enabled,
            addresses: Buckets::new(limits.per_address),
            users: Buckets::new(limits.per_user),
            writes: Buckets::new(limits.writes_per_user),
        }
    }
}

/// The client's address as the server sees it (see [`WebConfig::client_address_header`]):
/// what lock-out and rate limits are kept per. `unknown` when there is none (a request handed
/// to the router in a test).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub String);

impl ClientAddress {
    /// The address of a request: the configured proxy header, else the peer.
    pub fn of(cfg: &WebConfig, headers: &HeaderMap, extensions: &axum::http::Extensions) -> ClientAddress {
        if let Some(name) = &cfg.client_address_header
            && let Some(v) = headers.get(name.as_str()).and_then(|v| v.to_str().ok())
            && let Some(last) = v.rsplit(',').map(str::trim).find(|s| !s.is_empty())
            && let Ok(ip) = last.parse::<std::net::IpAddr>()
        {
            return ClientAddress(ip.to_string());
        }
        match extensions.get::<ConnectInfo<SocketAddr>>() {
            Some(ConnectInfo(a)) => ClientAddress(a.ip().to_string()),
            None => ClientAddress("unknown".into()),
        }
    }
}

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(a) = parts.extensions.get::<ClientAddress>() {
            return Ok(a.clone());
        }
        Ok(ClientAddress::of(&state.config, &parts.headers, &parts.extensions))
    }
}

/// Identifies the client (address, and the signed-in user if any, recorded in the request's
/// log span and handed on to the handlers) and applies the rate limits.
pub async fn limit_requests(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let address = ClientAddress::of(&state.config, req.headers(), req.extensions());
    req.extensions_mut().insert(address.clone());
    if req.uri().path().starts_with("/static/") {
        return next.run(req).await;
    }
    let limiter = &state.limiter;
    let now = Instant::now();
    if limiter.enabled
        && let Err(wait) = limiter.addresses.take(&address.0, now)
    {
        return refuse(wait, "address");
    }
    if let Some(p) = session_of(&state, req.headers()).await.and_then(|s| s.principal) {
        tracing::Span::current().record("user", tracing::field::display(&p.username));
        if limiter.enabled {
            let write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
            let taken = limiter
                .users
                .take(&p.username, now)
                .and_then(|()| if write { limiter.writes.take(&p.username, now) } else { Ok(()) });
            if let Err(wait) = taken {
                return refuse(wait, "user");
            }
        }
        req.extensions_mut().insert(p);
    }
    next.run(req).await
}

fn refuse(wait: Duration, per: &'static str) -> Response {
    let retry_after = wait.as_secs_f64().ceil().max(1.0) as u64;
    tracing::info!(per, retry_after, "rate limited");
    WebError::RateLimited { retry_after }.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_spends_its_burst_then_refills_at_its_rate() {
        let b = Buckets::new(Rate { per_minute: 60, burst: 3 });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(b.take("a", t0).is_ok());
        }
        let wait = b.take("a", t0).unwrap_err();
        assert_eq!(wait.as_secs_f64().ceil(), 1.0);
        assert!(b.take("b", t0).is_ok(), "another key has its own bucket");
        assert!(b.take("a", t0 + Duration::from_millis(1000)).is_ok(), "one token a second");
        assert!(b.take("a", t0 + Duration::from_millis(1000)).is_err());
        // A long pause refills up to the burst, not beyond.
        let later = t0 + Duration::from_secs(3600);
        for _ in 0..3 {
            assert!(b.take("a", later).is_ok());
        }
        assert!(b.take("a", later).is_err());
    }

    #[test]
    fn full_buckets_are_dropped_when_the_map_is_full() {
        let b = Buckets::new(Rate { per_minute: 60, burst: 2 });
        let t0 = Instant::now();
        for i in 0..MAX_KEYS {
            b.map.lock().unwrap().insert(i.to_string(), Bucket { tokens: 2.0, at: t0 });
        }
        b.take("spent", t0).unwrap();
        assert_eq!(b.map.lock().unwrap().len(), 1);
    }

    #[test]
    fn the_proxy_header_is_read_only_when_configured() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.7, 198.51.100.2".parse().unwrap());
        let ext = axum::http::Extensions::new();
        let cfg = WebConfig::default();
        assert_eq!(ClientAddress::of(&cfg, &h, &ext).0, "unknown");
        let cfg = WebConfig { client_address_header: Some("x-forwarded-for".into()), ..WebConfig::default() };
        assert_eq!(
            ClientAddress::of(&cfg, &h, &ext).0,
            "198.51.100.2",
            "the last hop, which the proxy wrote"
        );
        h.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(ClientAddress::of(&cfg, &h, &ext).0, "unknown");
    }
}
