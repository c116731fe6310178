//! DynamoDB's rules for an item, checked before anything is sent: an item that breaks one can
//! never be written, and retrying its batch would stall the partition (or fail every retry of
//! a Lambda batch). The pipeline turns such an item into a dead letter naming the rule.
//!
//! The rules, from DynamoDB's developer guide ("Supported data types and naming rules",
//! "Service quotas"):
//! * numbers: decimal, at most 38 significant digits, magnitude 1E-130 to
//!   9.9999999999999999999999999999999999999E+125 (or zero); no NaN or infinity;
//! * key attributes: present, of the table's type (S, N or B), strings and binaries not empty,
//!   at most 2048 bytes for a partition key and 1024 for a sort key;
//! * sets: not empty, no duplicates (numbers compare by value, so `1` and `1.0` are one);
//! * attribute names: not empty, at most 65,535 bytes, each name once;
//! * the whole item: at most 400 KB (names and values).

use std::collections::HashSet;

use super::{Item, Value};

/// DynamoDB's largest item: 400 KB, names and values together.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;

/// Most significant digits of a DynamoDB number.
pub const MAX_NUMBER_DIGITS: usize = 38;

const MAX_PARTITION_KEY_BYTES: usize = 2048;
const MAX_SORT_KEY_BYTES: usize = 1024;
const MAX_NAME_BYTES: usize = 65_535;

/// The type of a key attribute, as the table declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// String.
    S,
    /// Number.
    N,
    /// Binary.
    B,
}

/// One key attribute of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAttribute {
    /// Attribute name.
    pub name: String,
    /// Declared type; `None` when it is not known (then any of S, N and B passes).
    pub kind: Option<KeyType>,
}

/// What the table requires of every item's key. The default knows no key (replay, which has
/// no table), so only the rules for values, names and size apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRules {
    /// The partition (hash) key.
    pub partition: Option<KeyAttribute>,
    /// The sort (range) key, if the table has one.
    pub sort: Option<KeyAttribute>,
}

/// Checks `item` against DynamoDB's rules and the table's `keys`; the error names the first
/// rule broken and the attribute, in one line.
pub fn check_item(item: &Item, keys: &KeyRules) -> Result<(), String> {
    let mut names: HashSet<&str> = HashSet::with_capacity(item.attributes.len());
    let mut size = 0usize;
    for a in &item.attributes {
        if a.name.is_empty() {
            return Err("an attribute has an empty name".to_owned());
        }
        if a.name.len() > MAX_NAME_BYTES {
            return Err(format!(
                "an attribute name is {} bytes (most: {MAX_NAME_BYTES})",
                a.name.len()
            ));
        }
        if !names.insert(&a.name) {
            return Err(format!("attribute `{}` appears twice", a.name));
        }
        check_value(&a.value).map_err(|e| format!("attribute `{}`: {e}", a.name))?;
        size += a.name.len() + value_size(&a.value);
    }
    for (key, limit) in [
        (&keys.partition, MAX_PARTITION_KEY_BYTES),
        (&keys.sort, MAX_SORT_KEY_BYTES),
    ] {
        if let Some(key) = key {
            check_key(item, key, limit)?;
        }
    }
    if size > MAX_ITEM_BYTES {
        return Err(format!(
            "the item is {size} bytes, over DynamoDB's limit of {MAX_ITEM_BYTES}"
        ));
    }
    Ok(())
}

