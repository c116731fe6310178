//! The item rules (`swapstream_core::item::rules`) against DynamoDB Local itself: every item
//! they accept is stored, every item they refuse is refused by `PutItem`, so an item the
//! pipeline writes never fails its batch for good and an item it dead-letters could never
//! have been written.

use aws_sdk_dynamodb::Client;
use swapstream_aws::dynamodb::request::to_attribute_map;
use swapstream_core::item::rules::{KeyAttribute, KeyRules, KeyType, check_item};
use swapstream_core::item::{Attribute, Item, Value};
use swapstream_tests::dynamodb::DynamoDbLocal;

fn reading(extra: Vec<(&str, Value)>) -> Item {
    let mut attributes = vec![
        Attribute {
            name: "device_id".into(),
            value: Value::N("1".into()),
        },
        Attribute {
            name: "window_start".into(),
            value: Value::S("2026-11-25T12:00:00".into()),
        },
    ];
    attributes.extend(extra.into_iter().map(|(n, v)| Attribute {
        name: n.into(),
        value: v,
    }));
    Item { attributes }
}

fn with_key(device: Value, start: Value) -> Item {
    Item {
        attributes: vec![
            Attribute {
                name: "device_id".into(),
                value: device,
            },
            Attribute {
                name: "window_start".into(),
                value: start,
            },
        ],
    }
}

fn n(s: &str) -> Value {
    Value::N(s.into())
}

async fn put(client: &Client, item: &Item) -> Result<(), String> {
    client
        .put_item()
        .table_name("readings")
        .set_item(Some(to_attribute_map(item.clone())))
        .send()
        .await
        .map(drop)
        .map_err(|e| aws_sdk_dynamodb::error::DisplayErrorContext(&e).to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn items_the_rules_accept_dynamodb_local_stores_and_items_they_refuse_it_refuses() {
    let db = DynamoDbLocal::start().await;
    db.create_items_table("readings").await;
    let client = db.client().await;
    let rules = KeyRules {
        partition: Some(KeyAttribute {
            name: "device_id".into(),
            kind: Some(KeyType::N),
        }),
        sort: Some(KeyAttribute {
            name: "window_start".into(),
            kind: Some(KeyType::S),
        }),
    };
    let cases: Vec<(&str, Item)> = vec![
        ("a plain reading", reading(vec![("avg_temp", n("31"))])),
        ("a negative decimal", reading(vec![("x", n("-0.125"))])),
        ("the smallest magnitude", reading(vec![("x", n("1e-130"))])),
        (
            "the largest magnitude",
            reading(vec![(
                "x",
                n("9.9999999999999999999999999999999999999e125"),
            )]),
        ),
        (
            "38 digits with trailing zeros",
            reading(vec![("x", n("12345678901234567890123456789012345678000"))]),
        ),
        (
            "an empty non-key string",
            reading(vec![("x", Value::S(String::new()))]),
        ),
        (
            "a number set",
            reading(vec![("x", Value::Ns(vec!["1".into(), "2".into()]))]),
        ),
        ("1e200", reading(vec![("x", n("1e200"))])),
        (
            "1e200 in full",
            reading(vec![("x", n(&format!("1{}", "0".repeat(200))))]),
        ),
        ("1e126", reading(vec![("x", n("1e126"))])),
        ("1e-131", reading(vec![("x", n("1e-131"))])),
        (
            "39 significant digits",
            reading(vec![("x", n("123456789012345678901234567890123456789"))]),
        ),
        ("NaN", reading(vec![("x", n("NaN"))])),
        ("Infinity", reading(vec![("x", n("Infinity"))])),
        ("an empty number", reading(vec![("x", n(""))])),
        (
            "an empty string set",
            reading(vec![("x", Value::Ss(vec![]))]),
        ),
        (
            "a duplicate in a string set",
            reading(vec![("x", Value::Ss(vec!["a".into(), "a".into()]))]),
        ),
        (
            "1 and 1.0 in a number set",
            reading(vec![("x", Value::Ns(vec!["1".into(), "1.0".into()]))]),
        ),
        (
            "an empty string key",
            with_key(n("1"), Value::S(String::new())),
        ),
        (
            "a key of the wrong type",
            with_key(Value::S("1".into()), Value::S("w".into())),
        ),
        (
            "a sort key over 1024 bytes",
            with_key(n("1"), Value::S("x".repeat(1025))),
        ),
        (
            "an item over 400 KB",
            reading(vec![("x", Value::S("x".repeat(410 * 1024)))]),
        ),
    ];
    let mut disagreements = Vec::new();
    for (name, item) in &cases {
        let ours = check_item(item, &rules);
        let theirs = put(&client, item).await;
        if ours.is_ok() != theirs.is_ok() {
            disagreements.push(format!("{name}: rules {ours:?}, DynamoDB Local {theirs:?}"));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_1_and_1_0_in_one_write_are_one_item_not_a_refused_batch() {
    use swapstream_aws::dynamodb::{DynamoDbWriter, WriterConfig};
    let db = DynamoDbLocal::start().await;
    db.create_items_table("readings").await;
    let writer = DynamoDbWriter::connect(db.client().await, "readings", WriterConfig::default())
        .await
        .unwrap();
    // One device spelled two ways: DynamoDB compares numbers by value, so a request naming
    // both would be refused whole (duplicate key), on every retry.
    let item = |device: &str, avg: &str| {
        let mut map = to_attribute_map(reading(vec![("avg_temp", n(avg))]));
        map.insert(
            "device_id".into(),
            aws_sdk_dynamodb::types::AttributeValue::N(device.into()),
        );
        map
    };
    let (first, second) = (item("1", "30"), item("1.0", "31"));
    let stats = writer.write(vec![first, second]).await.unwrap();
    assert_eq!((stats.written, stats.merged), (1, 1));
    let stored = db.scan("readings").await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        swapstream_tests::dynamodb::text(&stored[0], "avg_temp"),
        "31"
    );
}
