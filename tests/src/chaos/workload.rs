//! The workload of a chaos run: two centers registering documents, an official cancelling
//! every fifth, the authorized body amending the profession, an employment office's vouchers
//! used in documents, the NCE revoking centers on ground 4 — each command written down in the
//! [`Ledger`] with whether it was acknowledged.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use nsk_identity::Role;
use serde_json::{json, Value};

use super::{Issue, Ledger, Revocation};
use crate::walk::{center_token, today};
use crate::Platform;

pub(super) fn document(profession_id: &str, center: &str, n: u32) -> Value {
    // Fifty holders a center, each with many documents.
    let offset = if center == "0001" { 0 } else { 50 };
    json!({
        "holder": {"iin": nsk_runtime::testing::iin(offset + n % 50), "fullName": format!("Holder {center}-{}", n % 50)},
        "professionId": profession_id,
        "nqfLevel": 3 + (n % 2),
        "procedureDate": today(),
        "protocolNumber": format!("CH-{center}-{n}"),
        "protocolDate": today(),
        "headOfCenter": "K. Abenov"
    })
}

/// What the workers need of the platform: its gateway and HTTP client (the platform itself
/// stays with the faults, which kill and restart its processes).
pub(super) struct PlatformHandle {
    gateway: String,
    http: reqwest::Client,
    admin: String,
    official: String,
}

