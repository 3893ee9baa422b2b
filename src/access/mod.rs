//! Azure RBAC, evaluated exactly and explained: pure functions, no I/O.
//!
//! The same code authorises the emulator's ARM calls (actions) and Relay connections (data
//! actions), and answers the explorer's "who may, and why" questions, so its tests state Azure's
//! documented behaviour (see `shared/spec/azure-management-and-identity.md` §4–5):
//!
//! 1. assignments apply at their scope and every scope below it (never upwards or sideways);
//! 2. a deny assignment that matches the principal, the scope and the action wins over any grant;
//! 3. a role grants `Actions − NotActions` (management) or `DataActions − NotDataActions` (data);
//!    the two sets never mix, and `NotActions` is a subtraction, not a deny: another role that
//!    grants the action still grants it;
//! 4. matching is case-insensitive and `*` spans any run of characters, `/` included.

pub mod builtin;
pub mod explain;
pub mod model;

pub use model::*;

/// Whether an action is a management-plane action or a data action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    Action,
    DataAction,
}

/// Who is asking: the principal's object id and the object ids of every group it belongs to,
/// directly or through nested groups.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub principal_id: &'a str,
    pub groups: &'a [String],
}

/// Everything the evaluator needs to know about the directory and the assignments.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot<'a> {
    pub definitions: &'a [RoleDefinition],
    pub assignments: &'a [RoleAssignment],
    pub deny_assignments: &'a [DenyAssignment],
}

/// The resource an action targets, with the management-group scopes above its subscription
/// (ARM ids do not name them, so the caller supplies them).
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub scope: &'a str,
    pub management_groups: &'a [String],
}

/// One way a role assignment grants the action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleGrant {
    pub assignment_id: String,
    pub scope: String,
    pub role_definition_id: String,
    pub role_name: String,
    /// The group through which the principal holds the assignment, if not held directly.
    pub via_group: Option<String>,
    /// The pattern in `Actions` / `DataActions` that matched.
    pub matched: String,
    /// The assignment carries an ABAC condition, which is shown but not evaluated: such a grant
    /// does not make the verdict "allowed" on its own.
    pub condition: Option<String>,
    /// When the assignment was made (RFC 3339), to flag ones that may still be propagating.
    pub created_on: Option<String>,
}

/// Something that takes the action away.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// A deny assignment: it wins over every grant.
    Deny {
        deny_assignment_id: String,
        name: String,
        scope: String,
        matched: String,
    },
    /// A role whose `Actions`/`DataActions` matched but whose `NotActions`/`NotDataActions` took
    /// the action out again. Only blocks if no other role grants the action.
    NotActions {
        assignment_id: String,
        role_name: String,
        via_group: Option<String>,
        matched: String,
        excluded_by: String,
    },
}

/// The answer, with its proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub grants: Vec<RoleGrant>,
    pub blocked_by: Vec<Block>,
}

impl Verdict {
    pub fn denied_by_assignment(&self) -> bool {
        self.blocked_by
            .iter()
            .any(|b| matches!(b, Block::Deny { .. }))
    }
}

/// Evaluates `action` for `subject` on `target`.
pub fn evaluate(
    snapshot: &Snapshot<'_>,
    subject: &Subject<'_>,
    target: &Target<'_>,
    action: &str,
    kind: ActionKind,
) -> Verdict {
    let mut grants = Vec::new();
    let mut blocked_by = Vec::new();

    for assignment in snapshot.assignments {
        if !scope_applies(&assignment.scope, target) {
            continue;
        }
        let via_group = if assignment
            .principal_id
            .eq_ignore_ascii_case(subject.principal_id)
        {
            None
        } else if let Some(g) = subject
            .groups
            .iter()
            .find(|g| g.eq_ignore_ascii_case(&assignment.principal_id))
        {
            Some(g.clone())
        } else {
            continue;
        };
        let Some(definition) = snapshot
            .definitions
            .iter()
            .find(|d| d.id.eq_ignore_ascii_case(&assignment.role_definition_id))
        else {
            continue;
        };
        for permission in &definition.permissions {
            match permission_decides(permission, action, kind) {
                PermissionMatch::None => {}
                PermissionMatch::Granted(matched) => grants.push(RoleGrant {
                    assignment_id: assignment.arm_id(),
                    scope: assignment.scope.clone(),
                    role_definition_id: definition.id.clone(),
                    role_name: definition.role_name.clone(),
                    via_group: via_group.clone(),
                    matched,
                    condition: assignment.condition.clone(),
                    created_on: assignment.created_on.clone(),
                }),
                PermissionMatch::Excluded {
                    matched,
                    excluded_by,
                } => blocked_by.push(Block::NotActions {
                    assignment_id: assignment.arm_id(),
                    role_name: definition.role_name.clone(),
                    via_group: via_group.clone(),
                    matched,
                    excluded_by,
                }),
            }
        }
    }

    for deny in snapshot.deny_assignments {
        if !deny_scope_applies(deny, target) || !deny_names_subject(deny, subject) {
            continue;
        }
        for permission in &deny.permissions {
            if let PermissionMatch::Granted(matched) = permission_decides(permission, action, kind)
            {
                blocked_by.push(Block::Deny {
                    deny_assignment_id: deny.arm_id(),
                    name: deny.deny_assignment_name.clone(),
                    scope: deny.scope.clone(),
                    matched,
                });
            }
        }
    }

    let denied = blocked_by.iter().any(|b| matches!(b, Block::Deny { .. }));
    let granted = grants.iter().any(|g| g.condition.is_none());
    Verdict {
        allowed: granted && !denied,
        grants,
        blocked_by,
    }
}

