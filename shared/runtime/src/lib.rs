//! The shape every NSK service process shares.
//!
//! [`Host::bind`] takes the gRPC port (port 0 picks a free one, and [`Host::addr`] tells which),
//! [`Host::spawn`] starts background tasks (outbox relay, consumers, schedulers) that stop on
//! the same [`CancellationToken`], and [`Host::serve`] serves the service's routes together with
//! the gRPC health protocol and server reflection until shutdown, then waits for the tasks.
//! [`calendar`] keeps the working-day calendar current in every service.

pub mod audit;
pub mod calendar;

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;
pub use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

pub struct Host {
    listener: TcpListener,
    addr: SocketAddr,
    shutdown: CancellationToken,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

impl Host {
    pub async fn bind(addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("cannot listen on {addr}: {e}; is another process using it?"),
            )
        })?;
        let addr = listener.local_addr()?;
        Ok(Self {
            listener,
            addr,
            shutdown: CancellationToken::new(),
            tasks: Vec::new(),
        })
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Cancelling it stops the server and every background task.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Runs a background task until shutdown; `make` receives the shutdown token.
    pub fn spawn<F, Fut>(&mut self, name: &'static str, make: F)
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handle = tokio::spawn(make(self.shutdown.clone()));
        self.tasks.push((name, handle));
    }

    /// Serves `routes` plus health (reporting `service_names` as serving) and reflection until
    /// shutdown, then waits for the background tasks.
    pub async fn serve(
        self,
        routes: Routes,
        service_names: &[&str],
    ) -> Result<(), tonic::transport::Error> {
        let (reporter, health) = tonic_health::server::health_reporter();
        for name in service_names {
            reporter
                .set_service_status(*name, tonic_health::ServingStatus::Serving)
                .await;
        }
        // The descriptor set is generated at build time; if it were broken, the proto crate's
        // own test fails, so a reflection-less server here only logs.
        let reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(nsk_proto::FILE_DESCRIPTOR_SET)
            .build_v1();
        let mut builder = tonic::transport::Server::builder()
            .trace_fn(|request| {
                let span = tracing::info_span!("grpc", path = %request.uri().path());
                nsk_telemetry::set_parent_from_headers(&span, request.headers());
                span
            })
            .layer(nsk_metrics::GrpcMetricsLayer);
        let mut router = builder.add_routes(routes).add_service(health);
        match reflection {
            Ok(reflection) => router = router.add_service(reflection),
            Err(err) => tracing::warn!(error = %err, "gRPC reflection unavailable"),
        }
        tracing::info!(addr = %self.addr, "serving gRPC");
        let shutdown = self.shutdown.clone();
        // Replies are written in several pieces (headers, data, trailers); with Nagle's algorithm
        // on, a reply larger than one segment waits for the client's delayed ACK — 40 ms on
        // Linux. Tonic sets TCP_NODELAY only on listeners it binds itself, so it is set here.
        let incoming =
            tokio_stream::StreamExt::map(TcpListenerStream::new(self.listener), |conn| {
                if let Ok(stream) = &conn {
                    if let Err(err) = stream.set_nodelay(true) {
                        tracing::warn!(error = %err, "cannot set TCP_NODELAY on a connection");
                    }
                }
                conn
            });
        let result = router
            .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
            .await;
        self.shutdown.cancel();
        for (name, task) in self.tasks {
            if let Err(err) = task.await {
                tracing::error!(task = name, error = %err, "background task panicked");
            }
        }
        result
    }
}

/// Resolves on Ctrl-C or SIGTERM, whichever comes first.
pub async fn termination_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("termination signal received; shutting down");
}

/// A domain service, bound and ready: its gRPC routes on a [`Host`] with its background tasks.
pub struct ServiceApp {
    host: Host,
    routes: Routes,
    /// Fully qualified gRPC service names reported as serving by the health protocol.
    health_names: Vec<&'static str>,
}

impl ServiceApp {
    pub fn new(host: Host, routes: Routes, health_names: &[&'static str]) -> Self {
        Self {
            host,
            routes,
            health_names: health_names.to_vec(),
        }
    }

    /// The gRPC address actually bound.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.host.addr()
    }

    pub fn shutdown_token(&self) -> CancellationToken {
        self.host.shutdown_token()
    }

