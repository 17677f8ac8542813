//! The outbox (发件箱) and channels (渠道), issue 12 "Push": every inbox message also goes out
//! on each enabled channel that reaches its enterprise, from an outbox row written in the
//! message's own transaction ([`crate::inbox`]), so a crash between that commit and a delivery
//! loses nothing.
//!
//! - A channel is a webhook (the message as JSON), an SMS gateway (`phone` + `text`) or a
//!   WeChat gateway (`openid` + `text`): each a signed HTTP POST. Gateways reach only
//!   enterprises with a phone or an openid (`huiqi channel contact`).
//! - Every request carries `X-Huiqi-Timestamp` (Unix seconds), `X-Huiqi-Signature:
//!   sha256=<hex>`, the HMAC-SHA256 under the channel's secret of `timestamp + "." + body`,
//!   and `Idempotency-Key: <outbox id>`. A receiver checks the signature and the timestamp's
//!   age (rejecting replays), and keeps the keys it has processed.
//! - [`deliver`] (the job [`crate::jobs::DELIVER`], every minute and at once after new
//!   messages, in `huiqi worker` and the server's job loop) claims due rows under a lease, sends them concurrently, and records
//!   each attempt: 2xx is sent; anything else (a status, a timeout, a refused connection) is
//!   tried again after an exponential backoff with jitter, up to a maximum of attempts, then
//!   `dead` with the last error. An administrator sees the counts and failures and retries a
//!   dead row ([`retry`], audited).
//!
//! **At least once, exactly once in effect.** A worker that crashes after a receiver accepted
//! a request but before recording it leaves the row pending; when its lease runs out another
//! worker sends it again, with the same `Idempotency-Key` (the row's id never changes) and the
//! same body. A receiver that honours the key acts on it once. Nothing else can make a second
//! request: rows are claimed under a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the one
//! writer on SQLite), and an attempt is recorded only by the lease's holder.
//!
//! What it leaves out: TLS. The client speaks plain HTTP (reqwest without a TLS stack, as the
//! workspace has it): channels point at gateways inside the zone's network, or at a local
//! TLS-terminating proxy; an `https://` URL is refused when a channel is saved.

use crate::authz::{self, Action, Resource};
use crate::{App, Error, Principal, Result};
use rand::Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use std::time::Duration;
use store::push::{
    Attempt, Channel, ChannelKind, Delivery, MAX_CHANNEL_NAME, MAX_CONTACT, MAX_SECRET, MAX_URL, OutboxCount,
    OutboxEntry, OutboxState,
};

/// How a worker delivers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryConfig {
    /// The name leases are held under.
    pub owner: String,
    /// Rows claimed at once.
    pub batch: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// How long a claim holds (a dead worker's rows wait this long).
    pub lease: Duration,
    /// One request's time limit.
    pub timeout: Duration,
    /// The first retry's delay; each next one doubles, up to `max_backoff`, each with jitter
    /// (a random half to all of it).
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// Attempts before a row is dead.
    pub max_attempts: i32,
}

impl DeliveryConfig {
    /// 256 rows a claim, 64 in flight, a minute's lease, 10 s a request, backoff from 10 s to
    /// an hour, 8 attempts (about two hours in all).
    pub fn new(owner: impl Into<String>) -> DeliveryConfig {
        DeliveryConfig {
            owner: owner.into(),
            batch: 256,
            concurrency: 64,
            lease: Duration::from_secs(60),
            timeout: Duration::from_secs(10),
            backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(3600),
            max_attempts: 8,
        }
    }

    /// The delay before attempt `attempts + 1`, with jitter: a random value from half to all
    /// of `backoff · 2^(attempts − 1)`, capped at `max_backoff`.
    pub fn delay(&self, attempts: i32, jitter: f64) -> Duration {
        let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let full = self.backoff.saturating_mul(1u32 << exp).min(self.max_backoff);
        full.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

/// What one [`deliver`] call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delivered {
    pub sent: u64,
    pub retried: u64,
    pub dead: u64,
}

/// The one HTTP client (connection pool) of the process.
fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .pool_max_idle_per_host(128)
            .build()
            .unwrap_or_else(|_| reqwest::Client::new())
    })
}

/// HMAC-SHA256 (RFC 2104) of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// The `X-Huiqi-Signature` value of a body sent at `timestamp`: `sha256=<hex>` of the
/// HMAC-SHA256 of `timestamp + "." + body`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut m = format!("{timestamp}.").into_bytes();
    m.extend_from_slice(body);
    format!("sha256={}", hex::encode(hmac_sha256(secret.as_bytes(), &m)))
}

/// Checks a request's signature as a receiver does (constant time).
pub fn verify(secret: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    let Ok(ts) = timestamp.parse::<i64>() else { return false };
    let want = signature(secret, ts, body);
    subtle::ConstantTimeEq::ct_eq(want.as_bytes(), header.as_bytes()).into()
}

