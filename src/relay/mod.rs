//! Azure Relay's data plane, client side. `protocol` holds the wire types (SAS tokens,
//! connection strings); the listener and sender come with the data-plane work.

pub mod protocol;
