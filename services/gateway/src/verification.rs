//! Public verification answered from memory, kept exact by the registry's own feed.
//!
//! The QR code's address is what the public asks most. The gateway keeps the JSON answer of
//! each serial it has been asked for (filled on a miss, bounded in bytes, evicted by
//! quick_cache's policy) and follows the registry's `WatchVerifications` feed: each change to a
//! document's answer (a cancellation) is heard as it commits and forgets the serial; the
//! registry's stamps, every 200 ms, say "every change committed before this instant has been
//! sent". An answer comes from memory only while the last stamp is younger than
//! [`FRESH_FOR`]: so a cancellation committed more than that ago is never answered "valid",
//! and when the feed stops (registry down, listener lost, gateway cut off) every answer goes
//! to the registry again — or, if it is down too, is "could not check", never a stale
//! "valid". A reset on the feed forgets everything.
//!
//! A fill races a change: the fill reads the generation before asking, inserts, and takes its
//! entry out again if a change was heard meanwhile (a change bumps the generation before it
//! removes), so an answer older than a change heard never stays.
//!
//! Checks answered from memory are counted here per day and sent to the registry every few
//! seconds, so the registry's statistics stay whole; nothing of a single check is kept.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use chrono::NaiveDate;
use nsk_proto::nsk::documents::v1 as docs;
use nsk_proto::nsk::documents::v1::document_registry_client::DocumentRegistryClient;
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};
use tonic::transport::Channel;

use crate::tokens::GatewayTokens;

/// The longest an answer from memory may lag behind a committed change. The registry stamps
/// its feed every 200 ms, so a healthy feed stays well inside this.
pub const FRESH_FOR: Duration = Duration::from_millis(800);

/// How often checks answered from memory are sent to the registry's counts.
const COUNT_EVERY: Duration = Duration::from_secs(5);

/// What one serial's answer costs besides its key and JSON: the entry, the allocator's and the
/// cache's own bookkeeping. Measured by `make bench`: 1,000,000 answers of about 430 bytes
/// (key and JSON) took 751 bytes each of resident memory; so the budget counts the memory the
/// process really uses.
const ENTRY_OVERHEAD: u64 = 320;

#[derive(Clone)]
struct Entry {
    /// The REST answer, exactly as the registry's reply renders.
    json: Bytes,
    /// A valid document's last valid day: after it, the answer is "expired" and is asked anew.
    valid_through: Option<NaiveDate>,
}

#[derive(Clone)]
struct Weight;

impl quick_cache::Weighter<Box<str>, Entry> for Weight {
    fn weight(&self, key: &Box<str>, entry: &Entry) -> u64 {
        ENTRY_OVERHEAD + key.len() as u64 + entry.json.len() as u64
    }
}

pub struct Verifications {
    documents: Option<Channel>,
    tokens: Option<Arc<GatewayTokens>>,
    /// `None`: the cache is off (`NSK_VERIFICATION_CACHE_MIB=0`); every check asks the registry.
    cache: Option<quick_cache::sync::Cache<Box<str>, Entry, Weight>>,
    /// The feed's last stamp (ms since the epoch); 0 when the feed is not followed.
    complete_through: AtomicI64,
    /// Bumped by every change heard, before the entry goes.
    generation: AtomicU64,
    counts: Mutex<BTreeMap<NaiveDate, i64>>,
    descriptor: MessageDescriptor,
    timeout: Duration,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Where the answer came from, for the caller's logs and the response header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Memory,
    Registry,
}

impl Verifications {
    /// A cache of at most `bytes` (0: none) in front of the registry at `documents`.
    pub fn new(
        pool: &DescriptorPool,
        documents: Option<Channel>,
        tokens: Option<Arc<GatewayTokens>>,
        bytes: u64,
        timeout: Duration,
    ) -> Result<Self, String> {
        let descriptor = pool
            .get_message_by_name("nsk.documents.v1.Verification")
            .ok_or("the contract has no nsk.documents.v1.Verification")?;
        // quick_cache sizes its table from the expected count: about 750 bytes an answer.
        let cache = (bytes > 0).then(|| {
            quick_cache::sync::Cache::with_weighter(
                usize::try_from(bytes / 750).unwrap_or(usize::MAX).max(16),
                bytes,
                Weight,
            )
        });
        Ok(Self {
            documents,
            tokens,
            cache,
            complete_through: AtomicI64::new(0),
            generation: AtomicU64::new(0),
            counts: Mutex::default(),
            descriptor,
            timeout,
        })
    }