/// A webhook's body.
#[derive(Debug, Serialize)]
struct WebhookBody<'a> {
    /// The outbox id, also the `Idempotency-Key`.
    id: i64,
    kind: &'a str,
    enterprise: Enterprise<'a>,
    message: Message<'a>,
}

#[derive(Debug, Serialize)]
struct Enterprise<'a> {
    uscc: &'a str,
    name: &'a str,
}

#[derive(Debug, Serialize)]
struct Message<'a> {
    id: i64,
    /// The match run; `null` for an event's message.
    run: Option<i64>,
    item: &'a str,
    title: &'a str,
    body_zh: &'a str,
    body_en: &'a str,
    /// Paths on the server (`/items/…`, `/content/…`).
    item_path: String,
    guide_path: Option<&'a str>,
    at: String,
}

/// A gateway's body: who and what.
#[derive(Debug, Serialize)]
struct GatewayBody<'a> {
    id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    openid: Option<&'a str>,
    uscc: &'a str,
    text: String,
}

/// The most characters of a gateway's text.
pub const GATEWAY_TEXT: usize = 300;

/// The body a delivery sends (the same bytes on every attempt).
pub fn body(d: &Delivery) -> Result<Vec<u8>> {
    let m = &d.message;
    let json = match d.channel.kind {
        ChannelKind::Webhook => serde_json::to_vec(&WebhookBody {
            id: d.id,
            kind: m.kind.as_str(),
            enterprise: Enterprise { uscc: &m.uscc, name: &d.enterprise_name },
            message: Message {
                id: m.id,
                run: m.run_id,
                item: &m.item,
                title: &m.title,
                body_zh: &m.body_zh,
                body_en: &m.body_en,
                item_path: crate::inbox::message_href(m),
                guide_path: m.guide_href.as_deref(),
                at: m.at.to_rfc3339(),
            },
        }),
        ChannelKind::Sms | ChannelKind::Wechat => {
            let text: String = format!("【惠企】{}", m.body_zh).chars().take(GATEWAY_TEXT).collect();
            serde_json::to_vec(&GatewayBody {
                id: d.id,
                phone: d.phone.as_deref().filter(|_| d.channel.kind == ChannelKind::Sms),
                openid: d.wechat_openid.as_deref().filter(|_| d.channel.kind == ChannelKind::Wechat),
                uscc: &m.uscc,
                text,
            })
        }
    };
    json.map_err(Error::internal)
}

/// Sends one delivery at `now_s` (Unix seconds); `Ok` when the receiver answered 2xx, else
/// the error in words. Records nothing ([`deliver`] does).
pub async fn send(d: &Delivery, config: &DeliveryConfig, now_s: i64) -> std::result::Result<(), String> {
    let body = body(d).map_err(|e| e.to_string())?;
    let sig = signature(&d.channel.secret, now_s, &body);
    let resp = client()
        .post(&d.channel.url)
        .timeout(config.timeout)
        .header("content-type", "application/json")
        .header("x-huiqi-timestamp", now_s.to_string())
        .header("x-huiqi-signature", sig)
        .header("idempotency-key", d.id.to_string())
        .header("x-huiqi-attempt", (d.attempts + 1).to_string())
        .body(body)
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = resp.status();
    if status.is_success() {
        return Ok(());
    }
    let text = resp.text().await.unwrap_or_default();
    Err(format!("HTTP {}: {}", status.as_u16(), text.chars().take(200).collect::<String>()))
}

