//! The server's listening socket as axum takes it: an accept that fails, out of open files most
//! often, is said in the log instead of retried in silence as axum's own listener does.

use std::io;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};

use crate::platform::logs::LogSink;

/// How long a failing accept waits before it tries again: files are freed as connections close.
const RETRY: Duration = Duration::from_millis(100);
/// A failure that goes on is said again at most this often.
const SAY_AGAIN: Duration = Duration::from_secs(10);

pub struct Listening {
    inner: TcpListener,
    log: LogSink,
    said_at: Option<Instant>,
}

impl Listening {
    pub fn new(inner: TcpListener, log: LogSink) -> Listening {
        Listening { inner, log, said_at: None }
    }
}

impl axum::serve::Listener for Listening {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            match self.inner.accept().await {
                Ok(accepted) => return accepted,
                // The client gave up before it was accepted: nothing to say.
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                            | io::ErrorKind::ConnectionRefused
                    ) => {}
                Err(error) => {
                    if self.said_at.is_none_or(|at| at.elapsed() >= SAY_AGAIN) {
                        self.said_at = Some(Instant::now());
                        self.log.line(format!(
                            "cannot accept a connection ({error}): new connections wait until some close; \
                             raise the open-file limit (ulimit -n) for more at once"
                        ));
                    }
                    tokio::time::sleep(RETRY).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}
