//! Direct SQLite reads for the gateway's order and notify queries.
//!
//! sqlx runs each SQLite connection on its own thread: every query is handed to that
//! thread and its answer handed back, and on a 2-core machine those hand-offs cost
//! more than the query itself (docs/BENCHMARKS.md, "Gateway"). The two XML queries
//! are single-row lookups by index that take a few microseconds in SQLite, so they
//! run here instead, on the calling thread, over a small pool of read-only
//! connections to the same WAL database file. Writes, and every other read, stay on
//! sea-orm. PostgreSQL has no such cost and does not use this.
//!
//! A read that fails here (a busy database, say) is not an answer: callers fall back
//! to the sea-orm query, so the worst case is the old speed.
//!
//! ## Held snapshots
//!
//! Starting a read transaction costs SQLite file locks (system calls) and shared
//! memory locks every time. So a pooled connection keeps its read transaction open
//! between reads, for as long as nothing has been committed since it began:
//!
//! - Every commit, by any connection of any process, rewrites the two wal-index
//!   headers at the start of the `-shm` file (SQLite's WAL format: each header holds a
//!   change counter, `mxFrame`, salts and a checksum; <https://sqlite.org/walformat.html>).
//! - Before a transaction begins, its connection reads those 96 bytes. Before each
//!   later read, it reads them again: if they are unchanged, no commit has completed
//!   since, and the open snapshot is what a new transaction would see. Otherwise the
//!   transaction ends and a new one begins. A payment that has been confirmed to
//!   anyone is therefore always seen by the next query.
//! - A snapshot is never older than [`MAX_HOLD`], and [`SqliteReads::release_idle`]
//!   (run four times a second by the server) ends the ones idle connections hold, so old
//!   snapshots never stop checkpoints from recycling the WAL.
//!
//! ## Checkpoints
//!
//! SQLite checkpoints the WAL after commits, but it only starts the WAL over when no
//! transaction of another connection overlaps that moment. Under a steady stream of
//! payments that moment never comes: the WAL grew by 140 MB a second and never
//! shrank, and every page read then searched its whole index. So the server calls
//! [`SqliteReads::checkpoint`] whenever the WAL is over [`WAL_LIMIT`]: it copies the WAL
//! into the database and truncates it, waiting at most [`CHECKPOINT_WAIT`] for other
//! connections; while it waits, reads here hold no snapshot.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rusqlite::types::Type;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row};
use sea_orm::sqlx::sqlite::SqliteConnectOptions;

use super::gateway::OrderResult;

/// Idle connections kept; more are opened under load and closed when returned.
const MAX_IDLE: usize = 8;

/// How long a read waits on a locked database before giving up and falling back to
/// sea-orm: not at all. Readers of a WAL database are rarely blocked, this runs on an
/// async worker, and the fallback waits without blocking one.
const BUSY_TIMEOUT: Duration = Duration::ZERO;

/// How much of the database file a connection reads through a memory map rather than
/// `pread` (one system call and one 4 KiB copy per page not in its own small cache).
/// Address space only: the pages are the kernel's page cache, shared by all connections.
const MMAP_SIZE: i64 = 1 << 30;

/// The longest a connection keeps one read transaction open.
pub const MAX_HOLD: Duration = Duration::from_secs(1);

/// Above this size the server checkpoints and truncates the WAL.
pub const WAL_LIMIT: u64 = 16 << 20;

/// How long a checkpoint waits for writers and readers before it gives up until the
/// next try. Writers wait for it meanwhile.
const CHECKPOINT_WAIT: Duration = Duration::from_millis(200);

/// The two copies of the wal-index header at the start of the `-shm` file.
const WAL_INDEX_HEADERS: usize = 96;

/// The columns of `orders` an [`OrderResult`] holds, in the order [`order_from_row`]
/// reads them (a macro, so that `concat!` builds each statement's text at compile time).
macro_rules! order_columns {
    () => {
        "o.id, o.appid, o.out_trade_no, o.total_fee, o.fee_type, o.trade_state, o.pay_info, \
         o.bank_type, o.time_end, o.attach, o.buyer_id, o.input_charset, o.created_at, o.expires_at"
    };
}

/// The notify query's statement: `notify_id` and `app_id` come from the index
/// `idx_notifications_lookup` alone, then the order by its id.
pub const NOTIFIED_ORDER_SQL: &str = concat!(
    "SELECT ",
    order_columns!(),
    ", n.created_at FROM notifications n JOIN orders o ON o.id = n.order_id \
     WHERE n.notify_id = ?1 AND n.app_id = ?2"
);

