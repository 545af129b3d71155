//! Pages for people, rendered here on the server — no script, no build step — in Kazakh,
//! Russian and English: the verification of a document (the QR code's address: a browser gets
//! the page, an API client the JSON), and the public registers. They read the services through
//! their public methods, as anyone may, under the same per-address limits as the API.
//!
//! - `i18n` — the Fluent catalogs and the choice of language (`?lang=`, kept in a cookie;
//!   then the browser's `Accept-Language`; then Kazakh, the state language);
//! - `layout` — the frame: `lang`, skip link, navigation, the language switch, footer;
//! - `query` — a page's query string, read leniently and written back into links;
//! - `verify` — the verification page, one look per status;
//! - `registers` — professions, standards, centers, offers, cancelled documents.

mod i18n;
mod layout;
mod query;
mod registers;
mod verify;

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode};
use maud::{html, Markup};
use tonic::transport::Channel;

pub use i18n::{Catalog, Lang};
use layout::{Frame, Section};
use query::Query;

/// The policy of a page: its own stylesheet and images, nothing inline, no framing, forms only
/// to itself.
const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLE: &str = include_str!("style.css");

/// The cookie that keeps the language chosen.
const LANG_COOKIE: &str = "lang";

/// What the pages need: the catalogs and the services they read.
pub struct Web {
    catalog: Catalog,
    channels: HashMap<String, Channel>,
    timeout: Duration,
    names: registers::ProfessionNames,
    verifications: std::sync::Arc<crate::verification::Verifications>,
}

impl Web {
    pub fn new(
        channels: &HashMap<String, Channel>,
        timeout: Duration,
        verifications: std::sync::Arc<crate::verification::Verifications>,
    ) -> Result<Self, String> {
        Ok(Self {
            catalog: Catalog::load()?,
            channels: channels.clone(),
            timeout,
            names: registers::ProfessionNames::default(),
            verifications,
        })
    }

    fn channel(&self, service: &str) -> Option<Channel> {
        self.channels.get(service).cloned()
    }

    /// A request to a service, with the pages' deadline.
    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.timeout);
        request
    }
}

/// Whether the caller wants a page rather than JSON: `text/html` ranked above
/// `application/json` in `Accept` (a browser's default). No `Accept`, `*/*`, or JSON first:
/// the API's answer.
pub fn wants_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let weight = |media: &str| -> f32 {
        accept
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let kind = pieces.next()?.trim();
                (kind.eq_ignore_ascii_case(media)).then(|| {
                    pieces
                        .find_map(|p| p.trim().strip_prefix("q="))
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .unwrap_or(1.0)
                })
            })
            .fold(0.0, f32::max)
    };
    let html = weight("text/html");
    html > 0.0 && html >= weight("application/json")
}

/// One request for a page: the language, whether it was chosen now, the path and the query.
pub struct Visit {
    lang: Lang,
    chosen: bool,
    path: String,
    query: Query,
}

