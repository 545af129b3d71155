//! The audit trail every service keeps (`audit_log`, made by this crate's migrations): who did
//! or read what, appended in the transaction of the act and hash-chained, so that no entry can
//! be edited, removed or slipped in without [`verify`] naming the first broken link. The
//! services act as the role [`APP_ROLE`], which may only append to it and read it; the trail
//! belongs to [`AUDIT_ROLE`] ([`separate_roles`]).

use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};

/// The role the services act as: every right on their own tables, append and read on the
/// audit trail.
pub const APP_ROLE: &str = "nsk_app";
/// The role that owns the audit trail.
pub const AUDIT_ROLE: &str = "nsk_audit";

/// One act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Who: the token's subject, or the job or consumer that acted.
    pub actor: &'a str,
    /// What: an event's type for a change (`nsk.documents.v1.DocumentIssued`), `read:<what>`
    /// for a read of personal data.
    pub action: &'a str,
    /// On what: the aggregate (`document/<id>`) or the person looked up.
    pub subject: &'a str,
    /// Anything more: the request id, how many records a read returned.
    pub detail: &'a str,
}

/// How many chains the trail is kept in (migration `104_audit_lanes.sql`): a transaction
/// appends to the lane of its database connection, so that up to this many commits are in
/// flight at once instead of one.
pub const LANES: i32 = 16;

/// The hash a lane starts from: the empty one for lane 1 (the trail's only chain before it had
/// lanes), a hash of the lane's name for the others, so that no lane's entries pass as another's.
fn genesis(lane: i16) -> Vec<u8> {
    if lane == 1 {
        Vec::new()
    } else {
        Sha256::digest(format!("nsk audit lane {lane}").as_bytes()).to_vec()
    }
}

/// The hash of an entry: SHA-256 over the hash before it in its lane, its number in the lane
/// and the entry's fields, each length-prefixed so that no two entries hash alike by moving
/// text between fields.
fn chain_hash(prev: &[u8], lane_seq: i64, at: &str, entry: &Entry<'_>) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(prev);
    hasher.update(lane_seq.to_be_bytes());
    for field in [at, entry.actor, entry.action, entry.subject, entry.detail] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hasher.finalize().to_vec()
}

/// Appends `entry` in the caller's transaction; returns its number. The head of the
/// connection's lane stays locked until the transaction ends, so a lane's entries chain in
/// commit order; every entry of one transaction goes to the same lane, so two transactions
/// never wait for each other's lanes crosswise.
///
/// One statement: the lane's head is locked by the last round trip before the commit, not
/// three. The hash is computed there as [`chain_hash`] computes it (each field's length as 8
/// bytes big-endian, then its UTF-8 bytes), which [`verify`] checks in Rust.
pub async fn append(conn: &mut PgConnection, entry: &Entry<'_>) -> Result<i64, sqlx::Error> {
    static APPEND: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| format!("WITH {} SELECT seq FROM headed", entry_queries(None)));
    sqlx::query_scalar(&APPEND)
        .bind(entry.actor)
        .bind(entry.action)
        .bind(entry.subject)
        .bind(entry.detail)
        .bind(LANES)
        .fetch_one(&mut *conn)
        .await
}

