//! The frame of every page: the language in `lang`, a skip link, the registers' navigation,
//! the language switch (links that keep the page and its query), the content, the footer.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::i18n::{Arg, Catalog, Lang};
use super::query::Query;

/// Which register a page belongs to, for `aria-current` in the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Verify,
    Professions,
    Standards,
    Centers,
    Offers,
    Cancelled,
}

const SECTIONS: [(Section, &str, &str); 6] = [
    (Section::Verify, "/verify", "nav-verify"),
    (
        Section::Professions,
        "/registers/professions",
        "nav-professions",
    ),
    (Section::Standards, "/registers/standards", "nav-standards"),
    (Section::Centers, "/registers/centers", "nav-centers"),
    (Section::Offers, "/registers/offers", "nav-offers"),
    (Section::Cancelled, "/registers/cancelled", "nav-cancelled"),
];

/// What a page needs to be framed.
pub struct Frame<'a> {
    pub catalog: &'a Catalog,
    pub lang: Lang,
    pub path: &'a str,
    pub query: &'a Query,
    pub section: Option<Section>,
}

impl Frame<'_> {
    pub fn t(&self, id: &str) -> String {
        self.catalog.text(self.lang, id, &[]).into_owned()
    }

    pub fn t_with(&self, id: &str, args: &[(&str, Arg<'_>)]) -> String {
        self.catalog.text(self.lang, id, args).into_owned()
    }

    /// The whole document around `content`, titled `title`.
    pub fn page(&self, title: &str, content: Markup) -> Markup {
        let site = self.t("site-name");
        html! {
            (DOCTYPE)
            html lang=(self.lang.tag()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " — " (site) }
                    link rel="stylesheet" href="/assets/style.css";
                }
                body {
                    a class="skip" href="#main" { (self.t("skip-to-content")) }
                    header class="top" {
                        div class="brand" {
                            a href="/" { (site) }
                            span class="tagline" { (self.t("site-tagline")) }
                        }
                        nav class="languages" aria-label=(self.t("language-label")) {
                            ul {
                                @for lang in Lang::ALL {
                                    li {
                                        @let href = self.query.with("lang", lang.tag()).href(self.path);
                                        @if lang == self.lang {
                                            a href=(href) hreflang=(lang.tag()) lang=(lang.tag()) aria-current="true" { (lang.own_name()) }
                                        } @else {
                                            a href=(href) hreflang=(lang.tag()) lang=(lang.tag()) { (lang.own_name()) }
                                        }
                                    }
                                }
                            }
                        }
                        nav class="sections" aria-label=(self.t("nav-label")) {
                            ul {
                                @for (section, href, label) in SECTIONS {
                                    li {
                                        @if Some(section) == self.section {
                                            a href=(href) aria-current="page" { (self.t(label)) }
                                        } @else {
                                            a href=(href) { (self.t(label)) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    main id="main" tabindex="-1" { (content) }
                    footer {
                        p { (PreEscaped(self.footer())) }
                    }
                }
            }
        }
    }

    /// The footer's sentence with the link to the API's description in it.
    fn footer(&self) -> String {
        let marker = "\u{1}";
        let text = self.t_with("footer-text", &[("api", Arg::Str(marker))]);
        let escaped = maud::html! { (text) }.into_string();
        escaped.replace(marker, r#"<a href="/openapi.json">/openapi.json</a>"#)
    }
}
