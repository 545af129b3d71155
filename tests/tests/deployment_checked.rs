//! The Kubernetes deployment as it would be applied: every overlay of `k8s/` rendered by
//! `kubectl kustomize`, every built-in object validated against the Kubernetes schemas
//! (kubernetes-validate, strict), and what the platform relies on checked object by object:
//! probes, resources, non-root read-only containers, a disruption budget for each Deployment,
//! network policies that let only the gateway reach the services and only the services reach
//! the database and the brokers, a KafkaTopic for every topic the services use, a database for
//! every service, no secret written out. The compose file is validated against the compose
//! schema. `make deps` installs the validators into `.run/venv`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The Kubernetes version the objects are validated against.
const KUBERNETES: &str = "1.32.0";

/// The API groups of the operators' resources (Strimzi, CloudNativePG, Prometheus Operator).
const CUSTOM: [&str; 3] = [
    "kafka.strimzi.io/",
    "postgresql.cnpg.io/",
    "monitoring.coreos.com/",
];

/// The services that consume events, each with its dead-letter topic.
const CONSUMERS: [&str; 5] = [
    "professions",
    "accreditation",
    "vouchers",
    "documents",
    "recognition",
];

fn root() -> PathBuf {
    nsk_runtime::testing::workspace_root()
}

fn venv(tool: &str) -> PathBuf {
    let path = root().join(".run/venv/bin").join(tool);
    assert!(
        path.exists(),
        "{} is missing: run make deps",
        path.display()
    );
    path
}

fn run(command: &mut Command, what: &str) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The overlay rendered: the YAML as kubectl wrote it, and its objects as JSON.
fn render(overlay: &str) -> (PathBuf, Vec<Value>) {
    let dir = root().join("k8s/overlays").join(overlay);
    let yaml = run(
        Command::new("kubectl").arg("kustomize").arg(&dir),
        &format!(
            "kubectl kustomize {} (kubectl 1.27 or later)",
            dir.display()
        ),
    );
    let file = std::env::temp_dir().join(format!("nsk-k8s-{overlay}-{}.yaml", std::process::id()));
    std::fs::write(&file, &yaml).unwrap();
    let json = run(
        Command::new(venv("python"))
            .arg("-c")
            .arg(
                "import json, sys, yaml\n\
             print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d]))",
            )
            .arg(&file),
        "reading the rendered YAML",
    );
    (file, serde_json::from_str(&json).unwrap())
}

fn kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

fn name(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

/// Whether `selector` (matchLabels only, as this deployment writes them) selects `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    selector["matchLabels"]
        .as_object()
        .is_some_and(|wanted| wanted.iter().all(|(k, v)| labels[k] == *v))
}

fn validate_schemas(file: &Path, objects: &[Value]) {
    let report = run(
        Command::new(venv("kubernetes-validate"))
            .args(["--strict", "--quiet", "-k", KUBERNETES])
            .arg(file),
        "kubernetes-validate",
    );
    // The operators' custom resources have no schema there; they are checked below, field
    // by field. Anything else it says is a failure.
    for line in report.lines() {
        assert!(
            line.contains("Couldn't find schema for kind")
                && CUSTOM.iter().any(|group| line.contains(group)),
            "kubernetes-validate: {line}"
        );
    }
    let builtin = objects
        .iter()
        .filter(|o| {
            let api = o["apiVersion"].as_str().unwrap_or_default();
            !CUSTOM.iter().any(|group| api.starts_with(group))
        })
        .count();
    assert!(builtin >= 20, "only {builtin} built-in objects rendered");
}

