//! Building `BatchWriteItem` requests: attribute conversion, key extraction, merging of
//! duplicate keys and chunking.

use std::collections::HashMap;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};

use swapstream_core::item::rules::canonical_number;
use swapstream_core::item::{Item, Value};

/// DynamoDB's limit of write requests per `BatchWriteItem`.
pub const MAX_BATCH: usize = 25;

/// An item as the SDK takes it.
pub type AttributeMap = HashMap<String, AttributeValue>;

/// A table's primary key: partition key and optional sort key attribute names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySchema {
    /// Partition (hash) key attribute.
    pub partition: String,
    /// Sort (range) key attribute, if the table has one.
    pub sort: Option<String>,
}

/// Converts a module item to the SDK's attribute map.
pub fn to_attribute_map(item: Item) -> AttributeMap {
    item.attributes
        .into_iter()
        .map(|a| (a.name, to_attribute_value(a.value)))
        .collect()
}

/// Converts one module value to the SDK's attribute value.
pub fn to_attribute_value(value: Value) -> AttributeValue {
    match value {
        Value::S(s) => AttributeValue::S(s),
        Value::N(n) => AttributeValue::N(n),
        Value::B(b) => AttributeValue::B(Blob::new(b)),
        Value::Boolean(b) => AttributeValue::Bool(b),
        Value::Null => AttributeValue::Null(true),
        Value::Ss(l) => AttributeValue::Ss(l),
        Value::Ns(l) => AttributeValue::Ns(l),
    }
}

/// The key of an item, as a comparable value, or a message naming what is missing.
fn key_of(item: &AttributeMap, schema: &KeySchema) -> Result<(String, String), String> {
    let part = |name: &str| -> Result<String, String> {
        match item.get(name) {
            Some(AttributeValue::S(s)) => Ok(format!("S:{s}")),
            // DynamoDB compares numbers by value: `1` and `1.0` are one key.
            Some(AttributeValue::N(n)) => Ok(format!(
                "N:{}",
                canonical_number(n).unwrap_or_else(|_| n.clone())
            )),
            Some(AttributeValue::B(b)) => Ok(format!("B:{}", hex::encode(b.as_ref()))),
            Some(other) => Err(format!(
                "key attribute `{name}` must be S, N or B, got {other:?}"
            )),
            None => Err(format!("item has no key attribute `{name}`")),
        }
    };
    let sort = match &schema.sort {
        Some(name) => part(name)?,
        None => String::new(),
    };
    Ok((part(&schema.partition)?, sort))
}

/// Removes items whose key appears again later, keeping the last one in the position of the
/// first, so that one `BatchWriteItem` never names a key twice (DynamoDB refuses that) and the
/// result does not depend on which of several concurrent chunks lands last.
///
/// Returns the merged items and how many were dropped.
pub fn merge_duplicates(
    items: Vec<AttributeMap>,
    schema: &KeySchema,
) -> Result<(Vec<AttributeMap>, usize), String> {
    let mut position: HashMap<(String, String), usize> = HashMap::with_capacity(items.len());
    let mut merged: Vec<AttributeMap> = Vec::with_capacity(items.len());
    let mut dropped = 0;
    for item in items {
        let key = key_of(&item, schema)?;
        match position.get(&key) {
            Some(&i) => {
                merged[i] = item;
                dropped += 1;
            }
            None => {
                position.insert(key, merged.len());
                merged.push(item);
            }
        }
    }
    Ok((merged, dropped))
}

/// The `BatchWriteItem` chunks for `items`: duplicates merged (see [`merge_duplicates`]), then
/// put requests in chunks of [`MAX_BATCH`]. Returns the chunks and the number of items merged
/// away.
pub fn write_requests(
    items: Vec<AttributeMap>,
    schema: &KeySchema,
) -> Result<(Vec<Vec<WriteRequest>>, usize), String> {
    let (items, merged) = merge_duplicates(items, schema)?;
    let mut chunks = Vec::with_capacity(items.len().div_ceil(MAX_BATCH));
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        let chunk = items
            .by_ref()
            .take(MAX_BATCH)
            .map(|item| {
                // `item` is always set, so building the put request cannot fail.
                PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map(|put| WriteRequest::builder().put_request(put).build())
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<Vec<_>, _>>()?;
        chunks.push(chunk);
    }
    Ok((chunks, merged))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn schema() -> KeySchema {
        KeySchema {
            partition: "device_id".into(),
            sort: Some("window_start".into()),
        }
    }

    fn item(device: &str, start: &str, avg: &str) -> AttributeMap {
        HashMap::from([
            ("device_id".to_owned(), AttributeValue::N(device.into())),
            ("window_start".to_owned(), AttributeValue::S(start.into())),
            ("avg_temp".to_owned(), AttributeValue::N(avg.into())),
        ])
    }

    #[test]
    fn merges_duplicate_keys_last_one_wins_in_first_position() {
        let items = vec![
            item("1", "a", "10"),
            item("2", "a", "20"),
            item("1", "a", "11"),
            item("1", "b", "12"),
        ];
        let (merged, dropped) = merge_duplicates(items, &schema()).unwrap();
        assert_eq!(dropped, 1);
        assert_eq!(
            merged,
            vec![
                item("1", "a", "11"),
                item("2", "a", "20"),
                item("1", "b", "12")
            ]
        );
    }

    #[test]
    fn numbers_equal_in_value_are_one_key_whatever_their_spelling() {
        let (merged, dropped) = merge_duplicates(
            vec![
                item("1", "a", "10"),
                item("1.0", "a", "11"),
                item("10e-1", "a", "12"),
            ],
            &schema(),
        )
        .unwrap();
        assert_eq!((merged, dropped), (vec![item("10e-1", "a", "12")], 2));
    }

    #[test]
    fn same_digits_with_different_types_are_different_keys() {
        let mut s = item("1", "a", "1");
        s.insert("device_id".into(), AttributeValue::S("1".into()));
        let (merged, dropped) = merge_duplicates(vec![item("1", "a", "1"), s], &schema()).unwrap();
        assert_eq!((merged.len(), dropped), (2, 0));
    }

    #[test]
    fn an_item_without_its_key_is_an_error() {
        let mut i = item("1", "a", "1");
        i.remove("window_start");
        assert_eq!(
            merge_duplicates(vec![i], &schema()).unwrap_err(),
            "item has no key attribute `window_start`"
        );
    }

    #[test]
    fn converts_every_value_kind() {
        let item = Item {
            attributes: vec![swapstream_core::item::Attribute {
                name: "b".into(),
                value: Value::B(vec![1]),
            }],
        };
        assert_eq!(
            to_attribute_map(item),
            HashMap::from([("b".to_owned(), AttributeValue::B(Blob::new(vec![1])))])
        );
        assert_eq!(to_attribute_value(Value::Null), AttributeValue::Null(true));
        assert_eq!(
            to_attribute_value(Value::Boolean(false)),
            AttributeValue::Bool(false)
        );
        assert_eq!(
            to_attribute_value(Value::Ns(vec!["1".into()])),
            AttributeValue::Ns(vec!["1".into()])
        );
    }
}
