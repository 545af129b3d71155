//! PostgreSQL for NSK services.
//!
//! - [`connect`] creates the service's own database on the server if it is missing, opens a
//!   pool and applies the migrations; an unreachable server fails fast with one line saying
//!   what was tried and what to set.
//! - migrations come in several sets (the events outbox of `nsk-events`, then the service's
//!   own), each made with [`migrator!`] so that it ignores the versions of the others.
//! - [`held`] keeps connections aside for a service's busiest statement.
//! - [`testing`] gives each test a database of its own.

use std::str::FromStr;
use std::time::Duration;

use nsk_config::{redact_url, DatabaseConfig};
use secrecy::ExposeSecret;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

pub use sqlx;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "cannot reach PostgreSQL at {target} ({cause}); start the server or set DATABASE_URL \
         to one that is reachable, e.g. postgres://postgres@127.0.0.1:5432/postgres"
    )]
    Unreachable { target: String, cause: String },
    #[error("DATABASE_URL {url} is not a valid PostgreSQL URL: {cause}")]
    BadUrl { url: String, cause: String },
    #[error("cannot create database {name}: {cause}")]
    Create { name: String, cause: String },
    #[error("migrations of database {name} failed: {cause}")]
    Migrate { name: String, cause: String },
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A connection back in the pool (or among [`held`] ones) for longer than this is asked
/// whether it still answers before it is handed out again; one used more recently is handed
/// out as it is.
pub(crate) const CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);

/// The services' pool: `max_connections`, a bounded wait, and a health check on the way out
/// only for a connection that sat idle. sqlx checks every connection as it comes back to the
/// pool (a round trip, off the caller's path); checking it again as it is handed out (sqlx's
/// default) put a second round trip in front of every statement — under load a tenth of a
/// search's time, and one more wake-up of a server process per registration. A server
/// restarted under an idle service is still found by the check.
fn pool_options(cfg: &DatabaseConfig) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(cfg.max_connections)
        .acquire_timeout(CONNECT_TIMEOUT)
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for < CHECK_AFTER_IDLE {
                    return Ok(true);
                }
                // A connection that does not answer is closed, and another one taken.
                Ok(conn.ping().await.is_ok())
            })
        })
}

fn server_options(cfg: &DatabaseConfig) -> Result<PgConnectOptions, DbError> {
    let url = cfg.server_url.expose_secret();
    PgConnectOptions::from_str(url)
        .map(|o| o.disable_statement_logging())
        .map_err(|e| DbError::BadUrl {
            url: redact_url(url),
            cause: e.to_string(),
        })
}

fn target(cfg: &DatabaseConfig) -> String {
    redact_url(cfg.server_url.expose_secret())
}

/// Creates the database `cfg.name` on the server if it does not exist.
pub async fn ensure_database(cfg: &DatabaseConfig) -> Result<(), DbError> {
    let options = server_options(cfg)?;
    let mut conn = tokio::time::timeout(CONNECT_TIMEOUT, options.connect())
        .await
        .map_err(|_| DbError::Unreachable {
            target: target(cfg),
            cause: "timed out after 5 s".into(),
        })?
        .map_err(|e| DbError::Unreachable {
            target: target(cfg),
            cause: e.to_string(),
        })?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&cfg.name)
            .fetch_one(&mut conn)
            .await
            .map_err(|e| DbError::Create {
                name: cfg.name.clone(),
                cause: e.to_string(),
            })?;
    if !exists {
        // The name is validated by nsk-config (a-z, 0-9, _), so quoting it is enough.
        let created = sqlx::query(&format!("CREATE DATABASE \"{}\"", cfg.name))
            .execute(&mut conn)
            .await;
        match created {
            Ok(_) => tracing::info!(database = %cfg.name, "created database"),
            // 42P04 duplicate_database: another instance created it first.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P04") => {}
            Err(e) => {
                return Err(DbError::Create {
                    name: cfg.name.clone(),
                    cause: e.to_string(),
                })
            }
        }
    }
    let _ = conn.close().await;
    Ok(())
}

