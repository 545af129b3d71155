//! The public registers as pages: professions (search, level, status, as of a day, paging),
//! professional standards, recognition centers (status, scope, the certificates' history, the
//! list not subject to renewal), centers' offers (who, what, where, how much, which language,
//! how soon) and cancelled documents. Each reads the service's public method and shows what
//! it answered; a filter the service refuses becomes a 400 page naming it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::response::Response;
use http::StatusCode;
use maud::{html, Markup};
use nsk_proto::nsk::accreditation::v1 as acc;
use nsk_proto::nsk::common::v1::LocalizedText;
use nsk_proto::nsk::documents::v1 as docs;
use nsk_proto::nsk::professions::v1 as prof;
use nsk_proto::nsk::recognition::v1 as rec;
use nsk_proto::nsk::standards::v1 as std_pb;
use tonic::transport::Channel;

use super::i18n::{Arg, Lang};
use super::layout::{Frame, Section};
use super::{Visit, Web};

const PAGE_SIZE: i32 = 20;

/// How long a profession's names are kept for the pages that show them by id.
const NAMES_KEPT: Duration = Duration::from_secs(300);

/// Professions' names by id, kept a few minutes: the centers' and offers' pages name the
/// professions their rows hold by id.
#[derive(Default)]
pub struct ProfessionNames {
    known: Mutex<HashMap<String, (Instant, LocalizedText)>>,
}

impl ProfessionNames {
    async fn of(&self, web: &Web, ids: &[&str]) -> HashMap<String, LocalizedText> {
        let now = Instant::now();
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        if let Ok(known) = self.known.lock() {
            for id in ids {
                match known.get(*id) {
                    Some((at, names)) if now.duration_since(*at) < NAMES_KEPT => {
                        found.insert((*id).to_string(), names.clone());
                    }
                    _ => missing.push((*id).to_string()),
                }
            }
        }
        missing.sort();
        missing.dedup();
        let Some(channel) = web.channel("professions") else {
            return found;
        };
        let fetched = futures::future::join_all(missing.into_iter().map(|id| {
            let mut client =
                prof::profession_registry_client::ProfessionRegistryClient::new(channel.clone());
            let request = web.request(prof::GetProfessionRequest {
                id: id.clone(),
                ..Default::default()
            });
            async move { (id, client.get_profession(request).await) }
        }))
        .await;
        if let Ok(mut known) = self.known.lock() {
            for (id, answer) in fetched {
                if let Ok(p) = answer {
                    let names = p.into_inner().names.unwrap_or_default();
                    known.insert(id.clone(), (now, names.clone()));
                    found.insert(id, names);
                }
            }
        }
        found
    }
}

/// The name in `lang`, else in Russian, else in Kazakh, else the fallback.
fn localized<'a>(text: Option<&'a LocalizedText>, lang: Lang, fallback: &'a str) -> &'a str {
    let Some(t) = text else { return fallback };
    let first = match lang {
        Lang::Kk => &t.kk,
        Lang::Ru => &t.ru,
        Lang::En => &t.en,
    };
    [first, &t.ru, &t.kk, &t.en]
        .into_iter()
        .find(|s| !s.is_empty())
        .map_or(fallback, String::as_str)
}

/// A level from the query: 1-8, or none.
fn level(visit: &Visit) -> Result<i32, tonic::Status> {
    match visit.query.get("level") {
        "" => Ok(0),
        raw => raw
            .parse::<i32>()
            .ok()
            .filter(|l| (1..=8).contains(l))
            .ok_or_else(|| tonic::Status::invalid_argument("level: an NQF level is 1 to 8")),
    }
}

fn client_of(web: &Web, service: &str) -> Result<Channel, tonic::Status> {
    web.channel(service)
        .ok_or_else(|| tonic::Status::unavailable(format!("no {service} service configured")))
}

fn level_select(frame: &Frame<'_>, chosen: i32) -> Markup {
    html! {
        label for="level" { (frame.t("filter-level")) }
        select id="level" name="level" {
            option value="" { (frame.t("filter-any")) }
            @for l in 1..=8 {
                @if l == chosen { option value=(l) selected { (l) } } @else { option value=(l) { (l) } }
            }
        }
    }
}

