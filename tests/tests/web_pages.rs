//! The pages for people, through real processes: the QR code's address gives a browser the
//! page and an API client the JSON; valid, expired, cancelled and unknown each say so in their
//! own words, sign and colour, in Kazakh, Russian or English, the choice kept in a cookie; a
//! mistyped serial is the visitor's to fix (400); with the registry down the page says it could
//! not check (503), never "valid"; the registers list what the API holds; every page carries
//! its security policy and no inline script or style.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use nsk_e2e::seed::public_data;
use nsk_e2e::Platform;

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

struct Page {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn page(platform: &Platform, path: &str, extra: &[(&str, &str)]) -> Page {
    let mut request = platform
        .http
        .get(platform.url(path))
        .header("Accept", BROWSER);
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let reply = request.send().await.unwrap();
    Page {
        status: reply.status().as_u16(),
        headers: reply.headers().clone(),
        body: reply.text().await.unwrap(),
    }
}

fn header<'a>(page: &'a Page, name: &str) -> &'a str {
    page.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The policy and the page's own hygiene: no script at all, no inline style, its language.
fn well_formed(page: &Page, lang: &str) {
    assert_eq!(header(page, "content-type"), "text/html; charset=utf-8");
    let csp = header(page, "content-security-policy");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(header(page, "x-content-type-options"), "nosniff");
    assert_eq!(header(page, "x-frame-options"), "DENY");
    assert!(
        page.body.starts_with("<!DOCTYPE html>"),
        "{}",
        &page.body[..60.min(page.body.len())]
    );
    assert!(
        page.body.contains(&format!("<html lang=\"{lang}\">")),
        "lang {lang}"
    );
    assert!(!page.body.contains("<script"), "a script in the page");
    assert!(
        !page.body.contains(" style="),
        "an inline style in the page"
    );
}