/// The entry's part of a caller's own statement: the `WITH` queries `audit_at`, `head` and
/// `headed` (which yields the entry's number as `seq`), binding `$1`-`$5`: the entry's actor,
/// action, subject and detail, then [`LANES`] — [`append`]'s statement, and the caller's act in
/// the same statement, one round trip for both. With a `gate` — the name of an earlier query of
/// the statement — the entry is appended only if that query yields a row: an act that may do
/// nothing (a document whose number ran out, a request already applied) leaves no entry either.
///
/// The head of the connection's lane moves on by one update, which computes the entry's hash
/// from the head as it finds it once it holds the row (a concurrent append to the lane is waited
/// for and chained after), and keeps the hash it replaced (`prev`) for the entry: one write of
/// the head per entry, not a lock and then a write (migration `105_audit_head_prev.sql`). The
/// row stays locked until the transaction ends; the hash is computed as [`chain_hash`] computes
/// it (each field's length as 8 bytes big-endian, then its UTF-8 bytes), which [`verify`]
/// checks in Rust.
pub fn entry_queries(gate: Option<&str>) -> String {
    let gate = gate
        .map(|name| format!("AND EXISTS (SELECT 1 FROM {name})"))
        .unwrap_or_default();
    format!(
        "audit_at AS (
             SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at),
         head AS (
             UPDATE audit_head SET seq = audit_head.seq + 1, prev = audit_head.hash, hash = sha256(
                 audit_head.hash || int8send(audit_head.seq + 1)
                 || int8send(octet_length(audit_at.at)::bigint) || convert_to(audit_at.at, 'UTF8')
                 || int8send(octet_length($1)::bigint) || convert_to($1, 'UTF8')
                 || int8send(octet_length($2)::bigint) || convert_to($2, 'UTF8')
                 || int8send(octet_length($3)::bigint) || convert_to($3, 'UTF8')
                 || int8send(octet_length($4)::bigint) || convert_to($4, 'UTF8'))
               FROM audit_at
              WHERE audit_head.id = 1 + pg_backend_pid() % $5 {gate}
             RETURNING audit_head.id AS lane, audit_head.seq AS lane_seq, audit_head.prev,
                       audit_head.hash, audit_at.at),
         headed AS (
             INSERT INTO audit_log (seq, lane, lane_seq, at, actor, action, subject, detail, prev_hash, hash)
             SELECT nextval('audit_log_seq'), lane, lane_seq, at::timestamptz, $1, $2, $3, $4, prev, hash
               FROM head
             RETURNING seq)"
    )
}

/// Appends `entries` in the caller's transaction, chained in their order in the connection's
/// lane, in three round trips whatever their number (a revocation cancelling 10,000
/// documents, say). Returns the last entry's number; 0 for none.
pub async fn append_all(
    conn: &mut PgConnection,
    entries: &[Entry<'_>],
) -> Result<i64, sqlx::Error> {
    if entries.is_empty() {
        return Ok(0);
    }
    let (lane, first, mut prev, at, mut numbers): (i32, i64, Vec<u8>, String, Vec<i64>) =
        sqlx::query_as(
            "SELECT id, seq + 1, hash,
                    to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
                    ARRAY(SELECT nextval('audit_log_seq') FROM generate_series(1, $2))
               FROM audit_head WHERE id = 1 + pg_backend_pid() % $1 FOR UPDATE",
        )
        .bind(LANES)
        .bind(entries.len() as i64)
        .fetch_one(&mut *conn)
        .await?;
    // Numbers taken together may interleave with another connection's: in ascending order
    // they follow the entries' order.
    numbers.sort_unstable();
    let mut lane_seqs = Vec::with_capacity(entries.len());
    let mut prevs = Vec::with_capacity(entries.len());
    let mut hashes = Vec::with_capacity(entries.len());
    for (lane_seq, entry) in (first..).zip(entries) {
        let hash = chain_hash(&prev, lane_seq, &at, entry);
        lane_seqs.push(lane_seq);
        prevs.push(std::mem::replace(&mut prev, hash.clone()));
        hashes.push(hash);
    }
    let actors: Vec<&str> = entries.iter().map(|e| e.actor).collect();
    let actions: Vec<&str> = entries.iter().map(|e| e.action).collect();
    let subjects: Vec<&str> = entries.iter().map(|e| e.subject).collect();
    let details: Vec<&str> = entries.iter().map(|e| e.detail).collect();
    sqlx::query(
        "INSERT INTO audit_log (seq, lane, lane_seq, at, actor, action, subject, detail, prev_hash, hash)
         SELECT u.seq, $10, u.lane_seq, $2::timestamptz, u.actor, u.action, u.subject, u.detail, u.prev, u.hash
           FROM UNNEST($1::bigint[], $9::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[], $8::bytea[])
             AS u (seq, lane_seq, actor, action, subject, detail, prev, hash)",
    )
    .bind(&numbers)
    .bind(&at)
    .bind(&actors)
    .bind(&actions)
    .bind(&subjects)
    .bind(&details)
    .bind(&prevs)
    .bind(&hashes)
    .bind(&lane_seqs)
    .bind(lane as i16)
    .execute(&mut *conn)
    .await?;
    let last = first + entries.len() as i64 - 1;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = $3")
        .bind(last)
        .bind(&prev)
        .bind(lane)
        .execute(&mut *conn)
        .await?;
    Ok(numbers.last().copied().unwrap_or(0))
}

/// Appends `entry` in a transaction of its own: for a read, which changes nothing else.
pub async fn record(pool: &PgPool, entry: &Entry<'_>) -> Result<i64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let seq = append(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(seq)
}

/// A read of personal data: `reader`, acting as `role`, read the records `ids` of `kind`
/// (`document`, `voucher`, `application`): one entry, `read:<kind>` on `<kind>/<id>` (or
/// `<kind>s/<count>`), the ids in its detail. Appended in the caller's transaction; nothing
/// for an empty read.
pub async fn append_read(
    conn: &mut PgConnection,
    kind: &str,
    reader: &str,
    role: &str,
    ids: &[uuid::Uuid],
) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let subject = match ids {
        [one] => format!("{kind}/{one}"),
        _ => format!("{kind}s/{}", ids.len()),
    };
    let listed = ids
        .iter()
        .map(uuid::Uuid::to_string)
        .collect::<Vec<_>>()
        .join(" ");
    let entry = Entry {
        actor: reader,
        action: &format!("read:{kind}"),
        subject: &subject,
        detail: &format!("as {role}: {listed}"),
    };
    append(conn, &entry).await?;
    Ok(())
}