fn check_deployments(objects: &[Value], replicas: i64) {
    let deployments = kind(objects, "Deployment");
    let names: Vec<&str> = deployments.iter().map(|d| name(d)).collect();
    let mut expected: Vec<&str> = nsk_config::SERVICES.to_vec();
    expected.push("gateway");
    for service in &expected {
        assert!(
            names.contains(service),
            "no Deployment {service}: {names:?}"
        );
    }
    let budgets = kind(objects, "PodDisruptionBudget");
    for d in &deployments {
        let n = name(d);
        assert_eq!(d["spec"]["replicas"], replicas, "{n}: replicas");
        let pod = &d["spec"]["template"]["spec"];
        let labels = &d["spec"]["template"]["metadata"]["labels"];
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true, "{n}");
        assert_eq!(pod["automountServiceAccountToken"], false, "{n}");
        for c in pod["containers"].as_array().unwrap() {
            let sc = &c["securityContext"];
            assert_eq!(sc["readOnlyRootFilesystem"], true, "{n}");
            assert_eq!(sc["allowPrivilegeEscalation"], false, "{n}");
            assert_eq!(
                sc["capabilities"]["drop"],
                serde_json::json!(["ALL"]),
                "{n}"
            );
            assert!(c["readinessProbe"].is_object(), "{n}: no readiness probe");
            assert!(c["livenessProbe"].is_object(), "{n}: no liveness probe");
            assert!(c["resources"]["requests"]["cpu"].is_string(), "{n}");
            assert!(c["resources"]["requests"]["memory"].is_string(), "{n}");
            assert!(c["resources"]["limits"]["memory"].is_string(), "{n}");
            // Secrets are referenced, never written here.
            for env in c["env"].as_array().into_iter().flatten() {
                let var = env["name"].as_str().unwrap();
                if var == "DATABASE_URL" {
                    assert!(env["valueFrom"]["secretKeyRef"].is_object(), "{n}: {var}");
                }
                let value = env["value"].as_str().unwrap_or_default();
                assert!(
                    !value.contains("PRIVATE KEY") && !value.contains('@'),
                    "{n}: {var} holds what belongs in a Secret"
                );
            }
        }
        let covering: Vec<&str> = budgets
            .iter()
            .filter(|b| selects(&b["spec"]["selector"], labels))
            .map(|b| name(b))
            .collect();
        assert_eq!(covering.len(), 1, "{n}: disruption budgets {covering:?}");
    }
    assert!(
        kind(objects, "Secret").is_empty(),
        "a Secret is written in k8s/"
    );
}

/// The ports a rule opens, as (first, last).
fn ports(rule: &Value) -> Vec<(i64, i64)> {
    rule["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let first = p["port"].as_i64().unwrap_or(0);
            (first, p["endPort"].as_i64().unwrap_or(first))
        })
        .collect()
}

fn opens(rule: &Value, port: i64) -> bool {
    ports(rule).iter().any(|(a, b)| (*a..=*b).contains(&port))
}