    /// Whether the feed has vouched, recently enough, that nothing committed is missing.
    fn fresh(&self) -> bool {
        let through = self.complete_through.load(Ordering::SeqCst);
        through > 0 && now_ms() < through + FRESH_FOR.as_millis() as i64
    }

    fn cached(&self, serial: &str) -> Option<Entry> {
        let cache = self.cache.as_ref()?;
        if !self.fresh() {
            return None;
        }
        let entry = cache.get(serial)?;
        if entry
            .valid_through
            .is_some_and(|last| nsk_calendar::today() > last)
        {
            return None;
        }
        Some(entry)
    }

    /// One check answered from memory, for the registry's statistics.
    fn count_check(&self) {
        let mut counts = self
            .counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *counts.entry(nsk_calendar::today()).or_default() += 1;
    }

    /// The registry's answer on `serial` (a well-formed serial number), rendered as JSON and
    /// remembered.
    async fn ask(&self, serial: &str) -> Result<(docs::Verification, Bytes), tonic::Status> {
        let generation = self.generation.load(Ordering::SeqCst);
        let channel = self
            .documents
            .clone()
            .ok_or_else(|| tonic::Status::unavailable("no documents service configured"))?;
        let mut request = tonic::Request::new(docs::VerifyDocumentRequest {
            serial_number: serial.to_string(),
        });
        request.set_timeout(self.timeout);
        let answer = DocumentRegistryClient::new(channel)
            .verify_document(request)
            .await?
            .into_inner();
        let json =
            crate::transcode::response_json(self.descriptor.clone(), &answer.encode_to_vec())
                .map(Bytes::from)
                .map_err(|e| tonic::Status::internal(e.message))?;
        let status = docs::DocumentStatus::try_from(answer.status).unwrap_or_default();
        // An unknown serial is not remembered: a document registered later must be found.
        if let (Some(cache), true) = (&self.cache, status != docs::DocumentStatus::Unknown) {
            let valid_through = (status == docs::DocumentStatus::Valid)
                .then(|| answer.valid_until.parse().ok())
                .flatten();
            let key: Box<str> = serial.into();
            cache.insert(
                key.clone(),
                Entry {
                    json: json.clone(),
                    valid_through,
                },
            );
            if self.generation.load(Ordering::SeqCst) != generation {
                // A change was heard while asking: this answer may predate it.
                cache.remove(&key);
            }
        }
        Ok((answer, json))
    }

    /// The JSON answer on `serial` (a well-formed serial number).
    pub async fn json(&self, serial: &str) -> Result<(Bytes, Source), tonic::Status> {
        if let Some(entry) = self.cached(serial) {
            self.count_check();
            return Ok((entry.json, Source::Memory));
        }
        self.ask(serial)
            .await
            .map(|(_, json)| (json, Source::Registry))
    }

    /// The answer on `serial` (a well-formed serial number), for the page.
    pub async fn verification(&self, serial: &str) -> Result<docs::Verification, tonic::Status> {
        if let Some(entry) = self.cached(serial) {
            let mut json = serde_json::Deserializer::from_slice(&entry.json);
            let decoded = DynamicMessage::deserialize(self.descriptor.clone(), &mut json)
                .ok()
                .and_then(|m| m.transcode_to::<docs::Verification>().ok());
            if let Some(decoded) = decoded {
                self.count_check();
                return Ok(decoded);
            }
        }
        self.ask(serial).await.map(|(answer, _)| answer)
    }

