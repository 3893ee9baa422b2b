//! Hybrid Connections wire types, shared by the client and the emulator: SAS tokens and
//! connection strings (`shared/spec/hybrid-connections.md` §2), the control channel's messages
//! (§3–§5) and the WebSocket settings and batch writer both sides use.

pub mod connection_string;
pub mod control;
pub mod sas;
pub mod ws;

pub use connection_string::{ConnectionString, ConnectionStringError};
pub use control::ControlMessage;
pub use sas::{SasError, SasToken};