#[tokio::test]
async fn the_qr_address_shows_each_status_in_three_languages_and_the_registers_list_what_the_api_holds(
) {
    let mut platform = Platform::start("webpages").await;
    let data = public_data(&platform).await;

    // The same address: JSON for an API client, the page for a browser.
    let json: serde_json::Value = platform
        .http
        .get(platform.url(&format!("/v1/verify/{}", data.valid)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["status"], "DOCUMENT_STATUS_VALID", "{json}");

    // Kazakh by default (the state language); each status its own words and class.
    let valid = page(&platform, &format!("/v1/verify/{}", data.valid), &[]).await;
    assert_eq!(valid.status, 200);
    well_formed(&valid, "kk");
    assert!(
        valid.body.contains("verdict-valid") && valid.body.contains("Жарамды"),
        "{}",
        valid.body
    );
    let masked = json["holderMasked"].as_str().unwrap();
    assert!(
        !masked.is_empty() && valid.body.contains(masked),
        "the holder masked as the API masks: {masked}"
    );
    assert!(!valid.body.contains("900101300037"), "never the IIN");
    // The profession as the document names it (Appendix 2), whatever the page's language.
    let profession = json["professionName"].as_str().unwrap();
    assert!(valid.body.contains(profession), "{profession}");

    let ru = [("Accept-Language", "ru-RU,ru;q=0.9,en;q=0.5")];
    let cancelled = page(&platform, &format!("/v1/verify/{}", data.cancelled), &ru).await;
    assert_eq!(cancelled.status, 200);
    well_formed(&cancelled, "ru");
    assert!(cancelled.body.contains("verdict-cancelled") && cancelled.body.contains("Аннулирован"));
    assert!(cancelled
        .body
        .contains("the court found the procedure void"));
    assert!(cancelled.body.contains("2-1187/2026"), "the basis");
    assert!(!cancelled.body.contains("verdict-valid"));

    let expired = page(
        &platform,
        &format!("/v1/verify/{}?lang=en", data.expired),
        &ru,
    )
    .await;
    assert_eq!(expired.status, 200);
    well_formed(&expired, "en");
    assert!(expired.body.contains("verdict-expired") && expired.body.contains("Expired"));
    assert!(expired.body.contains("2024-09-20"));
    // The choice is kept: the cookie set, and honoured over the browser's languages.
    let cookie = header(&expired, "set-cookie").to_string();
    assert!(
        cookie.starts_with("lang=en;") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let unknown_serial = format!("25110-72120051-3-150923-{}-99999999", data.center);
    let unknown = page(
        &platform,
        &format!("/v1/verify/{unknown_serial}"),
        &[("Accept-Language", "ru"), ("Cookie", "lang=en")],
    )
    .await;
    assert_eq!(unknown.status, 404);
    well_formed(&unknown, "en");
    assert!(
        unknown.body.contains("verdict-unknown") && unknown.body.contains("Not in the registry")
    );
    for verdict in ["verdict-valid", "verdict-expired", "verdict-cancelled"] {
        assert!(!unknown.body.contains(verdict));
    }

    // A mistyped serial: the visitor's to fix, with the rule.
    let typo = page(&platform, "/v1/verify/25110-7212-3?lang=ru", &[]).await;
    assert_eq!(typo.status, 400);
    assert!(
        typo.body.contains("шесть") || typo.body.contains("six parts"),
        "{}",
        typo.body
    );
    // The form sends the visitor to the serial's own address.
    let form = platform
        .http
        .get(platform.url(&format!("/verify?serial={}", data.valid)))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status().as_u16(), 200, "followed to the verdict");
    assert!(form.url().path().ends_with(&data.valid));

    // The registers, in Russian: the welder with its plural, the center with its scope by
    // name, the cancelled document, the offer.
    let professions = page(&platform, "/registers/professions?lang=ru", &[]).await;
    assert_eq!(professions.status, 200);
    well_formed(&professions, "ru");
    assert!(
        professions.body.contains("Сварщик") && professions.body.contains("60 месяцев"),
        "{}",
        professions.body
    );
    assert!(
        professions.body.contains("Найдена 1 профессия"),
        "{}",
        professions.body
    );
    let none = page(&platform, "/registers/professions?lang=ru&name=пекарь", &[]).await;
    assert!(none.body.contains("Ничего не найдено"), "{}", none.body);
    let bad = page(&platform, "/registers/professions?level=9", &[]).await;
    assert_eq!(bad.status, 400);
    let centers = page(&platform, "/registers/centers?lang=en", &[]).await;
    assert_eq!(centers.status, 200);
    assert!(
        centers.body.contains(&data.center) && centers.body.contains("Welder — 3, 4"),
        "{}",
        centers.body
    );
    let cancelled_list = page(&platform, "/registers/cancelled?lang=en", &[]).await;
    assert!(cancelled_list.body.contains(&data.cancelled));
    assert!(!cancelled_list.body.contains(&data.valid));
    let offers = page(
        &platform,
        &format!(
            "/registers/offers?lang=kk&profession={}",
            data.profession_id
        ),
        &[],
    )
    .await;
    assert_eq!(offers.status, 200);
    assert!(
        offers.body.contains("45000 ₸") && offers.body.contains("Алматы қаласы"),
        "{}",
        offers.body
    );
    let standards = page(&platform, "/registers/standards", &[]).await;
    assert_eq!(standards.status, 200);
    well_formed(&standards, "kk");
    let missing = page(&platform, "/registers/nothing", &[]).await;
    assert_eq!(missing.status, 404);

    // A cancellation shows on the very next visit: the page keeps no copy.
    let (status, _) = nsk_e2e::walk::call(
        &platform,
        Some(nsk_identity::Role::AuthorizedBodyAdmin),
        &format!("/v1/documents/{}:cancel", data.valid_id),
        Some(&serde_json::json!({
            "reason": "registered for the wrong holder",
            "ground": "CANCELLATION_GROUND_COURT_DECISION",
            "basis": {"number": "2-2001/2026", "date": nsk_e2e::walk::today(), "title": "Decision of the court"}
        })),
    )
    .await;
    assert_eq!(status, 200);
    let flipped = page(
        &platform,
        &format!("/v1/verify/{}?lang=en", data.valid),
        &[],
    )
    .await;
    assert!(
        flipped.body.contains("verdict-cancelled")
            && flipped.body.contains("registered for the wrong holder"),
        "{}",
        flipped.body
    );

    // The registry down: "could not check", never "valid" — once the gateway's memory is no
    // longer vouched for by the registry's feed (800 ms after its last stamp).
    platform.stop("documents").await;
    tokio::time::sleep(
        nsk_gateway::verification::FRESH_FOR + std::time::Duration::from_millis(400),
    )
    .await;
    let down = page(
        &platform,
        &format!("/v1/verify/{}?lang=en", data.valid),
        &[],
    )
    .await;
    assert_eq!(down.status, 503);
    assert!(down.body.contains("verdict-unavailable") && down.body.contains("Could not check"));
    assert!(!down.body.contains("verdict-valid"));
}
