//! What the details tabs fetch and change in the background: each request marks its value
//! pending (keeping what was there) and runs on the backend, answering with an event.

use super::super::backend::Event;
use super::super::command::{CheckSlot, Command};
use super::super::dialogs::ConfirmAction;
use super::super::fetch::{self, Fetch};
use super::super::grant::NewAssignment;
use super::super::tree::{self, Kind};
use super::{Cx, DetailsPanel, hint};
use crate::arm::RELAY_API;
use crate::arm::tree::Node;
use crate::report::Report;

impl DetailsPanel {
    pub fn request_rules(&mut self, cx: &mut Cx<'_>, key: &str) {
        if !Fetch::wanted(self.rules.get(key)) {
            return;
        }
        let Some((arm, id)) = cx.arm_of(key) else {
            return;
        };
        let namespace = cx
            .tree
            .up_to(key, Kind::Namespace)
            .and_then(|n| n.arm.as_ref())
            .map(|n| n.id.clone())
            .filter(|ns| !ns.eq_ignore_ascii_case(&id));
        fetch::begin(&mut self.rules, key, true);
        let activity = cx.activity.start(
            format!(
                "List SAS rules of {}",
                id.rsplit('/').next().unwrap_or_default()
            ),
            Some(format!("relay-explorer ls {id} --rules {}", cx.cli(key))),
        );
        let entity = key.to_string();
        cx.backend.spawn(activity, async move {
            let mut result = arm
                .list(format!("{id}/authorizationRules"), RELAY_API)
                .await
                .map(|l| l.iter().map(Node::from_value).collect::<Vec<_>>())
                .map_err(|e| hint(&e));
            if let (Ok(rules), Some(ns)) = (&mut result, namespace)
                && let Ok(more) = arm
                    .list(format!("{ns}/authorizationRules"), RELAY_API)
                    .await
            {
                rules.extend(more.iter().map(Node::from_value));
            }
            Event::Rules { entity, result }
        });
    }

    pub(crate) fn request_keys(&mut self, cx: &mut Cx<'_>, rule_id: &str, key: &str) {
        let Some((arm, _)) = cx.arm_of(key) else {
            return;
        };
        let k = tree::arm_key(rule_id);
        self.keys.insert(k, Fetch::Pending(None));
        let activity = cx.activity.start(
            format!("listKeys {}", rule_id.rsplit('/').next().unwrap_or_default()),
            Some(format!(
                "curl -X POST -H \"Authorization: Bearer $(relay-explorer token {})\" '{}{rule_id}/listKeys?api-version={RELAY_API}'",
                cx.cli(key),
                cx.sessions.get(&cx.tree.get(key).map(|n| n.account.clone()).unwrap_or_default()).map(|s| s.cloud.resource_manager.clone()).unwrap_or_default()
            )),
        );
        let rule_id = rule_id.to_string();
        cx.backend.spawn(activity, async move {
            let result = arm.list_keys(&rule_id).await.map_err(|e| hint(&e));
            Event::Keys { rule_id, result }
        });
    }

    pub fn regenerate_key(&mut self, cx: &mut Cx<'_>, rule_id: &str, key: &str, secondary: bool) {
        let Some((arm, _)) = cx.arm_of(key) else {
            return;
        };
        let which = if secondary {
            crate::arm::relay::KeyKind::Secondary
        } else {
            crate::arm::relay::KeyKind::Primary
        };
        let activity = cx.activity.start(
            format!(
                "Regenerate the {} key of {}",
                if secondary { "secondary" } else { "primary" },
                rule_id.rsplit('/').next().unwrap_or_default()
            ),
            None,
        );
        self.keys
            .insert(tree::arm_key(rule_id), Fetch::Pending(None));
        let rule_id = rule_id.to_string();
        cx.backend.spawn(activity, async move {
            let result = arm
                .regenerate_key(&rule_id, which)
                .await
                .map_err(|e| hint(&e));
            Event::Keys { rule_id, result }
        });
    }

    pub(crate) fn request_assignments(&mut self, cx: &mut Cx<'_>, key: &str) {
        if !Fetch::wanted(self.assignments.get(key)) {
            return;
        }
        let Some((arm, graph, id)) = cx.clients_of(key) else {
            return;
        };
        fetch::begin(&mut self.assignments, key, true);
        let activity = cx.activity.start(
            format!(
                "List role assignments of {}",
                id.rsplit('/').next().unwrap_or_default()
            ),
            Some(format!(
                "relay-explorer ls {id} --role-assignments {}",
                cx.cli(key)
            )),
        );
        let scope_key = key.to_string();
        cx.backend.spawn(activity, async move {
            let result = async {
                let mut assignments = arm.assignments_reaching(&id).await.map_err(|e| hint(&e))?;
                graph.name_principals(&mut assignments).await.ok();
                Ok::<_, Report>(assignments)
            }
            .await;
            Event::RoleAssignments {
                scope: scope_key,
                result,
            }
        });
    }

    pub(crate) fn request_who(&mut self, cx: &mut Cx<'_>, key: &str, force: bool) {
        if !force && !Fetch::wanted(self.who.get(key)) {
            return;
        }
        let Some((arm, graph, id)) = cx.clients_of(key) else {
            return;
        };
        fetch::begin(&mut self.who, key, true);
        let activity = cx.activity.start(
            format!(
                "Who can reach {}",
                id.rsplit('/').next().unwrap_or_default()
            ),
            Some(format!(
                "relay-explorer access --entity {id} --who {}",
                cx.cli(key)
            )),
        );
        let entity = key.to_string();
        cx.backend.spawn(activity, async move {
            let result = crate::arm::access::who_can(&arm, &graph, &id)
                .await
                .map_err(|e| Report::of(&e));
            Event::WhoCan { entity, result }
        });
    }