/// A migrator of the `migrations/` folder of the calling crate that ignores versions applied by
/// other sets sharing the database. Versions must not clash across sets: shared crates use
/// small numbers, services use timestamps.
#[macro_export]
macro_rules! migrator {
    () => {{
        let mut migrator = $crate::sqlx::migrate!();
        migrator.set_ignore_missing(true);
        migrator
    }};
}

/// Creates the database if missing, opens a pool to it and applies each set of migrations in
/// order.
pub async fn connect(cfg: &DatabaseConfig, migrators: &[Migrator]) -> Result<PgPool, DbError> {
    ensure_database(cfg).await?;
    let options = server_options(cfg)?.database(&cfg.name);
    let pool = pool_options(cfg)
        .connect_with(options)
        .await
        .map_err(|e| DbError::Unreachable {
            target: target(cfg),
            cause: e.to_string(),
        })?;
    for migrator in migrators {
        migrator.run(&pool).await.map_err(|e| DbError::Migrate {
            name: cfg.name.clone(),
            cause: e.to_string(),
        })?;
    }
    Ok(pool)
}

pub mod audit;
pub mod held;

/// A pool that acts as the services' role ([`audit::APP_ROLE`]): every connection sets it
/// first, so the service can append to its audit trail but not rewrite it. Opened after
/// [`connect`] has migrated the database and [`audit::separate_roles`] has run.
pub async fn connect_as_app(cfg: &DatabaseConfig) -> Result<PgPool, DbError> {
    let options = server_options(cfg)?.database(&cfg.name);
    pool_options(cfg)
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::query(&format!("SET ROLE {}", audit::APP_ROLE))
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(|e| DbError::Unreachable {
            target: target(cfg),
            cause: e.to_string(),
        })
}

/// Request ids of mutating calls already applied, so that a retried call is applied once.
/// One table for every service, `request_keys`, made by this crate's own migrations
/// ([`requests::migrator`]).
pub mod requests {
    use nsk_errors::ApiError;
    use sqlx::PgConnection;
    use uuid::Uuid;

    /// The migrations of the `request_keys` table; applied after the service's own (they take
    /// over from the `applied_requests` table each service once made for itself).
    pub fn migrator() -> sqlx::migrate::Migrator {
        crate::migrator!()
    }

    /// An idempotency key as the caller gave it: 1-100 letters, digits, `-` and `_`.
    #[derive(Debug, Clone, PartialEq, Eq, Hash)]
    pub struct RequestId(String);

    impl RequestId {
        /// The caller's `request_id` field; empty means none.
        pub fn parse(raw: &str) -> Result<Option<Self>, ApiError> {
            nsk_errors::fields::request_id(raw).map(|id| id.map(|id| Self(id.to_string())))
        }

        pub fn as_str(&self) -> &str {
            &self.0
        }
    }

    impl std::fmt::Display for RequestId {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }

    /// A request id in its scope: whose it is (the token's subject), the method it was given
    /// to, and the content of the call (its encoded message), so that a retry is told apart
    /// from a different call that reuses the id.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct RequestKey {
        caller: String,
        method: String,
        id: RequestId,
        digest: [u8; 32],
    }

    /// The SHA-256 of a call's content, fed part by part (a streamed call, message by message).
    #[derive(Debug, Clone, Default)]
    pub struct ContentDigest(sha2::Sha256);

    impl ContentDigest {
        pub fn update(&mut self, part: &[u8]) {
            sha2::Digest::update(&mut self.0, part);
        }
    }

    impl RequestKey {
        /// The key of a call, or `None` when the caller gave no request id (every such call
        /// runs). `content` is the call's message, encoded.
        pub fn new(
            caller: &str,
            method: &str,
            raw_id: &str,
            content: &[u8],
        ) -> Result<Option<Self>, ApiError> {
            let mut digest = ContentDigest::default();
            digest.update(content);
            Self::with_digest(caller, method, raw_id, digest)
        }

        /// The key of a call whose content came in parts.
        pub fn with_digest(
            caller: &str,
            method: &str,
            raw_id: &str,
            content: ContentDigest,
        ) -> Result<Option<Self>, ApiError> {
            Ok(RequestId::parse(raw_id)?.map(|id| Self {
                caller: caller.to_string(),
                method: method.to_string(),
                id,
                digest: sha2::Digest::finalize(content.0).into(),
            }))
        }

        /// The request id as the caller gave it (for event envelopes and logs).
        pub fn id(&self) -> &str {
            self.id.as_str()
        }

        pub fn method(&self) -> &str {
            &self.method
        }
    }

    /// What a request key says of a command about to run in the caller's transaction.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Once {
        /// Not seen before (or no request id): run the command; the key is now recorded with it.
        First,
        /// Applied before by the same caller, method and content: answer with that resource.
        Applied(Uuid),
    }

    #[derive(Debug, thiserror::Error)]
    pub enum OnceError {
        /// The caller used the id for another method: a client's bug, not a retry.
        #[error("request id {request_id} was already used for {method}; use a new request id")]
        Reused { request_id: String, method: String },
        /// The caller used the id for the same method with other content: not a retry either.
        #[error(
            "request id {request_id} was already used for another {method} call with different \
             content; a retry must repeat the call exactly, a new call needs a new request id"
        )]
        Changed { request_id: String, method: String },
        #[error("database: {0}")]
        Database(#[from] sqlx::Error),
    }

    impl From<OnceError> for ApiError {
        fn from(err: OnceError) -> Self {
            match err {
                OnceError::Reused { .. } | OnceError::Changed { .. } => {
                    ApiError::already_exists(err.to_string())
                }
                OnceError::Database(db) => db.into(),
            }
        }
    }

    /// The one contract of idempotency every service uses: records `key` with `resource` in the
    /// caller's transaction, or says it was applied before — to which resource, when the same
    /// caller made the same call; the same caller's id on another method or with other content
    /// is refused. Another caller's id of the same spelling is another key.
    pub async fn once(
        conn: &mut PgConnection,
        key: Option<&RequestKey>,
        resource: Uuid,
    ) -> Result<Once, OnceError> {
        let Some(key) = key else {
            return Ok(Once::First);
        };
        let inserted = sqlx::query(
            "INSERT INTO request_keys (caller, request_id, method, digest, resource_id)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(&key.caller)
        .bind(key.id.as_str())
        .bind(&key.method)
        .bind(key.digest.as_slice())
        .bind(resource)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(Once::First);
        }
        // The conflicting row is committed (ON CONFLICT waited for it): this transaction sees it.
        match applied(conn, key).await? {
            Some(resource) => Ok(Once::Applied(resource)),
            None => Err(OnceError::Database(sqlx::Error::RowNotFound)),
        }
    }

    /// For a command that is one statement whole: the `WITH` query `name` of that statement
    /// that records `key` (bound by [`bind_key`] as `$first`-`$first+4`) for each row `gate`
    /// yields, as [`once`] records it; it yields a row if it recorded the key, none if the key
    /// was recorded before (a retry: [`applied`] tells what it made). No key binds nulls, and
    /// the query records nothing.
    pub fn record_query(name: &str, gate: &str, first: usize) -> String {
        let [caller, request, method, digest, resource] =
            [first, first + 1, first + 2, first + 3, first + 4];
        format!(
            "{name} AS (
                 INSERT INTO request_keys (caller, request_id, method, digest, resource_id)
                 SELECT ${caller}::text, ${request}::text, ${method}::text, ${digest}::bytea, ${resource}::uuid
                   FROM {gate} WHERE ${caller}::text IS NOT NULL
                 ON CONFLICT DO NOTHING RETURNING 1)"
        )
    }

    /// Binds the parameters of [`record_query`], in order.
    pub fn bind_key<'q>(
        query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
        key: Option<&'q RequestKey>,
        resource: Uuid,
    ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        query
            .bind(key.map(|k| k.caller.as_str()))
            .bind(key.map(|k| k.id.as_str()))
            .bind(key.map(|k| k.method.as_str()))
            .bind(key.map(|k| k.digest.as_slice()))
            .bind(resource)
    }

    /// Whether `key` was applied before, without recording it: the resource it made when the
    /// same caller made the same call; the same caller's id on another method or with other
    /// content is refused. For a command that must answer a retry before it checks anything
    /// (its checks would now fail because of what the first attempt did).
    pub async fn applied(
        conn: &mut PgConnection,
        key: &RequestKey,
    ) -> Result<Option<Uuid>, OnceError> {
        let row: Option<(String, bool, Uuid)> = sqlx::query_as(
            "SELECT method, digest = $3, resource_id FROM request_keys
              WHERE caller = $1 AND request_id = $2",
        )
        .bind(&key.caller)
        .bind(key.id.as_str())
        .bind(key.digest.as_slice())
        .fetch_optional(&mut *conn)
        .await?;
        let Some((method, same, resource)) = row else {
            return Ok(None);
        };
        let request_id = key.id.to_string();
        match (method == key.method, same) {
            (true, true) => Ok(Some(resource)),
            (true, false) => Err(OnceError::Changed { request_id, method }),
            (false, _) => Err(OnceError::Reused { request_id, method }),
        }
    }
}