/// [`append_read`] in a transaction of its own.
pub async fn record_read(
    pool: &PgPool,
    kind: &str,
    reader: &str,
    role: &str,
    ids: &[uuid::Uuid],
) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    append_read(&mut tx, kind, reader, role, ids).await?;
    tx.commit().await?;
    Ok(())
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry, 1 to `entries`, chains to the one before.
    Intact { entries: i64 },
    /// The first entry that does not: its number and why.
    Broken { seq: i64, why: String },
}

#[derive(sqlx::FromRow)]
struct Row {
    seq: i64,
    lane: i16,
    lane_seq: i64,
    at: String,
    actor: String,
    action: String,
    subject: String,
    detail: String,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

/// Walks the whole trail in the order appended and recomputes each link of each lane; the
/// first broken link in that order is named.
pub async fn verify(pool: &PgPool) -> Result<Verdict, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT seq, lane, lane_seq,
                to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at,
                actor, action, subject, detail, prev_hash, hash
           FROM audit_log ORDER BY seq",
    )
    .fetch_all(pool)
    .await?;
    // Each lane's last hash and number so far.
    let mut lanes: std::collections::BTreeMap<i16, (Vec<u8>, i64)> = (1..=LANES as i16)
        .map(|lane| (lane, (genesis(lane), 0)))
        .collect();
    for row in &rows {
        let Some((prev, last)) = lanes.get_mut(&row.lane) else {
            return Ok(Verdict::Broken {
                seq: row.seq,
                why: format!("it names lane {}, which the trail does not have", row.lane),
            });
        };
        if row.lane_seq != *last + 1 {
            return Ok(Verdict::Broken {
                seq: row.seq,
                why: format!(
                    "in lane {}, entry {} is missing (this one is {})",
                    row.lane,
                    *last + 1,
                    row.lane_seq
                ),
            });
        }
        if row.prev_hash != *prev {
            return Ok(Verdict::Broken {
                seq: row.seq,
                why: "it does not carry the hash of the entry before it".into(),
            });
        }
        let entry = Entry {
            actor: &row.actor,
            action: &row.action,
            subject: &row.subject,
            detail: &row.detail,
        };
        if chain_hash(prev, row.lane_seq, &row.at, &entry) != row.hash {
            return Ok(Verdict::Broken {
                seq: row.seq,
                why: "its content does not match its hash: it was changed".into(),
            });
        }
        *prev = row.hash.clone();
        *last = row.lane_seq;
    }
    let heads: Vec<(i32, i64, Vec<u8>)> =
        sqlx::query_as("SELECT id, seq, hash FROM audit_head ORDER BY id")
            .fetch_all(pool)
            .await?;
    for (lane, seq, hash) in heads {
        let (prev, last) = lanes
            .get(&(lane as i16))
            .cloned()
            .unwrap_or_else(|| (Vec::new(), 0));
        if seq != last || hash != prev {
            return Ok(Verdict::Broken {
                seq: rows.last().map_or(1, |r| r.seq + 1),
                why: format!(
                    "the head of lane {lane} says {seq} entries, the trail holds {last}: entries were removed at the end"
                ),
            });
        }
    }
    Ok(Verdict::Intact {
        entries: rows.len() as i64,
    })
}