    /// Serves until the shutdown token is cancelled, then waits for the background tasks.
    pub async fn run(self) -> anyhow::Result<()> {
        self.host.serve(self.routes, &self.health_names).await?;
        Ok(())
    }
}

/// The whole `main` of a domain service: load and validate the configuration (exit 2 with one
/// line per bad variable), install telemetry, `build` the service, and run it until Ctrl-C or
/// SIGTERM.
pub fn main<F, Fut>(service: &'static str, build: F) -> std::process::ExitCode
where
    F: FnOnce(nsk_config::ServiceConfig) -> Fut,
    Fut: Future<Output = anyhow::Result<ServiceApp>>,
{
    use std::process::ExitCode;
    let config = match nsk_config::ServiceConfig::load(service, &nsk_config::Env::from_process()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("nsk-{service}: {err}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("nsk-{service}: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let _telemetry = match nsk_telemetry::init(service, config.log_format) {
            Ok(guard) => guard,
            Err(err) => {
                eprintln!("nsk-{service}: {err}");
                return ExitCode::from(2);
            }
        };
        let app = match build(config).await {
            Ok(app) => app,
            Err(err) => {
                tracing::error!(error = %format!("{err:#}"), "cannot start");
                eprintln!("nsk-{service}: cannot start: {err:#}");
                return ExitCode::FAILURE;
            }
        };
        let shutdown = app.shutdown_token();
        tokio::spawn(async move {
            termination_signal().await;
            shutdown.cancel();
        });
        match app.run().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("nsk-{service}: {err:#}");
                ExitCode::FAILURE
            }
        }
    })
}

/// How often an instance looks for calendar years another instance stored.
const CALENDAR_REFRESH: std::time::Duration = std::time::Duration::from_secs(5);

/// What every domain service stands on, ready before it builds its own API.
pub struct Foundation {
    pub pool: sqlx::PgPool,
    /// The working-day calendar: the shipped years with those loaded at run time, kept current.
    pub calendar: nsk_calendar::SharedCalendar,
    /// The service's outbox, publishing to `<prefix>nsk.<service>.v1`.
    pub outbox: nsk_events::Outbox,
    pub verifier: nsk_identity::TokenVerifier,
    /// Bound, with the outbox relay already running as a background task.
    pub host: Host,
}

/// Connects the database (created if missing; the events migrations, then `migrator`), loads
/// the token verifier, binds the gRPC port, and starts the outbox relay and a task that creates
/// the service's topic (retrying while the broker is unreachable).
pub async fn prepare(
    config: &nsk_config::ServiceConfig,
    migrator: sqlx::migrate::Migrator,
) -> anyhow::Result<Foundation> {
    if config.clock_offset_days != 0 {
        tracing::warn!(
            days = config.clock_offset_days,
            "the service's calendar date is shifted (NSK_CLOCK_OFFSET_DAYS): for rehearsals and tests only"
        );
        nsk_calendar::set_clock_offset_days(config.clock_offset_days);
    }
    // Migrated by the database's administrator, then served by a pool acting as the services'
    // role, which may only append to the audit trail (least privilege).
    let admin = nsk_db::connect(
        &config.database,
        &[
            nsk_events::migrator(),
            calendar::migrator(),
            migrator,
            nsk_db::requests::migrator(),
        ],
    )
    .await?;
    nsk_db::audit::separate_roles(&admin).await?;
    admin.close().await;
    let pool = nsk_db::connect_as_app(&config.database).await?;
    let outbox = nsk_events::Outbox::new(&config.service, &config.kafka);
    let verifier = nsk_identity::TokenVerifier::from_config(&config.auth)?;
    let mut host = Host::bind(config.grpc_addr).await?;
    if let Some(addr) = config.metrics_addr {
        let (_, task) = nsk_metrics::serve(addr, host.shutdown_token()).await?;
        host.tasks.push(("metrics", task));
        let watched = pool.clone();
        host.spawn("pool-gauges", move |shutdown| {
            pool_gauges(watched, shutdown)
        });
    }
    // The broker being down must not stop the service: changes commit with their events in the
    // outbox, and the relay sends them once the broker (and the topic) are there.
    let kafka = config.kafka.clone();
    let topic = outbox.topic().to_string();
    host.spawn("ensure-topic", |shutdown| async move {
        let mut wait = std::time::Duration::from_secs(1);
        loop {
            match nsk_events::kafka::ensure_topics(&kafka, std::slice::from_ref(&topic)).await {
                Ok(()) => return,
                Err(err) => tracing::warn!(
                    error = %err,
                    brokers = %kafka.brokers,
                    "cannot create the service's topic yet; events wait in the outbox; retrying"
                ),
            }
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
            wait = (wait * 2).min(std::time::Duration::from_secs(30));
        }
    });
    let relay = nsk_events::Relay::new(pool.clone(), &config.kafka, config.relay_interval)?;
    host.spawn("outbox-relay", |shutdown| relay.run(shutdown));
    let pruned = pool.clone();
    host.spawn("events-housekeeping", move |shutdown| {
        nsk_events::housekeeping::run(pruned, HOUSEKEEPING_EVERY, shutdown)
    });
    let calendar = calendar::load(&pool).await?;
    let (refresh_pool, refreshed) = (pool.clone(), calendar.clone());
    host.spawn("calendar-refresh", move |shutdown| {
        calendar::refresh(refresh_pool, refreshed, CALENDAR_REFRESH, shutdown)
    });
    Ok(Foundation {
        pool,
        calendar,
        outbox,
        verifier,
        host,
    })
}

