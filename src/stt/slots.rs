//! Bounded speech work: a few jobs at once, a short line behind them, and
//! `stt_busy` past that.
//!
//! A place in line is given back when the caller leaves (nothing started, so
//! nothing is wasted); once a job has its slot it runs to the end in a task of
//! its own and keeps the slot until then, whether or not anyone still waits
//! for the answer. Before, the slot belonged to the request future while the
//! work ran on the blocking pool: clients that disconnected freed their slots
//! and four whisper jobs ran at once under a limit of one.

use crate::error::{Error, Result};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// The speech service's slots and line.
pub struct Slots {
    permits: Arc<Semaphore>,
    /// Jobs running or waiting.
    in_line: Arc<AtomicUsize>,
    max_in_line: usize,
    /// Jobs holding a slot.
    running: Arc<AtomicUsize>,
}

/// How busy the speech service is (`GET /stt/status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Load {
    pub running: usize,
    pub waiting: usize,
}

impl Slots {
    /// `max_running` jobs at once (at least one), `max_waiting` more in line.
    pub fn new(max_running: usize, max_waiting: usize) -> Slots {
        let max_running = max_running.max(1);
        Slots {
            permits: Arc::new(Semaphore::new(max_running)),
            in_line: Arc::new(AtomicUsize::new(0)),
            max_in_line: max_running + max_waiting,
            running: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Runs `job` once a slot is free (span `stt.queue_wait` for the wait),
    /// or answers `stt_busy` at once when the line is full.
    pub async fn run<T, F>(&self, job: F) -> Result<T>
    where
        F: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        let place = Counted::take(&self.in_line, self.max_in_line).ok_or(Error::SttBusy)?;
        let permit = crate::perf_timed!("stt.queue_wait", self.permits.clone().acquire_owned())
            .await
            .map_err(|_| Error::Internal("speech service closed".into()))?;
        let running = Counted::take(&self.running, usize::MAX).expect("no limit");
        crate::perf::spawn_in_request(async move {
            let _held = (place, permit, running);
            job.await
        })
        .await
        .map_err(|e| Error::Internal(format!("speech task failed: {e}")))?
    }

    /// Every slot and place in line is taken: a new job would get `stt_busy`.
    pub fn is_full(&self) -> bool {
        self.in_line.load(Ordering::SeqCst) >= self.max_in_line
    }

    /// Jobs running and waiting now.
    pub fn load(&self) -> Load {
        let running = self.running.load(Ordering::SeqCst);
        let in_line = self.in_line.load(Ordering::SeqCst);
        Load {
            running,
            waiting: in_line.saturating_sub(running),
        }
    }
}

/// One unit of a shared counter, given back on drop.
struct Counted(Arc<AtomicUsize>);

impl Counted {
    fn take(counter: &Arc<AtomicUsize>, max: usize) -> Option<Counted> {
        let before = counter.fetch_add(1, Ordering::SeqCst);
        if before >= max {
            counter.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Counted(counter.clone()))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// A job that notes how many jobs run at once, then works (blocking) for a while.
    async fn job(
        now: Arc<AtomicUsize>,
        peak: Arc<AtomicUsize>,
        done: Arc<AtomicUsize>,
    ) -> Result<()> {
        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
        peak.fetch_max(n, Ordering::SeqCst);
        tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(300)))
            .await
            .unwrap();
        now.fetch_sub(1, Ordering::SeqCst);
        done.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_who_leave_do_not_free_a_running_jobs_slot() {
        let slots = Arc::new(Slots::new(1, 4));
        let (now, peak, done) = Default::default();
        let (now, peak, done): (Arc<AtomicUsize>, Arc<AtomicUsize>, Arc<AtomicUsize>) =
            (now, peak, done);
        // Three callers give up after 50 ms; the first of them has started.
        for _ in 0..3 {
            let fut = slots.run(job(now.clone(), peak.clone(), done.clone()));
            let _ = tokio::time::timeout(Duration::from_millis(50), fut).await;
        }
        // A fourth waits for its answer.
        slots
            .run(job(now.clone(), peak.clone(), done.clone()))
            .await
            .unwrap();
        assert_eq!(
            peak.load(Ordering::SeqCst),
            1,
            "never more than one at once"
        );
        // The started job ran to its end; the two that never started were cancelled.
        assert_eq!(done.load(Ordering::SeqCst), 2);
        assert_eq!(
            slots.load(),
            Load {
                running: 0,
                waiting: 0
            }
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_line_is_busy_at_once() {
        let slots = Arc::new(Slots::new(1, 1));
        let (now, peak, done): (Arc<AtomicUsize>, Arc<AtomicUsize>, Arc<AtomicUsize>) =
            Default::default();
        let a = tokio::spawn({
            let s = slots.clone();
            let j = job(now.clone(), peak.clone(), done.clone());
            async move { s.run(j).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let b = tokio::spawn({
            let s = slots.clone();
            let j = job(now.clone(), peak.clone(), done.clone());
            async move { s.run(j).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            slots.load(),
            Load {
                running: 1,
                waiting: 1
            }
        );
        let e = slots
            .run(job(now.clone(), peak.clone(), done.clone()))
            .await
            .unwrap_err();
        assert!(matches!(e, Error::SttBusy));
        a.await.unwrap().unwrap();
        b.await.unwrap().unwrap();
        assert_eq!(done.load(Ordering::SeqCst), 2);
    }
}
