//! The pages' words in Kazakh, Russian and English: Fluent resources (`locales/*.ftl`, with
//! the plural rules of each language), read into the binary and parsed once at start. A
//! missing message is a bug the tests catch; at run time it shows its id rather than fail.

use std::borrow::Cow;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// A language of the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Kk,
    Ru,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Kk, Lang::Ru, Lang::En];

    /// The BCP 47 tag: the `lang` attribute, the cookie, the query.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// How the language names itself, in the switch.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::Kk => "Қазақша",
            Lang::Ru => "Русский",
            Lang::En => "English",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.split(['-', '_']).next().unwrap_or("").trim();
        Self::ALL
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(primary))
    }

    /// The first language of an `Accept-Language` header the pages speak, by its weights.
    pub fn from_accept_language(header: &str) -> Option<Self> {
        let mut wanted: Vec<(f32, Lang)> = header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let lang = Lang::from_tag(pieces.next()?)?;
                let q = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                (q > 0.0).then_some((q, lang))
            })
            .collect();
        // Stable: of equal weights, the first written wins.
        wanted.sort_by(|a, b| b.0.total_cmp(&a.0));
        wanted.first().map(|(_, l)| *l)
    }

    fn source(self) -> &'static str {
        match self {
            Lang::Kk => include_str!("../../locales/kk.ftl"),
            Lang::Ru => include_str!("../../locales/ru.ftl"),
            Lang::En => include_str!("../../locales/en.ftl"),
        }
    }
}

/// The three bundles.
pub struct Catalog {
    bundles: Vec<(Lang, FluentBundle<FluentResource>)>,
}

impl Catalog {
    /// Parses the resources; an error names the language and what is wrong.
    pub fn load() -> Result<Self, String> {
        let mut bundles = Vec::new();
        for lang in Lang::ALL {
            let resource = FluentResource::try_new(lang.source().to_string())
                .map_err(|(_, errors)| format!("locales/{}.ftl: {errors:?}", lang.tag()))?;
            let id: unic_langid::LanguageIdentifier = lang
                .tag()
                .parse()
                .map_err(|e| format!("language tag {}: {e}", lang.tag()))?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // The pages are left-to-right throughout: no isolation marks around arguments.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errors| format!("locales/{}.ftl: {errors:?}", lang.tag()))?;
            bundles.push((lang, bundle));
        }
        Ok(Self { bundles })
    }

    fn bundle(&self, lang: Lang) -> Option<&FluentBundle<FluentResource>> {
        self.bundles
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, b)| b)
    }

    /// Message `id` in `lang`, with `args`; its id when there is none.
    pub fn text<'a>(&'a self, lang: Lang, id: &'a str, args: &[(&str, Arg<'_>)]) -> Cow<'a, str> {
        let Some(bundle) = self.bundle(lang) else {
            return Cow::Borrowed(id);
        };
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            tracing::warn!(
                message = id,
                lang = lang.tag(),
                "no such message in the locales"
            );
            return Cow::Borrowed(id);
        };
        let args = (!args.is_empty()).then(|| {
            let mut fluent = FluentArgs::new();
            for (name, value) in args {
                match value {
                    Arg::Str(s) => fluent.set(*name, FluentValue::from(s.to_string())),
                    Arg::Num(n) => fluent.set(*name, FluentValue::from(*n)),
                }
            }
            fluent
        });
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, args.as_ref(), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(
                message = id,
                lang = lang.tag(),
                ?errors,
                "a message did not format cleanly"
            );
        }
        Cow::Owned(text.into_owned())
    }

    /// The ids of the messages of `lang`, in the order written.
    #[cfg(test)]
    fn ids(lang: Lang) -> Vec<String> {
        lang.source()
            .lines()
            .filter(|l| !l.starts_with([' ', '#', '\t']) && l.contains(" ="))
            .filter_map(|l| l.split(" =").next())
            .map(str::to_string)
            .collect()
    }
}

/// An argument of a message.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    Str(&'a str),
    Num(i64),
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_three_languages_have_the_same_messages_and_each_formats_cleanly() {
        let catalog = Catalog::load().unwrap();
        let en = Catalog::ids(Lang::En);
        assert!(en.len() > 80, "{}", en.len());
        for lang in Lang::ALL {
            let ids = Catalog::ids(lang);
            assert_eq!(ids, en, "locales/{}.ftl has other messages", lang.tag());
            let bundle = catalog.bundle(lang).unwrap();
            for id in &ids {
                let pattern = bundle.get_message(id).and_then(|m| m.value()).unwrap();
                let mut args = FluentArgs::new();
                for name in [
                    "until", "date", "serial", "rule", "api", "number", "from", "amount", "detail",
                ] {
                    args.set(name, "x");
                }
                args.set("count", 3);
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
                assert!(errors.is_empty(), "{}: {id}: {errors:?}", lang.tag());
                assert!(!text.trim().is_empty(), "{}: {id}", lang.tag());
            }
        }
    }

    #[test]
    fn plurals_follow_each_language() {
        let catalog = Catalog::load().unwrap();
        let months = |lang, n| {
            catalog
                .text(lang, "months", &[("count", Arg::Num(n))])
                .into_owned()
        };
        assert_eq!(months(Lang::Ru, 1), "1 месяц");
        assert_eq!(months(Lang::Ru, 3), "3 месяца");
        assert_eq!(months(Lang::Ru, 60), "60 месяцев");
        assert_eq!(months(Lang::Ru, 21), "21 месяц");
        assert_eq!(months(Lang::En, 1), "1 month");
        assert_eq!(months(Lang::En, 60), "60 months");
        assert_eq!(months(Lang::Kk, 60), "60 ай");
    }

    #[test]
    fn the_language_is_taken_from_a_tag_or_the_browsers_weights() {
        assert_eq!(Lang::from_tag("ru-KZ"), Some(Lang::Ru));
        assert_eq!(Lang::from_tag("KK"), Some(Lang::Kk));
        assert_eq!(Lang::from_tag("de"), None);
        assert_eq!(
            Lang::from_accept_language("de-DE,de;q=0.9,en;q=0.5,ru;q=0.7"),
            Some(Lang::Ru)
        );
        assert_eq!(Lang::from_accept_language("kk, ru;q=0.9"), Some(Lang::Kk));
        assert_eq!(Lang::from_accept_language("fr, ru;q=0"), None);
        assert_eq!(Lang::from_accept_language("ru;q=abc"), None);
    }
}