/// How often sent events and old event ids are pruned.
const HOUSEKEEPING_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// How often the pool's gauges are read.
const POOL_GAUGES_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Keeps `nsk_db_pool_connections{state}` and `nsk_db_pool_max` current until shutdown.
async fn pool_gauges(pool: sqlx::PgPool, shutdown: CancellationToken) {
    let metrics = nsk_metrics::metrics();
    let state = |name: &str| {
        metrics
            .pool_connections
            .get_or_create(&nsk_metrics::PoolLabels {
                state: name.to_string(),
            })
            .clone()
    };
    let (idle, in_use) = (state("idle"), state("in_use"));
    metrics
        .pool_max
        .set(i64::from(pool.options().get_max_connections()));
    loop {
        let open = i64::from(pool.size());
        let free = i64::try_from(pool.num_idle()).unwrap_or(open);
        idle.set(free);
        in_use.set((open - free).max(0));
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(POOL_GAUGES_EVERY) => {}
        }
    }
}

/// For integration tests: a service configuration of its own (fresh database, unique topic
/// prefix, port 0) against the real PostgreSQL at `DATABASE_URL` and the real broker at
/// `KAFKA_BROKERS` (`make test` starts one).
pub mod testing {
    use std::path::PathBuf;

    /// The workspace root, for the dev keys.
    pub fn workspace_root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// The broker the tests use. Without one, the test cannot prove anything, so it stops
    /// with what to do.
    pub fn kafka_brokers() -> String {
        std::env::var("KAFKA_BROKERS").unwrap_or_else(|_| {
            panic!(
                "KAFKA_BROKERS is not set: run the tests with `make test`, which starts a broker"
            )
        })
    }

    /// A prefix no other test uses, for topic names and consumer groups.
    pub fn unique_prefix(label: &str) -> String {
        let id = uuid_like();
        format!("t{label}{id}.")
    }

    fn uuid_like() -> String {
        use std::time::{SystemTime, UNIX_EPOCH};
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("{:x}{:x}{n}", nanos, std::process::id())
    }

    /// The committed development credential keys, as absolute paths (a test runs anywhere).
    pub fn dev_credential_keys() -> String {
        let root = workspace_root();
        ["dev-credential-2026.key.pem", "dev-credential-2025.key.pem"]
            .map(|k| root.join("deploy/dev-keys").join(k).display().to_string())
            .join(",")
    }

