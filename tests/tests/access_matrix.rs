//! The role × route matrix of `proto/nsk/access.json`, called: every REST route of the
//! contract with every role (and without a token), each token carrying the scope its role has
//! (a center number, a region, a sector). A role the table does not name gets 401 or 403; a
//! role it names is let through (what it then gets depends on the request, never 401/403 for
//! the role); and no call, allowed or not, answers 5xx.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use nsk_e2e::Platform;
use nsk_gateway::access::{Access, Allowed, MATRIX};
use nsk_gateway::routes::{self, BodyMapping, Segment};
use nsk_identity::Role;
use prost_reflect::DescriptorPool;

/// A value for a path variable that passes its format, so that the call reaches the check.
fn sample(variable: &str) -> &'static str {
    match variable {
        v if v.contains("serial") => "25110-72120001-4-010126-0042-00000001",
        "center_number" => "0042",
        "service" => "documents",
        "year" => "2026",
        "number" => "V-2026-00000001",
        _ => "01a20000-0000-7000-8000-000000000000",
    }
}

fn token(role: Role) -> String {
    let root = nsk_runtime::testing::workspace_root();
    let signer = nsk_identity::TokenSigner::from_pem_file(
        &root.join(nsk_identity::dev::PRIVATE_KEY),
        nsk_identity::dev::ISSUER,
        nsk_identity::dev::AUDIENCE,
    )
    .unwrap();
    signer
        .mint(&nsk_identity::TokenRequest {
            // A candidate's token names the person, as the procedure requires.
            subject: match role {
                Role::Candidate => "iin:900101300037".into(),
                _ => format!("matrix-{}", role.as_str()),
            },
            roles: vec![role],
            center: (role == Role::RecognitionCenter).then(|| "0042".into()),
            region: (role == Role::EmploymentOffice).then(|| "almaty".into()),
            sector: matches!(role, Role::SectoralBody | Role::IndustryCouncil)
                .then(|| "Manufacturing".into()),
            key: None,
            ttl: std::time::Duration::from_secs(600),
        })
        .unwrap()
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_access_table_says() {
    let platform = Platform::start("matrix").await;
    let pool = DescriptorPool::decode(nsk_proto::FILE_DESCRIPTOR_SET).unwrap();
    let routes = routes::load(&pool).unwrap();
    let access = Access::load(MATRIX, &pool).unwrap();
    let callers: Vec<Option<Role>> = std::iter::once(None)
        .chain(Role::ALL.into_iter().map(Some))
        .collect();
    let tokens: Vec<(Option<Role>, Option<String>)> =
        callers.iter().map(|r| (*r, r.map(token))).collect();
    let mut wrong = Vec::new();
    let mut calls = 0;
    for route in &routes {
        let mut path = String::new();
        for segment in &route.path.segments {
            path.push('/');
            match segment {
                Segment::Literal(s) => path.push_str(s),
                Segment::Variable(v) => path.push_str(sample(v)),
            }
        }
        if let Some(verb) = &route.path.verb {
            path.push(':');
            path.push_str(verb);
        }
        let allowed = access.allowed(&route.grpc_path).unwrap();
        for (role, token) in &tokens {
            let method =
                reqwest::Method::from_bytes(route.http_method.as_str().as_bytes()).unwrap();
            let mut request = platform.http.request(method, platform.url(&path));
            if route.body != BodyMapping::None {
                request = request
                    .header("content-type", "application/json")
                    .body("{}");
            }
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let reply = request.send().await.unwrap();
            let status = reply.status().as_u16();
            calls += 1;
            let may = match allowed {
                Allowed::Public => true,
                Allowed::Internal => false,
                Allowed::Roles(roles) => role.is_some_and(|r| roles.contains(&r)),
            };
            let who = role.map_or("no token", Role::as_str);
            let verdict = if status >= 500 {
                Some("a server error")
            } else if may && (status == 401 || status == 403) {
                Some("refused a role the table allows")
            } else if !(may || status == 401 || status == 403) {
                Some("let in a role the table does not allow")
            } else if !may && role.is_none() && status != 401 {
                Some("answered no token with other than 401")
            } else {
                None
            };
            if let Some(verdict) = verdict {
                let body = reply.text().await.unwrap_or_default();
                wrong.push(format!(
                    "{} {path} as {who}: {status} — {verdict}: {}",
                    route.http_method,
                    body.chars().take(200).collect::<String>()
                ));
            }
        }
    }
    assert!(calls > 400, "only {calls} calls");
    assert!(
        wrong.is_empty(),
        "{} of {calls} calls:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
