//! The explorer tree: accounts → tenants → subscriptions → resource groups → namespaces →
//! hybrid connections / WCF relays (and SignalR resources). A keyed map of nodes; what is
//! visible (expanded, matching the filter) is flattened into rows once per change, and only the
//! rows on screen are drawn, so thousands of nodes cost what a screenful costs.

use std::collections::{HashMap, HashSet};

use crate::arm::tree::Node;

/// What a tree node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Account,
    Tenant,
    Subscription,
    ResourceGroup,
    Namespace,
    HybridConnection,
    WcfRelay,
    SignalR,
}

impl Kind {
    pub fn of(type_name: &str) -> Option<Kind> {
        let t = type_name.to_ascii_lowercase();
        Some(match t.as_str() {
            "microsoft.resources/subscriptions" => Kind::Subscription,
            "microsoft.resources/resourcegroups" => Kind::ResourceGroup,
            "microsoft.relay/namespaces" => Kind::Namespace,
            // Azure spells these types more than one way (its own REST examples return
            // `Microsoft.Relay/WcfRelays` for a WCF relay).
            "microsoft.relay/namespaces/hybridconnections"
            | "microsoft.relay/hybridconnections" => Kind::HybridConnection,
            "microsoft.relay/namespaces/wcfrelays" | "microsoft.relay/wcfrelays" => Kind::WcfRelay,
            "microsoft.signalrservice/signalr" => Kind::SignalR,
            _ => return None,
        })
    }

    /// A short name for the kind, as shown after a node's name.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Account => "account",
            Kind::Tenant => "tenant",
            Kind::Subscription => "subscription",
            Kind::ResourceGroup => "resource group",
            Kind::Namespace => "Relay namespace",
            Kind::HybridConnection => "hybrid connection",
            Kind::WcfRelay => "WCF relay",
            Kind::SignalR => "SignalR",
        }
    }

    /// Whether the node is an entity the data plane talks to.
    pub fn is_entity(self) -> bool {
        matches!(self, Kind::HybridConnection | Kind::WcfRelay)
    }
}

/// Whether a node's children are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Load {
    /// Has no children to load.
    Leaf,
    NotLoaded,
    Loading,
    Loaded,
    Failed(crate::report::Report),
}

#[derive(Debug, Clone)]
pub struct TreeNode {
    pub key: String,
    pub parent: Option<String>,
    pub children: Vec<String>,
    pub label: String,
    pub kind: Kind,
    pub account: String,
    /// The ARM resource, for ARM nodes.
    pub arm: Option<Node>,
    pub load: Load,
}

impl TreeNode {
    /// A copy without the list of children.
    pub fn shallow(&self) -> TreeNode {
        TreeNode {
            key: self.key.clone(),
            parent: self.parent.clone(),
            children: Vec::new(),
            label: self.label.clone(),
            kind: self.kind,
            account: self.account.clone(),
            arm: self.arm.clone(),
            load: self.load.clone(),
        }
    }
}

/// One visible row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub key: String,
    pub depth: usize,
}

#[derive(Debug, Default)]
pub struct Tree {
    nodes: HashMap<String, TreeNode>,
    roots: Vec<String>,
    pub expanded: HashSet<String>,
    pub selected: Option<String>,
    filter: String,
    rows: Vec<Row>,
    matched: usize,
    dirty: bool,
}

/// The key of an ARM node.
pub fn arm_key(id: &str) -> String {
    id.trim_end_matches('/').to_ascii_lowercase()
}

pub fn account_key(account: &str) -> String {
    format!("account:{account}")
}

pub fn tenant_key(account: &str, tenant: &str) -> String {
    format!("tenant:{account}:{}", tenant.to_ascii_lowercase())
}

/// The ARM id of the node that holds `id` in the tree (resource group of a namespace, namespace
/// of an entity, subscription of a resource group).
fn arm_parent(id: &str) -> Option<String> {
    let parts: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
    let n = parts.len();
    let join = |k: usize| format!("/{}", parts[..k].join("/"));
    match n {
        4 => Some(join(2)),  // resource group → subscription
        8 => Some(join(4)),  // namespace / SignalR → resource group
        10 => Some(join(8)), // entity → namespace
        _ if n > 10 => Some(join(n - 2)),
        _ => None,
    }
}