impl Visit {
    pub fn of(parts: &http::request::Parts) -> Self {
        let query = Query::parse(parts.uri.query());
        let asked = Lang::from_tag(query.get("lang"));
        let cookie = parts
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().split_once('='))
            .find(|(name, _)| *name == LANG_COOKIE)
            .and_then(|(_, value)| Lang::from_tag(value));
        let browser = parts
            .headers
            .get(http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language);
        Self {
            lang: asked.or(cookie).or(browser).unwrap_or(Lang::Kk),
            chosen: asked.is_some(),
            path: parts.uri.path().to_string(),
            query,
        }
    }

    fn frame<'a>(&'a self, web: &'a Web, section: Option<Section>) -> Frame<'a> {
        Frame {
            catalog: &web.catalog,
            lang: self.lang,
            path: &self.path,
            query: &self.query,
            section,
        }
    }

    /// The page as an answer: its status, language, policy; the language chosen kept.
    fn respond(&self, status: StatusCode, page: Markup) -> Response {
        let mut response = (status, page.into_string()).into_response();
        let h = response.headers_mut();
        h.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        h.insert(
            http::header::CONTENT_LANGUAGE,
            HeaderValue::from_static(self.lang.tag()),
        );
        h.insert(
            http::header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        );
        h.insert(
            http::header::VARY,
            HeaderValue::from_static("Accept, Accept-Language, Cookie"),
        );
        // The registers change; a page is checked again on every visit.
        h.insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        );
        if self.chosen {
            let cookie = format!(
                "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
                self.lang.tag()
            );
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                h.insert(http::header::SET_COOKIE, value);
            }
        }
        response
    }

    /// A page that says what went wrong, in the visitor's language.
    fn error(&self, web: &Web, status: StatusCode, message: &str) -> Response {
        let frame = self.frame(web, None);
        let title = frame.t("error-title");
        let page = frame.page(
            &title,
            html! {
                h1 { (title) }
                p class="notice" { (message) }
            },
        );
        self.respond(status, page)
    }

    /// What a failed read of a register becomes: the visitor's mistake (400), nothing there
    /// (404), or the register out of reach (503) — never a page that pretends.
    fn failed(&self, web: &Web, status: &tonic::Status) -> Response {
        let frame = self.frame(web, None);
        match status.code() {
            tonic::Code::InvalidArgument | tonic::Code::FailedPrecondition => self.error(
                web,
                StatusCode::BAD_REQUEST,
                &frame.t_with(
                    "error-bad-request",
                    &[("detail", i18n::Arg::Str(status.message()))],
                ),
            ),
            tonic::Code::NotFound => {
                self.error(web, StatusCode::NOT_FOUND, &frame.t("error-not-found"))
            }
            _ => {
                tracing::warn!(code = ?status.code(), message = status.message(), "a page could not read its register");
                self.error(
                    web,
                    StatusCode::SERVICE_UNAVAILABLE,
                    &frame.t("error-unavailable"),
                )
            }
        }
    }
}

/// `GET /assets/style.css`.
pub fn stylesheet() -> Response {
    let mut response = Response::new(Body::from(STYLE));
    let h = response.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// Whether `parts` asks for a page: the pages' paths, and the verification address from a
/// caller that wants a page.
pub fn is_page(parts: &http::request::Parts) -> bool {
    match parts.uri.path() {
        "/" | "/verify" => true,
        path if path.starts_with("/registers/") => true,
        path => path
            .strip_prefix("/v1/verify/")
            .is_some_and(|serial| !serial.contains('/') && wants_html(&parts.headers)),
    }
}

/// The page at `parts`' path, if it is one of the pages (the verification address only for a
/// caller that wants a page); `None` for anything else.
pub async fn page(web: &Web, parts: &http::request::Parts) -> Option<Response> {
    let visit = Visit::of(parts);
    let path = parts.uri.path();
    let response = match path {
        "/" | "/verify" => verify::form(web, &visit),
        "/registers/professions" => registers::professions(web, &visit).await,
        "/registers/standards" => registers::standards(web, &visit).await,
        "/registers/centers" => registers::centers(web, &visit).await,
        "/registers/offers" => registers::offers(web, &visit).await,
        "/registers/cancelled" => registers::cancelled(web, &visit).await,
        _ => match path.strip_prefix("/v1/verify/") {
            Some(serial) if !serial.contains('/') && wants_html(&parts.headers) => {
                verify::verdict(web, &visit, &crate::routes::percent_decode(serial)).await
            }
            _ if path.starts_with("/registers/") => {
                let frame = visit.frame(web, None);
                visit.error(web, StatusCode::NOT_FOUND, &frame.t("error-not-found"))
            }
            _ => return None,
        },
    };
    Some(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::ACCEPT,
            HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")),
        );
        h
    }

    #[test]
    fn a_browser_gets_the_page_and_an_api_client_the_json() {
        assert!(wants_html(&accept(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        )));
        assert!(!wants_html(&accept("application/json")));
        assert!(!wants_html(&accept("*/*")));
        assert!(!wants_html(&HeaderMap::new()));
        assert!(!wants_html(&accept("application/json, text/html;q=0.5")));
        assert!(wants_html(&accept(
            "text/html;q=0.9, application/json;q=0.9"
        )));
        assert!(!wants_html(&accept("text/html;q=0")));
    }
}
