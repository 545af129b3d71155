//! PostgreSQL for NSK services.
//!
//! - [`connect`] creates the service's own database on the server if it is missing, opens a
//!   pool and applies the migrations; an unreachable server fails fast with one line saying
//!   what was tried and what to set.
//! - migrations come in several sets (the events outbox of `nsk-events`, then the service's
//!   own), each made with [`migrator!`] so that it ignores the versions of the others.
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
    let pool = PgPoolOptions::new()
        .max_connections(cfg.max_connections)
        .acquire_timeout(CONNECT_TIMEOUT)
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

/// Request ids of mutating calls already applied, so that a retried call is applied once.
/// Each service keeps them in its own `applied_requests` table (see its first migration).
pub mod requests {
    use sqlx::PgConnection;
    use uuid::Uuid;

    /// Records `request_id` in the caller's transaction; false when it was recorded before (by
    /// an earlier call, or by a concurrent one that committed first).
    pub async fn record(
        conn: &mut PgConnection,
        request_id: &str,
        method: &str,
        resource_id: Uuid,
    ) -> Result<bool, sqlx::Error> {
        let inserted = sqlx::query(
            "INSERT INTO applied_requests (request_id, method, resource_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(request_id)
        .bind(method)
        .bind(resource_id)
        .execute(conn)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }

    /// What a request id says of a command about to run in the caller's transaction.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Once {
        /// Not seen before (or no request id): run the command; the id is now recorded with it.
        First,
        /// Applied before by the same method, to this resource: answer with it again.
        Applied(Uuid),
    }

    #[derive(Debug, thiserror::Error)]
    pub enum OnceError {
        /// The id was applied by another method: a client's bug, not a retry.
        #[error("request id {request_id} was already used for {method}; use a new request id")]
        Reused { request_id: String, method: String },
        #[error("database: {0}")]
        Database(#[from] sqlx::Error),
    }

    impl From<OnceError> for nsk_errors::ApiError {
        fn from(err: OnceError) -> Self {
            match err {
                OnceError::Reused { .. } => nsk_errors::ApiError::already_exists(err.to_string()),
                OnceError::Database(db) => db.into(),
            }
        }
    }

    /// The one contract of idempotency every service uses: records `request_id` for `method`
    /// and `resource` in the caller's transaction, or says it was applied before — to which
    /// resource, when by the same method; a reused id of another method is refused.
    pub async fn once(
        conn: &mut PgConnection,
        request_id: Option<&str>,
        method: &str,
        resource: Uuid,
    ) -> Result<Once, OnceError> {
        let Some(request_id) = request_id else {
            return Ok(Once::First);
        };
        if record(conn, request_id, method, resource).await? {
            return Ok(Once::First);
        }
        // The conflicting row is committed (ON CONFLICT waited for it): this transaction sees it.
        match applied(conn, request_id).await? {
            Some((by, id)) if by == method => Ok(Once::Applied(id)),
            Some((by, _)) => Err(OnceError::Reused {
                request_id: request_id.to_string(),
                method: by,
            }),
            None => Err(OnceError::Database(sqlx::Error::RowNotFound)),
        }
    }

    /// The resource an applied request made or changed, with the method it was applied by.
    pub async fn applied(
        conn: &mut PgConnection,
        request_id: &str,
    ) -> Result<Option<(String, Uuid)>, sqlx::Error> {
        sqlx::query_as("SELECT method, resource_id FROM applied_requests WHERE request_id = $1")
            .bind(request_id)
            .fetch_optional(conn)
            .await
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
