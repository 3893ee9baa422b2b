//! WebSockets as both sides of the relay use them: the read buffer, and the writer that sends
//! batches of messages without splitting one (a request and its body).

use futures::{Sink, SinkExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// What one read from a WebSocket may take at most. tungstenite zeroes the unread part of its
/// buffer before every read, so its 128 KiB default cost a 128 KiB `memset` per message (a third
/// of the relay's CPU time in `cargo bench --bench relay_echo`); 16 KiB is one TLS record.
pub const WS_READ_BUFFER: usize = 16 * 1024;

/// The WebSocket settings of every socket this crate opens or accepts.
pub fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(WS_READ_BUFFER)
}

/// At most this many queued batches go out before a flush.
const WRITE_BATCH: usize = 64;

/// Writes batches of messages from `rx` to `sink` until either ends or `is_close` matches a
/// message (written, then the writer stops). A batch is never split, and batches already queued
/// behind it share its flush: one TLS record and one system call for a request and its body,
/// fewer under load, while a lone message still goes out at once.
pub async fn write_batches<M, S>(
    mut sink: S,
    mut rx: mpsc::UnboundedReceiver<Vec<M>>,
    is_close: fn(&M) -> bool,
) where
    S: Sink<M> + Unpin,
{
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        let mut written = 0;
        while let Some(batch) = next.take() {
            for m in batch {
                let closing = is_close(&m);
                if sink.feed(m).await.is_err() {
                    return;
                }
                if closing {
                    let _ = sink.flush().await;
                    return;
                }
            }
            written += 1;
            if written < WRITE_BATCH {
                next = rx.try_recv().ok();
            }
        }
        if sink.flush().await.is_err() {
            return;
        }
    }
}