enum PermissionMatch {
    None,
    Granted(String),
    Excluded {
        matched: String,
        excluded_by: String,
    },
}

fn permission_decides(permission: &Permission, action: &str, kind: ActionKind) -> PermissionMatch {
    let (allow, not) = match kind {
        ActionKind::Action => (&permission.actions, &permission.not_actions),
        ActionKind::DataAction => (&permission.data_actions, &permission.not_data_actions),
    };
    let Some(matched) = allow.iter().find(|p| action_matches(p, action)) else {
        return PermissionMatch::None;
    };
    match not.iter().find(|p| action_matches(p, action)) {
        Some(excluded_by) => PermissionMatch::Excluded {
            matched: matched.clone(),
            excluded_by: excluded_by.clone(),
        },
        None => PermissionMatch::Granted(matched.clone()),
    }
}

/// Does an assignment made at `scope` reach `target`? At the scope itself and every scope below
/// it; the root `/` and the target's management groups reach everything under them.
pub fn scope_applies(scope: &str, target: &Target<'_>) -> bool {
    let scope = model::scope_prefix(scope);
    if scope.is_empty() {
        return true; // the root scope "/"
    }
    if target
        .management_groups
        .iter()
        .any(|mg| model::scope_prefix(mg).eq_ignore_ascii_case(scope))
    {
        return true;
    }
    is_same_or_below(target.scope, scope)
}

/// Is `child` the scope `parent` itself or a scope below it (case-insensitive, segment-wise)?
pub fn is_same_or_below(child: &str, parent: &str) -> bool {
    let child = model::scope_prefix(child);
    let parent = model::scope_prefix(parent);
    if parent.is_empty() {
        return true;
    }
    child.len() >= parent.len()
        && child.as_bytes()[..parent.len()].eq_ignore_ascii_case(parent.as_bytes())
        && (child.len() == parent.len() || child.as_bytes()[parent.len()] == b'/')
}

fn deny_scope_applies(deny: &DenyAssignment, target: &Target<'_>) -> bool {
    if deny.do_not_apply_to_child_scopes {
        model::scope_prefix(&deny.scope).eq_ignore_ascii_case(model::scope_prefix(target.scope))
    } else {
        scope_applies(&deny.scope, target)
    }
}

fn deny_names_subject(deny: &DenyAssignment, subject: &Subject<'_>) -> bool {
    let is_subject = |id: &str| {
        id.eq_ignore_ascii_case(subject.principal_id)
            || subject.groups.iter().any(|g| g.eq_ignore_ascii_case(id))
    };
    let named = deny
        .principals
        .iter()
        .any(|p| p.id == EVERYONE || is_subject(&p.id));
    let excluded = deny.exclude_principals.iter().any(|p| is_subject(&p.id));
    named && !excluded
}

/// Azure's action pattern match: case-insensitive, `*` matches any run of characters
/// (including `/`), everything else literally.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    let p = pattern.as_bytes();
    let a = action.as_bytes();
    let (mut pi, mut ai) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ai < a.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ai));
            pi += 1;
        } else if pi < p.len() && p[pi].eq_ignore_ascii_case(&a[ai]) {
            pi += 1;
            ai += 1;
        } else if let Some((sp, sa)) = star {
            pi = sp + 1;
            ai = sa + 1;
            star = Some((sp, sa + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests;
