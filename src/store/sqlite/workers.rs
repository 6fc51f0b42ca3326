//! SQLite work off the caller's executor: one writer thread and a few reader threads, each with
//! its own connection, fed closures through channels; the caller awaits a one-shot reply.
//!
//! All writes of the process go through the one writer connection, so writers in one process
//! never contend for SQLite's lock; across processes sharing a file, write transactions start
//! with `BEGIN IMMEDIATE` and wait (busy timeout) instead of failing with SQLITE_BUSY.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use rusqlite::Connection;

use super::SqliteError;

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// The reply slot of one job.
struct Slot<T> {
    value: Option<T>,
    waker: Option<Waker>,
    /// The worker dropped the job without answering (its thread ended).
    closed: bool,
}

/// Resolves when the worker has answered.
pub(super) struct Reply<T> {
    slot: Arc<Mutex<Slot<T>>>,
}

impl<T> Future for Reply<T> {
    type Output = Result<T, SqliteError>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = match self.slot.lock() {
            Ok(s) => s,
            Err(p) => p.into_inner(),
        };
        if let Some(v) = s.value.take() {
            return Poll::Ready(Ok(v));
        }
        if s.closed {
            return Poll::Ready(Err(SqliteError::WorkerGone));
        }
        s.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// Answers a [`Reply`]; dropping it unanswered closes the reply with an error.
struct Answer<T> {
    slot: Arc<Mutex<Slot<T>>>,
    sent: bool,
}

impl<T> Answer<T> {
    fn send(mut self, v: T) {
        self.finish(Some(v));
    }

    fn finish(&mut self, v: Option<T>) {
        let waker = {
            let mut s = match self.slot.lock() {
                Ok(s) => s,
                Err(p) => p.into_inner(),
            };
            match v {
                Some(v) => s.value = Some(v),
                None => s.closed = true,
            }
            s.waker.take()
        };
        self.sent = true;
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Drop for Answer<T> {
    fn drop(&mut self) {
        if !self.sent {
            self.finish(None);
        }
    }
}

/// The threads and their queues. Dropping it ends the threads once their queues are drained.
pub(super) struct Workers {
    writer: Mutex<Sender<Job>>,
    readers: Mutex<Sender<Job>>,
    /// Batches of scans, on a thread of their own: a scan never occupies the readers that
    /// lookups and pages use.
    scanner: Mutex<Sender<Job>>,
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Workers")
    }
}

/// Runs one job; a panic inside it (a bug) fails that job's reply, not the thread: its answer
/// is dropped unanswered and an open transaction rolls back as it unwinds.
fn run(job: Job, conn: &mut Connection) {
    let _ = catch_unwind(AssertUnwindSafe(|| job(conn)));
}

fn serve(rx: Receiver<Job>, mut conn: Connection) {
    while let Ok(job) = rx.recv() {
        run(job, &mut conn);
    }
}

fn serve_shared(rx: Arc<Mutex<Receiver<Job>>>, mut conn: Connection) {
    loop {
        let job = {
            let rx = match rx.lock() {
                Ok(r) => r,
                Err(p) => p.into_inner(),
            };
            rx.recv()
        };
        match job {
            Ok(job) => run(job, &mut conn),
            Err(_) => return,
        }
    }
}

impl Workers {
    /// Starts one writer thread on `writer`, one reader thread per connection of `readers`,
    /// and the scanner thread on `scanner`.
    pub(super) fn start(
        writer: Connection,
        readers: Vec<Connection>,
        scanner: Connection,
    ) -> Result<Workers, SqliteError> {
        let (stx, srx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sso-scim-sqlite-scanner".into())
            .spawn(move || serve(srx, scanner))
            .map_err(|e| SqliteError::Thread(e.to_string()))?;
        let (wtx, wrx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sso-scim-sqlite-writer".into())
            .spawn(move || serve(wrx, writer))
            .map_err(|e| SqliteError::Thread(e.to_string()))?;
        let (rtx, rrx) = mpsc::channel::<Job>();
        let rrx = Arc::new(Mutex::new(rrx));
        for (i, conn) in readers.into_iter().enumerate() {
            let rrx = rrx.clone();
            std::thread::Builder::new()
                .name(format!("sso-scim-sqlite-reader-{i}"))
                .spawn(move || serve_shared(rrx, conn))
                .map_err(|e| SqliteError::Thread(e.to_string()))?;
        }
        Ok(Workers {
            writer: Mutex::new(wtx),
            readers: Mutex::new(rtx),
            scanner: Mutex::new(stx),
        })
    }

    fn submit<T, F>(&self, queue: &Mutex<Sender<Job>>, f: F) -> Reply<Result<T, SqliteError>>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, SqliteError> + Send + 'static,
    {
        let slot = Arc::new(Mutex::new(Slot {
            value: None,
            waker: None,
            closed: false,
        }));
        let answer = Answer {
            slot: slot.clone(),
            sent: false,
        };
        let job: Job = Box::new(move |conn| answer.send(f(conn)));
        let sent = match queue.lock() {
            Ok(q) => q.send(job).is_ok(),
            Err(p) => p.into_inner().send(job).is_ok(),
        };
        // When the send failed, the job (and its answer) was dropped: the reply reports it.
        let _ = sent;
        Reply { slot }
    }

    /// Runs `f` on the writer connection.
    pub(super) async fn write<T, F>(&self, f: F) -> Result<T, SqliteError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, SqliteError> + Send + 'static,
    {
        self.submit(&self.writer, f).await?
    }

    /// Runs `f` on a reader connection.
    pub(super) async fn read<T, F>(&self, f: F) -> Result<T, SqliteError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, SqliteError> + Send + 'static,
    {
        self.submit(&self.readers, f).await?
    }

    /// Runs `f`, one batch of a scan, on the scanner connection (jobs of concurrent scans
    /// interleave there, batch by batch).
    pub(super) async fn scan<T, F>(&self, f: F) -> Result<T, SqliteError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, SqliteError> + Send + 'static,
    {
        self.submit(&self.scanner, f).await?
    }
}
