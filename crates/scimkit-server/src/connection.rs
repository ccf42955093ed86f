//! Serving connections: the connection cap, the idle and header timeouts, graceful shutdown.
//!
//! Each connection is watched: while it waits for the first byte of a request it is *idle*
//! (closed after [`ConnectionLimits::idle_timeout`]); from that byte until the request reaches
//! the application it is *reading a head* (closed after
//! [`ConnectionLimits::header_timeout`]); the application bounds the body
//! ([`ConnectionLimits::body_timeout`], 408). Hyper's own header-read timer is set to the sum
//! of the first two as a backstop.

use crate::options::{ConnectionLimits, RequestLimits};
use crate::proxy::PeerAddr;
use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower_service::Service;

/// The longest header-read backstop given to hyper (which adds it to the current instant).
const BACKSTOP_CAP: Duration = Duration::from_secs(2 * 24 * 60 * 60);

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting, lets
/// in-flight requests finish for up to [`ConnectionLimits::shutdown_grace`] and returns.
///
/// # Errors
/// None today (accept errors such as running out of file descriptors are logged and retried);
/// the `Result` leaves room for listener set-up failures.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    request_limits: RequestLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(
        limits.max_connections.clamp(1, Semaphore::MAX_PERMITS),
    ));
    let (stop, stopped) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(
            limits
                .idle_timeout
                .saturating_add(limits.header_timeout)
                .min(BACKSTOP_CAP),
        )
        .max_buf_size(request_limits.parser_buffer_bytes())
        .max_headers(request_limits.parser_max_headers());
    let http = Arc::new(http);
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let permit = tokio::select! {
            () = &mut shutdown => break,
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        connections.spawn(connection(
            stream,
            peer,
            app.clone(),
            http.clone(),
            limits,
            stopped.clone(),
            permit,
        ));
    }
    drop(listener);
    let _ = stop.send(true);
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            "{} connections still open after the shutdown grace period; closing them",
            connections.len()
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// Serves one connection until it ends, times out, or shutdown lets it finish.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    http: Arc<hyper::server::conn::http1::Builder>,
    limits: ConnectionLimits,
    mut stopped: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let phase = Arc::new(Mutex::new(Phase::Idle(Instant::now())));
    let io = TokioIo::new(Watched::new(stream, phase.clone()));
    let service_phase = phase.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        set(&service_phase, Phase::Busy);
        let mut app = app.clone();
        let done = service_phase.clone();
        async move {
            let mut req = req.map(Body::new);
            req.extensions_mut().insert(PeerAddr(peer));
            let resp = app.call(req).await;
            set(&done, Phase::Idle(Instant::now()));
            resp
        }
    });
    let conn = http.serve_connection(io, service);
    tokio::pin!(conn);
    let tick = (limits.idle_timeout.min(limits.header_timeout) / 4)
        .clamp(Duration::from_millis(5), Duration::from_secs(1));
    let mut ticks = tokio::time::interval(tick);
    let mut stopping = false;
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = ticks.tick() => {
                if expired(&phase, &limits) {
                    return; // dropping the connection closes the socket
                }
            }
            changed = stopped.changed(), if !stopping => {
                stopping = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// Where a connection is in its request cycle.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a request's first byte, since then.
    Idle(Instant),
    /// Reading a request head, since its first byte.
    Head(Instant),
    /// A request is with the application (it bounds the body itself).
    Busy,
}

fn set(phase: &Mutex<Phase>, to: Phase) {
    *phase.lock().unwrap_or_else(PoisonError::into_inner) = to;
}

fn expired(phase: &Mutex<Phase>, limits: &ConnectionLimits) -> bool {
    match *phase.lock().unwrap_or_else(PoisonError::into_inner) {
        Phase::Idle(since) => since.elapsed() >= limits.idle_timeout,
        Phase::Head(since) => since.elapsed() >= limits.header_timeout,
        Phase::Busy => false,
    }
}

/// A socket that moves its connection from idle to reading a head when bytes arrive, and
/// gives the HTTP parser's own error answers a SCIM body.
///
/// Hyper answers a request it cannot parse (bytes that are not HTTP, a head beyond its buffer)
/// itself, with an empty body, before any application code runs. Such an answer is the only
/// thing written while a head is being read, so a write in that phase is replaced by the same
/// status with a SCIM error body (`application/scim+json`, `Connection: close`); hyper closes
/// the connection after it, and what it writes afterwards is dropped.
struct Watched {
    inner: TcpStream,
    phase: Arc<Mutex<Phase>>,
    /// A replacement answer being written, and how much of it is written.
    replacement: Option<(Vec<u8>, usize)>,
    /// The parser's answer was replaced: the connection ends, further writes are dropped.
    replaced: bool,
}

