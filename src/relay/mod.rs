//! Azure Relay's data plane, client side: `protocol` holds the wire types (SAS tokens,
//! connection strings, control-channel messages, WebSocket settings), shared with the emulator;
//! `client` where an entity is and how to authorise; `listener` the listener and the senders.

pub mod client;
pub mod error;
pub mod listener;
pub mod protocol;

pub use error::RelayError;
pub use protocol::ws::write_batches;
