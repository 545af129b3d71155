//! The REST routes, read from the `google.api.http` annotations of the contract.
//!
//! Each annotated method becomes a [`Route`]: an HTTP verb and a path template such as
//! `/v1/professions/{id}:exclude`, the upstream service, and what the body maps to.

use prost_reflect::{DescriptorPool, MessageDescriptor, MethodDescriptor, Value};

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    /// A variable bound to a top-level field of the request message.
    Variable(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate {
    pub template: String,
    pub segments: Vec<Segment>,
    /// A custom verb such as `exclude` in `/v1/professions/{id}:exclude`.
    pub verb: Option<String>,
}

impl PathTemplate {
    pub fn parse(template: &str) -> Result<Self, String> {
        let path = template
            .strip_prefix('/')
            .ok_or_else(|| format!("{template} does not start with /"))?;
        // A verb follows the last ':' that is outside braces.
        let (path, verb) = match path.rfind(':') {
            Some(i) if !path[i..].contains('}') => (&path[..i], Some(path[i + 1..].to_string())),
            _ => (path, None),
        };
        let segments = path
            .split('/')
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(var) if !var.is_empty() && !var.contains('=') => {
                        Ok(Segment::Variable(var.to_string()))
                    }
                    Some(_) => Err(format!(
                        "{template}: only simple {{field}} variables are supported"
                    )),
                    None => Ok(Segment::Literal(s.to_string())),
                },
            )
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            template: template.to_string(),
            segments,
            verb,
        })
    }

    /// The variables bound by `path`, or `None` when it does not match.
    pub fn matches(&self, path: &str) -> Option<Vec<(String, String)>> {
        let path = path.strip_prefix('/')?;
        let path = match &self.verb {
            Some(verb) => path.strip_suffix(verb.as_str())?.strip_suffix(':')?,
            None => path,
        };
        let parts: Vec<&str> = path.split('/').collect();
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut bound = Vec::new();
        for (segment, part) in self.segments.iter().zip(parts) {
            match segment {
                Segment::Literal(lit) if lit == part => {}
                Segment::Literal(_) => return None,
                // Without a verb in the template, a ':' in the last segment is another route's verb.
                Segment::Variable(_)
                    if part.is_empty() || (self.verb.is_none() && part.contains(':')) =>
                {
                    return None
                }
                Segment::Variable(name) => bound.push((name.clone(), percent_decode(part))),
            }
        }
        Some(bound)
    }

    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Variable(v) => Some(v.as_str()),
            Segment::Literal(_) => None,
        })
    }
}

/// Decodes %XX escapes, byte by byte (an escape never splits a character: a `%` followed by
/// anything but two hex digits stays as it is); bytes that decode to no UTF-8 text become
/// U+FFFD.
pub fn percent_decode(s: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let (Some(high), Some(low)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            ) {
                out.push(high * 16 + low);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the HTTP body of a route maps to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyMapping {
    /// No body: every field not in the path comes from the query string.
    None,
    /// `body: "*"`: the whole request message (minus path variables).
    Whole,
    /// `body: "field"`: one field; the rest from the path and the query string.
    Field(String),
}

#[derive(Debug, Clone)]
pub struct Route {
    pub http_method: http::Method,
    pub path: PathTemplate,
    pub body: BodyMapping,
    /// The upstream service area, e.g. `professions` for `nsk.professions.v1`.
    pub service: String,
    pub method: MethodDescriptor,
    /// gRPC path, e.g. `/nsk.professions.v1.ProfessionRegistry/RegisterProfession`.
    pub grpc_path: String,
}

impl Route {
    pub fn input(&self) -> MessageDescriptor {
        self.method.input()
    }

    pub fn output(&self) -> MessageDescriptor {
        self.method.output()
    }

    /// Whether the method answers raw bytes (`google.api.HttpBody`) rather than a message to
    /// render as JSON; a server-streaming one sends one body in chunks.
    pub fn returns_http_body(&self) -> bool {
        self.output().full_name() == "google.api.HttpBody"
    }

    /// Mutating routes need a token at the gateway; reads may be public (services decide).
    pub fn is_mutating(&self) -> bool {
        self.http_method != http::Method::GET
    }
}

/// The service area of a package such as `nsk.professions.v1`.
pub fn service_of_package(package: &str) -> Option<&str> {
    let mut parts = package.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("nsk"), Some(area), Some(_version), None) => Some(area),
        _ => None,
    }
}