/// Databases for tests: one per test, named so that `make test` can drop leftovers.
pub mod testing {
    use super::*;

    /// Prefix of every test database. The name goes on with the creation time in Unix seconds,
    /// so that `make test` can drop leftovers of earlier runs without touching a run in progress.
    pub const PREFIX: &str = "nsk_test_";

    /// A database config for a new, empty database on the server at `DATABASE_URL` (or the
    /// local default), unique to this call.
    pub async fn fresh_database(label: &str) -> Result<DatabaseConfig, DbError> {
        let server_url = std::env::var("DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
        let suffix = uuid::Uuid::now_v7().simple().to_string();
        let created = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let label: String = label
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(20)
            .collect();
        let cfg = DatabaseConfig {
            server_url: server_url.into(),
            // The creation time lets cleanup spare runs in progress; the random tail of a v7 id
            // keeps names apart within one second.
            name: format!(
                "{PREFIX}{created}_{}_{}",
                label.to_ascii_lowercase(),
                &suffix[suffix.len() - 12..]
            ),
            max_connections: 5,
        };
        ensure_database(&cfg).await?;
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_server_fails_fast_with_what_to_set() {
        let cfg = DatabaseConfig {
            // Port 1 on loopback: nothing listens there.
            server_url: "postgres://postgres:secret@127.0.0.1:1/postgres"
                .to_string()
                .into(),
            name: "nsk_unreachable".into(),
            max_connections: 1,
        };
        let started = std::time::Instant::now();
        let err = ensure_database(&cfg).await.unwrap_err().to_string();
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(err.contains("127.0.0.1:1"), "{err}");
        assert!(err.contains("set DATABASE_URL"), "{err}");
        assert!(!err.contains("secret"), "password leaked: {err}");
    }

    #[tokio::test]
    async fn test_databases_carry_their_creation_time() {
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let cfg = testing::fresh_database("Named").await.unwrap();
        let rest = cfg.name.strip_prefix(testing::PREFIX).unwrap();
        let (created, label) = rest.split_once('_').unwrap();
        assert!(created.parse::<u64>().unwrap() >= before, "{}", cfg.name);
        assert!(label.starts_with("named_"), "{}", cfg.name);
    }

    #[tokio::test]
    async fn a_missing_database_is_created_once_even_when_asked_twice() {
        let cfg = testing::fresh_database("dbcrate").await.unwrap();
        ensure_database(&cfg).await.unwrap();
        let pool = connect(&cfg, &[]).await.unwrap();
        let name: String = sqlx::query_scalar("SELECT current_database()")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(name, cfg.name);
    }
}