fn pager(frame: &Frame<'_>, visit: &Visit, next: &str) -> Markup {
    html! {
        nav class="pager" aria-label=(frame.t("page-next")) {
            @if !visit.query.get("page").is_empty() {
                a href=(visit.query.with("page", "").href(&visit.path)) { (frame.t("page-first")) }
            }
            @if !next.is_empty() {
                a href=(visit.query.with("page", next).href(&visit.path)) rel="next" { (frame.t("page-next")) }
            }
        }
    }
}

fn nothing(frame: &Frame<'_>) -> Markup {
    html! { p class="empty" { (frame.t("nothing-found")) } }
}

fn levels(levels: &[i32]) -> String {
    levels
        .iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `/registers/professions`.
pub async fn professions(web: &Web, visit: &Visit) -> Response {
    let frame = visit.frame(web, Some(Section::Professions));
    let chosen_level = match level(visit) {
        Ok(l) => l,
        Err(refused) => return visit.failed(web, &refused),
    };
    let status = match visit.query.get("status") {
        "" | "active" => prof::ProfessionStatus::Active,
        "excluded" => prof::ProfessionStatus::Excluded,
        _ => prof::ProfessionStatus::Unspecified,
    };
    let request = prof::ListProfessionsRequest {
        page_size: PAGE_SIZE,
        page_token: visit.query.get("page").to_string(),
        name: visit.query.get("name").to_string(),
        nqf_level: chosen_level,
        status: status as i32,
        as_of: visit.query.get("as_of").to_string(),
        order_by: match frame.lang {
            Lang::Kk => "name_kk",
            Lang::Ru => "name_ru",
            Lang::En => "name_en",
        }
        .to_string(),
        ..Default::default()
    };
    let answer = match client_of(web, "professions") {
        Ok(channel) => prof::profession_registry_client::ProfessionRegistryClient::new(channel)
            .list_professions(web.request(request))
            .await
            .map(tonic::Response::into_inner),
        Err(e) => Err(e),
    };
    let list = match answer {
        Ok(list) => list,
        Err(failure) => return visit.failed(web, &failure),
    };
    let title = frame.t("professions-title");
    let status_code = visit.query.get("status");
    let content = html! {
        h1 { (title) }
        p { (frame.t("professions-intro")) }
        form class="filters" action="/registers/professions" method="get" {
            label for="name" { (frame.t("filter-name")) }
            input id="name" name="name" type="search" value=(visit.query.get("name"));
            (level_select(&frame, chosen_level))
            label for="status" { (frame.t("filter-status")) }
            select id="status" name="status" {
                @for (code, label) in [("active", "profession-status-active"), ("excluded", "profession-status-excluded"), ("any", "filter-any")] {
                    @if code == status_code || (status_code.is_empty() && code == "active") {
                        option value=(code) selected { (frame.t(label)) }
                    } @else {
                        option value=(code) { (frame.t(label)) }
                    }
                }
            }
            label for="as_of" { (frame.t("filter-as-of")) }
            input id="as_of" name="as_of" type="date" value=(visit.query.get("as_of"));
            button type="submit" { (frame.t("filter-submit")) }
        }
        p class="count" role="status" {
            @let count = if list.total_size_capped { "more-professions-count" } else { "professions-count" };
            (frame.t_with(count, &[("count", Arg::Num(list.total_size))]))
        }
        @if list.professions.is_empty() { (nothing(&frame)) } @else {
            table {
                thead { tr {
                    th scope="col" { (frame.t("col-nkz")) }
                    th scope="col" { (frame.t("col-oked")) }
                    th scope="col" { (frame.t("col-name")) }
                    th scope="col" { (frame.t("col-levels")) }
                    th scope="col" { (frame.t("col-validity")) }
                    th scope="col" { (frame.t("col-status")) }
                } }
                tbody {
                    @for p in &list.professions {
                        tr {
                            td { code { (p.nkz_code) } }
                            td { code { (p.oked_code) } }
                            th scope="row" { (localized(p.names.as_ref(), frame.lang, &p.id)) }
                            td { (levels(&p.nqf_levels)) }
                            td { (frame.t_with("months", &[("count", Arg::Num(i64::from(p.document_validity_months)))])) }
                            td {
                                @if p.status == prof::ProfessionStatus::Excluded as i32 {
                                    (frame.t("profession-status-excluded"))
                                } @else {
                                    (frame.t("profession-status-active"))
                                }
                            }
                        }
                    }
                }
            }
        }
        (pager(&frame, visit, &list.next_page_token))
    };
    visit.respond(StatusCode::OK, frame.page(&title, content))
}

fn standard_status(frame: &Frame<'_>, status: i32) -> String {
    match std_pb::StandardStatus::try_from(status) {
        Ok(std_pb::StandardStatus::Approved | std_pb::StandardStatus::Published) => {
            frame.t("standard-status-approved")
        }
        Ok(std_pb::StandardStatus::Superseded | std_pb::StandardStatus::Archived) => {
            frame.t("standard-status-superseded")
        }
        _ => frame.t("standard-status-other"),
    }
}

/// `/registers/standards`.
pub async fn standards(web: &Web, visit: &Visit) -> Response {
    let frame = visit.frame(web, Some(Section::Standards));
    let chosen_level = match level(visit) {
        Ok(l) => l,
        Err(refused) => return visit.failed(web, &refused),
    };
    let request = std_pb::ListStandardsRequest {
        page_size: PAGE_SIZE,
        page_token: visit.query.get("page").to_string(),
        title: visit.query.get("title").to_string(),
        nqf_level: chosen_level,
        ..Default::default()
    };
    let answer = match client_of(web, "standards") {
        Ok(channel) => std_pb::standards_service_client::StandardsServiceClient::new(channel)
            .list_standards(web.request(request))
            .await
            .map(tonic::Response::into_inner),
        Err(e) => Err(e),
    };
    let list = match answer {
        Ok(list) => list,
        Err(failure) => return visit.failed(web, &failure),
    };
    let title = frame.t("standards-title");
    let content = html! {
        h1 { (title) }
        p { (frame.t("standards-intro")) }
        form class="filters" action="/registers/standards" method="get" {
            label for="title" { (frame.t("filter-name")) }
            input id="title" name="title" type="search" value=(visit.query.get("title"));
            (level_select(&frame, chosen_level))
            button type="submit" { (frame.t("filter-submit")) }
        }
        @if list.standards.is_empty() { (nothing(&frame)) } @else {
            table {
                thead { tr {
                    th scope="col" { (frame.t("col-title")) }
                    th scope="col" { (frame.t("col-sector")) }
                    th scope="col" { (frame.t("col-codes")) }
                    th scope="col" { (frame.t("col-levels")) }
                    th scope="col" { (frame.t("col-status")) }
                } }
                tbody {
                    @for s in &list.standards {
                        tr {
                            th scope="row" { (localized(s.title.as_ref(), frame.lang, &s.id)) " (v" (s.version) ")" }
                            td { (s.sector) }
                            td { (s.nkz_codes.join(", ")) }
                            td { (levels(&s.nqf_levels)) }
                            td { (standard_status(&frame, s.status)) }
                        }
                    }
                }
            }
        }
        (pager(&frame, visit, &list.next_page_token))
    };
    visit.respond(StatusCode::OK, frame.page(&title, content))
}

fn center_status(frame: &Frame<'_>, status: i32) -> String {
    frame.t(match acc::CertificateStatus::try_from(status) {
        Ok(acc::CertificateStatus::Revoked) => "center-status-revoked",
        Ok(acc::CertificateStatus::Terminated) => "center-status-terminated",
        Ok(acc::CertificateStatus::Expired) => "center-status-expired",
        Ok(acc::CertificateStatus::Replaced) => "center-status-replaced",
        _ => "center-status-active",
    })
}

/// `/registers/centers`.
pub async fn centers(web: &Web, visit: &Visit) -> Response {
    let frame = visit.frame(web, Some(Section::Centers));
    let status = match visit.query.get("status") {
        "active" => acc::CertificateStatus::Active,
        "revoked" => acc::CertificateStatus::Revoked,
        "terminated" => acc::CertificateStatus::Terminated,
        "expired" => acc::CertificateStatus::Expired,
        _ => acc::CertificateStatus::Unspecified,
    };
    let not_renewable = visit.query.get("not_renewable") == "on";
    let request = acc::ListCentersRequest {
        page_size: PAGE_SIZE,
        page_token: visit.query.get("page").to_string(),
        status: status as i32,
        not_renewable_only: not_renewable,
        ..Default::default()
    };
    let answer = match client_of(web, "accreditation") {
        Ok(channel) => acc::accreditation_service_client::AccreditationServiceClient::new(channel)
            .list_centers(web.request(request))
            .await
            .map(tonic::Response::into_inner),
        Err(e) => Err(e),
    };
    let list = match answer {
        Ok(list) => list,
        Err(failure) => return visit.failed(web, &failure),
    };
    let ids: Vec<&str> = list
        .centers
        .iter()
        .flat_map(|c| c.scope.iter().map(|s| s.profession_id.as_str()))
        .collect();
    let names = web.names.of(web, &ids).await;
    let title = frame.t("centers-title");
    let chosen = visit.query.get("status");
    let content = html! {
        h1 { (title) }
        p { (frame.t("centers-intro")) }
        form class="filters" action="/registers/centers" method="get" {
            label for="status" { (frame.t("filter-status")) }
            select id="status" name="status" {
                option value="" { (frame.t("filter-any")) }
                @for code in ["active", "revoked", "terminated", "expired"] {
                    @let label = frame.t(&format!("center-status-{code}"));
                    @if code == chosen { option value=(code) selected { (label) } } @else { option value=(code) { (label) } }
                }
            }
            div class="check" {
                @if not_renewable {
                    input id="not_renewable" name="not_renewable" type="checkbox" checked;
                } @else {
                    input id="not_renewable" name="not_renewable" type="checkbox";
                }
                label for="not_renewable" { (frame.t("filter-not-renewable")) }
            }
            button type="submit" { (frame.t("filter-submit")) }
        }
        @if list.centers.is_empty() { (nothing(&frame)) } @else {
            table {
                thead { tr {
                    th scope="col" { (frame.t("col-number")) }
                    th scope="col" { (frame.t("col-name")) }
                    th scope="col" { (frame.t("col-status")) }
                    th scope="col" { (frame.t("col-scope")) }
                    th scope="col" { (frame.t("col-certificate")) }
                } }
                tbody {
                    @for c in &list.centers {
                        tr {
                            td { code { (c.center_number) } }
                            th scope="row" {
                                (c.name)
                                @if c.not_renewable { br; span class="flag" { (frame.t("center-not-renewable")) } }
                            }
                            td { (center_status(&frame, c.status)) }
                            td { ul class="plain" {
                                @for s in &c.scope {
                                    li { (localized(names.get(&s.profession_id), frame.lang, &s.profession_id)) " — " (levels(&s.nqf_levels)) }
                                }
                            } }
                            td { ul class="plain" {
                                @for cert in &c.certificates {
                                    li {
                                        code { (cert.serial_number) } " "
                                        (frame.t_with("certificate-valid", &[("from", Arg::Str(&cert.valid_from)), ("until", Arg::Str(&cert.valid_until))]))
                                        " · " (center_status(&frame, cert.status))
                                    }
                                }
                            } }
                        }
                    }
                }
            }
        }
        (pager(&frame, visit, &list.next_page_token))
    };
    visit.respond(StatusCode::OK, frame.page(&title, content))
}

/// Active professions to choose from, in the visitor's language.
async fn profession_choices(web: &Web, lang: Lang) -> Vec<(String, String)> {
    let Ok(channel) = client_of(web, "professions") else {
        return Vec::new();
    };
    let request = prof::ListProfessionsRequest {
        page_size: 500,
        status: prof::ProfessionStatus::Active as i32,
        ..Default::default()
    };
    let Ok(list) = prof::profession_registry_client::ProfessionRegistryClient::new(channel)
        .list_professions(web.request(request))
        .await
    else {
        return Vec::new();
    };
    let mut choices: Vec<(String, String)> = list
        .into_inner()
        .professions
        .iter()
        .map(|p| {
            (
                p.id.clone(),
                localized(p.names.as_ref(), lang, &p.id).to_string(),
            )
        })
        .collect();
    choices.sort_by(|a, b| a.1.cmp(&b.1));
    choices
}

/// `/registers/offers`.
pub async fn offers(web: &Web, visit: &Visit) -> Response {
    let frame = visit.frame(web, Some(Section::Offers));
    let chosen_level = match level(visit) {
        Ok(l) => l,
        Err(refused) => return visit.failed(web, &refused),
    };
    let language = match visit.query.get("language") {
        "kk" => rec::Language::Kazakh,
        "ru" => rec::Language::Russian,
        _ => rec::Language::Unspecified,
    };
    let max_price = match visit.query.get("max_price") {
        "" => 0,
        raw => match raw.parse::<i32>() {
            Ok(p) if p >= 0 => p,
            _ => {
                return visit.failed(
                    web,
                    &tonic::Status::invalid_argument("max_price: a price in whole tenge"),
                )
            }
        },
    };
    let request = rec::SearchOffersRequest {
        profession_id: visit.query.get("profession").to_string(),
        nqf_level: chosen_level,
        region: visit.query.get("region").to_string(),
        language: language as i32,
        max_price_tenge: max_price,
        page_size: 50,
        ..Default::default()
    };
    let answer = match client_of(web, "recognition") {
        Ok(channel) => rec::recognition_procedure_client::RecognitionProcedureClient::new(channel)
            .search_offers(web.request(request))
            .await
            .map(tonic::Response::into_inner),
        Err(e) => Err(e),
    };
    let list = match answer {
        Ok(list) => list,
        Err(failure) => return visit.failed(web, &failure),
    };
    let choices = profession_choices(web, frame.lang).await;
    let ids: Vec<&str> = list
        .offers
        .iter()
        .map(|o| o.profession_id.as_str())
        .collect();
    let names = web.names.of(web, &ids).await;
    let title = frame.t("offers-title");
    let (profession, region, lang_code) = (
        visit.query.get("profession"),
        visit.query.get("region"),
        visit.query.get("language"),
    );
    let content = html! {
        h1 { (title) }
        p { (frame.t("offers-intro")) }
        form class="filters" action="/registers/offers" method="get" {
            label for="profession" { (frame.t("filter-profession")) }
            select id="profession" name="profession" {
                option value="" { (frame.t("filter-any")) }
                @for (id, name) in &choices {
                    @if id == profession { option value=(id) selected { (name) } } @else { option value=(id) { (name) } }
                }
            }
            (level_select(&frame, chosen_level))
            label for="region" { (frame.t("filter-region")) }
            select id="region" name="region" {
                option value="" { (frame.t("filter-any")) }
                @for code in nsk_kz::regions::REGIONS {
                    @let name = frame.t(&format!("region-{code}"));
                    @if code == region { option value=(code) selected { (name) } } @else { option value=(code) { (name) } }
                }
            }
            label for="language" { (frame.t("filter-language")) }
            select id="language" name="language" {
                option value="" { (frame.t("filter-any")) }
                @for code in ["kk", "ru"] {
                    @let name = frame.t(&format!("language-{code}"));
                    @if code == lang_code { option value=(code) selected { (name) } } @else { option value=(code) { (name) } }
                }
            }
            label for="max_price" { (frame.t("filter-max-price")) }
            input id="max_price" name="max_price" type="number" min="0" step="1000" value=(visit.query.get("max_price"));
            button type="submit" { (frame.t("filter-submit")) }
        }
        @if list.offers.is_empty() { (nothing(&frame)) } @else {
            table {
                thead { tr {
                    th scope="col" { (frame.t("col-number")) }
                    th scope="col" { (frame.t("filter-profession")) }
                    th scope="col" { (frame.t("col-levels")) }
                    th scope="col" { (frame.t("col-price")) }
                    th scope="col" { (frame.t("col-languages")) }
                    th scope="col" { (frame.t("col-modes")) }
                    th scope="col" { (frame.t("col-region")) }
                    th scope="col" { (frame.t("col-earliest")) }
                } }
                tbody {
                    @for o in &list.offers {
                        tr {
                            td { code { (o.center_number) } }
                            th scope="row" { (localized(names.get(&o.profession_id), frame.lang, &o.profession_id)) }
                            td { (o.nqf_level) }
                            td { (frame.t_with("price-tenge", &[("amount", Arg::Num(i64::from(o.price_tenge)))])) }
                            td { (offer_languages(&frame, &o.languages)) }
                            td { (offer_modes(&frame, &o.modes)) }
                            td { (frame.t(&format!("region-{}", o.region))) br; (o.venue) }
                            td { (o.earliest_date) }
                        }
                    }
                }
            }
        }
    };
    visit.respond(StatusCode::OK, frame.page(&title, content))
}

fn offer_languages(frame: &Frame<'_>, languages: &[i32]) -> String {
    languages
        .iter()
        .filter_map(|l| match rec::Language::try_from(*l) {
            Ok(rec::Language::Kazakh) => Some(frame.t("language-kk")),
            Ok(rec::Language::Russian) => Some(frame.t("language-ru")),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn offer_modes(frame: &Frame<'_>, modes: &[i32]) -> String {
    modes
        .iter()
        .filter_map(|m| match rec::Mode::try_from(*m) {
            Ok(rec::Mode::Offline) => Some(frame.t("mode-offline")),
            Ok(rec::Mode::Online) => Some(frame.t("mode-online")),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `/registers/cancelled`.
pub async fn cancelled(web: &Web, visit: &Visit) -> Response {
    let frame = visit.frame(web, Some(Section::Cancelled));
    let request = docs::ListCancelledDocumentsRequest {
        page_size: PAGE_SIZE,
        page_token: visit.query.get("page").to_string(),
        cancelled_from: visit.query.get("from").to_string(),
        cancelled_to: visit.query.get("to").to_string(),
        ..Default::default()
    };
    let answer = match client_of(web, "documents") {
        Ok(channel) => docs::document_registry_client::DocumentRegistryClient::new(channel)
            .list_cancelled_documents(web.request(request))
            .await
            .map(tonic::Response::into_inner),
        Err(e) => Err(e),
    };
    let list = match answer {
        Ok(list) => list,
        Err(failure) => return visit.failed(web, &failure),
    };
    let title = frame.t("cancelled-title");
    let content = html! {
        h1 { (title) }
        p { (frame.t("cancelled-intro")) }
        form class="filters" action="/registers/cancelled" method="get" {
            label for="from" { (frame.t("filter-from")) }
            input id="from" name="from" type="date" value=(visit.query.get("from"));
            label for="to" { (frame.t("filter-to")) }
            input id="to" name="to" type="date" value=(visit.query.get("to"));
            button type="submit" { (frame.t("filter-submit")) }
        }
        @if list.documents.is_empty() { (nothing(&frame)) } @else {
            table {
                thead { tr {
                    th scope="col" { (frame.t("field-serial")) }
                    th scope="col" { (frame.t("field-profession")) }
                    th scope="col" { (frame.t("field-center")) }
                    th scope="col" { (frame.t("col-cancelled-on")) }
                    th scope="col" { (frame.t("field-cancel-reason")) }
                } }
                tbody {
                    @for d in &list.documents {
                        tr {
                            th scope="row" { a href={ "/v1/verify/" (d.serial_number) } { code { (d.serial_number) } } }
                            td { (d.profession_name) " · " (d.nqf_level) }
                            td { (d.center_name) " (" (d.center_number) ")" }
                            td { (d.cancellation.as_ref().map_or("", |c| c.cancelled_on.as_str())) }
                            td { (d.cancellation.as_ref().map_or("", |c| c.reason.as_str())) }
                        }
                    }
                }
            }
        }
        (pager(&frame, visit, &list.next_page_token))
    };
    visit.respond(StatusCode::OK, frame.page(&title, content))
}