/// Delivers every due outbox row (the job [`crate::jobs::DELIVER`]): claims a batch, sends
/// it, records the attempts, until none is due.
///
/// Pipelined: the next batch is claimed while this one is sent, and a batch's attempts are
/// recorded while the next one is sent (at most one recording under way). Nothing else
/// changes: a claimed row is leased, so no other claim (this worker's next one included)
/// takes it until its attempt is recorded or the lease runs out.
#[tracing::instrument(skip_all, fields(worker = %config.owner))]
pub async fn deliver(app: &App, config: &DeliveryConfig) -> Result<Delivered> {
    use futures_util::StreamExt;
    let claim = || {
        let store = std::sync::Arc::clone(&app.store);
        let owner = config.owner.clone();
        let now_ms = app.now().timestamp_millis();
        let lease_ms = now_ms.saturating_add(i64::try_from(config.lease.as_millis()).unwrap_or(i64::MAX / 2));
        let limit = config.batch;
        tokio::spawn(async move { (now_ms, store.claim_deliveries(&owner, now_ms, lease_ms, limit).await) })
    };
    let mut total = Delivered::default();
    let mut next = claim();
    let mut recording: Option<tokio::task::JoinHandle<store::Result<u64>>> = None;
    loop {
        let (now_ms, batch) = next.await.map_err(Error::internal)?;
        let batch = batch?;
        if batch.is_empty() {
            if let Some(r) = recording.take() {
                r.await.map_err(Error::internal)??;
            }
            return Ok(total);
        }
        next = claim();
        let now_s = now_ms / 1000;
        let results: Vec<(i64, Attempt)> = futures_util::stream::iter(batch)
            .map(|d| async move {
                let r = send(&d, config, now_s).await;
                (d, r)
            })
            .buffer_unordered(config.concurrency.max(1))
            .map(|(d, r)| {
                let attempt = match r {
                    Ok(()) => Attempt::Sent,
                    Err(error) if d.attempts + 1 >= config.max_attempts => Attempt::Dead { error },
                    Err(error) => {
                        let delay = config.delay(d.attempts + 1, rand::rng().random::<f64>());
                        let next_ms =
                            now_ms.saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX / 2));
                        Attempt::Retry { error, next_ms }
                    }
                };
                (d.id, attempt)
            })
            .collect()
            .await;
        for (id, a) in &results {
            match a {
                Attempt::Sent => total.sent += 1,
                Attempt::Retry { error, .. } => {
                    total.retried += 1;
                    tracing::debug!(outbox = id, error = %error, "delivery failed; retried later");
                }
                Attempt::Dead { error } => {
                    total.dead += 1;
                    tracing::warn!(outbox = id, error = %error, "delivery dead after its last attempt");
                }
            }
        }
        if let Some(r) = recording.take() {
            r.await.map_err(Error::internal)??;
        }
        let (store, owner, at) = (std::sync::Arc::clone(&app.store), config.owner.clone(), app.now());
        recording = Some(tokio::spawn(async move { store.record_attempts(&owner, results, at).await }));
    }
}

// ---------------------------------------------------------------------------------------
// Channels and the admin view

/// A channel to add or change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRequest {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub secret: String,
    pub enabled: bool,
}

/// A channel as shown: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelView {
    pub name: String,
    /// `webhook`, `sms`, `wechat`.
    pub kind: String,
    pub url: String,
    pub enabled: bool,
    pub created_at: String,
    pub created_by: String,
}

impl ChannelView {
    fn of(c: &Channel) -> ChannelView {
        ChannelView {
            name: c.name.clone(),
            kind: c.kind.as_str().into(),
            url: c.url.clone(),
            enabled: c.enabled,
            created_at: c.created_at.to_rfc3339(),
            created_by: c.created_by.clone(),
        }
    }
}

fn invalid(field: &str, value: &str, reason: &str) -> Error {
    Error::Invalid { field: field.into(), value: value.into(), reason: reason.into() }
}

fn limited(field: &str, s: &str, limit: usize) -> Result<()> {
    let n = s.chars().count();
    if n > limit {
        return Err(Error::TooLong { field: field.into(), limit, actual: n });
    }
    Ok(())
}

/// Adds or changes a channel (administrators; audited, the secret recorded only as changed).
#[tracing::instrument(skip_all, fields(user = %actor.username, channel = %req.name))]
pub async fn save_channel(app: &App, actor: &Principal, req: &ChannelRequest) -> Result<ChannelView> {
    authz::require(actor, Action::Write, Resource::Push)?;
    let name = req.name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(invalid(
            "name",
            name,
            "渠道名只能用字母、数字、- 和 _，且不能为空 / a channel name is letters, digits, - and _, not empty",
        ));
    }
    limited("name", name, MAX_CHANNEL_NAME)?;
    let Some(kind) = ChannelKind::parse(req.kind.trim()) else {
        return Err(invalid(
            "kind",
            &req.kind,
            "应为 webhook、sms 或 wechat / must be webhook, sms or wechat",
        ));
    };
    let url = req.url.trim();
    limited("url", url, MAX_URL)?;
    if url.starts_with("https://") {
        return Err(invalid(
            "url",
            url,
            "本系统以 HTTP 投递，请指向园区内网网关或本机的 TLS 代理 / delivery speaks plain HTTP: point the \
             channel at a gateway inside the zone's network or at a local TLS-terminating proxy",
        ));
    }
    let parsed = url.strip_prefix("http://").filter(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if parsed.is_none() || reqwest::Url::parse(url).is_err() {
        return Err(invalid("url", url, "应为 http://主机[:端口]/路径 / must be http://host[:port]/path"));
    }
    let secret = req.secret.trim();
    limited("secret", secret, MAX_SECRET)?;
    if secret.chars().count() < 16 {
        return Err(Error::Invalid {
            field: "secret".into(),
            value: "(hidden)".into(),
            reason: "签名密钥至少 16 个字符 / the signing secret is at least 16 characters".into(),
        });
    }
    let channel = Channel {
        name: name.into(),
        kind,
        url: url.into(),
        secret: secret.into(),
        enabled: req.enabled,
        created_at: app.now(),
        created_by: actor.username.clone(),
    };
    app.store.save_channel(&channel, &actor.stamp(app.now())).await?;
    Ok(ChannelView::of(&channel))
}

