//! Hybrid Connections wire types that need no socket: SAS tokens and connection strings
//! (`shared/spec/hybrid-connections.md` §2).

pub mod connection_string;
pub mod sas;

pub use connection_string::{ConnectionString, ConnectionStringError};
pub use sas::{SasError, SasToken};