/// The order query's statement by out_trade_no: every column from the covering index
/// `idx_orders_lookup` (migration 11). Where the index is missing the statement fails to
/// prepare, and the query falls back to sea-orm.
pub const ORDER_BY_OUT_TRADE_NO_SQL: &str = concat!(
    "SELECT ",
    order_columns!(),
    " FROM orders o INDEXED BY idx_orders_lookup WHERE o.app_id = ?1 AND o.out_trade_no = ?2"
);

/// Read-only connections to one SQLite database file.
pub struct SqliteReads {
    path: PathBuf,
    idle: Mutex<Vec<Reader>>,
    /// Set while a checkpoint runs: reads then hold no snapshot, which would stop it.
    checkpointing: AtomicBool,
}

/// A pooled connection, and the read transaction it holds.
struct Reader {
    connection: Connection,
    /// The database's `-shm` file, opened once the connection has read (so the file
    /// exists, and stays the same file while the connection is open); `None` when
    /// the database is not in WAL mode, and then no transaction is held.
    shm: Option<File>,
    /// The wal-index headers read just before the open read transaction began.
    held: Option<([u8; WAL_INDEX_HEADERS], Instant)>,
}

impl Reader {
    /// The wal-index headers as they are now.
    fn headers(&self) -> Option<[u8; WAL_INDEX_HEADERS]> {
        let mut headers = [0; WAL_INDEX_HEADERS];
        self.shm.as_ref()?.read_exact_at(&mut headers, 0).ok()?;
        Some(headers)
    }

    /// Makes the connection's snapshot current: keeps the open read transaction when
    /// nothing was committed since it began, otherwise begins a new one.
    fn refresh(&mut self, hold: bool) -> Result<(), Error> {
        if !hold {
            return self.end();
        }
        let now = self.headers();
        if let (Some((then, since)), Some(now)) = (&self.held, &now)
            && then == now
            && since.elapsed() < MAX_HOLD
            && !self.connection.is_autocommit()
        {
            return Ok(());
        }
        self.end()?;
        if let Some(headers) = now {
            // The snapshot is taken by the first read after BEGIN, so it holds every
            // commit the headers show, and perhaps later ones.
            self.connection.prepare_cached("BEGIN")?.execute([])?;
            self.held = Some((headers, Instant::now()));
        }
        Ok(())
    }