impl Tree {
    pub fn get(&self, key: &str) -> Option<&TreeNode> {
        self.nodes.get(key)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut TreeNode> {
        self.dirty = true;
        self.nodes.get_mut(key)
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn nodes(&self) -> impl Iterator<Item = &TreeNode> {
        self.nodes.values()
    }

    pub fn filter(&self) -> &str {
        &self.filter
    }

    pub fn set_filter(&mut self, f: &str) {
        if f != self.filter {
            self.filter = f.to_string();
            self.dirty = true;
        }
    }

    /// Adds or replaces a node under `parent` (or as a root), keeping its children.
    pub fn upsert(&mut self, mut node: TreeNode) {
        self.dirty = true;
        if let Some(old) = self.nodes.get(&node.key) {
            node.children = old.children.clone();
            if matches!(node.load, Load::NotLoaded) && old.load != Load::NotLoaded {
                node.load = old.load.clone();
            }
        }
        match &node.parent {
            Some(p) => {
                if let Some(parent) = self.nodes.get_mut(p)
                    && !parent.children.contains(&node.key)
                {
                    parent.children.push(node.key.clone());
                }
            }
            None => {
                if !self.roots.contains(&node.key) {
                    self.roots.push(node.key.clone());
                }
            }
        }
        self.nodes.insert(node.key.clone(), node);
    }

    /// Removes a node and everything under it.
    pub fn remove(&mut self, key: &str) {
        self.dirty = true;
        let Some(node) = self.nodes.remove(key) else {
            return;
        };
        for c in node.children {
            self.remove(&c);
        }
        match node.parent.as_ref().and_then(|p| self.nodes.get_mut(p)) {
            Some(parent) => parent.children.retain(|c| c != key),
            None => self.roots.retain(|r| r != key),
        }
        self.expanded.remove(key);
        if self.selected.as_deref() == Some(key) {
            self.selected = node.parent;
        }
    }

    /// Removes the children of a node.
    pub fn clear_children(&mut self, key: &str) {
        let children = self
            .nodes
            .get(key)
            .map(|n| n.children.clone())
            .unwrap_or_default();
        for c in children {
            self.remove(&c);
        }
    }

    /// Replaces everything under a subscription with `nodes` (depth-first ARM nodes), keeping
    /// what was expanded and selected where it still exists.
    pub fn set_subscription_tree(&mut self, account: &str, subscription_key: &str, nodes: &[Node]) {
        let selected = self.selected.clone();
        let expanded = self.expanded.clone();
        self.clear_children(subscription_key);
        let mut sorted: Vec<&Node> = nodes
            .iter()
            .filter(|n| Kind::of(&n.type_name).is_some_and(|k| k != Kind::Subscription))
            .collect();
        sorted.sort_by_key(|n| n.id.split('/').filter(|s| !s.is_empty()).count());
        for n in sorted {
            let Some(kind) = Kind::of(&n.type_name) else {
                continue;
            };
            let parent = arm_parent(&n.id)
                .map(|p| arm_key(&p))
                .filter(|p| self.nodes.contains_key(p))
                .unwrap_or_else(|| subscription_key.to_string());
            let load = match kind {
                Kind::HybridConnection | Kind::WcfRelay | Kind::SignalR => Load::Leaf,
                _ => Load::Loaded,
            };
            self.upsert(TreeNode {
                key: arm_key(&n.id),
                parent: Some(parent),
                children: Vec::new(),
                label: n.name.clone(),
                kind,
                account: account.to_string(),
                arm: Some(n.clone()),
                load,
            });
        }
        for key in self.subtree_keys(subscription_key) {
            if let Some(node) = self.nodes.get_mut(&key) {
                node.children.sort();
            }
        }
        if let Some(s) = self.nodes.get_mut(subscription_key) {
            s.load = Load::Loaded;
        }
        // What was open or selected stays so where it still exists.
        for k in expanded {
            if self.nodes.contains_key(&k) {
                self.expanded.insert(k);
            }
        }
        if let Some(k) = selected
            && self.nodes.contains_key(&k)
        {
            self.selected = Some(k);
        }
        self.dirty = true;
    }

    fn subtree_keys(&self, key: &str) -> Vec<String> {
        let mut out = vec![key.to_string()];
        let mut i = 0;
        while i < out.len() {
            if let Some(n) = self.nodes.get(&out[i]) {
                out.extend(n.children.iter().cloned());
            }
            i += 1;
        }
        out
    }

    /// The ancestors of a node, nearest first.
    pub fn ancestors(&self, key: &str) -> Vec<&TreeNode> {
        let mut out = Vec::new();
        let mut at = self.nodes.get(key).and_then(|n| n.parent.clone());
        while let Some(k) = at {
            let Some(n) = self.nodes.get(&k) else { break };
            at = n.parent.clone();
            out.push(n);
        }
        out
    }

    /// The nearest ancestor (or the node itself) of a kind.
    pub fn up_to(&self, key: &str, kind: Kind) -> Option<&TreeNode> {
        let node = self.nodes.get(key)?;
        if node.kind == kind {
            return Some(node);
        }
        self.ancestors(key).into_iter().find(|n| n.kind == kind)
    }

    /// The visible rows (expanded nodes; with a filter, matches and their ancestors).
    pub fn rows(&mut self) -> &[Row] {
        if self.dirty {
            (self.rows, self.matched) = self.flatten();
            self.dirty = false;
        }
        &self.rows
    }

    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    /// The rows shown, and how many nodes match the search.
    fn flatten(&self) -> (Vec<Row>, usize) {
        let filter = self.filter.trim().to_lowercase();
        let mut matched = self.nodes.len();
        let keep: Option<HashSet<&str>> = if filter.is_empty() {
            None
        } else {
            let mut keep = HashSet::new();
            matched = 0;
            for n in self.nodes.values() {
                if n.label.to_lowercase().contains(&filter) {
                    matched += 1;
                    keep.insert(n.key.as_str());
                    let mut at = n.parent.as_deref();
                    while let Some(p) = at {
                        if !keep.insert(p) {
                            break;
                        }
                        at = self.nodes.get(p).and_then(|x| x.parent.as_deref());
                    }
                }
            }
            Some(keep)
        };
        let mut rows = Vec::new();
        let mut stack: Vec<(&str, usize)> =
            self.roots.iter().rev().map(|r| (r.as_str(), 0)).collect();
        while let Some((key, depth)) = stack.pop() {
            let Some(node) = self.nodes.get(key) else {
                continue;
            };
            if let Some(keep) = &keep
                && !keep.contains(key)
            {
                continue;
            }
            rows.push(Row {
                key: key.to_string(),
                depth,
            });
            let open = keep.is_some() || self.expanded.contains(key);
            if open {
                for c in node.children.iter().rev() {
                    stack.push((c.as_str(), depth + 1));
                }
            }
        }
        (rows, matched)
    }

    /// The first row (in the order shown) whose own label matches the search.
    pub fn first_match(&mut self) -> Option<String> {
        let filter = self.filter.trim().to_lowercase();
        let rows = self.rows().to_vec();
        rows.into_iter().map(|r| r.key).find(|k| {
            self.nodes
                .get(k)
                .is_some_and(|n| n.label.to_lowercase().contains(&filter))
        })
    }

    /// How many nodes' labels match the search (all of them without one); counted when the
    /// rows are, not every frame.
    pub fn matched(&mut self) -> usize {
        self.rows();
        self.matched
    }

    /// Moves the selection by `delta` visible rows.
    pub fn move_selection(&mut self, delta: isize) {
        let selected = self.selected.clone();
        let rows = self.rows();
        if rows.is_empty() {
            return;
        }
        let at = selected
            .as_ref()
            .and_then(|s| rows.iter().position(|r| &r.key == s));
        let next = match at {
            None => 0,
            Some(i) => (i as isize + delta).clamp(0, rows.len() as isize - 1) as usize,
        };
        self.selected = Some(rows[next].key.clone());
    }

    /// Every hybrid connection and WCF relay, with its namespace's endpoint.
    pub fn entities(&self) -> Vec<&TreeNode> {
        let mut v: Vec<&TreeNode> = self
            .nodes
            .values()
            .filter(|n| n.kind.is_entity() || n.kind == Kind::SignalR)
            .collect();
        v.sort_by(|a, b| a.key.cmp(&b.key));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, t: &str) -> Node {
        Node::from_value(
            &serde_json::json!({"id": id, "type": t, "name": id.rsplit('/').next().unwrap()}),
        )
    }

    fn demo_tree(n_namespaces: usize, n_entities: usize) -> Tree {
        let mut t = Tree::default();
        t.upsert(TreeNode {
            key: "account:a".into(),
            parent: None,
            children: vec![],
            label: "Account".into(),
            kind: Kind::Account,
            account: "a".into(),
            arm: None,
            load: Load::Loaded,
        });
        t.upsert(TreeNode {
            key: "/subscriptions/s".into(),
            parent: Some("account:a".into()),
            children: vec![],
            label: "Dev".into(),
            kind: Kind::Subscription,
            account: "a".into(),
            arm: None,
            load: Load::NotLoaded,
        });
        let mut nodes = vec![node(
            "/subscriptions/s/resourceGroups/rg",
            "Microsoft.Resources/resourceGroups",
        )];
        for i in 0..n_namespaces {
            let ns = format!(
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Relay/namespaces/ns{i}"
            );
            nodes.push(node(&ns, "Microsoft.Relay/namespaces"));
            for j in 0..n_entities {
                nodes.push(node(
                    &format!("{ns}/hybridConnections/hc{j}"),
                    "Microsoft.Relay/namespaces/hybridConnections",
                ));
            }
        }
        t.set_subscription_tree("a", "/subscriptions/s", &nodes);
        t
    }

    #[test]
    fn entities_land_under_their_namespace_and_show_when_expanded() {
        let mut t = demo_tree(2, 3);
        assert_eq!(t.rows().len(), 1, "only the account is visible at first");
        t.expanded.insert("account:a".into());
        t.expanded.insert("/subscriptions/s".into());
        t.mark_dirty();
        assert_eq!(t.rows().len(), 3, "account, subscription, resource group");
        t.expanded
            .insert("/subscriptions/s/resourcegroups/rg".into());
        t.expanded.insert(
            "/subscriptions/s/resourcegroups/rg/providers/microsoft.relay/namespaces/ns1".into(),
        );
        t.mark_dirty();
        let rows: Vec<(String, usize)> = t
            .rows()
            .to_vec()
            .iter()
            .map(|r| (t.get(&r.key).unwrap().label.clone(), r.depth))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("Account".into(), 0),
                ("Dev".into(), 1),
                ("rg".into(), 2),
                ("ns0".into(), 3),
                ("ns1".into(), 3),
                ("hc0".into(), 4),
                ("hc1".into(), 4),
                ("hc2".into(), 4)
            ]
        );
    }