/// Least privilege in the service's database, run by its administrator after the
/// migrations: the roles exist; the trail belongs to [`AUDIT_ROLE`] and [`APP_ROLE`] may
/// only append to it and read it; every other table belongs to [`APP_ROLE`].
pub async fn separate_roles(admin: &PgPool) -> Result<(), sqlx::Error> {
    for role in [APP_ROLE, AUDIT_ROLE] {
        // Roles are the server's, shared by every database; services starting at once may
        // race to create one, which is fine.
        let created = sqlx::query(&format!("CREATE ROLE {role} NOLOGIN"))
            .execute(admin)
            .await;
        match created {
            Ok(_) => {}
            Err(sqlx::Error::Database(db))
                if matches!(db.code().as_deref(), Some("42710") | Some("23505")) => {}
            Err(err) => return Err(err),
        }
    }
    // Only what is not so yet: a change of owner locks the table, which another instance of
    // the service may be using.
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'
          AND tablename NOT IN ('audit_log', 'audit_head') AND tableowner <> $1
          ORDER BY tablename",
    )
    .bind(APP_ROLE)
    .fetch_all(admin)
    .await?;
    let mut conn = admin.acquire().await?;
    for table in tables {
        sqlx::query(&format!(
            "ALTER TABLE public.\"{table}\" OWNER TO {APP_ROLE}"
        ))
        .execute(&mut *conn)
        .await?;
    }
    // Sequences of their own (center numbers, voucher numbers): used by the services.
    sqlx::query(&format!(
        "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}"
    ))
    .execute(&mut *conn)
    .await?;
    let trail_owner: Option<String> = sqlx::query_scalar(
        "SELECT tableowner::text FROM pg_tables WHERE schemaname = 'public' AND tablename = 'audit_log'",
    )
    .fetch_optional(&mut *conn)
    .await?;
    if trail_owner.as_deref() == Some(AUDIT_ROLE) {
        return Ok(());
    }
    for statement in [
        format!("GRANT USAGE, CREATE ON SCHEMA public TO {APP_ROLE}"),
        format!("ALTER TABLE audit_log OWNER TO {AUDIT_ROLE}"),
        format!("ALTER TABLE audit_head OWNER TO {AUDIT_ROLE}"),
        format!("ALTER FUNCTION audit_log_is_append_only() OWNER TO {AUDIT_ROLE}"),
        format!("REVOKE ALL ON audit_log, audit_head FROM {APP_ROLE}"),
        format!("GRANT SELECT, INSERT ON audit_log TO {APP_ROLE}"),
        format!("GRANT SELECT, UPDATE ON audit_head TO {APP_ROLE}"),
    ] {
        sqlx::query(&statement).execute(&mut *conn).await?;
    }
    Ok(())
}

/// What an auditor asks of the trail.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor: Option<String>,
    pub subject: Option<String>,
    /// An action exactly, or a prefix when it ends in `*`.
    pub action: Option<String>,
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    /// Keyset: entries before this number (newest first).
    pub before: Option<i64>,
    pub limit: i64,
}

/// An entry as auditors read it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Listed {
    pub seq: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
    pub hash: Vec<u8>,
}

/// A page of the trail, newest first.
pub async fn list(pool: &PgPool, filter: &Filter) -> Result<Vec<Listed>, sqlx::Error> {
    let (action, prefix) = match filter.action.as_deref() {
        Some(a) if a.ends_with('*') => (None, Some(format!("{}%", like_escape(&a[..a.len() - 1])))),
        Some(a) => (Some(a.to_string()), None),
        None => (None, None),
    };
    sqlx::query_as(
        "SELECT seq, at, actor, action, subject, detail, hash FROM audit_log
          WHERE ($1::text IS NULL OR actor = $1)
            AND ($2::text IS NULL OR subject = $2)
            AND ($3::text IS NULL OR action = $3)
            AND ($4::text IS NULL OR action LIKE $4)
            AND ($5::timestamptz IS NULL OR at >= $5)
            AND ($6::timestamptz IS NULL OR at < $6)
            AND ($7::bigint IS NULL OR seq < $7)
          ORDER BY seq DESC LIMIT $8",
    )
    .bind(&filter.actor)
    .bind(&filter.subject)
    .bind(action)
    .bind(prefix)
    .bind(filter.from)
    .bind(filter.to)
    .bind(filter.before)
    .bind(filter.limit)
    .fetch_all(pool)
    .await
}

fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
