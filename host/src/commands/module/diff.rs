//! Comparing two modules' outputs for the same batch, item by item, as DynamoDB would store
//! them: items are matched by their key attributes (a later item with the same key replaces
//! an earlier one, as in the sink), attributes are compared by name and DynamoDB value.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value as Json;

use swapstream_core::item::{Item, Output, dynamodb_json};

/// How two outputs differ.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct OutputDiff {
    /// Items (by key) identical in both.
    pub same: usize,
    /// Items present in both with different attributes: key, then the attribute changes.
    pub changed: Vec<(String, Vec<AttributeChange>)>,
    /// Keys of items only the old module produced.
    pub only_old: Vec<String>,
    /// Keys of items only the new module produced.
    pub only_new: Vec<String>,
    /// Rejections (`topic/partition@offset`) in both with the same reason.
    pub same_rejections: usize,
    /// Rejections that differ: coordinates, old reason, new reason (`None`: not rejected).
    pub rejections: Vec<(String, Option<String>, Option<String>)>,
}

/// One attribute that differs.
#[derive(Debug, PartialEq, Eq)]
pub enum AttributeChange {
    /// Only the new item has it.
    Added(String, String),
    /// Only the old item has it.
    Removed(String, String),
    /// Both have it, with different values: name, old, new.
    Changed(String, String, String),
}

impl OutputDiff {
    /// Whether the outputs are the same.
    pub fn is_same(&self) -> bool {
        self.changed.is_empty()
            && self.only_old.is_empty()
            && self.only_new.is_empty()
            && self.rejections.is_empty()
    }

    /// The differences as text, then a summary line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (key, changes) in &self.changed {
            let _ = writeln!(out, "~ {key}");
            for change in changes {
                let _ = match change {
                    AttributeChange::Added(name, v) => writeln!(out, "    + {name}: {v}"),
                    AttributeChange::Removed(name, v) => writeln!(out, "    - {name}: {v}"),
                    AttributeChange::Changed(name, a, b) => {
                        writeln!(out, "    ~ {name}: {a} -> {b}")
                    }
                };
            }
        }
        for key in &self.only_old {
            let _ = writeln!(out, "- {key} (only in OLD)");
        }
        for key in &self.only_new {
            let _ = writeln!(out, "+ {key} (only in NEW)");
        }
        for (record, old, new) in &self.rejections {
            let show = |r: &Option<String>| r.clone().unwrap_or_else(|| "(accepted)".into());
            let _ = writeln!(out, "! rejection {record}: {} -> {}", show(old), show(new));
        }
        let _ = writeln!(
            out,
            "items: {} same, {} changed, {} only in OLD, {} only in NEW; rejections: {} same, {} different",
            self.same,
            self.changed.len(),
            self.only_old.len(),
            self.only_new.len(),
            self.same_rejections,
            self.rejections.len()
        );
        out
    }
}

/// Compares `old` and `new`, matching items by the attributes named in `key`. With
/// `ignore_added`, attributes only the new items have are not differences (a module that
/// adds attributes, like `stats` after `average`).
pub fn diff_outputs(old: &Output, new: &Output, key: &[String], ignore_added: bool) -> OutputDiff {
    let old_items = by_key(&old.items, key);
    let new_items = by_key(&new.items, key);
    let mut diff = OutputDiff::default();
    for (k, a) in &old_items {
        let Some(b) = new_items.get(k) else {
            diff.only_old.push(k.clone());
            continue;
        };
        let changes = attribute_changes(a, b, ignore_added);
        if changes.is_empty() {
            diff.same += 1;
        } else {
            diff.changed.push((k.clone(), changes));
        }
    }
    diff.only_new = new_items
        .keys()
        .filter(|k| !old_items.contains_key(*k))
        .cloned()
        .collect();

    let rejections = |o: &Output| -> BTreeMap<(String, i32, i64), String> {
        o.rejected
            .iter()
            .map(|r| ((r.topic.clone(), r.partition, r.offset), r.reason.clone()))
            .collect()
    };
    let (old_r, new_r) = (rejections(old), rejections(new));
    let mut coordinates: Vec<_> = old_r.keys().chain(new_r.keys()).collect();
    coordinates.sort();
    coordinates.dedup();
    for c in coordinates {
        let (a, b) = (old_r.get(c), new_r.get(c));
        if a == b {
            diff.same_rejections += 1;
        } else {
            diff.rejections
                .push((format!("{}/{}@{}", c.0, c.1, c.2), a.cloned(), b.cloned()));
        }
    }
    diff
}

type Attributes = BTreeMap<String, String>;

