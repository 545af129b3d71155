//! The configuration's tests: every variable's default, rule and refusal.
use super::*;

fn dev_key(name: &str) -> String {
    format!(
        "{}/../../deploy/dev-keys/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn key_file() -> String {
    dev_key("dev-jwt.pub.pem")
}

fn gateway_key() -> String {
    dev_key("dev-gateway.pub.pem")
}

#[test]
fn defaults_give_each_service_its_own_port_and_database() {
    let env = Env::from_pairs([
        ("NSK_JWT_PUBLIC_KEY_FILE", key_file()),
        ("NSK_GATEWAY_PUBLIC_KEY_FILE", gateway_key()),
        ("NSK_PROFILE", "development".into()),
    ]);
    let professions = ServiceConfig::load("professions", &env).unwrap();
    let documents = ServiceConfig::load("documents", &env).unwrap();
    assert_eq!(professions.grpc_addr.port(), 50051);
    assert_eq!(documents.grpc_addr.port(), 50055);
    assert_eq!(professions.database.name, "nsk_professions");
    assert_eq!(
        documents.kafka.topic_of("professions"),
        "nsk.professions.v1"
    );
}

#[test]
fn every_bad_value_is_reported_with_its_variable_and_rule() {
    let env = Env::from_pairs([
        ("NSK_GRPC_ADDR", "localhost"),
        ("DATABASE_URL", "mysql://root:hunter2@db/x"),
        ("KAFKA_BROKERS", "broker-without-port"),
        ("NSK_LOG_FORMAT", "xml"),
        ("NSK_JWT_PUBLIC_KEY_FILE", "/nonexistent/key.pem"),
    ]);
    let err = ServiceConfig::load("professions", &env).unwrap_err();
    let vars: Vec<&str> = err.problems.iter().map(|p| p.variable.as_str()).collect();
    assert_eq!(
        vars,
        [
            "NSK_GRPC_ADDR",
            "DATABASE_URL",
            "KAFKA_BROKERS",
            "NSK_JWT_PUBLIC_KEY_FILE",
            "NSK_GATEWAY_PUBLIC_KEY_FILE",
            "NSK_LOG_FORMAT"
        ]
    );
    let text = err.to_string();
    assert!(text.contains("must be a postgres:// URL"), "{text}");
    assert!(!text.contains("hunter2"), "the password leaked: {text}");
}

#[test]
fn topic_prefix_isolates_parallel_runs() {
    let env = Env::from_pairs([
        ("NSK_TOPIC_PREFIX", "t42."),
        ("NSK_JWT_PUBLIC_KEY_FILE", &key_file()),
        ("NSK_GATEWAY_PUBLIC_KEY_FILE", &gateway_key()),
        ("NSK_PROFILE", "development"),
    ]);
    let cfg = ServiceConfig::load("documents", &env).unwrap();
    assert_eq!(cfg.kafka.topic_of("professions"), "t42.nsk.professions.v1");
    assert_eq!(
        cfg.kafka.dead_letter_topic_of("documents"),
        "t42.nsk.documents.v1.dlq"
    );
}

#[test]
fn production_refuses_the_development_key_and_needs_one_of_its_own() {
    let missing = ServiceConfig::load(
        "professions",
        &Env::from_pairs([("NSK_LOG_FORMAT", "json")]),
    )
    .unwrap_err();
    assert_eq!(missing.problems[0].variable, "NSK_JWT_PUBLIC_KEY_FILE");
    assert!(
        missing.to_string().contains("required in production"),
        "{missing}"
    );
    let dev = ServiceConfig::load(
        "professions",
        &Env::from_pairs([("NSK_JWT_PUBLIC_KEY_FILE", key_file())]),
    )
    .unwrap_err();
    assert!(dev.to_string().contains("development key"), "{dev}");
    // The gateway's development keys too: a production gateway needs a key of its own.
    let gateway = GatewayConfig::load(&Env::from_pairs([
        ("NSK_GATEWAY_PUBLIC_KEY_FILE", gateway_key()),
        (
            "NSK_GATEWAY_SIGNING_KEY_FILE",
            dev_key("dev-gateway.key.pem"),
        ),
    ]))
    .unwrap_err();
    let refused: Vec<&str> = gateway
        .problems
        .iter()
        .filter(|p| p.rule.contains("development key"))
        .map(|p| p.variable.as_str())
        .collect();
    assert_eq!(
        refused,
        [
            "NSK_GATEWAY_PUBLIC_KEY_FILE",
            "NSK_GATEWAY_SIGNING_KEY_FILE"
        ]
    );
    // The same keys in development are fine, and the default there.
    assert!(ServiceConfig::load(
        "professions",
        &Env::from_pairs([
            ("NSK_JWT_PUBLIC_KEY_FILE", key_file().as_str()),
            ("NSK_GATEWAY_PUBLIC_KEY_FILE", gateway_key().as_str()),
            ("NSK_PROFILE", "development"),
        ]),
    )
    .is_ok());
    let typo = ServiceConfig::load("professions", &Env::from_pairs([("NSK_PROFILE", "prod")]))
        .unwrap_err();
    assert_eq!(typo.problems[0].variable, "NSK_PROFILE");
}

#[test]
fn with_the_providers_jwks_no_key_file_is_needed_and_production_wants_https() {
    let gateway_pub = gateway_key();
    let jwks = |url: &str| {
        ServiceConfig::load(
            "professions",
            &Env::from_pairs([
                ("NSK_JWT_JWKS_URL", url),
                ("NSK_GATEWAY_PUBLIC_KEY_FILE", gateway_pub.as_str()),
            ]),
        )
    };
    // Production without a PEM file: the JWKS is enough. (The development gateway key given
    // here is refused in production too; that is another test's matter.)
    let https = jwks("https://idp.example.kz/realms/nsk/protocol/openid-connect/certs");
    let problems: Vec<String> = match &https {
        Ok(_) => vec![],
        Err(e) => e.problems.iter().map(|p| p.variable.clone()).collect(),
    };
    assert!(
        !problems.contains(&"NSK_JWT_PUBLIC_KEY_FILE".to_string()),
        "{problems:?}"
    );
    assert!(
        !problems.contains(&"NSK_JWT_JWKS_URL".to_string()),
        "{problems:?}"
    );
    let plain = jwks("http://idp.example.kz/certs").unwrap_err();
    assert!(
        plain
            .problems
            .iter()
            .any(|p| p.variable == "NSK_JWT_JWKS_URL" && p.rule.contains("https")),
        "{plain}"
    );
    let nonsense = jwks("idp.example.kz").unwrap_err();
    assert!(nonsense
        .problems
        .iter()
        .any(|p| p.variable == "NSK_JWT_JWKS_URL"));
}

#[test]
fn redaction_hides_only_the_password() {
    assert_eq!(
        redact_url("postgres://u:secret@h:5432/d"),
        "postgres://u:***@h:5432/d"
    );
    assert_eq!(redact_url("postgres://u@h/d"), "postgres://u@h/d");
}

#[test]
fn gateway_reads_upstreams_for_every_service() {
    let env = Env::from_pairs([
        ("NSK_PROFESSIONS_URL", "http://10.0.0.5:7000"),
        ("NSK_JWT_PUBLIC_KEY_FILE", &key_file()),
        ("NSK_GATEWAY_PUBLIC_KEY_FILE", &gateway_key()),
        (
            "NSK_GATEWAY_SIGNING_KEY_FILE",
            &dev_key("dev-gateway.key.pem"),
        ),
        ("NSK_PROFILE", "development"),
    ]);
    let cfg = GatewayConfig::load(&env).unwrap();
    assert_eq!(cfg.upstreams.len(), 6);
    assert_eq!(
        cfg.upstreams[0],
        ("professions".into(), "http://10.0.0.5:7000".into())
    );
    let bad = GatewayConfig::load(&env.with("NSK_DOCUMENTS_URL", "10.0.0.6:7000")).unwrap_err();
    assert_eq!(bad.problems[0].variable, "NSK_DOCUMENTS_URL");
    assert_eq!(cfg.tls, None);
}

#[test]
fn the_gateways_tls_takes_its_certificate_and_key_together_and_a_client_ca_only_with_them() {
    let env = || {
        Env::from_pairs([
            ("NSK_JWT_PUBLIC_KEY_FILE", key_file()),
            ("NSK_GATEWAY_PUBLIC_KEY_FILE", gateway_key()),
            (
                "NSK_GATEWAY_SIGNING_KEY_FILE",
                dev_key("dev-gateway.key.pem"),
            ),
            ("NSK_PROFILE", "development".to_string()),
        ])
    };
    let (cert, key) = (
        dev_key("dev-gateway.pub.pem"),
        dev_key("dev-gateway.key.pem"),
    );
    let tls = GatewayConfig::load(
        &env()
            .with("NSK_TLS_CERT_FILE", &cert)
            .with("NSK_TLS_KEY_FILE", &key)
            .with("NSK_TLS_CLIENT_CA_FILE", &cert),
    )
    .unwrap()
    .tls
    .unwrap();
    assert_eq!(tls.client_ca_file, Some(PathBuf::from(&cert)));
    let half = GatewayConfig::load(&env().with("NSK_TLS_CERT_FILE", &cert)).unwrap_err();
    assert!(half.problems[0].rule.contains("both or neither"), "{half}");
    let ca_only = GatewayConfig::load(&env().with("NSK_TLS_CLIENT_CA_FILE", &cert)).unwrap_err();
    assert!(
        ca_only.problems[0].rule.contains("mutual TLS needs"),
        "{ca_only}"
    );
    let missing = GatewayConfig::load(
        &env()
            .with("NSK_TLS_CERT_FILE", "/nonexistent/cert.pem")
            .with("NSK_TLS_KEY_FILE", &key),
    )
    .unwrap_err();
    assert_eq!(missing.problems[0].variable, "NSK_TLS_CERT_FILE");
}
