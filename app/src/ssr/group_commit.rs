//! Group commit: writes that arrive while a batch is being written wait, and are
//! written together in the next batch. A lone write goes at once (a batch of one), so
//! batching adds no wait; under load each batch costs one round trip to the database
//! and one commit instead of one per write.
//!
//! Batches are written by a spawned task, so a caller that goes away (a closed
//! connection drops its request) cannot stop a batch that other callers wait for.
//! Each job carries its own reply channel; [`Writer::write`] answers every job it is
//! given.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// What writes the batches of one [`GroupCommit`].
pub trait Writer: Send + Sync + 'static {
    /// One write and the channel its caller waits on.
    type Job: Send + 'static;

    /// At most this many jobs per batch.
    const MAX_BATCH: usize;

    /// Writes `jobs` and answers each of them.
    fn write(&self, jobs: Vec<Self::Job>) -> impl Future<Output = ()> + Send;

    /// Answers a job that will not be written: the writer task panicked.
    fn abandon(job: Self::Job);
}

struct Queue<J> {
    jobs: Vec<J>,
    /// A task is writing batches; it takes the queued jobs before it stops.
    writing: bool,
}

/// A queue of jobs and at most one task writing them; see the module documentation.
pub struct GroupCommit<J> {
    queue: Arc<Mutex<Queue<J>>>,
}

impl<J> Default for GroupCommit<J> {
    fn default() -> Self {
        Self {
            queue: Arc::new(Mutex::new(Queue {
                jobs: Vec::new(),
                writing: false,
            })),
        }
    }
}

impl<J> std::fmt::Debug for GroupCommit<J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").finish_non_exhaustive()
    }
}

impl<J: Send + 'static> GroupCommit<J> {
    /// Queues `job`; if no task is writing, starts one with the writer `writer` makes.
    /// The caller waits for the reply channel inside its job.
    pub fn submit<W: Writer<Job = J>>(&self, job: J, writer: impl FnOnce() -> W) {
        let start = {
            let mut queue = lock(&self.queue);
            queue.jobs.push(job);
            !std::mem::replace(&mut queue.writing, true)
        };
        if start {
            tokio::spawn(write_all(Arc::clone(&self.queue), writer()));
        }
    }
}

fn lock<J>(queue: &Mutex<Queue<J>>) -> MutexGuard<'_, Queue<J>> {
    queue.lock().unwrap_or_else(PoisonError::into_inner)
}

/// If the writer task panics, its unwinding resets `writing` and answers the jobs
/// still queued through [`Writer::abandon`] (their callers get an error instead of
/// waiting for a writer that is gone); the next job starts a new task. A normal end
/// resets `writing` itself, under the same lock that found the queue empty.
struct Writing<W: Writer>(Arc<Mutex<Queue<W::Job>>>);

impl<W: Writer> Drop for Writing<W> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let jobs = {
                let mut queue = lock(&self.0);
                queue.writing = false;
                std::mem::take(&mut queue.jobs)
            };
            jobs.into_iter().for_each(W::abandon);
        }
    }
}

/// Writes batches until the queue is empty.
async fn write_all<W: Writer>(queue: Arc<Mutex<Queue<W::Job>>>, writer: W) {
    let writing = Writing::<W>(queue);
    loop {
        let jobs = {
            let mut queue = lock(&writing.0);
            if queue.jobs.is_empty() {
                // Under the lock: a job queued after this sees `writing == false` and
                // starts the next task.
                queue.writing = false;
                return;
            }
            let take = queue.jobs.len().min(W::MAX_BATCH);
            queue.jobs.drain(..take).collect::<Vec<_>>()
        };
        writer.write(jobs).await;
    }
}