    pub fn request_check_public(&mut self, cx: &mut Cx<'_>, key: &str, who: &str, action: &str) {
        self.request_check(cx, key, who, action, CheckSlot::Entity(key.to_string()));
    }

    pub(crate) fn request_check(
        &mut self,
        cx: &mut Cx<'_>,
        key: &str,
        who: &str,
        action: &str,
        slot: CheckSlot,
    ) {
        let Some((arm, graph, id)) = cx.clients_of(key) else {
            return;
        };
        if let CheckSlot::Entity(k) = &slot {
            self.last_check
                .insert(k.clone(), (who.to_string(), action.to_string()));
        }
        let (map, k) = self.check_map(&slot);
        fetch::begin(map, k, true);
        let activity = cx.activity.start(
            format!(
                "May {who} {action} on {}?",
                id.rsplit('/').next().unwrap_or_default()
            ),
            Some(format!(
                "relay-explorer access --principal {who} --entity {id} --action {action} {}",
                cx.cli(key)
            )),
        );
        let (who, action) = (who.to_string(), action.to_string());
        cx.backend.spawn(activity, async move {
            let result = crate::arm::access::check(&arm, &graph, &id, &who, &action)
                .await
                .map_err(|e| Report::of(&e));
            Event::Checked { slot, result }
        });
    }

    pub(crate) fn change<F>(
        &mut self,
        cx: &mut Cx<'_>,
        key: &str,
        label: String,
        command: Option<String>,
        message: String,
        work: F,
    ) where
        F: std::future::Future<Output = Result<(), crate::arm::ArmError>> + Send + 'static,
    {
        self.change_with(cx, key, label, command, message, async move {
            work.await.map_err(|e| hint(&e))
        });
    }

    /// A change whose failure is already a report (it did more than one ARM call).
    pub(crate) fn change_with<F>(
        &mut self,
        cx: &mut Cx<'_>,
        key: &str,
        label: String,
        command: Option<String>,
        message: String,
        work: F,
    ) where
        F: std::future::Future<Output = Result<(), Report>> + Send + 'static,
    {
        let Some(node) = cx.tree.get(key) else {
            return;
        };
        let account = node.account.clone();
        let subscription = node
            .arm
            .as_ref()
            .and_then(|n| n.id.split('/').nth(2).map(str::to_string))
            .unwrap_or_default();
        let activity = cx.activity.start(label, command);
        cx.backend.spawn(activity, async move {
            let result = work.await;
            Event::Changed {
                account,
                subscription,
                message,
                result,
            }
        });
    }

    pub fn run_confirmed(&mut self, cx: &mut Cx<'_>, action: ConfirmAction) {
        match action {
            ConfirmAction::RemoveAccount(id) => cx.commands.push(Command::RemoveAccount(id)),
            ConfirmAction::Regenerate {
                rule_id,
                key,
                secondary,
            } => self.regenerate_key(cx, &rule_id, &key, secondary),
            ConfirmAction::Delete { id, key } => {
                let Some((arm, _)) = cx.arm_of(&key) else {
                    return;
                };
                let name = id.rsplit('/').next().unwrap_or_default().to_string();
                let target = id.clone();
                self.change(
                    cx,
                    &key,
                    format!("Delete {name}"),
                    None,
                    format!("Deleted {name}"),
                    async move { arm.delete(&target).await },
                );
                cx.commands.push(Command::Forget(tree::arm_key(&id)));
            }
            ConfirmAction::DeleteAssignment { id, key } => {
                let Some((arm, _)) = cx.arm_of(&key) else {
                    return;
                };
                let target = id.clone();
                self.change(
                    cx,
                    &key,
                    "Delete a role assignment".into(),
                    Some(format!("az role assignment delete --ids '{id}'")),
                    "Deleted the role assignment".into(),
                    async move { arm.delete_role_assignment(&target).await },
                );
            }
        }
    }

    /// Makes the role assignment of the *Add role assignment* form: finds the principal's object
    /// id and kind in the directory, then PUTs the assignment; the verdict it was opened from is
    /// checked again once it lands.
    pub fn create_assignment(&mut self, cx: &mut Cx<'_>, form: NewAssignment) {
        let Some((arm, graph, _)) = cx.clients_of(&form.key) else {
            return;
        };
        let who = form.principal.trim().to_string();
        let (role, guid) = (form.role_name().to_string(), form.role_guid().to_string());
        let scope = form.scope_id().to_string();
        self.change_with(
            cx,
            &form.key,
            format!("Assign {role} to {who} at {}", form.scope_label()),
            Some(form.az_command()),
            format!("Assigned {role} to {who}"),
            async move {
                let (object_id, _) = crate::arm::access::resolve_principal(&graph, &who)
                    .await
                    .map_err(|e| Report::of(&e))?;
                let kind = graph
                    .principals(std::slice::from_ref(&object_id))
                    .await
                    .map_err(|e| hint(&e))?
                    .first()
                    .map(|p| p.kind.clone())
                    .unwrap_or_default();
                let principal_type = match kind.as_str() {
                    "user" => "User",
                    "group" => "Group",
                    _ => "ServicePrincipal",
                };
                arm.create_role_assignment(&scope, &guid, &object_id, principal_type)
                    .await
                    .map(|_| ())
                    .map_err(|e| hint(&e))
            },
        );
    }
}
