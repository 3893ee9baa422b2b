//! Azure Relay's data plane, client side: `protocol` holds the wire types (SAS tokens,
//! connection strings); `client` where an entity is and how to authorise; `listener` the
//! listener and the senders.

pub mod client;
pub mod listener;
pub mod protocol;

use futures::{Sink, SinkExt};
use tokio::sync::mpsc;

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
