//! What a module makes of a batch: items shaped like DynamoDB's, and rejected records; how
//! items look as DynamoDB JSON, and the lineage attribute the host adds.

pub mod rules;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value as Json, json};

/// One attribute value, shaped like DynamoDB's attribute value types. Numbers are decimal
/// strings, as DynamoDB's `N` is, so nothing is lost to binary floating point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A string (`S`).
    S(String),
    /// A number as a decimal string (`N`).
    N(String),
    /// Binary data (`B`).
    B(Vec<u8>),
    /// A boolean (`BOOL`).
    Boolean(bool),
    /// An explicit null (`NULL`).
    Null,
    /// A set of strings (`SS`).
    Ss(Vec<String>),
    /// A set of numbers as decimal strings (`NS`).
    Ns(Vec<String>),
}

/// A named attribute of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Attribute name.
    pub name: String,
    /// Attribute value.
    pub value: Value,
}

/// One output item: a row for the sink (a DynamoDB item).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Item {
    /// The item's attributes, in the module's order.
    pub attributes: Vec<Attribute>,
}

/// A record the module could not use, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Topic of the rejected record.
    pub topic: String,
    /// Partition of the rejected record.
    pub partition: i32,
    /// Offset of the rejected record.
    pub offset: i64,
    /// Why it was rejected, for a human.
    pub reason: String,
}

/// What a module made of one batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    /// Items to write.
    pub items: Vec<Item>,
    /// Records that were not used, each with its reason.
    pub rejected: Vec<Rejection>,
}

/// An item in DynamoDB's JSON form, attributes in the module's order:
/// `{"device_id":{"N":"1"},"window_start":{"S":"…"}}`.
pub fn dynamodb_json(item: &Item) -> Json {
    let mut map = Map::with_capacity(item.attributes.len());
    for a in &item.attributes {
        map.insert(a.name.clone(), value_json(&a.value));
    }
    Json::Object(map)
}

fn value_json(v: &Value) -> Json {
    match v {
        Value::S(s) => json!({ "S": s }),
        Value::N(n) => json!({ "N": n }),
        Value::B(b) => json!({ "B": BASE64.encode(b) }),
        Value::Boolean(b) => json!({ "BOOL": b }),
        Value::Null => json!({ "NULL": true }),
        Value::Ss(l) => json!({ "SS": l }),
        Value::Ns(l) => json!({ "NS": l }),
    }
}

/// Sets the lineage attribute `name` to `lineage` on every item (replacing a module's own
/// attribute of that name, so the host's record of which version wrote an item is the truth).
pub fn add_lineage(items: &mut [Item], name: &str, lineage: &str) {
    for item in items {
        item.attributes.retain(|a| a.name != name);
        item.attributes.push(Attribute {
            name: name.to_owned(),
            value: Value::S(lineage.to_owned()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(attrs: &[(&str, Value)]) -> Item {
        Item {
            attributes: attrs
                .iter()
                .map(|(n, v)| Attribute {
                    name: (*n).to_owned(),
                    value: v.clone(),
                })
                .collect(),
        }
    }

    #[test]
    fn prints_every_value_kind_in_dynamodb_json_keeping_attribute_order() {
        let i = item(&[
            ("z", Value::N("1".into())),
            ("a", Value::S("x".into())),
            ("b", Value::B(vec![0, 255])),
            ("t", Value::Boolean(true)),
            ("n", Value::Null),
            ("ss", Value::Ss(vec!["p".into()])),
            ("ns", Value::Ns(vec!["2".into()])),
        ]);
        assert_eq!(
            dynamodb_json(&i).to_string(),
            r#"{"z":{"N":"1"},"a":{"S":"x"},"b":{"B":"AP8="},"t":{"BOOL":true},"n":{"NULL":true},"ss":{"SS":["p"]},"ns":{"NS":["2"]}}"#
        );
    }

    #[test]
    fn lineage_replaces_an_attribute_of_the_same_name() {
        let mut items = vec![item(&[
            ("module", Value::S("forged".into())),
            ("k", Value::N("1".into())),
        ])];
        add_lineage(&mut items, "module", "average@1.0.0#abc");
        assert_eq!(
            dynamodb_json(&items[0]).to_string(),
            r#"{"k":{"N":"1"},"module":{"S":"average@1.0.0#abc"}}"#
        );
    }
}
