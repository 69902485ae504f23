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

    /// Whether anyone still waits for `job`'s answer. Jobs nobody waits for are left
    /// out of their batch; by default every job is written.
    fn awaited(_job: &Self::Job) -> bool {
        true
    }
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

/// If the writer task ends before the queue is empty (it panicked, or its runtime shut
/// down), its guard resets `writing` and answers the jobs still queued through
/// [`Writer::abandon`]: their callers get an error instead of waiting for a writer that
/// is gone, and the next job starts a new task. The jobs of the batch being written are
/// dropped with it, which their callers see as an error too. A normal end resets
/// `writing` itself, under the same lock that found the queue empty.
struct Writing<W: Writer> {
    queue: Arc<Mutex<Queue<W::Job>>>,
    done: bool,
}

impl<W: Writer> Drop for Writing<W> {
    fn drop(&mut self) {
        if !self.done {
            let jobs = {
                let mut queue = lock(&self.queue);
                queue.writing = false;
                std::mem::take(&mut queue.jobs)
            };
            jobs.into_iter().for_each(W::abandon);
        }
    }
}

/// Writes batches until the queue is empty.
async fn write_all<W: Writer>(queue: Arc<Mutex<Queue<W::Job>>>, writer: W) {
    let mut writing = Writing::<W> { queue, done: false };
    loop {
        let jobs = {
            let mut queue = lock(&writing.queue);
            if queue.jobs.is_empty() {
                // Under the lock: a job queued after this sees `writing == false` and
                // starts the next task.
                queue.writing = false;
                drop(queue);
                writing.done = true;
                return;
            }
            let take = queue.jobs.len().min(W::MAX_BATCH);
            queue.jobs.drain(..take).filter(W::awaited).collect::<Vec<_>>()
        };
        if !jobs.is_empty() {
            writer.write(jobs).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use tokio::sync::oneshot;

    use super::{GroupCommit, Writer};

    /// Records each batch's jobs; panics on a job numbered 13.
    struct Recorder(std::sync::Arc<Mutex<Vec<Vec<u32>>>>);

    type Job = (u32, oneshot::Sender<Result<u32, ()>>);

    impl Writer for Recorder {
        type Job = Job;
        const MAX_BATCH: usize = 4;

        async fn write(&self, jobs: Vec<Job>) {
            // Let the other callers queue behind this batch.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let numbers = jobs.iter().map(|(n, _)| *n).collect::<Vec<_>>();
            assert!(!numbers.contains(&13), "the writer fails on 13");
            self.0.lock().unwrap().push(numbers);
            for (n, reply) in jobs {
                let _ = reply.send(Ok(n));
            }
        }

        fn abandon((_, reply): Job) {
            let _ = reply.send(Err(()));
        }

        fn awaited((_, reply): &Job) -> bool {
            !reply.is_closed()
        }
    }

    async fn submit_all(
        queue: &GroupCommit<Job>,
        batches: &std::sync::Arc<Mutex<Vec<Vec<u32>>>>,
        numbers: std::ops::Range<u32>,
    ) -> Vec<Result<u32, ()>> {
        let waits = numbers
            .map(|n| {
                let (reply, answer) = oneshot::channel();
                queue.submit((n, reply), || Recorder(batches.clone()));
                answer
            })
            .collect::<Vec<_>>();
        let mut answers = Vec::new();
        for wait in waits {
            // A job nobody answers would wait forever: that fails the test instead.
            let answer = tokio::time::timeout(Duration::from_secs(5), wait)
                .await
                .expect("every job is answered");
            answers.push(answer.unwrap_or(Err(())));
        }
        answers
    }

    #[tokio::test]
    async fn jobs_queued_during_a_batch_go_in_the_next_ones_of_at_most_max_batch() {
        let batches = std::sync::Arc::default();
        let queue = GroupCommit::default();
        let answers = submit_all(&queue, &batches, 0..10).await;
        assert_eq!(answers, (0..10).map(Ok).collect::<Vec<_>>());
        // All ten were queued before the task first ran: 4, 4, 2.
        assert_eq!(
            *batches.lock().unwrap(),
            [vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]
        );
        // The task has ended; the next job starts another.
        batches.lock().unwrap().clear();
        assert_eq!(submit_all(&queue, &batches, 20..21).await, [Ok(20)]);
        assert_eq!(*batches.lock().unwrap(), [vec![20]]);
    }

    #[tokio::test]
    async fn jobs_nobody_awaits_are_left_out() {
        let batches = std::sync::Arc::default();
        let queue = GroupCommit::default();
        let mut waits = (0..7)
            .map(|n| {
                let (reply, answer) = oneshot::channel();
                queue.submit((n, reply), || Recorder(std::sync::Arc::clone(&batches)));
                answer
            })
            .collect::<Vec<_>>();
        // The callers of 1 and of 4 to 6 go away before the task runs.
        waits.truncate(4);
        waits.remove(1);
        for wait in waits {
            wait.await.unwrap().unwrap();
        }
        assert_eq!(*batches.lock().unwrap(), [vec![0, 2, 3]]);
    }

    #[tokio::test]
    async fn a_failed_writer_answers_every_waiting_job_and_the_next_job_starts_anew() {
        let batches = std::sync::Arc::default();
        let queue = GroupCommit::default();
        // 13 is in the first batch (10 to 13): the writer panics, that batch's jobs are
        // dropped and the four queued behind it are abandoned.
        let answers = submit_all(&queue, &batches, 10..18).await;
        assert_eq!(answers, vec![Err(()); 8]);
        assert!(batches.lock().unwrap().is_empty());
        assert_eq!(submit_all(&queue, &batches, 1..3).await, [Ok(1), Ok(2)]);
    }
}
