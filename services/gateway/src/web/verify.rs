//! The verification page: the QR code's address (`/v1/verify/{serial}`) in a browser, and the
//! form at `/verify`. Valid, expired, cancelled and unknown each look unmistakably different —
//! a word, a sign and a colour of their own — and when the registry cannot be asked the page
//! says "could not check" (503), never "valid".

use axum::response::Response;
use http::StatusCode;
use maud::{html, Markup};
use nsk_proto::nsk::documents::v1 as docs;

use super::i18n::Arg;
use super::layout::{Frame, Section};
use super::{Visit, Web};

/// The form: `/verify?serial=...` sends the visitor to the serial's own address, the one its
/// QR code holds.
pub fn form(web: &Web, visit: &Visit) -> Response {
    let serial = visit.query.get("serial");
    if !serial.is_empty() {
        let target = format!("/v1/verify/{}", super::query::encode(serial));
        return Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(http::header::LOCATION, target)
            .body(axum::body::Body::empty())
            .unwrap_or_default();
    }
    let frame = visit.frame(web, Some(Section::Verify));
    let title = frame.t("verify-title");
    let page = frame.page(
        &title,
        html! {
            h1 { (title) }
            p { (frame.t("verify-intro")) }
            (search(&frame, ""))
        },
    );
    visit.respond(StatusCode::OK, page)
}

fn search(frame: &Frame<'_>, serial: &str) -> Markup {
    html! {
        form class="verify" action="/verify" method="get" {
            label for="serial" { (frame.t("verify-label")) }
            input id="serial" name="serial" type="text" value=(serial) autocomplete="off"
                spellcheck="false" aria-describedby="serial-hint" required;
            p id="serial-hint" class="hint" { (frame.t("verify-hint")) }
            button type="submit" { (frame.t("verify-submit")) }
        }
    }
}

/// How each status looks: its class, its sign, its word.
fn look(status: docs::DocumentStatus) -> (&'static str, &'static str, &'static str) {
    match status {
        docs::DocumentStatus::Valid => ("valid", "✓", "status-valid"),
        docs::DocumentStatus::Expired => ("expired", "⌛", "status-expired"),
        docs::DocumentStatus::Cancelled => ("cancelled", "✕", "status-cancelled"),
        docs::DocumentStatus::Unknown | docs::DocumentStatus::Unspecified => {
            ("unknown", "?", "status-unknown")
        }
    }
}

/// The verdict on `serial`, as the registry gives it.
pub async fn verdict(web: &Web, visit: &Visit, serial: &str) -> Response {
    let frame = visit.frame(web, Some(Section::Verify));
    let title = frame.t("verify-title");
    // The shape is checked here, as the registry checks it: a mistyped number is the visitor's
    // to fix, not a document the registry lacks.
    if let Err(rule) = serial.parse::<nsk_kz::serial::SerialNumber>() {
        let page = frame.page(
            &title,
            html! {
                h1 { (title) }
                p class="notice" role="alert" {
                    (frame.t_with("verify-bad-serial", &[("rule", Arg::Str(&rule.to_string()))]))
                }
                (search(&frame, serial))
            },
        );
        return visit.respond(StatusCode::BAD_REQUEST, page);
    }
    let answer = web.verifications.verification(serial).await;
    let (status, content) = match answer {
        Ok(v) => {
            let status = docs::DocumentStatus::try_from(v.status).unwrap_or_default();
            let code = if status == docs::DocumentStatus::Unknown {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::OK
            };
            (code, found(&frame, serial, status, &v))
        }
        Err(failure) if failure.code() == tonic::Code::InvalidArgument => {
            return visit.failed(web, &failure);
        }
        Err(failure) => {
            tracing::warn!(code = ?failure.code(), "verification page: the registry did not answer");
            (StatusCode::SERVICE_UNAVAILABLE, unavailable(&frame, serial))
        }
    };
    let page = frame.page(
        &title,
        html! {
            h1 { (title) }
            (content)
            (search(&frame, serial))
        },
    );
    visit.respond(status, page)
}

fn unavailable(frame: &Frame<'_>, serial: &str) -> Markup {
    html! {
        section class="verdict verdict-unavailable" aria-labelledby="verdict" {
            p id="verdict" class="verdict-word" { span aria-hidden="true" { "⚠ " } (frame.t("status-unavailable")) }
            p { (frame.t("status-unavailable-detail")) }
            p class="serial" { (frame.t("field-serial")) ": " code { (serial) } }
        }
    }
}

fn found(
    frame: &Frame<'_>,
    serial: &str,
    status: docs::DocumentStatus,
    v: &docs::Verification,
) -> Markup {
    let (class, sign, word) = look(status);
    let detail = match status {
        docs::DocumentStatus::Valid => frame.t_with(
            "status-valid-detail",
            &[("until", Arg::Str(&v.valid_until))],
        ),
        docs::DocumentStatus::Expired => frame.t_with(
            "status-expired-detail",
            &[("until", Arg::Str(&v.valid_until))],
        ),
        docs::DocumentStatus::Cancelled => frame.t_with(
            "status-cancelled-detail",
            &[(
                "date",
                Arg::Str(
                    v.cancellation
                        .as_ref()
                        .map_or("", |c| c.cancelled_on.as_str()),
                ),
            )],
        ),
        _ => frame.t_with("status-unknown-detail", &[("serial", Arg::Str(serial))]),
    };
    let known = !matches!(
        status,
        docs::DocumentStatus::Unknown | docs::DocumentStatus::Unspecified
    );
    html! {
        section class={ "verdict verdict-" (class) } aria-labelledby="verdict" {
            p id="verdict" class="verdict-word" { span aria-hidden="true" { (sign) " " } (frame.t(word)) }
            p { (detail) }
        }
        @if known {
            dl class="facts" {
                dt { (frame.t("field-serial")) } dd { code { (v.serial_number) } }
                dt { (frame.t("field-holder")) } dd { (v.holder_masked) }
                dt { (frame.t("field-profession")) } dd { (v.profession_name) }
                dt { (frame.t("field-level")) } dd { (v.nqf_level) }
                @if !v.separate_skills.is_empty() {
                    dt { (frame.t("field-skills")) } dd { (v.separate_skills.join("; ")) }
                }
                dt { (frame.t("field-center")) } dd { (v.center_name) " (" (v.center_number) ")" }
                dt { (frame.t("field-procedure-date")) } dd { (v.procedure_date) }
                dt { (frame.t("field-issue-date")) } dd { (v.issue_date) }
                dt { (frame.t("field-valid-until")) } dd { (v.valid_until) }
                @if let Some(c) = &v.cancellation {
                    dt { (frame.t("field-cancel-reason")) } dd { (c.reason) }
                    @if let Some(basis) = &c.basis {
                        dt { (frame.t("field-cancel-basis")) }
                        dd { (basis.title) " " (frame.t_with("basis-text", &[("number", Arg::Str(&basis.number)), ("date", Arg::Str(&basis.date))])) }
                    }
                    @if !c.replaced_by_serial_number.is_empty() {
                        dt { (frame.t("field-replaced-by")) }
                        dd { a href={ "/v1/verify/" (c.replaced_by_serial_number) } { code { (c.replaced_by_serial_number) } } }
                    }
                }
            }
        }
    }
}
