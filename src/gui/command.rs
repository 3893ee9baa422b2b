//! What a panel asks for while it draws, run by `App` once at the end of the frame: navigation,
//! loads, changes, sign-in and dialogs. No panel changes app-level state itself.

use super::app::View;
use super::dialogs::Confirm;

/// One thing a panel wants done.
#[must_use]
#[derive(Debug, Clone)]
pub enum Command {
    Select(String),
    Toggle(String),
    Refresh(String),
    OpenConsole {
        entity: String,
        listen: bool,
    },
    CloseConsole(u64),
    ShowView(View),
    AddAccount,
    RemoveAccount(String),
    SignIn(String),
    /// Stops a running activity.
    Cancel(u64),
    /// Asks the user to confirm (a deletion, a key regeneration, removing an account).
    Confirm(Confirm),
    /// Adds an entity under a connection-string account's namespace.
    AttachEntity {
        account: String,
        entity: String,
    },
    /// Opens the *Add role assignment* dialog, filled in.
    AddRoleAssignment(Box<super::grant::NewAssignment>),
    /// A node is gone (deleted here): drop it from the tree.
    Forget(String),
}

/// Where an access check's verdict goes: the Access tab (by entity) or the Identities view (by
/// identity, entity and action). Background work carries it back untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckSlot {
    Entity(String),
    Identity(String),
}
