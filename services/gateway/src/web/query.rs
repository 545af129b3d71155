//! A page's query string: read leniently (a broken escape stays as written, a repeated name
//! keeps its first value), and written back into links with one value changed.

/// The pairs of a query string, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (name, value) = p.split_once('=').unwrap_or((p, ""));
                (decode(name), decode(value))
            })
            .collect();
        Self { pairs }
    }

    /// The first value of `name`, trimmed; `""` when absent.
    pub fn get(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.trim())
    }

    /// This query with `name` set to `value` (or removed when empty); page tokens belong to
    /// the filters they were issued for, so any change other than the page drops the token.
    pub fn with(&self, name: &str, value: &str) -> Self {
        let mut pairs: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter(|(n, _)| n != name && (name == "lang" || name == "page" || n != "page"))
            .cloned()
            .collect();
        if !value.is_empty() {
            pairs.push((name.to_string(), value.to_string()));
        }
        Self { pairs }
    }

    /// `path` with this query.
    pub fn href(&self, path: &str) -> String {
        if self.pairs.is_empty() {
            return path.to_string();
        }
        let query: Vec<String> = self
            .pairs
            .iter()
            .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
            .collect();
        format!("{path}?{}", query.join("&"))
    }
}

fn decode(raw: &str) -> String {
    crate::routes::percent_decode(&raw.replace('+', " "))
}

/// Percent-encodes all but the unreserved characters of RFC 3986.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_reads_leniently_and_writes_back_with_one_value_changed() {
        let q = Query::parse(Some(
            "name=%D1%81%D0%B2%D0%B0%D1%80&level=4&page=abc&bad=%zz&name=x",
        ));
        assert_eq!(q.get("name"), "свар");
        assert_eq!(q.get("bad"), "%zz");
        assert_eq!(q.get("absent"), "");
        assert_eq!(
            q.with("lang", "kk").href("/registers/professions"),
            "/registers/professions?name=%D1%81%D0%B2%D0%B0%D1%80&level=4&page=abc&bad=%25zz&name=x&lang=kk"
        );
        // Another filter drops the page token; another page keeps the filters.
        assert_eq!(
            q.with("level", "3").href("/p"),
            "/p?name=%D1%81%D0%B2%D0%B0%D1%80&bad=%25zz&name=x&level=3"
        );
        assert_eq!(
            q.with("page", "").href("/p"),
            "/p?name=%D1%81%D0%B2%D0%B0%D1%80&level=4&bad=%25zz&name=x"
        );
        assert_eq!(Query::parse(None).href("/p"), "/p");
        assert_eq!(Query::parse(Some("q=a+b")).get("q"), "a b");
    }
}
