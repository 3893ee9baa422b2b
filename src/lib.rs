//! Relay Explorer: a desktop explorer for Azure Relay secured with Microsoft Entra ID, and the
//! local Azure emulator it ships with.
//!
//! Layers, bottom first (each uses only those before it; `docs/architecture.md`,
//! `scripts/check-layers`):
//! - [`files`], [`error_chain`]: atomic private writes; an error on one line;
//! - [`access`]: Azure RBAC evaluated and explained, and the hint of a refusal (pure);
//! - [`relay::protocol`]: the Hybrid Connections wire types;
//! - [`cloud`]: endpoints, the ready-file format, TLS trust; [`auth`]: credentials → tokens;
//! - [`arm`]: the management plane client; [`relay`]: the data plane client;
//! - [`report`]: an error as a person reads it, with its hint;
//! - [`emulator`]: Entra ID, managed identity, ARM, Graph and the relay over TLS;
//! - `gui`: the desktop window (feature `gui`, on by default); [`cli`]: the command line.

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
