//! A cap on how much of one answer the hubs read. The generated google-* clients collect a whole
//! response body into memory, with no limit and no hook; so the connector under them counts the
//! bytes each connection reads since it last wrote (over HTTP/1.1 that is one answer: a request is
//! written, then its answer read) and fails the read past the cap. The connection is then dropped,
//! the hub reports an unreadable answer, and [`trips`] tells `timed` it was this cap.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{ready, Context, Poll};

use google_gmail1::hyper::rt::{Read, ReadBuf, ReadBufCursor, Write};
use google_gmail1::hyper::Uri;
use hyper_util::client::legacy::connect::{Connected, Connection};

/// The most Cremmy reads of one answer from Google (a large Doc with its tabs is a few MiB).
pub const ANSWER_LIMIT: u64 = 32 << 20;

/// How many answers were cut at the cap, ever (read before and after a call to see whether this
/// call's answer was; another call's cut at the same moment could be mistaken for it, which only
/// changes the message of a call that failed anyway).
static TRIPS: AtomicU64 = AtomicU64::new(0);
/// The cap of the last cut answer (for the message).
static LAST_LIMIT: AtomicU64 = AtomicU64::new(ANSWER_LIMIT);

pub fn trips() -> u64 {
    TRIPS.load(Ordering::SeqCst)
}

pub fn last_limit() -> u64 {
    LAST_LIMIT.load(Ordering::SeqCst)
}

/// Wraps a connector; its connections read at most `limit` bytes per answer.
#[derive(Debug, Clone)]
pub struct CappedConnector<C> {
    inner: C,
    limit: u64,
}

impl<C> CappedConnector<C> {
    pub fn new(inner: C, limit: u64) -> CappedConnector<C> {
        CappedConnector { inner, limit }
    }
}

impl<C> tower_service::Service<Uri> for CappedConnector<C>
where
    C: tower_service::Service<Uri>,
    C::Future: Unpin,
{
    type Response = CappedStream<C::Response>;
    type Error = C::Error;
    type Future = Connecting<C::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        Connecting {
            inner: self.inner.call(uri),
            limit: self.limit,
        }
    }
}

/// A connection being made.
pub struct Connecting<F> {
    inner: F,
    limit: u64,
}

impl<F, S, E> Future for Connecting<F>
where
    F: Future<Output = Result<S, E>> + Unpin,
{
    type Output = Result<CappedStream<S>, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let limit = self.limit;
        let stream = ready!(Pin::new(&mut self.inner).poll(cx))?;
        Poll::Ready(Ok(CappedStream {
            inner: stream,
            limit,
            read_since_write: 0,
            scratch: vec![0; SCRATCH],
        }))
    }
}

/// Reads go through a buffer of this size, so they can be counted before they are handed on.
const SCRATCH: usize = 16 << 10;

/// A connection that fails a read once the answer being read passes the cap.
pub struct CappedStream<S> {
    inner: S,
    limit: u64,
    read_since_write: u64,
    scratch: Vec<u8>,
}

fn too_large(limit: u64) -> io::Error {
    io::Error::other(format!("the answer is larger than {limit} bytes"))
}

impl<S: Read + Unpin> Read for CappedStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        let want = buf.remaining().min(this.scratch.len());
        let mut scratch = ReadBuf::new(&mut this.scratch[..want]);
        ready!(Pin::new(&mut this.inner).poll_read(cx, scratch.unfilled()))?;
        let read = scratch.filled();
        this.read_since_write += read.len() as u64;
        if this.read_since_write > this.limit {
            LAST_LIMIT.store(this.limit, Ordering::SeqCst);
            TRIPS.fetch_add(1, Ordering::SeqCst);
            return Poll::Ready(Err(too_large(this.limit)));
        }
        buf.put_slice(read);
        Poll::Ready(Ok(()))
    }
}

impl<S: Write + Unpin> Write for CappedStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let written = ready!(Pin::new(&mut self.inner).poll_write(cx, buf))?;
        if written > 0 {
            // A new request: the next answer starts.
            self.read_since_write = 0;
        }
        Poll::Ready(Ok(written))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<S: Connection> Connection for CappedStream<S> {
    fn connected(&self) -> Connected {
        self.inner.connected()
    }
}
