//! What the gateway does with input an attacker — or a broken client — sends: never a panic,
//! never a 5xx, always a status that names the problem, and a connection that stays usable.
//! Raw TCP where a client library would clean the request up first.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use nsk_e2e::Platform;
use nsk_identity::Role;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn profession(en: &str) -> Value {
    json!({
        "names": {"kk": "Крановщик", "ru": "Машинист крана", "en": en},
        "nkzCode": "83430001",
        "okedCode": "43990",
        "nqfLevels": [3],
        "documentValidityMonths": 36,
        "qualificationRequirementsApply": true,
        "inclusionBasis": {"number": "3", "date": "2026-01-20"}
    })
}

/// One HTTP/1.1 response read off `stream`: status, headers (lower-case names), body.
async fn read_response(stream: &mut TcpStream) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).await.unwrap();
        assert!(
            n == 1,
            "the connection closed before a response: {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .map(|(_, v)| v.parse().unwrap())
        .expect("a problem document has a content-length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.unwrap();
    (status, headers, body)
}

async fn connect(platform: &Platform) -> TcpStream {
    TcpStream::connect(platform.gateway.trim_start_matches("http://"))
        .await
        .unwrap()
}

#[tokio::test]
async fn hostile_requests_get_a_4xx_that_names_the_problem_and_never_a_5xx() {
    let platform = Platform::start("hostile").await;
    let admin = platform.token(&[Role::AuthorizedBodyAdmin]);

    // A broken escape before a Cyrillic letter, raw on the wire: this once panicked the
    // gateway and dropped the connection. Now the serial is simply malformed; the connection
    // serves the next request.
    let mut stream = connect(&platform).await;
    let mut raw = b"GET /v1/verify/%a".to_vec();
    raw.extend("Д".as_bytes());
    raw.extend(b" HTTP/1.1\r\nHost: x\r\n\r\n");
    stream.write_all(&raw).await.unwrap();
    let (status, _, body) = read_response(&mut stream).await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    let mut raw = b"GET /v1/professions?name=%a".to_vec();
    raw.extend("Д".as_bytes());
    raw.extend(b" HTTP/1.1\r\nHost: x\r\n\r\n");
    stream.write_all(&raw).await.unwrap();
    let (status, _, body) = read_response(&mut stream).await;
    assert!(
        status == 200 || status == 400,
        "{status}: {}",
        String::from_utf8_lossy(&body)
    );

    // A refusal before the body is read (no token on a change) keeps the connection usable.
    let body = profession("Crane operator").to_string();
    let request = format!(
        "POST /v1/professions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let (status, _, _) = read_response(&mut stream).await;
    assert_eq!(status, 401);
    stream
        .write_all(b"GET /v1/verify/nothing HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (status, _, _) = read_response(&mut stream).await;
    assert_eq!(status, 400, "the connection stayed usable after the 401");

    // A NUL in a text: 400 naming the field as the caller wrote it.
    let reply = platform
        .http
        .post(platform.url("/v1/professions"))
        .bearer_auth(&admin)
        .json(&profession("Crane\u{0}operator"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 400);
    let problem: Value = reply.json().await.unwrap();
    assert_eq!(
        problem["violations"][0]["field"], "profession.names.en",
        "{problem}"
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("NUL"),
        "{problem}"
    );

    // A method the path does not take: 405, with what it takes.
    let reply = platform
        .http
        .delete(platform.url("/v1/professions"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 405);
    let allow = reply.headers()["allow"].to_str().unwrap().to_string();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    let problem: Value = reply.json().await.unwrap();
    assert_eq!(problem["code"], "METHOD_NOT_ALLOWED");

    // A body that is not JSON by its type: 415.
    let reply = platform
        .http
        .post(platform.url("/v1/professions"))
        .bearer_auth(&admin)
        .header("content-type", "text/plain")
        .body(profession("Crane operator").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 415);

    // A token of 20 KB: 431, not a 503 from the hop to the service.
    let reply = platform
        .http
        .get(platform.url("/v1/professions"))
        .bearer_auth("a".repeat(20_000))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 431);

    // A body of 5 MB announced: 413 at once, before the client sends it.
    let mut stream = connect(&platform).await;
    let request = format!(
        "POST /v1/professions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {admin}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        5 * 1024 * 1024
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let (status, _, body) = read_response(&mut stream).await;
    assert_eq!(status, 413, "{}", String::from_utf8_lossy(&body));

    // A search text of 60,000 characters is no name: 400, not a query a hundred times dearer.
    let reply = platform
        .http
        .get(platform.url(&format!("/v1/professions?name={}", "a".repeat(60_000))))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 400);
    let problem: Value = reply.json().await.unwrap();
    assert_eq!(problem["violations"][0]["field"], "name", "{problem}");

    // And a well-formed request still works.
    let reply = platform
        .http
        .post(platform.url("/v1/professions"))
        .bearer_auth(&admin)
        .json(&profession("Crane operator"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_cors_allows_public_reads_only() {
    let platform = Platform::start("headers").await;
    let reply = platform
        .http
        .get(platform.url("/v1/verify/nothing"))
        .header("origin", "https://employer.example")
        .send()
        .await
        .unwrap();
    let h = reply.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(
        h.get("strict-transport-security").is_none(),
        "HSTS only behind TLS"
    );

    // A page elsewhere may not send a user's token: the preflight allows GET and no headers.
    let reply = platform
        .http
        .request(reqwest::Method::OPTIONS, platform.url("/v1/professions"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 204);
    assert_eq!(reply.headers()["access-control-allow-methods"], "GET");
    assert!(reply
        .headers()
        .get("access-control-allow-headers")
        .is_none());
    // A change answers no CORS header: a browser keeps the answer from a foreign page.
    let reply = platform
        .http
        .post(platform.url("/v1/professions"))
        .header("origin", "https://evil.example")
        .json(&profession("Crane operator"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 401);
    assert!(reply.headers().get("access-control-allow-origin").is_none());

    // Behind the TLS terminator: HSTS.
    let reply = platform
        .http
        .get(platform.url("/healthz"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert!(reply.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));
}

#[tokio::test]
async fn a_flood_is_throttled_per_caller_with_retry_after_and_others_are_served() {
    let platform = Platform::start_with(
        "flood",
        &[
            ("gateway", "NSK_RATE_PER_IP", "5"),
            ("gateway", "NSK_RATE_PER_CALLER", "5"),
        ],
    )
    .await;
    // Serial enumeration without a token: a burst of ten, then 429 with when to come back.
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for n in 1..=30 {
        let reply = platform
            .http
            .get(platform.url(&format!("/v1/verify/25110-72120001-4-010126-0001-{n:08}")))
            .send()
            .await
            .unwrap();
        statuses.push(reply.status().as_u16());
        if reply.status() == 429 {
            retry_after = reply
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            let problem: Value = reply.json().await.unwrap();
            assert_eq!(problem["code"], "RATE_LIMITED", "{problem}");
        }
    }
    // A burst of twice the rate, and a little refill while they ran.
    let served = statuses.iter().filter(|s| **s == 200).count();
    assert!((10..=13).contains(&served), "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(
        retry_after.is_some_and(|s| (1..=2).contains(&s)),
        "{retry_after:?}"
    );

    // A caller with a token has a bucket of its own: the anonymous flood does not stop it.
    let reply = platform
        .http
        .get(platform.url("/v1/professions"))
        .bearer_auth(platform.token(&[Role::Auditor]))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);

    // After the wait, the address is served again.
    tokio::time::sleep(std::time::Duration::from_secs(retry_after.unwrap_or(1))).await;
    let reply = platform
        .http
        .get(platform.url("/v1/verify/25110-72120001-4-010126-0001-00000001"))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
}

#[tokio::test]
async fn a_flood_of_checks_answered_from_memory_is_throttled_like_any_other() {
    // 20 a second from one address (a bucket of 40); callers with a token unlimited, so
    // that the seeding is not throttled.
    let platform = Platform::start_with("floodmem", &[("gateway", "NSK_RATE_PER_IP", "20")]).await;
    let data = nsk_e2e::seed::public_data(&platform).await;
    let url = platform.url(&format!("/v1/verify/{}", data.valid));
    let from = |reply: &reqwest::Response| {
        reply
            .headers()
            .get("x-nsk-answered-from")
            .map(|v| v.to_str().unwrap().to_string())
    };
    // Asked until memory answers it, within the rate.
    let since = std::time::Instant::now();
    loop {
        let reply = platform.http.get(url.clone()).send().await.unwrap();
        assert_eq!(reply.status(), 200);
        if from(&reply).as_deref() == Some("memory") {
            break;
        }
        assert!(
            since.elapsed() < std::time::Duration::from_secs(20),
            "never answered from memory"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(2)).await; // the bucket refills
    let (mut served, mut throttled) = (0, 0);
    for _ in 0..100 {
        let reply = platform.http.get(url.clone()).send().await.unwrap();
        match reply.status().as_u16() {
            200 => {
                assert_eq!(from(&reply).as_deref(), Some("memory"));
                served += 1;
            }
            429 => {
                let retry_after: u64 = reply.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=2).contains(&retry_after), "{retry_after}");
                let problem: Value = reply.json().await.unwrap();
                assert_eq!(problem["code"], "RATE_LIMITED", "{problem}");
                throttled += 1;
            }
            other => panic!("{other}"),
        }
    }
    // The bucket's 40, and what refilled while the hundred ran.
    assert!(
        (40..=55).contains(&served),
        "{served} served, {throttled} throttled"
    );
    assert_eq!(served + throttled, 100);
}

/// Reads until the peer closes; `None` when it has not closed within `within`.
async fn closed_within(stream: &mut TcpStream, within: std::time::Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + within;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(got),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn slow_and_idle_connections_are_closed_after_the_header_read_timeout() {
    let platform = Platform::start_with(
        "slowloris",
        &[("gateway", "NSK_HEADER_READ_TIMEOUT_MS", "1000")],
    )
    .await;
    let second = std::time::Duration::from_secs(1);
    // Half a request line, then nothing: closed, not kept.
    let mut slow = connect(&platform).await;
    slow.write_all(b"GET /v1/verify/x HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    assert!(
        closed_within(&mut slow, 3 * second).await.is_some(),
        "a connection sending its headers slowly stayed open"
    );
    // A connection opened and never used.
    let mut silent = connect(&platform).await;
    assert!(closed_within(&mut silent, 3 * second).await.is_some());
    // A keep-alive connection after its request, idle.
    let mut idle = connect(&platform).await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (status, _, _) = read_response(&mut idle).await;
    assert_eq!(status, 200);
    assert!(
        closed_within(&mut idle, 3 * second).await.is_some(),
        "an idle keep-alive connection stayed open"
    );
    // A connection that keeps asking is served all along.
    let mut busy = connect(&platform).await;
    for _ in 0..4 {
        busy.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let (status, _, _) = read_response(&mut busy).await;
        assert_eq!(status, 200);
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    }
}