/// Items by the DynamoDB JSON of their key attributes; the last item with a key wins, as in
/// the sink. An item lacking a key attribute is keyed by its position.
fn by_key(items: &[Item], key: &[String]) -> BTreeMap<String, Attributes> {
    let mut out = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let Json::Object(json) = dynamodb_json(item) else {
            continue;
        };
        let mut key_json = serde_json::Map::new();
        for name in key {
            if let Some(v) = json.get(name) {
                key_json.insert(name.clone(), v.clone());
            }
        }
        let k = if key_json.len() == key.len() {
            Json::Object(key_json).to_string()
        } else {
            format!("item #{i} (no key)")
        };
        let attributes = json.into_iter().map(|(n, v)| (n, v.to_string())).collect();
        out.insert(k, attributes);
    }
    out
}

fn attribute_changes(a: &Attributes, b: &Attributes, ignore_added: bool) -> Vec<AttributeChange> {
    let mut changes = Vec::new();
    for (name, va) in a {
        match b.get(name) {
            None => changes.push(AttributeChange::Removed(name.clone(), va.clone())),
            Some(vb) if vb != va => {
                changes.push(AttributeChange::Changed(
                    name.clone(),
                    va.clone(),
                    vb.clone(),
                ));
            }
            Some(_) => {}
        }
    }
    if !ignore_added {
        for (name, vb) in b {
            if !a.contains_key(name) {
                changes.push(AttributeChange::Added(name.clone(), vb.clone()));
            }
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use swapstream_core::item::{Attribute, Rejection, Value};

    fn item(attrs: &[(&str, &str)]) -> Item {
        Item {
            attributes: attrs
                .iter()
                .map(|(n, v)| Attribute {
                    name: (*n).to_owned(),
                    value: Value::N((*v).to_owned()),
                })
                .collect(),
        }
    }

    fn output(items: Vec<Item>, rejected: &[(i64, &str)]) -> Output {
        Output {
            items,
            rejected: rejected
                .iter()
                .map(|(offset, reason)| Rejection {
                    topic: "t".into(),
                    partition: 0,
                    offset: *offset,
                    reason: (*reason).into(),
                })
                .collect(),
        }
    }

    fn key() -> Vec<String> {
        vec!["device_id".into(), "window_start".into()]
    }

    #[test]
    fn identical_outputs_are_the_same() {
        let o = output(
            vec![item(&[
                ("device_id", "1"),
                ("window_start", "5"),
                ("avg", "3"),
            ])],
            &[(7, "bad")],
        );
        let diff = diff_outputs(&o, &o, &key(), false);
        assert!(diff.is_same());
        assert_eq!(diff.same, 1);
        assert_eq!(diff.same_rejections, 1);
        assert_eq!(
            diff.render(),
            "items: 1 same, 0 changed, 0 only in OLD, 0 only in NEW; rejections: 1 same, 0 different\n"
        );
    }

    #[test]
    fn reports_changed_added_removed_attributes_and_unmatched_items() {
        let old = output(
            vec![
                item(&[
                    ("device_id", "1"),
                    ("window_start", "5"),
                    ("avg", "3"),
                    ("gone", "1"),
                ]),
                item(&[("device_id", "2"), ("window_start", "5")]),
            ],
            &[(7, "bad"), (8, "worse")],
        );
        let new = output(
            vec![
                item(&[
                    ("device_id", "1"),
                    ("window_start", "5"),
                    ("avg", "4"),
                    ("extra", "9"),
                ]),
                item(&[("device_id", "3"), ("window_start", "5")]),
            ],
            &[(7, "bad")],
        );
        let diff = diff_outputs(&old, &new, &key(), false);
        assert!(!diff.is_same());
        assert_eq!(
            diff.render(),
            concat!(
                "~ {\"device_id\":{\"N\":\"1\"},\"window_start\":{\"N\":\"5\"}}\n",
                "    ~ avg: {\"N\":\"3\"} -> {\"N\":\"4\"}\n",
                "    - gone: {\"N\":\"1\"}\n",
                "    + extra: {\"N\":\"9\"}\n",
                "- {\"device_id\":{\"N\":\"2\"},\"window_start\":{\"N\":\"5\"}} (only in OLD)\n",
                "+ {\"device_id\":{\"N\":\"3\"},\"window_start\":{\"N\":\"5\"}} (only in NEW)\n",
                "! rejection t/0@8: worse -> (accepted)\n",
                "items: 0 same, 1 changed, 1 only in OLD, 1 only in NEW; rejections: 1 same, 1 different\n",
            )
        );
    }

    #[test]
    fn added_attributes_can_be_ignored() {
        let old = output(
            vec![item(&[("device_id", "1"), ("window_start", "5")])],
            &[],
        );
        let new = output(
            vec![item(&[
                ("device_id", "1"),
                ("window_start", "5"),
                ("extra", "9"),
            ])],
            &[],
        );
        assert!(!diff_outputs(&old, &new, &key(), false).is_same());
        assert!(diff_outputs(&old, &new, &key(), true).is_same());
    }
}