    /// Forgets everything: the feed no longer vouches for what was heard.
    fn forget(&self) {
        self.complete_through.store(0, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
        if let Some(cache) = &self.cache {
            cache.clear();
        }
    }

    fn hear(&self, changes: docs::VerificationChanges) {
        if changes.reset {
            self.forget();
        }
        if !changes.serial_numbers.is_empty() {
            self.generation.fetch_add(1, Ordering::SeqCst);
            if let Some(cache) = &self.cache {
                for serial in &changes.serial_numbers {
                    cache.remove(serial.as_str());
                }
            }
        }
        if changes.complete_through_unix_ms > 0 {
            self.complete_through
                .store(changes.complete_through_unix_ms, Ordering::SeqCst);
        }
    }

    /// A request carrying the gateway's own token, for its own calls to the registry.
    fn own_request<T>(&self, message: T) -> Result<tonic::Request<T>, tonic::Status> {
        let tokens = self
            .tokens
            .as_ref()
            .ok_or_else(|| tonic::Status::unauthenticated("the gateway has no signing key"))?;
        Ok(tokens.own_request(message)?)
    }

    /// Follows the feed once, until it ends or fails.
    async fn follow(&self) -> Result<(), tonic::Status> {
        let channel = self
            .documents
            .clone()
            .ok_or_else(|| tonic::Status::unavailable("no documents service configured"))?;
        let request = self.own_request(docs::WatchVerificationsRequest {})?;
        let mut feed = DocumentRegistryClient::new(channel)
            .watch_verifications(request)
            .await?
            .into_inner();
        while let Some(changes) = feed.message().await? {
            self.hear(changes);
        }
        Ok(())
    }

    /// Sends what was answered from memory to the registry's counts; keeps it on failure.
    async fn send_counts(&self) {
        let taken = std::mem::take(
            &mut *self
                .counts
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        if taken.is_empty() {
            return;
        }
        let sent = async {
            let channel = self
                .documents
                .clone()
                .ok_or_else(|| tonic::Status::unavailable("no documents service configured"))?;
            let mut request = self.own_request(docs::CountVerificationsRequest {
                counts: taken
                    .iter()
                    .map(|(day, checks)| docs::VerificationCount {
                        day: day.to_string(),
                        checks: *checks,
                    })
                    .collect(),
            })?;
            request.set_timeout(self.timeout);
            DocumentRegistryClient::new(channel)
                .count_verifications(request)
                .await
        }
        .await;
        if let Err(status) = sent {
            tracing::warn!(code = ?status.code(), message = status.message(), "verification counts not sent; kept for the next time");
            let mut counts = self
                .counts
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for (day, n) in taken {
                *counts.entry(day).or_default() += n;
            }
        }
    }

    /// Follows the feed (reconnecting after a pause when it breaks) and sends the counts, until
    /// shutdown; then sends the counts once more.
    pub async fn run(self: std::sync::Arc<Self>, shutdown: nsk_runtime::CancellationToken) {
        if self.cache.is_none() || self.documents.is_none() {
            return;
        }
        let following = async {
            loop {
                match self.follow().await {
                    Ok(()) => tracing::warn!(
                        "verification feed ended; answering from the registry until it is back"
                    ),
                    Err(status) => {
                        tracing::warn!(code = ?status.code(), message = status.message(), "verification feed unavailable; answering from the registry until it is back")
                    }
                }
                self.forget();
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        };
        let counting = async {
            let mut every = tokio::time::interval(COUNT_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                self.send_counts().await;
            }
        };
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = following => {}
            () = counting => {}
        }
        self.send_counts().await;
    }
}

/// The serial of a public check, the path the public takes most: an anonymous `GET
/// /v1/verify/{serial}` of a well-formed serial, without a query. Anything else — a token, a
/// query, an escape, a malformed serial — takes the general path, which answers it the same
/// way.
fn public_serial(parts: &http::request::Parts) -> Option<&str> {
    let serial = parts.uri.path().strip_prefix("/v1/verify/")?;
    let public = parts.uri.query().is_none()
        && !parts.headers.contains_key(http::header::AUTHORIZATION)
        && !parts.headers.contains_key(crate::keys::HEADER)
        && serial.parse::<nsk_kz::serial::SerialNumber>().is_ok();
    public.then_some(serial)
}

fn json_answer(json: Bytes, source: Source) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let source = match source {
        Source::Memory => "memory",
        Source::Registry => "registry",
    };
    (
        [
            (http::header::CONTENT_TYPE, "application/json"),
            (
                http::header::HeaderName::from_static("x-nsk-answered-from"),
                source,
            ),
        ],
        json,
    )
        .into_response()
}

/// A public check whose answer memory holds and may give, answered before the request is
/// traced or routed (it calls nothing further, and it is what the public asks most), and
/// counted in the metrics as begun at `started`. `None` for anything else, a page included,
/// which then goes the whole way.
pub(crate) fn from_memory(
    gw: &crate::Gateway,
    parts: &http::request::Parts,
    started: std::time::Instant,
) -> Option<axum::response::Response> {
    if parts.method != http::Method::GET || crate::web::is_page(parts) {
        return None;
    }
    let entry = gw.verifications.cached(public_serial(parts)?)?;
    if let Some(retry_after) =
        crate::callers::over_limit(gw, &nsk_identity::Caller::Anonymous, &parts.extensions)
    {
        let refused = crate::callers::too_many(retry_after);
        nsk_metrics::metrics().call(crate::served::MEMORY, refused.status().as_str(), started);
        return Some(refused);
    }
    gw.verifications.count_check();
    gw.memory_answers.record(started);
    Some(json_answer(entry.json, Source::Memory))
}

/// A public check (see [`public_serial`]) that [`from_memory`] did not answer: asked of the
/// registry (or from memory, if another request filled it meanwhile).
pub(crate) async fn answer(
    gw: &crate::Gateway,
    parts: &http::request::Parts,
) -> Option<axum::response::Response> {
    let serial = public_serial(parts)?;
    if let Some(retry_after) =
        crate::callers::over_limit(gw, &nsk_identity::Caller::Anonymous, &parts.extensions)
    {
        return Some(crate::callers::too_many(retry_after));
    }
    Some(match gw.verifications.json(serial).await {
        Ok((json, source)) => json_answer(json, source),
        Err(status) => {
            let mut problem = crate::upstream_problem("documents", &status);
            crate::transcode::json_field_names(&mut problem);
            crate::transcode::problem_response(&problem)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifications() -> Verifications {
        let pool = DescriptorPool::decode(nsk_proto::FILE_DESCRIPTOR_SET).unwrap_or_default();
        Verifications::new(&pool, None, None, 1 << 20, Duration::from_secs(1))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn remember(v: &Verifications, serial: &str) {
        if let Some(cache) = &v.cache {
            cache.insert(
                serial.into(),
                Entry {
                    json: Bytes::from_static(b"{}"),
                    valid_through: None,
                },
            );
        }
    }

    const SERIAL: &str = "25110-72120011-4-150326-0101-00000001";

    #[test]
    fn memory_answers_only_while_the_feed_vouches_for_it() {
        let v = verifications();
        remember(&v, SERIAL);
        // No stamp yet: the registry is asked.
        assert!(v.cached(SERIAL).is_none());
        v.hear(docs::VerificationChanges {
            complete_through_unix_ms: now_ms(),
            ..Default::default()
        });
        assert!(v.cached(SERIAL).is_some());
        // A stamp older than the window: asked again.
        v.hear(docs::VerificationChanges {
            complete_through_unix_ms: now_ms() - FRESH_FOR.as_millis() as i64 - 1,
            ..Default::default()
        });
        assert!(v.cached(SERIAL).is_none());
    }

    #[test]
    fn a_change_heard_forgets_the_serial_and_a_reset_forgets_all() {
        let v = verifications();
        let other = "25110-72120011-4-150326-0102-00000001";
        remember(&v, SERIAL);
        remember(&v, other);
        v.hear(docs::VerificationChanges {
            serial_numbers: vec![SERIAL.into()],
            complete_through_unix_ms: now_ms(),
            ..Default::default()
        });
        assert!(v.cached(SERIAL).is_none());
        assert!(v.cached(other).is_some());
        v.hear(docs::VerificationChanges {
            reset: true,
            ..Default::default()
        });
        remember(&v, SERIAL);
        v.hear(docs::VerificationChanges {
            complete_through_unix_ms: now_ms(),
            ..Default::default()
        });
        assert!(v.cached(other).is_none(), "a reset forgets everything");
        assert!(v.cached(SERIAL).is_some(), "what is heard after it counts");
    }

    #[test]
    fn a_valid_answer_is_not_kept_past_its_last_valid_day() {
        let v = verifications();
        if let Some(cache) = &v.cache {
            cache.insert(
                SERIAL.into(),
                Entry {
                    json: Bytes::from_static(b"{}"),
                    valid_through: nsk_calendar::today().pred_opt(),
                },
            );
        }
        v.hear(docs::VerificationChanges {
            complete_through_unix_ms: now_ms(),
            ..Default::default()
        });
        assert!(v.cached(SERIAL).is_none());
    }

    #[tokio::test]
    async fn checks_from_memory_are_counted_per_day() {
        let v = verifications();
        remember(&v, SERIAL);
        v.hear(docs::VerificationChanges {
            complete_through_unix_ms: now_ms(),
            ..Default::default()
        });
        for _ in 0..3 {
            let (_, source) = v.json(SERIAL).await.unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(source, Source::Memory);
        }
        let counts = v.counts.lock().map(|c| c.clone()).unwrap_or_default();
        assert_eq!(counts.get(&nsk_calendar::today()), Some(&3));
    }
}