impl Watched {
    fn new(inner: TcpStream, phase: Arc<Mutex<Phase>>) -> Self {
        Watched {
            inner,
            phase,
            replacement: None,
            replaced: false,
        }
    }

    fn reading_head(&self) -> bool {
        matches!(
            *self.phase.lock().unwrap_or_else(PoisonError::into_inner),
            Phase::Head(_)
        )
    }

    /// Handles a write of `len` bytes starting with `head`: `None` to pass it to the socket,
    /// or the outcome when it is (or follows) a parser answer that is replaced.
    fn intercept(
        &mut self,
        cx: &mut Context<'_>,
        head: &[u8],
        len: usize,
    ) -> Option<Poll<std::io::Result<usize>>> {
        if self.replacement.is_none() && !self.replaced {
            let status = parser_error_status(head)?;
            if !self.reading_head() {
                return None;
            }
            self.replacement = Some((scim_error_answer(status), 0));
        }
        while let Some((bytes, written)) = self.replacement.as_mut() {
            if *written == bytes.len() {
                self.replacement = None;
                self.replaced = true;
                break;
            }
            match Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]) {
                Poll::Ready(Ok(n)) => *written += n,
                Poll::Ready(Err(e)) => return Some(Poll::Ready(Err(e))),
                Poll::Pending => return Some(Poll::Pending),
            }
        }
        Some(Poll::Ready(Ok(len)))
    }
}

/// The status of an answer that only the HTTP parser writes: an error status (4xx, 5xx) whose
/// head names no content type. Every error the application writes carries
/// `application/scim+json`, so even a pipelined request read while such an answer is pending
/// cannot make an application answer look like the parser's.
fn parser_error_status(head: &[u8]) -> Option<u16> {
    let status = head
        .strip_prefix(b"HTTP/1.1 ")?
        .get(..3)
        .and_then(|s| std::str::from_utf8(s).ok())?
        .parse::<u16>()
        .ok()
        .filter(|s| *s >= 400)?;
    let head_end = head
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(head.len());
    let names_type = head[..head_end]
        .split(|b| *b == b'\n')
        .any(|line| line.len() >= 13 && line[..13].eq_ignore_ascii_case(b"content-type:"));
    (!names_type).then_some(status)
}

/// A complete HTTP/1.1 answer with this status and a SCIM error body.
fn scim_error_answer(status: u16) -> Vec<u8> {
    let (reason, detail) = match status {
        431 => (
            "Request Header Fields Too Large",
            "The request head is larger than the server accepts",
        ),
        408 => (
            "Request Timeout",
            "The request head was not received in time",
        ),
        _ => ("Bad Request", "The request is not valid HTTP/1.1"),
    };
    let body = scimkit_schema::ScimError::new(status, None, detail)
        .to_json()
        .to_string();
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/scim+json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            let mut phase = this.phase.lock().unwrap_or_else(PoisonError::into_inner);
            if let Phase::Idle(_) = *phase {
                *phase = Phase::Head(Instant::now());
            }
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        if let Some(done) = this.intercept(cx, buf, buf.len()) {
            return done;
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let head = bufs
            .iter()
            .find(|b| !b.is_empty())
            .map_or(&[][..], |b| &b[..]);
        let len = bufs.iter().map(|b| b.len()).sum();
        if let Some(done) = this.intercept(cx, head, len) {
            return done;
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::parser_error_status;

    #[test]
    fn only_the_parsers_own_answers_are_replaced() {
        let parser = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        assert_eq!(parser_error_status(parser), Some(400));
        let too_big = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(parser_error_status(too_big), Some(431));
        let app_error = b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/scim+json\r\n\
                          content-length: 90\r\n\r\n{}";
        assert_eq!(parser_error_status(app_error), None);
        assert_eq!(
            parser_error_status(b"HTTP/1.1 204 No Content\r\n\r\n"),
            None
        );
        assert_eq!(parser_error_status(b"HTTP/1.1 200 OK\r\n\r\n"), None);
    }
}