fn check_key(item: &Item, key: &KeyAttribute, limit: usize) -> Result<(), String> {
    let Some(attribute) = item.attributes.iter().find(|a| a.name == key.name) else {
        return Err(format!("the item has no key attribute `{}`", key.name));
    };
    let length = match (&attribute.value, key.kind) {
        (Value::S(s), Some(KeyType::S) | None) => s.len(),
        (Value::B(b), Some(KeyType::B) | None) => b.len(),
        (Value::N(_), Some(KeyType::N) | None) => return Ok(()),
        (other, Some(kind)) => {
            return Err(format!(
                "key attribute `{}` is {}, the table's key is {kind:?}",
                key.name,
                type_name(other)
            ));
        }
        (other, None) => {
            return Err(format!(
                "key attribute `{}` is {}, a key must be S, N or B",
                key.name,
                type_name(other)
            ));
        }
    };
    if length == 0 {
        return Err(format!("key attribute `{}` is empty", key.name));
    }
    if length > limit {
        return Err(format!(
            "key attribute `{}` is {length} bytes (most: {limit})",
            key.name
        ));
    }
    Ok(())
}

fn check_value(value: &Value) -> Result<(), String> {
    match value {
        Value::N(n) => canonical_number(n).map(drop),
        Value::Ns(list) => {
            if list.is_empty() {
                return Err("an empty number set".to_owned());
            }
            let mut seen = HashSet::with_capacity(list.len());
            for n in list {
                if !seen.insert(canonical_number(n)?) {
                    return Err(format!("number set holds {n} twice"));
                }
            }
            Ok(())
        }
        Value::Ss(list) => {
            if list.is_empty() {
                return Err("an empty string set".to_owned());
            }
            let mut seen = HashSet::with_capacity(list.len());
            for s in list {
                if !seen.insert(s.as_str()) {
                    return Err(format!("string set holds {s:?} twice"));
                }
            }
            Ok(())
        }
        Value::S(_) | Value::B(_) | Value::Boolean(_) | Value::Null => Ok(()),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::S(_) => "S",
        Value::N(_) => "N",
        Value::B(_) => "B",
        Value::Boolean(_) => "BOOL",
        Value::Null => "NULL",
        Value::Ss(_) => "SS",
        Value::Ns(_) => "NS",
    }
}

/// Bytes a value counts for in DynamoDB's item size. A number counts as its text, which is
/// never less than DynamoDB's own measure (about one byte per two digits).
fn value_size(value: &Value) -> usize {
    match value {
        Value::S(s) | Value::N(s) => s.len(),
        Value::B(b) => b.len(),
        Value::Boolean(_) | Value::Null => 1,
        Value::Ss(l) | Value::Ns(l) => l.iter().map(String::len).sum(),
    }
}