fn check_network(objects: &[Value]) {
    let policies = kind(objects, "NetworkPolicy");
    let service_labels = serde_json::json!({
        "app.kubernetes.io/name": "documents",
        "app.kubernetes.io/component": "service",
        "app.kubernetes.io/part-of": "nsk",
    });
    let gateway_labels = serde_json::json!({
        "app.kubernetes.io/name": "gateway",
        "app.kubernetes.io/component": "gateway",
        "app.kubernetes.io/part-of": "nsk",
    });
    let database_labels = serde_json::json!({"cnpg.io/cluster": "nsk-db"});
    let of = |labels: &Value, direction: &str| -> Vec<Value> {
        policies
            .iter()
            .filter(|p| selects(&p["spec"]["podSelector"], labels))
            .filter(|p| {
                p["spec"]["policyTypes"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t == direction))
            })
            .flat_map(|p| {
                p["spec"][direction.to_lowercase()]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .collect()
    };
    // Ingress of a service's gRPC port: the gateway's pods, and nothing else.
    let into_services = of(&service_labels, "Ingress");
    assert!(
        !into_services.is_empty(),
        "no ingress policy for the services"
    );
    let grpc: Vec<&Value> = into_services.iter().filter(|r| opens(r, 50055)).collect();
    assert!(!grpc.is_empty(), "the gateway cannot reach the services");
    for rule in grpc {
        for peer in rule["from"].as_array().unwrap() {
            assert!(
                selects(&peer["podSelector"], &gateway_labels)
                    && peer["namespaceSelector"].is_null(),
                "a service's gRPC port is open to {peer}"
            );
        }
    }
    // Metrics: from the monitoring namespace only, for the services and the gateway alike.
    for labels in [&service_labels, &gateway_labels] {
        let scrape: Vec<Value> = of(labels, "Ingress")
            .into_iter()
            .filter(|r| opens(r, 9464))
            .collect();
        assert!(!scrape.is_empty(), "metrics cannot be scraped");
        for rule in scrape {
            for peer in rule["from"].as_array().unwrap() {
                assert_eq!(
                    peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
                    "monitoring",
                    "metrics are open to {peer}"
                );
            }
        }
    }
    // Egress: the services reach the database and the brokers; the gateway neither.
    let from_services = of(&service_labels, "Egress");
    assert!(from_services.iter().any(|r| opens(r, 5432)));
    assert!(from_services.iter().any(|r| opens(r, 9092)));
    let from_gateway = of(&gateway_labels, "Egress");
    assert!(!from_gateway.is_empty(), "no egress policy for the gateway");
    assert!(from_gateway.iter().any(|r| opens(r, 50051)));
    assert!(
        !from_gateway
            .iter()
            .any(|r| opens(r, 5432) || opens(r, 9092)),
        "the gateway may reach the database or the brokers"
    );
    // The database: only the services (and its own instances) on 5432.
    for rule in of(&database_labels, "Ingress")
        .iter()
        .filter(|r| opens(r, 5432))
    {
        for peer in rule["from"].as_array().unwrap() {
            assert!(
                selects(&peer["podSelector"], &service_labels)
                    || selects(&peer["podSelector"], &database_labels),
                "the database is open to {peer}"
            );
            assert!(!selects(&peer["podSelector"], &gateway_labels));
        }
    }
}

fn check_data(objects: &[Value], replicas: i64) {
    // Kafka through Strimzi: the cluster the services' KAFKA_BROKERS names.
    let kafka = kind(objects, "Kafka");
    assert_eq!(kafka.len(), 1);
    let cluster = name(kafka[0]);
    let config = kind(objects, "ConfigMap")
        .into_iter()
        .find(|c| name(c).starts_with("nsk-config"))
        .expect("the ConfigMap nsk-config");
    assert_eq!(
        config["data"]["KAFKA_BROKERS"],
        format!("{cluster}-kafka-bootstrap:9092"),
        "KAFKA_BROKERS names another cluster"
    );
    let pools = kind(objects, "KafkaNodePool");
    assert!(pools
        .iter()
        .all(|p| p["metadata"]["labels"]["strimzi.io/cluster"] == cluster
            && p["spec"]["replicas"] == replicas));
    // A KafkaTopic for every topic the services use, with partitions, replicas and retention.
    let kafka_config = nsk_config::KafkaConfig {
        brokers: String::new(),
        topic_prefix: String::new(),
        partitions: 3,
        replication: 1,
        fetch_wait_ms: nsk_config::DEFAULT_FETCH_WAIT_MS,
        session_timeout_ms: nsk_config::DEFAULT_SESSION_TIMEOUT_MS,
    };
    let mut topics: Vec<String> = nsk_config::SERVICES
        .iter()
        .map(|s| kafka_config.topic_of(s))
        .collect();
    topics.extend(
        CONSUMERS
            .iter()
            .map(|s| kafka_config.dead_letter_topic_of(s)),
    );
    let declared = kind(objects, "KafkaTopic");
    for topic in &topics {
        let t = declared
            .iter()
            .find(|t| t["spec"]["topicName"] == topic.as_str())
            .unwrap_or_else(|| panic!("no KafkaTopic for {topic}"));
        assert_eq!(t["metadata"]["labels"]["strimzi.io/cluster"], cluster);
        assert!(t["spec"]["partitions"].as_i64().unwrap() >= 1, "{topic}");
        assert_eq!(t["spec"]["replicas"], replicas, "{topic}");
        assert!(
            t["spec"]["config"]["retention.ms"].is_i64(),
            "{topic}: no retention"
        );
        assert!(
            t["spec"]["config"]["min.insync.replicas"].as_i64().unwrap() <= replicas,
            "{topic}: more in-sync replicas demanded than there are"
        );
    }
    assert_eq!(declared.len(), topics.len(), "topics nobody uses");
    // PostgreSQL through CloudNativePG: a database for every service, owned, in the cluster.
    let clusters = kind(objects, "Cluster");
    assert_eq!(clusters.len(), 1);
    assert_eq!(clusters[0]["spec"]["instances"], replicas);
    let databases = kind(objects, "Database");
    for service in nsk_config::SERVICES {
        let wanted = format!("nsk_{service}");
        assert!(
            databases
                .iter()
                .any(|d| d["spec"]["name"] == wanted.as_str()
                    && d["spec"]["cluster"]["name"] == name(clusters[0])
                    && d["spec"]["owner"].is_string()),
            "no database {wanted}"
        );
    }
    // The owner's password is a Secret referenced, not written.
    assert!(clusters[0]["spec"]["bootstrap"]["initdb"]["secret"]["name"].is_string());
}

#[test]
fn every_overlay_renders_validates_and_keeps_the_platforms_rules() {
    for (overlay, replicas) in [("dev", 1), ("prod", 3)] {
        let (file, objects) = render(overlay);
        validate_schemas(&file, &objects);
        check_deployments(&objects, replicas);
        check_network(&objects);
        check_data(&objects, replicas);
        let _ = std::fs::remove_file(file);
    }
}

#[test]
fn the_compose_file_validates_against_the_compose_schema() {
    run(
        Command::new(venv("check-jsonschema"))
            .args(["--builtin-schema", "vendor.compose-spec"])
            .arg(root().join("deploy/compose.yaml")),
        "check-jsonschema (compose-spec)",
    );
}