    #[test]
    fn the_filter_shows_matches_with_their_ancestors() {
        let mut t = demo_tree(3, 50);
        t.set_filter("HC42");
        let labels: Vec<String> = t
            .rows()
            .to_vec()
            .iter()
            .map(|r| t.get(&r.key).unwrap().label.clone())
            .collect();
        assert_eq!(
            labels,
            vec![
                "Account", "Dev", "rg", "ns0", "hc42", "ns1", "hc42", "ns2", "hc42"
            ]
        );
        t.set_filter("");
        assert_eq!(t.rows().len(), 1);
    }

    #[test]
    fn keyboard_moves_stay_within_the_rows() {
        let mut t = demo_tree(1, 1);
        t.expanded.insert("account:a".into());
        t.mark_dirty();
        t.move_selection(1);
        assert_eq!(t.selected.as_deref(), Some("account:a"));
        t.move_selection(5);
        assert_eq!(t.selected.as_deref(), Some("/subscriptions/s"));
        t.move_selection(-9);
        assert_eq!(t.selected.as_deref(), Some("account:a"));
    }

    #[test]
    fn a_reload_replaces_what_was_under_the_subscription() {
        let mut t = demo_tree(2, 2);
        let before = t.len();
        let nodes = vec![node(
            "/subscriptions/s/resourceGroups/rg",
            "Microsoft.Resources/resourceGroups",
        )];
        t.expanded
            .insert("/subscriptions/s/resourcegroups/rg".into());
        t.selected = Some("/subscriptions/s/resourcegroups/rg".into());
        t.set_subscription_tree("a", "/subscriptions/s", &nodes);
        assert_eq!(t.len(), 3, "was {before}");
        assert!(
            t.expanded.contains("/subscriptions/s/resourcegroups/rg"),
            "stays open"
        );
        assert_eq!(
            t.selected.as_deref(),
            Some("/subscriptions/s/resourcegroups/rg"),
            "stays selected"
        );
    }
}
