//! Relay Explorer: a desktop explorer for Azure Relay secured with Microsoft Entra ID, and the
//! local Azure emulator it ships with.
//!
//! Layout (see `docs/architecture.md`):
//! - [`access`]: Azure RBAC evaluated and explained (pure);
//! - [`emulator`]: Entra ID, managed identity, ARM and Graph over TLS, for tests, CI and demos;
//! - [`cli`]: the command line;
//! - `gui`: the desktop window (feature `gui`, on by default).

pub mod access;
pub mod arm;
pub mod auth;
pub mod cli;
pub mod cloud;
pub mod emulator;
pub mod error_chain;
pub mod files;
#[cfg(feature = "gui")]
pub mod gui;
pub mod relay;
pub mod report;