/// The channels, without their secrets.
pub async fn channels(app: &App, actor: &Principal) -> Result<Vec<ChannelView>> {
    authz::require(actor, Action::Read, Resource::Push)?;
    Ok(app.store.channels().await?.iter().map(ChannelView::of).collect())
}

/// Sets how an enterprise is reached on the gateways (a mobile number, a WeChat openid; an
/// empty one removes it). Administrators; audited.
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn set_contact(
    app: &App,
    actor: &Principal,
    uscc: &enterprise::UnifiedCreditCode,
    phone: Option<&str>,
    openid: Option<&str>,
) -> Result<()> {
    authz::require(actor, Action::Write, Resource::Push)?;
    let phone = phone.map(str::trim).filter(|p| !p.is_empty());
    if let Some(p) = phone
        && !(p.len() == 11 && p.starts_with('1') && p.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(invalid("phone", p, "应为 11 位手机号 / must be an 11-digit mobile number"));
    }
    let openid = openid.map(str::trim).filter(|o| !o.is_empty());
    if let Some(o) = openid {
        limited("openid", o, MAX_CONTACT)?;
        if !o.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(invalid(
                "openid",
                o,
                "openid 只含字母、数字、- 和 _ / an openid is letters, digits, - and _",
            ));
        }
    }
    let found = app
        .store
        .set_contact(
            uscc.as_str(),
            phone.map(String::from),
            openid.map(String::from),
            &actor.stamp(app.now()),
        )
        .await?;
    if !found {
        return Err(Error::EnterpriseNotFound { uscc: uscc.to_string() });
    }
    Ok(())
}

/// The delivery state: counts per channel and state, and recent failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxView {
    pub counts: Vec<OutboxCount>,
    /// Dead rows, newest first.
    pub dead: Vec<OutboxEntry>,
    /// Pending rows that failed at least once, newest first.
    pub failing: Vec<OutboxEntry>,
}

/// The delivery state (administrators).
#[tracing::instrument(skip_all, fields(user = %actor.username))]
pub async fn outbox(app: &App, actor: &Principal, limit: u32) -> Result<OutboxView> {
    authz::require(actor, Action::Read, Resource::Push)?;
    let limit = limit.clamp(1, 500);
    let counts = app.store.outbox_counts().await?;
    let dead = app.store.outbox_entries(Some(OutboxState::Dead), limit).await?;
    let failing = app
        .store
        .outbox_entries(Some(OutboxState::Pending), limit.saturating_mul(4))
        .await?
        .into_iter()
        .filter(|e| e.attempts > 0)
        .take(limit as usize)
        .collect();
    Ok(OutboxView { counts, dead, failing })
}

/// Makes a dead delivery pending again, due now, its attempts reset (administrators;
/// audited). An id that is not a dead delivery is a bad argument.
#[tracing::instrument(skip_all, fields(user = %actor.username, outbox = id))]
pub async fn retry(app: &App, actor: &Principal, id: i64) -> Result<()> {
    authz::require(actor, Action::Write, Resource::Push)?;
    let now = app.now();
    if app.store.retry_delivery(id, now.timestamp_millis(), &actor.stamp(now)).await? {
        return Ok(());
    }
    Err(invalid("id", &id.to_string(), "没有这条失败的投递 / no dead delivery with this id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2 of RFC 4231.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex::encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        // Test case 6: a key longer than the block.
        let mac = hmac_sha256(&[0xaa; 131], b"Test Using Larger Than Block-Size Key - Hash Key First");
        assert_eq!(hex::encode(mac), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    }

    #[test]
    fn signatures_cover_timestamp_and_body() {
        let s = signature("secret", 1_700_000_000, b"{}");
        assert!(s.starts_with("sha256="));
        assert!(verify("secret", "1700000000", b"{}", &s));
        assert!(!verify("secret", "1700000001", b"{}", &s));
        assert!(!verify("secret", "1700000000", b"{ }", &s));
        assert!(!verify("other", "1700000000", b"{}", &s));
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        let c = DeliveryConfig::new("w");
        assert_eq!(c.delay(1, 1.0), Duration::from_secs(10));
        assert_eq!(c.delay(2, 1.0), Duration::from_secs(20));
        assert_eq!(c.delay(3, 0.0), Duration::from_secs(20));
        assert_eq!(c.delay(30, 1.0), Duration::from_secs(3600));
        assert!(c.delay(4, 0.3) >= Duration::from_secs(40) && c.delay(4, 0.3) <= Duration::from_secs(80));
    }
}
