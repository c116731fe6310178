//! Module output as the outside world sees it: DynamoDB JSON for printing, and lineage.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value as Json, json};

use crate::engine::bindings::{Attribute, Item, Value};

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
