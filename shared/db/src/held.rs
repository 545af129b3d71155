//! Connections a service keeps aside for its busiest statement (the registry's registration of
//! a document), handed out and taken back without a round trip to the server.
//!
//! The pool asks the server whether a connection still answers every time one comes back
//! (sqlx does, to catch a statement abandoned half-way); under sixteen concurrent registrations
//! on two processors that check, and the wake-ups around it, kept a connection away from the
//! next caller about as long as the statement itself, and callers queued for connections the
//! server was not using. Here a connection goes back as it is when its statement ended with an
//! answer from the server (a result or a refusal such as a constraint); one whose statement
//! was abandoned (the caller went away) or broke (the network, a server restart) is closed,
//! and a new one is opened in its place when needed. One that sat idle longer than a second
//! is checked before it is used, as the pool checks its own.

use std::sync::Mutex;
use std::time::Instant;

use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::CHECK_AFTER_IDLE;

/// Up to `size` connections, opened from `pool` when first needed and kept out of it.
pub struct HeldConnections {
    pool: PgPool,
    idle: Mutex<Vec<(PgConnection, Instant)>>,
    permits: Semaphore,
}

impl HeldConnections {
    pub fn new(pool: PgPool, size: usize) -> Self {
        Self {
            pool,
            idle: Mutex::new(Vec::with_capacity(size)),
            permits: Semaphore::new(size.max(1)),
        }
    }

    /// Runs `query` (one statement, outside any transaction) on a connection of these, once one
    /// is free, and returns its one row.
    pub async fn fetch_one<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> Result<sqlx::postgres::PgRow, sqlx::Error> {
        let mut held = self.get().await?;
        let Some(conn) = held.conn.as_mut() else {
            return Err(sqlx::Error::PoolClosed);
        };
        let outcome = query.fetch_one(conn).await;
        // A result, or an error the server answered with, leaves the connection ready for the
        // next statement; any other error (or this future dropped before here) closes it.
        held.answered = matches!(outcome, Ok(_) | Err(sqlx::Error::Database(_)));
        outcome
    }

    /// A connection, once one of the `size` is free.
    async fn get(&self) -> Result<Held<'_>, sqlx::Error> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| sqlx::Error::PoolClosed)?;
        loop {
            let idle = self.idle().pop();
            let conn = match idle {
                Some((mut conn, since)) => {
                    if since.elapsed() >= CHECK_AFTER_IDLE && conn.ping().await.is_err() {
                        // Gone while it waited (a server restart): another takes its place.
                        continue;
                    }
                    conn
                }
                None => self.pool.acquire().await?.detach(),
            };
            return Ok(Held {
                conn: Some(conn),
                owner: self,
                answered: false,
                _permit: permit,
            });
        }
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<(PgConnection, Instant)>> {
        // A panic while the list was held leaves it whole (a push or a pop), so it is used on.
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A connection taken from [`HeldConnections`]: back to them when dropped if its statement was
/// answered, closed otherwise.
struct Held<'a> {
    conn: Option<PgConnection>,
    owner: &'a HeldConnections,
    answered: bool,
    _permit: SemaphorePermit<'a>,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let (Some(conn), true) = (self.conn.take(), self.answered) {
            self.owner.idle().push((conn, Instant::now()));
        }
        // Otherwise the connection is dropped, which closes it.
    }
}