/// Every annotated method of the contract.
pub fn load(pool: &DescriptorPool) -> Result<Vec<Route>, String> {
    let http_ext = pool
        .get_extension_by_name("google.api.http")
        .ok_or("the descriptor set lacks google.api.http")?;
    let mut routes = Vec::new();
    for service in pool.services() {
        let Some(area) = service_of_package(service.package_name()) else {
            continue;
        };
        for method in service.methods() {
            let options = method.options();
            if !options.has_extension(&http_ext) {
                continue;
            }
            let Value::Message(rule) = options.get_extension(&http_ext).into_owned() else {
                continue;
            };
            let rule: nsk_proto::google::api::HttpRule = rule
                .transcode_to()
                .map_err(|e| format!("{}: bad http rule: {e}", method.full_name()))?;
            use nsk_proto::google::api::http_rule::Pattern;
            let (http_method, template) = match rule.pattern {
                Some(Pattern::Get(p)) => (http::Method::GET, p),
                Some(Pattern::Post(p)) => (http::Method::POST, p),
                Some(Pattern::Put(p)) => (http::Method::PUT, p),
                Some(Pattern::Patch(p)) => (http::Method::PATCH, p),
                Some(Pattern::Delete(p)) => (http::Method::DELETE, p),
                _ => return Err(format!("{}: unsupported http pattern", method.full_name())),
            };
            let path = PathTemplate::parse(&template)?;
            let input = method.input();
            for var in path.variables() {
                if input.get_field_by_name(var).is_none() {
                    return Err(format!(
                        "{}: path variable {var} is not a field of {}",
                        method.full_name(),
                        input.full_name()
                    ));
                }
            }
            let body = match rule.body.as_str() {
                "" => BodyMapping::None,
                "*" => BodyMapping::Whole,
                field if input.get_field_by_name(field).is_some() => {
                    BodyMapping::Field(field.to_string())
                }
                field => {
                    return Err(format!(
                        "{}: body field {field} does not exist",
                        method.full_name()
                    ))
                }
            };
            routes.push(Route {
                http_method,
                path,
                body,
                service: area.to_string(),
                grpc_path: format!("/{}/{}", service.full_name(), method.name()),
                method,
            });
        }
    }
    Ok(routes)
}

/// Finds the route of a request: the matching template with the fewest variables wins, so that
/// `/v1/professions/{id}/history` is not mistaken for something else.
pub fn find<'a>(routes: &'a [Route], method: &http::Method, path: &str) -> Lookup<'a> {
    let mut allowed: Vec<http::Method> = Vec::new();
    let mut best: Option<(&Route, Vec<(String, String)>)> = None;
    for route in routes {
        if let Some(bound) = route.path.matches(path) {
            if !allowed.contains(&route.http_method) {
                allowed.push(route.http_method.clone());
            }
            if route.http_method == *method
                && best.as_ref().is_none_or(|(_, b)| bound.len() < b.len())
            {
                best = Some((route, bound));
            }
        }
    }
    match best {
        Some((route, bound)) => Lookup::Found(route, bound),
        None if !allowed.is_empty() => Lookup::MethodNotAllowed(allowed),
        None => Lookup::NotFound,
    }
}

pub enum Lookup<'a> {
    Found(&'a Route, Vec<(String, String)>),
    /// The path exists, for these methods only.
    MethodNotAllowed(Vec<http::Method>),
    NotFound,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_works_on_bytes_and_never_splits_a_character() {
        assert_eq!(percent_decode("a%20b"), "a b");
        assert_eq!(percent_decode("%D1%81%D0%B2%D0%B0%D1%80"), "свар");
        // A broken escape before a two-byte character stays as it is (this panicked once).
        assert_eq!(percent_decode("%aД"), "%aД");
        assert_eq!(percent_decode("%Д"), "%Д");
        assert_eq!(percent_decode("%"), "%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("100%"), "100%");
        // Bytes that are no UTF-8 become the replacement character, not an error.
        assert_eq!(percent_decode("%FF"), "\u{FFFD}");
    }

    #[test]
    fn templates_bind_variables_and_verbs() {
        let t = PathTemplate::parse("/v1/professions/{id}:exclude").unwrap();
        assert_eq!(t.verb.as_deref(), Some("exclude"));
        assert_eq!(
            t.matches("/v1/professions/abc:exclude"),
            Some(vec![("id".into(), "abc".into())])
        );
        assert_eq!(t.matches("/v1/professions/abc"), None);
        let plain = PathTemplate::parse("/v1/professions/{id}").unwrap();
        assert_eq!(plain.matches("/v1/professions/abc:exclude"), None);
        assert_eq!(
            plain.matches("/v1/professions/a%20b"),
            Some(vec![("id".into(), "a b".into())])
        );
        let two = PathTemplate::parse("/v1/regions/{region}/budgets/{year}").unwrap();
        assert_eq!(
            two.matches("/v1/regions/almaty/budgets/2026"),
            Some(vec![
                ("region".into(), "almaty".into()),
                ("year".into(), "2026".into())
            ])
        );
    }

    #[test]
    fn every_annotated_method_of_the_contract_loads() {
        let pool = DescriptorPool::decode(nsk_proto::FILE_DESCRIPTOR_SET).unwrap();
        let routes = load(&pool).unwrap();
        let register = routes
            .iter()
            .find(|r| r.grpc_path == "/nsk.professions.v1.ProfessionRegistry/RegisterProfession")
            .unwrap();
        assert_eq!(register.http_method, http::Method::POST);
        assert_eq!(register.body, BodyMapping::Field("profession".into()));
        assert_eq!(register.service, "professions");
        assert!(routes.len() >= 40, "only {} routes", routes.len());
        assert!(
            matches!(find(&routes, &http::Method::GET, "/v1/professions/x/history"), Lookup::Found(r, _) if r.method.name() == "ListProfessionHistory")
        );
        match find(&routes, &http::Method::DELETE, "/v1/professions") {
            Lookup::MethodNotAllowed(allowed) => {
                assert!(allowed.contains(&http::Method::GET), "{allowed:?}");
                assert!(allowed.contains(&http::Method::POST), "{allowed:?}");
            }
            _ => panic!("DELETE /v1/professions is not a 405"),
        }
        assert!(matches!(
            find(&routes, &http::Method::GET, "/v1/nothing"),
            Lookup::NotFound
        ));
    }
}