impl PlatformHandle {
    pub(super) fn new(platform: &Platform) -> Self {
        Self {
            gateway: platform.gateway.clone(),
            http: platform.http.clone(),
            admin: platform.token(&[Role::AuthorizedBodyAdmin]),
            // Cancellation is the authorized body's (Art. 26.2; Rules p. 23).
            official: platform.token(&[Role::AuthorizedBodyAdmin]),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> Option<(u16, Value)> {
        answered(
            self.http
                .request(method, format!("{}{path}", self.gateway))
                .json(body),
            token,
        )
        .await
    }

    /// Sends `issue` (again) with its request id until the registry answers it: (id, serial).
    /// After 90 s the run fails, with the processes' last log lines.
    pub(super) async fn registered(
        &self,
        platform: &Platform,
        issue: &Issue,
        what: &str,
    ) -> (String, String) {
        self.registered_or_fail(issue, what, || platform.log_tails())
            .await
    }

    /// As [`Self::registered`], for a worker, which has no platform to read the logs of.
    pub(super) async fn registered_until_answered(
        &self,
        issue: &Issue,
        what: &str,
    ) -> (String, String) {
        self.registered_or_fail(issue, what, String::new).await
    }

    async fn registered_or_fail(
        &self,
        issue: &Issue,
        what: &str,
        logs: impl Fn() -> String,
    ) -> (String, String) {
        let token = center_token(issue.center);
        let path = format!("/v1/documents?requestId={}", issue.request_id);
        let deadline = std::time::Instant::now() + Duration::from_secs(90);
        loop {
            let answer = self
                .send(reqwest::Method::POST, &path, &token, &issue.body)
                .await;
            if let Some((200, reply)) = &answer {
                return answer_of(reply);
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{what} ({}): not answered within 90 s; the last answer: {answer:?}\n{}",
                issue.request_id,
                logs()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn get(&self, path: &str, token: &str) -> Option<(u16, Value)> {
        answered(self.http.get(format!("{}{path}", self.gateway)), token).await
    }
}

/// The status and JSON of `request` sent with `token`, or `None` when no answer came within
/// 10 s (the connection failed or timed out: the command may or may not have taken effect).
async fn answered(request: reqwest::RequestBuilder, token: &str) -> Option<(u16, Value)> {
    let reply = request
        .bearer_auth(token)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .ok()?;
    let status = reply.status().as_u16();
    Some((status, reply.json().await.unwrap_or(Value::Null)))
}

/// A registered document's (id, serial), as the gateway answers it.
fn answer_of(reply: &Value) -> (String, String) {
    (
        reply["id"].as_str().unwrap_or_default().to_string(),
        reply["serialNumber"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// Counts a write for availability when the broker was down all the while it ran.
fn count_outage(ledger: &Mutex<Ledger>, down: bool, acknowledged: bool) {
    if down {
        let mut ledger = ledger.lock().unwrap();
        ledger.outage_tried += 1;
        if acknowledged {
            ledger.outage_acknowledged += 1;
        }
    }
}

fn is_set(flag: &std::sync::atomic::AtomicBool) -> bool {
    flag.load(std::sync::atomic::Ordering::SeqCst)
}

/// A center registering documents, one after another, each with its request id.
pub(super) async fn issuer(
    platform: Arc<PlatformHandle>,
    ledger: Arc<Mutex<Ledger>>,
    broker_down: Arc<std::sync::atomic::AtomicBool>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    center: &'static str,
    profession_id: String,
) {
    let token = center_token(center);
    let mut n = 0;
    while !is_set(&stop) {
        n += 1;
        let body = document(&profession_id, center, n);
        let request_id = format!("chaos-{center}-{n}");
        let index = {
            let mut ledger = ledger.lock().unwrap();
            ledger.issued.push(Issue {
                center,
                protocol: format!("CH-{center}-{n}"),
                request_id: request_id.clone(),
                body: body.clone(),
                answer: None,
            });
            ledger.issued.len() - 1
        };
        let down = is_set(&broker_down);
        let path = format!("/v1/documents?requestId={request_id}");
        let answer = platform
            .send(reqwest::Method::POST, &path, &token, &body)
            .await;
        let acknowledged = match answer {
            Some((200, reply)) => {
                ledger.lock().unwrap().issued[index].answer = Some(answer_of(&reply));
                true
            }
            // Refused by the law is a bug here: every registration is lawful.
            Some((status @ 400..=499, reply)) if status != 429 => {
                panic!("registration {request_id} refused: {status} {reply}")
            }
            _ => false,
        };
        count_outage(&ledger, down && is_set(&broker_down), acknowledged);
        tokio::time::sleep(Duration::from_millis(if acknowledged { 25 } else { 200 })).await;
    }
}

/// An official cancelling every fifth registered document on a court decision.
pub(super) async fn canceller(
    platform: Arc<PlatformHandle>,
    ledger: Arc<Mutex<Ledger>>,
    broker_down: Arc<std::sync::atomic::AtomicBool>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) {
    let mut next = 0;
    while !is_set(&stop) {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let target = {
            let ledger = ledger.lock().unwrap();
            // The two registering centers' documents: those of the centers about to be revoked
            // are the revocation's to cancel.
            let answered: Vec<&Issue> = ledger
                .issued
                .iter()
                .filter(|i| i.answer.is_some() && matches!(i.center, "0001" | "0002"))
                .collect();
            answered
                .get(next * 5)
                .and_then(|i| i.answer.clone())
                .map(|(id, _)| id)
        };
        let Some(id) = target else { continue };
        next += 1;
        let down = is_set(&broker_down);
        let answer = platform
            .send(
                reqwest::Method::POST,
                &format!("/v1/documents/{id}:cancel"),
                &platform.official,
                &json!({
                    "ground": "CANCELLATION_GROUND_COURT_DECISION",
                    "reason": "Decision of the court",
                    "basis": {"number": format!("COURT-{next}"), "date": today(), "title": "Court decision"}
                }),
            )
            .await;
        let acknowledged = matches!(answer, Some((200, _)));
        {
            let mut ledger = ledger.lock().unwrap();
            if acknowledged {
                ledger.cancelled.push(id);
            } else {
                ledger.cancel_unknown.push(id);
            }
        }
        count_outage(&ledger, down && is_set(&broker_down), acknowledged);
    }
}

/// The authorized body amending the profession's English name, version after version.
pub(super) async fn amender(
    platform: Arc<PlatformHandle>,
    ledger: Arc<Mutex<Ledger>>,
    broker_down: Arc<std::sync::atomic::AtomicBool>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    profession_id: String,
) {
    let path = format!("/v1/professions/{profession_id}");
    let mut n = 0;
    while !is_set(&stop) {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let Some((200, current)) = platform.get(&path, &platform.admin).await else {
            continue;
        };
        let version = current["version"]
            .as_str()
            .map(String::from)
            .or_else(|| current["version"].as_i64().map(|v| v.to_string()))
            .unwrap_or_default();
        n += 1;
        let down = is_set(&broker_down);
        let answer = platform
            .send(
                reqwest::Method::PATCH,
                &path,
                &platform.admin,
                &json!({
                    "profession": {"names": {"en": format!("Welder, edition {n}")}},
                    "updateMask": ["names.en"],
                    "expectedVersion": version,
                    "reason": "chaos amendment",
                    "basis": {"number": format!("A-{n}"), "date": today(), "title": "Order of the Minister"}
                }),
            )
            .await;
        let acknowledged = matches!(answer, Some((200, _)));
        match answer {
            Some((200, _)) => ledger.lock().unwrap().amended += 1,
            // Another version meanwhile is not possible (one amender); a refusal is a bug.
            Some((status @ 400..=499, reply)) if status != 429 => {
                panic!("amendment {n} refused: {status} {reply}")
            }
            _ => ledger.lock().unwrap().amend_unknown += 1,
        }
        count_outage(&ledger, down && is_set(&broker_down), acknowledged);
    }
}

/// A voucher's way, step by step: issued by an employment office to a registered unemployed
/// person (Art. 29), redeemed by center 0001 for the welder, used by the document the center
/// registers after the procedure.
#[derive(Debug, Clone, Default)]
pub struct VoucherCase {
    pub n: u32,
    /// (id, number) once issued.
    pub voucher: Option<(String, String)>,
    pub redeemed: bool,
    /// The registration naming the voucher, once tried (its place in the ledger's `issued`).
    pub document: Option<usize>,
}

/// An employment office issuing vouchers one after another, each taken by center 0001 to a
/// document; each step tried again (with its request id) until it is answered.
pub(super) async fn voucherer(
    platform: Arc<PlatformHandle>,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    profession_id: String,
) {
    let office = nsk_runtime::testing::office_token("office-karaganda", "karaganda");
    let center = center_token("0001");
    let mut case = VoucherCase {
        n: 1,
        ..Default::default()
    };
    while !is_set(&stop) {
        tokio::time::sleep(Duration::from_millis(150)).await;
        // Holders 200 and up: none of the registrations' holders.
        let iin = nsk_runtime::testing::iin(200 + case.n);
        let Some((id, number)) = case.voucher.clone() else {
            let answer = platform
                .send(
                    reqwest::Method::POST,
                    &format!("/v1/vouchers?requestId=chaos-voucher-{}", case.n),
                    &office,
                    &json!({
                        "holderIin": iin, "holderName": format!("Unemployed {}", case.n),
                        "region": "karaganda",
                        "registration": {"number": format!("U-{}", case.n), "date": today(), "office": "Employment center of Karaganda"}
                    }),
                )
                .await;
            if let Some((200, v)) = answer {
                case.voucher = Some((
                    v["id"].as_str().unwrap_or_default().to_string(),
                    v["number"].as_str().unwrap_or_default().to_string(),
                ));
                ledger.lock().unwrap().vouchers_issued += 1;
            }
            continue;
        };
        if !case.redeemed {
            let answer = platform
                .send(
                    reqwest::Method::POST,
                    &format!("/v1/vouchers/{id}:redeem"),
                    &center,
                    &json!({"holderIin": iin, "professionId": profession_id, "nqfLevel": 4}),
                )
                .await;
            case.redeemed = match answer {
                Some((200, _)) => true,
                // A redemption whose answer was lost, asked again: the voucher says.
                Some((409, _)) => platform
                    .get(&format!("/v1/vouchers/{id}"), &office)
                    .await
                    .is_some_and(|(_, v)| v["status"] == "VOUCHER_STATUS_REDEEMED"),
                _ => false,
            };
            continue;
        }
        let index = match case.document {
            Some(index) => index,
            None => {
                let mut ledger = ledger.lock().unwrap();
                ledger.issued.push(Issue {
                    center: "0001",
                    protocol: format!("CH-V-{}", case.n),
                    request_id: format!("chaos-voucher-document-{}", case.n),
                    body: json!({
                        "holder": {"iin": iin, "fullName": format!("Unemployed {}", case.n)},
                        "professionId": profession_id, "nqfLevel": 4,
                        "procedureDate": today(), "protocolNumber": format!("CH-V-{}", case.n),
                        "protocolDate": today(), "headOfCenter": "K. Abenov", "voucherId": number
                    }),
                    answer: None,
                });
                let index = ledger.issued.len() - 1;
                ledger.voucher_documents.push((index, id.clone()));
                index
            }
        };
        case.document = Some(index);
        let issue = ledger.lock().unwrap().issued[index].clone();
        let answer = platform
            .send(
                reqwest::Method::POST,
                &format!("/v1/documents?requestId={}", issue.request_id),
                &center,
                &issue.body,
            )
            .await;
        if let Some((200, reply)) = answer {
            ledger.lock().unwrap().issued[index].answer = Some(answer_of(&reply));
            case = VoucherCase {
                n: case.n + 1,
                ..Default::default()
            };
        }
    }
}

/// The NCE revoking, one after another through the run, the certificates of centers found to
/// have issued documents on confirmed complaints (ground 4, Art. 26.2.4): each center registers
/// three documents, and the revocation names them. A revocation refused because accreditation
/// has not heard of the documents yet (400), or unanswered, is asked again; one refused as
/// already done (409, its answer lost) counts as done when the certificate shows it revoked.
pub(super) async fn revoker(
    platform: Arc<PlatformHandle>,
    ledger: Arc<Mutex<Ledger>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    revocable: Vec<(String, String)>,
    workload: Duration,
    profession_id: String,
) {
    let started = std::time::Instant::now();
    let nce = nsk_runtime::testing::token("nce-chaos", &[Role::NceOfficer], None);
    let every = workload / (revocable.len() as u32 + 1);
    for (k, (certificate_id, center)) in revocable.into_iter().enumerate() {
        let at = every * (k as u32 + 1);
        while started.elapsed() < at && !is_set(&stop) {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // The center's documents, each asked until answered (the registry may not have heard
        // of the center yet, or be down a moment).
        // An issue's center is a name for the whole run (three such centers a run).
        let center: &'static str = Box::leak(center.into_boxed_str());
        let mut serials = Vec::new();
        for n in 1..=3 {
            let issue = Issue {
                center,
                protocol: format!("CH-{center}-{n}"),
                request_id: format!("chaos-{center}-{n}"),
                body: document(&profession_id, center, n),
                answer: None,
            };
            let answer = platform
                .registered_until_answered(&issue, "a complained-about center's document")
                .await;
            serials.push(answer.1.clone());
            ledger.lock().unwrap().issued.push(Issue {
                answer: Some(answer),
                ..issue
            });
        }
        let body = json!({
            "ground": "REVOCATION_GROUND_CONFIRMED_COMPLAINTS",
            "basis": {"number": format!("NCE-R-{center}"), "date": today(), "title": "Complaints of employers, confirmed"},
            "documentSerialNumbers": serials,
            "concernsHealthOrSafety": true,
            "eventDetectedOn": today()
        });
        let path = format!("/v1/certificates/{certificate_id}:revoke");
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        let mut acknowledged = false;
        while std::time::Instant::now() < deadline {
            match platform
                .send(reqwest::Method::POST, &path, &nce, &body)
                .await
            {
                Some((200, _)) => {
                    acknowledged = true;
                    break;
                }
                Some((409, _)) => {
                    acknowledged = platform
                        .get(&format!("/v1/certificates/{certificate_id}"), &nce)
                        .await
                        .is_some_and(|(_, c)| c["status"] == "CERTIFICATE_STATUS_REVOKED");
                    break;
                }
                // 400 until accreditation has heard of the documents; anything else: asked again.
                _ => tokio::time::sleep(Duration::from_millis(300)).await,
            }
        }
        ledger.lock().unwrap().revocations.push(Revocation {
            certificate_id,
            center: center.to_string(),
            serials,
            acknowledged,
        });
    }
}