/// A number's value in one spelling: `-` if negative, the significant digits without leading
/// or trailing zeros, and the exponent of the first one (`0.d1d2… times 10^exponent`). Zero is
/// `"0"`. Two spellings of one value (`1`, `1.0`, `10e-1`) give the same canonical form, as
/// DynamoDB compares numbers, so it also serves to compare key values.
pub fn canonical_number(text: &str) -> Result<String, String> {
    let invalid = || format!("{text:?} is not a number DynamoDB accepts");
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], Some(&rest[at + 1..])),
        None => (rest, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, f),
        None => (mantissa, ""),
    };
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits_only(whole) || !digits_only(fraction) {
        return Err(invalid());
    }
    // The exponent as written, bounded: anything beyond a few thousand is out of range anyway.
    let written_exponent: i64 = match exponent {
        None => 0,
        Some(e) => {
            let (sign, digits) = match e.as_bytes().first() {
                Some(b'-') => (-1, &e[1..]),
                Some(b'+') => (1, &e[1..]),
                _ => (1, e),
            };
            if digits.is_empty() || !digits_only(digits) {
                return Err(invalid());
            }
            let digits = digits.trim_start_matches('0');
            if digits.len() > 6 {
                return Err(format!("{text} is out of DynamoDB's number range"));
            }
            sign * digits.parse::<i64>().unwrap_or(0)
        }
    };
    let all: String = format!("{whole}{fraction}");
    let leading = all.bytes().take_while(|b| *b == b'0').count();
    let significant = all[leading..].trim_end_matches('0');
    if significant.is_empty() {
        return Ok("0".to_owned());
    }
    if significant.len() > MAX_NUMBER_DIGITS {
        return Err(format!(
            "{text} has {} significant digits (most: {MAX_NUMBER_DIGITS})",
            significant.len()
        ));
    }
    // 0.d1d2… times 10^exponent: the first significant digit sits `whole.len() - leading`
    // places left of the point as written.
    let exponent = written_exponent + whole.len() as i64 - leading as i64;
    // 1E-130 is 0.1e-129; 9.99…E+125 is 0.999…e126.
    if !(-129..=126).contains(&exponent) {
        return Err(format!("{text} is out of DynamoDB's number range"));
    }
    Ok(format!(
        "{}{significant}e{exponent}",
        if negative { "-" } else { "" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::item::Attribute;

    fn item(attrs: Vec<(&str, Value)>) -> Item {
        Item {
            attributes: attrs
                .into_iter()
                .map(|(n, v)| Attribute {
                    name: n.to_owned(),
                    value: v,
                })
                .collect(),
        }
    }

    fn table() -> KeyRules {
        KeyRules {
            partition: Some(KeyAttribute {
                name: "device_id".into(),
                kind: Some(KeyType::N),
            }),
            sort: Some(KeyAttribute {
                name: "window_start".into(),
                kind: Some(KeyType::S),
            }),
        }
    }

    fn reading(extra: Vec<(&str, Value)>) -> Item {
        let mut attrs = vec![
            ("device_id", Value::N("1".into())),
            ("window_start", Value::S("2026-11-25T12:00:00".into())),
        ];
        attrs.extend(extra);
        item(attrs)
    }

    fn n(s: &str) -> Value {
        Value::N(s.into())
    }

    #[test]
    fn accepts_the_items_the_builtin_modules_write() {
        let i = reading(vec![
            ("avg_temp", n("31")),
            ("mean", n("-0.125")),
            ("tags", Value::Ss(vec!["a".into(), "b".into()])),
            ("empty_text", Value::S(String::new())),
            ("nothing", Value::Null),
        ]);
        assert_eq!(check_item(&i, &table()), Ok(()));
    }

    #[test]
    fn numbers_outside_the_range_or_precision_or_not_decimal_are_refused() {
        for (value, reason) in [
            ("1e200", "1e200 is out of DynamoDB's number range"),
            ("1e-131", "1e-131 is out of DynamoDB's number range"),
            (
                "123456789012345678901234567890123456789",
                "123456789012345678901234567890123456789 has 39 significant digits (most: 38)",
            ),
            ("NaN", "\"NaN\" is not a number DynamoDB accepts"),
            ("inf", "\"inf\" is not a number DynamoDB accepts"),
            ("", "\"\" is not a number DynamoDB accepts"),
            ("1e", "\"1e\" is not a number DynamoDB accepts"),
            ("1.2.3", "\"1.2.3\" is not a number DynamoDB accepts"),
            (
                "1e99999999999",
                "1e99999999999 is out of DynamoDB's number range",
            ),
        ] {
            assert_eq!(
                check_item(&reading(vec![("x", n(value))]), &table()),
                Err(format!("attribute `x`: {reason}")),
                "{value}"
            );
        }
    }

    #[test]
    fn numbers_at_the_edges_of_the_range_are_accepted() {
        for value in [
            "1e-130",
            "9.9999999999999999999999999999999999999e125",
            "-9.9999999999999999999999999999999999999E+125",
            "0",
            "-0.000",
            "12345678901234567890123456789012345678000000",
            "0.00000000000000000000000000000000000000000000001",
        ] {
            assert_eq!(
                check_item(&reading(vec![("x", n(value))]), &table()),
                Ok(()),
                "{value}"
            );
        }
        assert_eq!(
            check_item(&reading(vec![("x", n("1e126"))]), &table()),
            Err("attribute `x`: 1e126 is out of DynamoDB's number range".to_owned())
        );
    }

    #[test]
    fn spellings_of_one_value_have_one_canonical_form() {
        let forms: Vec<String> = ["1", "1.0", "+1.00", "10e-1", "0.1E1", "001"]
            .into_iter()
            .map(|s| canonical_number(s).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        assert!(forms.iter().all(|f| f == "1e1"), "{forms:?}");
        assert_eq!(canonical_number("-0.0").as_deref(), Ok("0"));
        assert_eq!(canonical_number("-12.5").as_deref(), Ok("-125e2"));
        assert_ne!(canonical_number("1.5"), canonical_number("15"));
    }

    #[test]
    fn key_attributes_must_be_present_non_empty_and_of_the_tables_type() {
        let rules = table();
        let cases = [
            (
                item(vec![("window_start", Value::S("w".into()))]),
                "the item has no key attribute `device_id`",
            ),
            (
                item(vec![
                    ("device_id", Value::S("1".into())),
                    ("window_start", Value::S("w".into())),
                ]),
                "key attribute `device_id` is S, the table's key is N",
            ),
            (
                item(vec![
                    ("device_id", n("1")),
                    ("window_start", Value::S(String::new())),
                ]),
                "key attribute `window_start` is empty",
            ),
            (
                item(vec![
                    ("device_id", n("1")),
                    ("window_start", Value::S("x".repeat(1025))),
                ]),
                "key attribute `window_start` is 1025 bytes (most: 1024)",
            ),
        ];
        for (i, reason) in cases {
            assert_eq!(check_item(&i, &rules), Err(reason.to_owned()));
        }
    }

    #[test]
    fn sets_must_be_non_empty_without_duplicates_numbers_compared_by_value() {
        for (value, reason) in [
            (Value::Ss(vec![]), "attribute `s`: an empty string set"),
            (Value::Ns(vec![]), "attribute `s`: an empty number set"),
            (
                Value::Ss(vec!["a".into(), "a".into()]),
                "attribute `s`: string set holds \"a\" twice",
            ),
            (
                Value::Ns(vec!["1".into(), "1.0".into()]),
                "attribute `s`: number set holds 1.0 twice",
            ),
        ] {
            assert_eq!(
                check_item(&reading(vec![("s", value)]), &table()),
                Err(reason.to_owned())
            );
        }
    }

    #[test]
    fn names_must_be_non_empty_and_unique() {
        assert_eq!(
            check_item(&reading(vec![("", n("1"))]), &table()),
            Err("an attribute has an empty name".to_owned())
        );
        assert_eq!(
            check_item(&reading(vec![("device_id", n("2"))]), &table()),
            Err("attribute `device_id` appears twice".to_owned())
        );
    }

    #[test]
    fn an_item_over_400_kb_is_refused_and_one_just_under_is_accepted() {
        let overhead = "device_id".len() + 1 + "window_start".len() + 19 + "big".len();
        let fits = reading(vec![(
            "big",
            Value::S("x".repeat(MAX_ITEM_BYTES - overhead)),
        )]);
        assert_eq!(check_item(&fits, &table()), Ok(()));
        let over = reading(vec![(
            "big",
            Value::B(vec![0; MAX_ITEM_BYTES - overhead + 1]),
        )]);
        assert_eq!(
            check_item(&over, &table()),
            Err(format!(
                "the item is {} bytes, over DynamoDB's limit of {MAX_ITEM_BYTES}",
                MAX_ITEM_BYTES + 1
            ))
        );
    }

    #[test]
    fn without_key_rules_only_values_names_and_size_are_checked() {
        let keyless = item(vec![("x", Value::S(String::new()))]);
        assert_eq!(check_item(&keyless, &KeyRules::default()), Ok(()));
        assert_eq!(
            check_item(&item(vec![("x", n("NaN"))]), &KeyRules::default()),
            Err("attribute `x`: \"NaN\" is not a number DynamoDB accepts".to_owned())
        );
    }
}