    /// Ends the read transaction, if one is open.
    fn end(&mut self) -> Result<(), Error> {
        self.held = None;
        if !self.connection.is_autocommit() {
            self.connection.prepare_cached("COMMIT")?.execute([])?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for SqliteReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteReads")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Why a direct read gave no answer.
pub type Error = rusqlite::Error;

impl SqliteReads {
    /// For a `sqlite:` database URL naming a file; `None` for PostgreSQL or an
    /// in-memory database, which other connections cannot open.
    pub fn for_url(url: &str) -> Option<Self> {
        if !url.starts_with("sqlite:") || url.contains(":memory:") || url.contains("mode=memory") {
            return None;
        }
        let options = SqliteConnectOptions::from_str(url).ok()?;
        Some(Self::new(options.get_filename()))
    }

    /// Reads from the database file at `path`.
    pub fn new(path: &Path) -> Self {
        Self {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
            checkpointing: AtomicBool::new(false),
        }
    }

    fn open(&self) -> Result<Reader, Error> {
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        connection.pragma_update(None, "mmap_size", MMAP_SIZE)?;
        // A first read opens the WAL and its -shm file for this connection.
        let mode: String = connection.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
        connection.query_row("PRAGMA schema_version", [], |_| Ok(()))?;
        let shm = if mode.eq_ignore_ascii_case("wal") {
            File::open(self.beside("-shm")).ok()
        } else {
            None
        };
        Ok(Reader {
            connection,
            shm,
            held: None,
        })
    }

    /// Runs `read` on an idle connection (or a new one), then returns it to the pool.
    fn with<T>(&self, read: impl FnOnce(&Connection) -> Result<T, Error>) -> Result<T, Error> {
        let taken = self
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        let mut reader = match taken {
            Some(reader) => reader,
            None => self.open()?,
        };
        // A connection whose transaction cannot be ended is not used again.
        reader.refresh(!self.checkpointing.load(Ordering::Acquire))?;
        let result = read(&reader.connection);
        // After a failed read, or when a checkpoint began meanwhile (it has released the
        // idle snapshots already), the connection goes back without a snapshot.
        if (result.is_err() || self.checkpointing.load(Ordering::Acquire)) && reader.end().is_err() {
            return result;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(reader);
        }
        result
    }

    /// The size of the database's WAL file in bytes (0 when there is none).
    pub fn wal_size(&self) -> u64 {
        std::fs::metadata(self.beside("-wal"))
            .map(|meta| meta.len())
            .unwrap_or(0)
    }

    /// The path of one of SQLite's files beside the database (`-wal`, `-shm`).
    fn beside(&self, suffix: &str) -> PathBuf {
        let mut path = self.path.clone().into_os_string();
        path.push(suffix);
        path.into()
    }

    /// Copies the whole WAL into the database and truncates it (SQLite's `TRUNCATE`
    /// checkpoint), waiting at most [`CHECKPOINT_WAIT`] for other connections. `true`
    /// when it is done; `false` when a connection was still busy (try again later).
    /// It blocks for the copy and the wait: call it off the async workers.
    pub fn checkpoint(&self) -> Result<bool, Error> {
        self.run_checkpoint("TRUNCATE", CHECKPOINT_WAIT)
    }

    /// Copies as much of the WAL into the database as no reader still needs, without
    /// waiting for or blocking anyone (SQLite's `PASSIVE` checkpoint). Run before
    /// [`Self::checkpoint`] while writers go on, it leaves that one, which keeps the
    /// writers out, little to copy and to sync. `true` when the whole WAL was copied.
    pub fn backfill(&self) -> Result<bool, Error> {
        self.run_checkpoint("PASSIVE", Duration::ZERO)
    }

    fn run_checkpoint(&self, mode: &str, wait: Duration) -> Result<bool, Error> {
        self.checkpointing.store(true, Ordering::Release);
        self.release_idle(Duration::ZERO);
        let done = (|| {
            let connection = Connection::open_with_flags(
                &self.path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            connection.busy_timeout(wait)?;
            // (busy, frames in the WAL, frames copied): -1 frames when not in WAL mode.
            let (busy, frames, copied): (i64, i64, i64) =
                connection.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })?;
            Ok(busy == 0 && frames == copied)
        })();
        self.checkpointing.store(false, Ordering::Release);
        done
    }

    /// Ends the read transactions of idle connections that began over `age` ago.
    pub fn release_idle(&self, age: Duration) {
        let mut idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        // A connection whose transaction cannot be ended is closed.
        idle.retain_mut(|reader| {
            let stale = reader.held.is_some_and(|(_, since)| since.elapsed() >= age);
            !stale || reader.end().is_ok()
        });
    }

    /// The one row `sql` finds for `params`, read by `map`; `None` when there is none.
    fn one<T>(
        &self,
        sql: &'static str,
        params: impl rusqlite::Params,
        map: impl FnOnce(&Row<'_>) -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        self.with(|connection| connection.prepare_cached(sql)?.query_row(params, map).optional())
    }

    /// `answer` run on the order of app `app_id` with primary key `id`, while it is read.
    pub fn order_by_id<T>(
        &self,
        app_id: i64,
        id: i64,
        answer: impl FnOnce(OrderResult<'_>) -> T,
    ) -> Result<Option<T>, Error> {
        const SQL: &str = concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders o WHERE o.id = ?1 AND o.app_id = ?2"
        );
        self.one(SQL, (id, app_id), |row| Ok(answer(order_from_row(row)?)))
    }

    /// `answer` run on the order of app `app_id` with this out_trade_no, while it is read.
    /// The columns come from the index `idx_orders_lookup` alone (migration 11), not from
    /// the unique index and then the order's row, which SQLite's planner would choose.
    pub fn order_by_out_trade_no<T>(
        &self,
        app_id: i64,
        out_trade_no: &str,
        answer: impl FnOnce(OrderResult<'_>) -> T,
    ) -> Result<Option<T>, Error> {
        self.one(ORDER_BY_OUT_TRADE_NO_SQL, (app_id, out_trade_no), |row| {
            Ok(answer(order_from_row(row)?))
        })
    }

    /// `answer` run, while it is read, on the order of app `app_id` with primary key `id`,
    /// with the notify_id of its notification and when that was created (both `None`
    /// until the order is settled).
    pub fn notice_by_order_id<T>(
        &self,
        app_id: i64,
        id: i64,
        answer: impl FnOnce(Option<&str>, Option<i64>, OrderResult<'_>) -> T,
    ) -> Result<Option<T>, Error> {
        const SQL: &str = concat!(
            "SELECT ",
            order_columns!(),
            ", o.notify_id, o.notified_at FROM orders o WHERE o.id = ?1 AND o.app_id = ?2"
        );
        self.one(SQL, (id, app_id), |row| {
            let notify_id = row.get_ref(ORDER_COLUMN_COUNT)?;
            let notify_id = match notify_id {
                rusqlite::types::ValueRef::Null => None,
                _ => Some(text(row, ORDER_COLUMN_COUNT)?),
            };
            Ok(answer(
                notify_id,
                row.get(ORDER_COLUMN_COUNT + 1)?,
                order_from_row(row)?,
            ))
        })
    }

    /// `answer` run, while they are read, on the creation time of the notification
    /// `notify_id` of app `app_id` and on its order.
    pub fn notified_order<T>(
        &self,
        app_id: i64,
        notify_id: &str,
        answer: impl FnOnce(i64, OrderResult<'_>) -> T,
    ) -> Result<Option<T>, Error> {
        self.one(NOTIFIED_ORDER_SQL, (notify_id, app_id), |row| {
            Ok(answer(row.get(ORDER_COLUMN_COUNT)?, order_from_row(row)?))
        })
    }
}

/// How many columns `order_columns!` names.
const ORDER_COLUMN_COUNT: usize = 14;

/// Text column `index` of `row`, borrowed.
fn text<'r>(row: &'r Row<'_>, index: usize) -> Result<&'r str, Error> {
    row.get_ref(index)?
        .as_str()
        .map_err(|err| Error::FromSqlConversionFailure(index, Type::Text, Box::new(err)))
}

/// An order's result columns from the first [`ORDER_COLUMN_COUNT`] columns of `row`,
/// its text borrowed from the row.
fn order_from_row<'r>(row: &'r Row<'_>) -> Result<OrderResult<'r>, Error> {
    Ok(OrderResult {
        id: row.get(0)?,
        appid: text(row, 1)?,
        out_trade_no: text(row, 2)?,
        total_fee: row.get(3)?,
        fee_type: text(row, 4)?,
        trade_state: row.get(5)?,
        pay_info: text(row, 6)?,
        bank_type: text(row, 7)?,
        time_end: row.get(8)?,
        attach: text(row, 9)?,
        buyer_id: text(row, 10)?,
        input_charset: text(row, 11)?,
        created_at: row.get(12)?,
        expires_at: row.get(13)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_column_list_matches_the_count() {
        assert_eq!(order_columns!().split(',').count(), ORDER_COLUMN_COUNT);
    }

    /// A WAL database with table `t` (id 1: x = 1), its writer, and reads of `x`.
    fn database() -> (tempfile::TempDir, Connection, SqliteReads) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER);
                 INSERT INTO t VALUES (1, 1);",
            )
            .unwrap();
        (dir, writer, SqliteReads::new(&path))
    }

    fn x(reads: &SqliteReads) -> Option<i64> {
        reads
            .one("SELECT x FROM t WHERE id = ?1", (1,), |row| row.get(0))
            .unwrap()
    }

    fn holding(reads: &SqliteReads) -> Vec<bool> {
        let idle = reads.idle.lock().unwrap();
        idle.iter()
            .map(|reader| !reader.connection.is_autocommit())
            .collect()
    }

    #[test]
    fn a_held_snapshot_is_dropped_by_the_next_commit() {
        let (_dir, writer, reads) = database();
        assert_eq!(x(&reads), Some(1));
        assert_eq!(x(&reads), Some(1));
        // The connection kept its read transaction between the two reads...
        assert_eq!(holding(&reads), [true]);
        // ...and a commit by another connection (or process) is seen by the next read.
        writer.execute("UPDATE t SET x = 2 WHERE id = 1", []).unwrap();
        assert_eq!(x(&reads), Some(2));
        writer.execute("DELETE FROM t", []).unwrap();
        assert_eq!(x(&reads), None);
        assert_eq!(holding(&reads), [true]);
    }

    #[test]
    fn idle_snapshots_are_released() {
        let (_dir, writer, reads) = database();
        assert_eq!(x(&reads), Some(1));
        reads.release_idle(MAX_HOLD);
        assert_eq!(holding(&reads), [true]);
        reads.release_idle(Duration::ZERO);
        assert_eq!(holding(&reads), [false]);
        // With no reader in its way, a checkpoint can recycle the whole WAL.
        writer.execute("UPDATE t SET x = 3 WHERE id = 1", []).unwrap();
        let (busy, _, _): (i64, i64, i64) = writer
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })
            .unwrap();
        assert_eq!(busy, 0);
        assert_eq!(x(&reads), Some(3));
    }

    #[test]
    fn a_checkpoint_truncates_the_wal_past_a_held_snapshot() {
        let (_dir, writer, reads) = database();
        assert_eq!(x(&reads), Some(1));
        assert_eq!(holding(&reads), [true]);
        for n in 0..200 {
            writer.execute("INSERT INTO t (x) VALUES (?1)", [n]).unwrap();
        }
        assert!(reads.wal_size() > 0);
        assert!(reads.checkpoint().unwrap());
        assert_eq!(reads.wal_size(), 0);
        assert_eq!(holding(&reads), [false]);
        assert_eq!(x(&reads), Some(1));
        let rows: i64 = writer
            .query_row("SELECT count(*) FROM t", [], |row| row.get(0))
            .unwrap();
        assert_eq!(rows, 201);
    }

    #[test]
    fn a_read_running_when_a_checkpoint_begins_keeps_no_snapshot() {
        let (_dir, _writer, reads) = database();
        let x: i64 = reads
            .with(|connection| {
                // The checkpoint begins (and releases the idle snapshots) during this read.
                reads.checkpointing.store(true, Ordering::Release);
                connection.query_row("SELECT x FROM t WHERE id = 1", [], |row| row.get(0))
            })
            .unwrap();
        assert_eq!(x, 1);
        assert_eq!(holding(&reads), [false]);
        reads.checkpointing.store(false, Ordering::Release);
        assert_eq!(self::x(&reads), Some(1));
        assert_eq!(holding(&reads), [true]);
    }

    #[test]
    fn a_checkpoint_waits_for_a_writer_then_gives_up() {
        let (_dir, writer, reads) = database();
        writer.execute("UPDATE t SET x = 2 WHERE id = 1", []).unwrap();
        writer.execute_batch("BEGIN IMMEDIATE").unwrap();
        let started = Instant::now();
        assert!(!reads.checkpoint().unwrap());
        assert!(started.elapsed() >= CHECKPOINT_WAIT);
        writer.execute_batch("COMMIT").unwrap();
        assert!(reads.checkpoint().unwrap());
        assert_eq!(x(&reads), Some(2));
    }

    #[test]
    fn a_backfill_copies_what_no_reader_needs_and_never_waits() {
        let (dir, writer, reads) = database();
        // A reader outside the pool (another process, say) holds an old snapshot.
        let other = Connection::open(dir.path().join("t.db")).unwrap();
        other.execute_batch("BEGIN").unwrap();
        let _: i64 = other
            .query_row("SELECT x FROM t WHERE id = 1", [], |row| row.get(0))
            .unwrap();
        for n in 0..200 {
            writer.execute("INSERT INTO t (x) VALUES (?1)", [n]).unwrap();
        }
        // And a writer is in the middle of a transaction.
        writer.execute_batch("BEGIN IMMEDIATE").unwrap();
        let started = Instant::now();
        assert!(!reads.backfill().unwrap(), "the old snapshot still needs the WAL");
        assert!(started.elapsed() < CHECKPOINT_WAIT);
        other.execute_batch("COMMIT").unwrap();
        assert!(reads.backfill().unwrap(), "nothing needs the WAL now");
        assert!(started.elapsed() < CHECKPOINT_WAIT);
        // A backfill leaves the WAL's file alone; the truncating checkpoint (which
        // waits for the writer) then has nothing left to copy.
        assert!(reads.wal_size() > 0);
        writer.execute_batch("COMMIT").unwrap();
        assert!(reads.checkpoint().unwrap());
        assert_eq!(reads.wal_size(), 0);
        let rows: i64 = writer
            .query_row("SELECT count(*) FROM t", [], |row| row.get(0))
            .unwrap();
        assert_eq!(rows, 201);
    }

    #[test]
    fn without_wal_no_snapshot_is_held() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER); INSERT INTO t VALUES (1, 1);")
            .unwrap();
        let reads = SqliteReads::new(&path);
        assert_eq!(x(&reads), Some(1));
        assert_eq!(holding(&reads), [false]);
        writer.execute("UPDATE t SET x = 2 WHERE id = 1", []).unwrap();
        assert_eq!(x(&reads), Some(2));
    }

    #[test]
    fn only_sqlite_files_are_read_directly() {
        assert!(SqliteReads::for_url("postgres://u@127.0.0.1/db").is_none());
        assert!(SqliteReads::for_url("sqlite::memory:").is_none());
        assert!(
            SqliteReads::for_url("sqlite://data/portal.db?mode=rwc")
                .is_some_and(|reads| { reads.path == Path::new("data/portal.db") })
        );
    }
}
