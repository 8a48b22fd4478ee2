//! The one-shot loopback redirect listener (RFC 8252 §7.3): bound to 127.0.0.1 on an ephemeral
//! port, it waits for the browser's `GET /callback?…`, hands the URL over, and answers the tab
//! with a short page once the sign-in has been decided. Other requests (favicon, stray probes)
//! get a 404 and the wait goes on. Headers are read up to a cap; bodies are never read.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const LOOPBACK_PATH: &str = "/callback";
const MAX_REQUEST_HEAD: usize = 8 * 1024;
const READ_TIMEOUT: Duration = Duration::from_secs(5);

pub struct LoopbackListener {
    listener: TcpListener,
    port: u16,
    /// The host the redirect URI names: `127.0.0.1`, or `localhost` where the provider's app was
    /// registered with `http://localhost:<port>/callback`.
    host: &'static str,
}

/// A browser request that reached `/callback`, waiting for its answer page.
pub struct PendingReply {
    stream: TcpStream,
}

impl LoopbackListener {
    /// Listens on 127.0.0.1: on any free port (`None`), or on the one the provider's app
    /// registered (its redirect URI then names `localhost`, as registered).
    pub async fn bind(registered_port: Option<u16>) -> std::io::Result<LoopbackListener> {
        let listener = TcpListener::bind(("127.0.0.1", registered_port.unwrap_or(0))).await?;
        let port = listener.local_addr()?.port();
        let host = if registered_port.is_some() {
            "localhost"
        } else {
            "127.0.0.1"
        };
        Ok(LoopbackListener {
            listener,
            port,
            host,
        })
    }

    pub fn redirect_uri(&self) -> String {
        format!("http://{}:{}{LOOPBACK_PATH}", self.host, self.port)
    }

    /// The next request for `/callback`, as a full URL. Runs until one arrives; the caller bounds it.
    pub async fn next_callback(&self) -> std::io::Result<(String, PendingReply)> {
        loop {
            let (mut stream, _) = self.listener.accept().await?;
            let Ok(Ok(target)) = tokio::time::timeout(READ_TIMEOUT, read_target(&mut stream)).await
            else {
                let _ = respond(
                    &mut stream,
                    400,
                    "Bad request",
                    "Cremmy could not read this request.",
                )
                .await;
                continue;
            };
            match target {
                Some(target) if target == LOOPBACK_PATH || target.starts_with("/callback?") => {
                    return Ok((
                        format!("http://{}:{}{target}", self.host, self.port),
                        PendingReply { stream },
                    ));
                }
                _ => {
                    let _ = respond(&mut stream, 404, "Not found", "Nothing here.").await;
                }
            }
        }
    }
}

impl PendingReply {
    pub async fn finish(mut self, ok: bool, message: &str) {
        let (status, title) = if ok {
            (200, "Signed in to Cremmy")
        } else {
            (400, "Sign-in did not complete")
        };
        let _ = respond(&mut self.stream, status, title, message).await;
    }
}

/// Reads the request head and returns the target of a `GET`, or `None` for anything else.
async fn read_target(stream: &mut TcpStream) -> std::io::Result<Option<String>> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 || head.len() + n > MAX_REQUEST_HEAD {
            return Ok(None);
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = head.split(|b| *b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut parts = line.split(' ');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("GET"), Some(target), Some(v))
            if v.starts_with("HTTP/1.") && target.starts_with('/') =>
        {
            Ok(Some(target.to_string()))
        }
        _ => Ok(None),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn respond(
    stream: &mut TcpStream,
    status: u16,
    title: &str,
    message: &str,
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <style>body{{font:16px system-ui,sans-serif;margin:4rem auto;max-width:32rem;color:#1f2937}}h1{{font-size:1.4rem}}</style></head>\
         <body><h1>{t}</h1><p>{m}</p><p>You can close this tab and return to Cremmy.</p></body></html>",
        t = escape(title),
        m = escape(message)
    );
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nContent-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\nReferrer-Policy: no-referrer\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}