    /// The configuration of `service` for one test: a fresh database, topics under `prefix`.
    pub async fn service_config(service: &str, prefix: &str) -> nsk_config::ServiceConfig {
        let db = nsk_db::testing::fresh_database(service)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let root = workspace_root();
        let env = nsk_config::Env::from_pairs([
            ("NSK_GRPC_ADDR", "127.0.0.1:0".to_string()),
            ("NSK_DATABASE_NAME", db.name.clone()),
            ("KAFKA_BROKERS", kafka_brokers()),
            ("NSK_TOPIC_PREFIX", prefix.to_string()),
            ("NSK_CONSUMER_GROUP", format!("{prefix}{service}")),
            ("NSK_RELAY_INTERVAL_MS", "20".to_string()),
            ("NSK_PROFILE", "development".to_string()),
            (
                "NSK_JWT_PUBLIC_KEY_FILE",
                root.join(nsk_identity::dev::PUBLIC_KEY)
                    .display()
                    .to_string(),
            ),
            (
                "NSK_GATEWAY_PUBLIC_KEY_FILE",
                root.join(nsk_identity::dev::GATEWAY_PUBLIC_KEY)
                    .display()
                    .to_string(),
            ),
            ("NSK_CREDENTIAL_KEY_FILES", dev_credential_keys()),
        ]);
        let env = match std::env::var("DATABASE_URL") {
            Ok(url) => env.with("DATABASE_URL", url),
            Err(_) => env,
        };
        nsk_config::ServiceConfig::load(service, &env).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Builds and starts `service` with a configuration of its own (fresh database, unique
    /// topics, port 0) and connects to it: the service's configuration and a channel to it.
    pub async fn spawn<F, Fut>(
        service: &str,
        label: &str,
        build: F,
    ) -> (nsk_config::ServiceConfig, tonic::transport::Channel)
    where
        F: FnOnce(nsk_config::ServiceConfig) -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<crate::ServiceApp>>,
    {
        let prefix = unique_prefix(label);
        let config = service_config(service, &prefix).await;
        let app = build(config.clone())
            .await
            .unwrap_or_else(|e| panic!("{service} did not start: {e:#}"));
        let addr = app.grpc_addr();
        tokio::spawn(app.run());
        let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
            .unwrap_or_else(|e| panic!("{e}"))
            .connect()
            .await
            .unwrap_or_else(|e| panic!("cannot reach {service} at {addr}: {e}"));
        (config, channel)
    }

    /// `message` as a request carrying `token` as its bearer.
    pub fn bearer<T>(message: T, token: &str) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        let value = format!("Bearer {token}")
            .parse()
            .unwrap_or_else(|e| panic!("a token is ASCII: {e}"));
        request.metadata_mut().insert("authorization", value);
        request
    }

    /// The `n`-th valid IIN (from 0) among people born on 1 January 1990: distinct for every
    /// `n` below several thousand, each with its check digit.
    pub fn iin(n: u32) -> String {
        let check = |eleven: &str| -> Option<u32> {
            let digits: Vec<u32> = eleven.bytes().map(|b| u32::from(b - b'0')).collect();
            let sum = |w: [u32; 11]| digits.iter().zip(w).map(|(d, w)| d * w).sum::<u32>() % 11;
            let first = sum([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
            let check = if first == 10 {
                sum([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])
            } else {
                first
            };
            (check < 10).then_some(check)
        };
        (0..)
            .filter_map(|k: u32| {
                let eleven = format!("9001013{k:04}");
                check(&eleven).map(|c| format!("{eleven}{c}"))
            })
            .nth(n as usize)
            .unwrap_or_else(|| panic!("no IIN number {n}"))
    }

    /// Polls `probe` until it gives a value, at most `within`; a test never sleeps to wait.
    pub async fn eventually<T, F, Fut>(within: std::time::Duration, what: &str, mut probe: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Some(value) = probe().await {
                return value;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{what}: not within {within:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    /// Publishes `event` on `service`'s topic as that service would (an envelope, keyed).
    pub async fn publish<M: prost::Message + prost::Name>(
        config: &nsk_config::ServiceConfig,
        service: &str,
        key: &str,
        event: &M,
    ) {
        publish_all(
            config,
            service,
            &[(key.to_string(), envelope(service, key, event))],
        )
        .await;
    }

    /// The envelope `service` would publish `event` in, under `key`.
    pub fn envelope<M: prost::Message + prost::Name>(
        service: &str,
        key: &str,
        event: &M,
    ) -> nsk_proto::nsk::events::v1::EventEnvelope {
        nsk_proto::nsk::events::v1::EventEnvelope {
            event_id: uuid_v7(),
            event_type: M::full_name(),
            aggregate_id: key.into(),
            producer: service.into(),
            payload: event.encode_to_vec(),
            ..Default::default()
        }
    }

    /// Publishes `envelopes` (each with its key) on `service`'s topic at once, in their order
    /// per key: a burst, as a busy service's relay sends them.
    pub async fn publish_all(
        config: &nsk_config::ServiceConfig,
        service: &str,
        envelopes: &[(String, nsk_proto::nsk::events::v1::EventEnvelope)],
    ) {
        use rdkafka::producer::{FutureProducer, FutureRecord};
        let topic = config.kafka.topic_of(service);
        nsk_events::kafka::ensure_topics(&config.kafka, std::slice::from_ref(&topic))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let producer: FutureProducer = nsk_events::kafka::idempotent_producer_config(&config.kafka)
            .create()
            .unwrap_or_else(|e| panic!("{e}"));
        let sent: Vec<_> = envelopes
            .iter()
            .map(|(key, envelope)| {
                let payload = prost::Message::encode_to_vec(envelope);
                producer
                    .send_result(FutureRecord::to(&topic).key(key).payload(&payload))
                    .map_err(|(e, _)| e)
            })
            .collect();
        for delivery in sent {
            match delivery.unwrap_or_else(|e| panic!("{e}")).await {
                Ok(Ok(_)) => {}
                Ok(Err((e, _))) => panic!("{e}"),
                Err(canceled) => panic!("{canceled}"),
            }
        }
    }

    /// Reads `service`'s topic from its beginning until `count` envelopes have arrived (at most
    /// 30 s), under a consumer group of its own: what the service published, in order.
    pub async fn read_events(
        config: &nsk_config::ServiceConfig,
        service: &str,
        count: usize,
    ) -> Vec<nsk_proto::nsk::events::v1::EventEnvelope> {
        use rdkafka::consumer::{Consumer as _, StreamConsumer};
        use rdkafka::Message as _;
        let topic = config.kafka.topic_of(service);
        let consumer: StreamConsumer = nsk_events::kafka::base_config(&config.kafka)
            .set("group.id", format!("{topic}.reader.{}", uuid_v7()))
            .set("auto.offset.reset", "earliest")
            .set("enable.auto.commit", "false")
            .create()
            .unwrap_or_else(|e| panic!("{e}"));
        consumer
            .subscribe(&[&topic])
            .unwrap_or_else(|e| panic!("{e}"));
        let mut envelopes = Vec::with_capacity(count);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        while envelopes.len() < count {
            let message = tokio::time::timeout_at(deadline, consumer.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "{topic}: only {} of {count} events arrived",
                        envelopes.len()
                    )
                })
                .unwrap_or_else(|e| panic!("{e}"));
            let payload = message.payload().unwrap_or_default();
            envelopes.push(
                <nsk_proto::nsk::events::v1::EventEnvelope as prost::Message>::decode(payload)
                    .unwrap_or_else(|e| panic!("{topic}: not an envelope: {e}")),
            );
        }
        envelopes
    }

    fn uuid_v7() -> String {
        uuid::Uuid::now_v7().to_string()
    }

    /// A signed dev token of an employment office of `region`.
    pub fn office_token(subject: &str, region: &str) -> String {
        mint(
            subject,
            &[nsk_identity::Role::EmploymentOffice],
            None,
            Some(region),
            None,
        )
    }

    /// A signed dev token with `roles` (and a center number for recognition centers).
    pub fn token(subject: &str, roles: &[nsk_identity::Role], center: Option<&str>) -> String {
        mint(subject, roles, center, None, None)
    }

    /// A signed dev token of a sectoral body or an industry council of `sector`.
    pub fn sector_token(subject: &str, role: nsk_identity::Role, sector: &str) -> String {
        mint(subject, &[role], None, None, Some(sector))
    }

    fn mint(
        subject: &str,
        roles: &[nsk_identity::Role],
        center: Option<&str>,
        region: Option<&str>,
        sector: Option<&str>,
    ) -> String {
        let signer = nsk_identity::TokenSigner::from_pem_file(
            &workspace_root().join(nsk_identity::dev::PRIVATE_KEY),
            nsk_identity::dev::ISSUER,
            nsk_identity::dev::AUDIENCE,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        signer
            .mint(&nsk_identity::TokenRequest {
                subject: subject.to_string(),
                roles: roles.to_vec(),
                center: center.map(str::to_string),
                region: region.map(str::to_string),
                sector: sector.map(str::to_string),
                key: None,
                ttl: std::time::Duration::from_secs(3600),
            })
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
