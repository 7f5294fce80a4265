//! The accept loop: each accepted connection goes to a task of its own.
//! When accepting fails (out of file descriptors, EMFILE / ENFILE, out of
//! buffers or memory, ENOBUFS / ENOMEM) the listener stays readable, so
//! trying again at once fails again at once: the loop would spin a core
//! until a descriptor is freed. It waits instead, 5 ms after the first
//! failure, doubling up to 1 s, and back to 5 ms after a success; closing
//! connections and the stop signal are served meanwhile.

use std::future::Future;
use std::io;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// The wait after the first failure of a run.
pub(crate) const FIRST_BACKOFF: Duration = Duration::from_millis(5);
/// The longest wait between two attempts.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Something that yields connections: the TCP listener, or a script in
/// tests.
pub(crate) trait Acceptor: Send {
    type Conn: Send + 'static;

    /// The next connection. Must be cancel-safe: the loop drops it when
    /// something else happens first.
    fn accept(&mut self) -> impl Future<Output = io::Result<Self::Conn>> + Send;
}

impl Acceptor for tokio::net::TcpListener {
    type Conn = tokio::net::TcpStream;

    async fn accept(&mut self) -> io::Result<Self::Conn> {
        tokio::net::TcpListener::accept(self).await.map(|(stream, _)| stream)
    }
}

/// Accepts until `stop` fires (or its sender is dropped), running
/// `serve(conn)` for each connection; then aborts the connections still
/// open.
pub(crate) async fn run<A, F, Fut>(mut acceptor: A, mut stop: oneshot::Receiver<()>, mut serve: F)
where
    A: Acceptor,
    F: FnMut(A::Conn) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut connections = JoinSet::new();
    let mut backoff = Backoff::default();
    // Set while waiting after a failed accept.
    let mut resume_at: Option<Instant> = None;
    loop {
        tokio::select! {
            accepted = acceptor.accept(), if resume_at.is_none() => match accepted {
                Ok(conn) => {
                    if backoff.failures > 0 {
                        tracing::info!(failures = backoff.failures, "accepting connections again");
                    }
                    backoff.reset();
                    connections.spawn(serve(conn));
                }
                Err(e) => {
                    let wait = backoff.failed();
                    if backoff.failures == 1 {
                        tracing::warn!(error = %e, "cannot accept a connection; retrying with backoff");
                    } else {
                        tracing::debug!(error = %e, wait_ms = wait.as_millis() as u64, "cannot accept a connection");
                    }
                    resume_at = Some(Instant::now() + wait);
                }
            },
            () = wait_until(resume_at), if resume_at.is_some() => resume_at = None,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = &mut stop => break,
        }
    }
    connections.abort_all();
}

/// The wait before the next attempt: doubles with every failure in a row,
/// from [`FIRST_BACKOFF`] up to [`MAX_BACKOFF`].
#[derive(Debug)]
struct Backoff {
    next: Duration,
    failures: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: FIRST_BACKOFF, failures: 0 }
    }
}

impl Backoff {
    fn failed(&mut self) -> Duration {
        let wait = self.next;
        self.next = (wait * 2).min(MAX_BACKOFF);
        self.failures += 1;
        wait
    }

    fn reset(&mut self) {
        *self = Backoff::default();
    }
}

async fn wait_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failure is the signal

    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Yields the scripted results, then nothing (pending for ever) and
    /// says so on `exhausted`. Records the (virtual) time of every attempt
    /// when it is polled, not when the loop merely builds it.
    struct Scripted {
        script: Arc<Mutex<VecDeque<io::Result<()>>>>,
        attempts: Arc<Mutex<Vec<Instant>>>,
        exhausted: Arc<Mutex<Option<oneshot::Sender<()>>>>,
    }

    impl Acceptor for Scripted {
        type Conn = ();

        fn accept(&mut self) -> impl Future<Output = io::Result<()>> + Send {
            let (script, attempts, exhausted) = (self.script.clone(), self.attempts.clone(), self.exhausted.clone());
            async move {
                let next = script.lock().unwrap().pop_front();
                match next {
                    Some(result) => {
                        attempts.lock().unwrap().push(Instant::now());
                        result
                    }
                    None => {
                        // The first attempt past the script counts; the loop
                        // may rebuild it later (after a connection ends).
                        if let Some(tx) = exhausted.lock().unwrap().take() {
                            attempts.lock().unwrap().push(Instant::now());
                            let _ = tx.send(());
                        }
                        std::future::pending().await
                    }
                }
            }
        }
    }

    fn emfile() -> io::Result<()> {
        Err(io::Error::from_raw_os_error(24)) // EMFILE on Linux and macOS
    }

    /// Out of descriptors twelve times, one connection, three more
    /// failures: the waits double from 5 ms to the 1 s cap, and start again
    /// at 5 ms after the success. Virtual time: nothing here depends on the
    /// machine's speed.
    #[tokio::test(start_paused = true)]
    async fn accept_errors_back_off_exponentially_and_reset_on_success() {
        let mut script: VecDeque<io::Result<()>> = (0..12).map(|_| emfile()).collect();
        script.push_back(Ok(()));
        script.extend((0..3).map(|_| emfile()));
        let attempts = Arc::new(Mutex::new(Vec::new()));
        let (exhausted_tx, exhausted_rx) = oneshot::channel();
        let acceptor = Scripted {
            script: Arc::new(Mutex::new(script)),
            attempts: attempts.clone(),
            exhausted: Arc::new(Mutex::new(Some(exhausted_tx))),
        };
        let served = Arc::new(Mutex::new(0));
        let counter = served.clone();
        let (stop_tx, stop_rx) = oneshot::channel();
        let task = tokio::spawn(run(acceptor, stop_rx, move |()| {
            let counter = counter.clone();
            async move { *counter.lock().unwrap() += 1 }
        }));
        exhausted_rx.await.unwrap();
        stop_tx.send(()).unwrap();
        task.await.unwrap();

        let at = attempts.lock().unwrap().clone();
        assert_eq!(at.len(), 17, "16 scripted results, then the attempt that waits for ever");
        let gaps: Vec<u64> = at.windows(2).map(|w| (w[1] - w[0]).as_millis() as u64).collect();
        let expected: Vec<u64> = vec![5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000, 1000, 0, 5, 10, 20];
        assert_eq!(gaps, expected, "waits between attempts, in ms");
        assert_eq!(*served.lock().unwrap(), 1, "the connection was served");
    }

    /// The stop signal ends the loop during a wait, not after it.
    #[tokio::test(start_paused = true)]
    async fn stop_is_honoured_while_backing_off() {
        let script: VecDeque<io::Result<()>> = (0..1000).map(|_| emfile()).collect();
        let attempts = Arc::new(Mutex::new(Vec::new()));
        let acceptor = Scripted {
            script: Arc::new(Mutex::new(script)),
            attempts: attempts.clone(),
            exhausted: Arc::new(Mutex::new(None)),
        };
        let (stop_tx, stop_rx) = oneshot::channel();
        let started = Instant::now();
        let task = tokio::spawn(run(acceptor, stop_rx, |()| async {}));
        tokio::time::sleep(Duration::from_millis(3000)).await;
        stop_tx.send(()).unwrap();
        task.await.unwrap();
        let n = attempts.lock().unwrap().len();
        // 0, 5, 15, 35, 75, 155, 315, 635, 1275, 2275 ms: ten attempts in 3 s.
        assert_eq!(n, 10, "attempts in 3 s of virtual time");
        assert!(Instant::now() - started < Duration::from_millis(3001), "stopped without finishing the wait");
    }
}
