//! Item validation against DynamoDB's rules: `check_item` never panics, and an item it
//! accepts is one DynamoDB takes.
//!
//! Items are built from the fuzzer's bytes with `arbitrary`; a repeat count lets a few input
//! bytes stand for a value of hundreds of KB, so the 400 KB edge is within reach. For every
//! accepted item the target checks, on the item as `dynamodb_json` writes it:
//! * one JSON attribute per item attribute (no name lost to a duplicate), names not empty and
//!   at most 65,535 bytes;
//! * the size DynamoDB counts (name bytes, UTF-8 bytes of strings, decoded bytes of binaries,
//!   one byte per two significant digits plus one for numbers, one byte for booleans and nulls)
//!   at most 400 KB;
//! * numbers finite and within DynamoDB's range, at most 38 significant digits; sets not empty;
//! * each key attribute present, of the table's type (or S, N or B when the type is not
//!   known), strings and binaries not empty and within 2048 (partition) or 1024 (sort) bytes.

#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use libfuzzer_sys::fuzz_target;
use serde_json::Value as Json;
use swapstream_core::item::rules::{KeyAttribute, KeyRules, KeyType, MAX_ITEM_BYTES, check_item};
use swapstream_core::item::{Attribute, Item, Value, dynamodb_json};

/// The most bytes one generated string or binary reaches by repetition: past the item limit,
/// not so far past that each input takes long.
const MAX_REPEATED_BYTES: usize = MAX_ITEM_BYTES + 64 * 1024;

/// How many times a string or binary is repeated: mostly a few, sometimes enough to reach the
/// item limit (large values are slow to build and check, and only the size rule needs them).
#[derive(Debug, Arbitrary)]
enum Times {
    Once,
    Few(u8),
    Many(u32),
}

impl Times {
    /// The repetitions of a unit of `len` bytes, bounded by [`MAX_REPEATED_BYTES`].
    fn count(&self, len: usize) -> usize {
        let times = match self {
            Times::Once => 1,
            Times::Few(n) => usize::from(*n),
            Times::Many(n) => *n as usize,
        };
        times.min(MAX_REPEATED_BYTES / len.max(1)).max(1)
    }
}

/// A string, repeated.
#[derive(Debug, Arbitrary)]
struct Text {
    text: String,
    times: Times,
}

impl Text {
    fn build(&self) -> String {
        self.text.repeat(self.times.count(self.text.len()))
    }
}

/// A number's text: mostly shaped like a decimal, sometimes any string.
#[derive(Debug, Arbitrary)]
enum NumberText {
    Decimal {
        sign: Option<bool>,
        whole: Vec<Digit>,
        fraction: Option<Vec<Digit>>,
        exponent: Option<(bool, Option<bool>, Vec<Digit>)>,
    },
    Raw(String),
}

#[derive(Debug, Arbitrary)]
struct Digit(u8);

impl NumberText {
    fn build(&self) -> String {
        let digits = |d: &[Digit]| -> String {
            d.iter().map(|Digit(n)| char::from(b'0' + n % 10)).collect()
        };
        match self {
            NumberText::Raw(s) => s.clone(),
            NumberText::Decimal {
                sign,
                whole,
                fraction,
                exponent,
            } => {
                let mut s = String::new();
                match sign {
                    Some(true) => s.push('-'),
                    Some(false) => s.push('+'),
                    None => {}
                }
                s.push_str(&digits(whole));
                if let Some(f) = fraction {
                    s.push('.');
                    s.push_str(&digits(f));
                }
                if let Some((upper, exp_sign, exp)) = exponent {
                    s.push(if *upper { 'E' } else { 'e' });
                    match exp_sign {
                        Some(true) => s.push('-'),
                        Some(false) => s.push('+'),
                        None => {}
                    }
                    s.push_str(&digits(exp));
                }
                s
            }
        }
    }
}

#[derive(Debug, Arbitrary)]
enum FuzzValue {
    S(Text),
    N(NumberText),
    B(Vec<u8>, Times),
    Boolean(bool),
    Null,
    Ss(Vec<Text>),
    Ns(Vec<NumberText>),
}

impl FuzzValue {
    fn build(&self) -> Value {
        match self {
            FuzzValue::S(t) => Value::S(t.build()),
            FuzzValue::N(n) => Value::N(n.build()),
            FuzzValue::B(b, times) => Value::B(b.repeat(times.count(b.len()))),
            FuzzValue::Boolean(b) => Value::Boolean(*b),
            FuzzValue::Null => Value::Null,
            FuzzValue::Ss(l) => Value::Ss(l.iter().map(Text::build).collect()),
            FuzzValue::Ns(l) => Value::Ns(l.iter().map(NumberText::build).collect()),
        }
    }
}

/// A key attribute: the name of one of the item's attributes (by index) or any name.
#[derive(Debug, Arbitrary)]
struct FuzzKey {
    name: Result<u8, Text>,
    kind: Option<u8>,
}

impl FuzzKey {
    fn build(&self, item: &Item) -> KeyAttribute {
        let name = match &self.name {
            Ok(i) if !item.attributes.is_empty() => item.attributes
                [*i as usize % item.attributes.len()]
            .name
            .clone(),
            Ok(_) => String::new(),
            Err(t) => t.build(),
        };
        let kind = self.kind.map(|k| match k % 3 {
            0 => KeyType::S,
            1 => KeyType::N,
            _ => KeyType::B,
        });
        KeyAttribute { name, kind }
    }
}

#[derive(Debug, Arbitrary)]
struct Input {
    attributes: Vec<(Text, FuzzValue)>,
    partition: Option<FuzzKey>,
    sort: Option<FuzzKey>,
}

fn build(input: &Input) -> (Item, KeyRules) {
    let item = Item {
        attributes: input
            .attributes
            .iter()
            .map(|(name, value)| Attribute {
                name: name.build(),
                value: value.build(),
            })
            .collect(),
    };
    let keys = KeyRules {
        partition: input.partition.as_ref().map(|k| k.build(&item)),
        sort: input.sort.as_ref().map(|k| k.build(&item)),
    };
    (item, keys)
}

/// Significant digits of a decimal text, or `None` if it is not one.
fn significant_digits(text: &str) -> Option<usize> {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let mantissa = unsigned.split(['e', 'E']).next()?;
    if mantissa.is_empty() || mantissa == "." {
        return None;
    }
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) || mantissa.matches('.').count() > 1 {
        return None;
    }
    Some(digits.trim_start_matches('0').trim_end_matches('0').len())
}

/// A number DynamoDB takes, and the bytes it counts for.
fn number_size(text: &str) -> Result<usize, String> {
    let digits = significant_digits(text).ok_or_else(|| format!("{text:?} is not decimal"))?;
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} does not parse as a number"))?;
    let magnitude = value.abs();
    // The range's ends with a margin for the double's rounding: the exact bounds are
    // `check_item`'s own tests' business, a value far outside them is a bug here.
    if digits > 38 || (magnitude != 0.0 && !(0.99e-130..=1.0e126).contains(&magnitude)) {
        return Err(format!("{text} is outside DynamoDB's numbers"));
    }
    if digits == 0 && magnitude != 0.0 {
        return Err(format!("{text} has no digits but is not zero"));
    }
    Ok(digits.div_ceil(2) + 1)
}

/// DynamoDB's size of one attribute value in DynamoDB JSON, or why DynamoDB would refuse it.
fn json_value_size(value: &Json) -> Result<usize, String> {
    let Json::Object(typed) = value else {
        return Err(format!("{value} is not a typed value"));
    };
    let mut types = typed.iter();
    let (Some((kind, v)), None) = (types.next(), types.next()) else {
        return Err(format!("{value} has no single type"));
    };
    let text = |v: &Json| {
        v.as_str()
            .map(str::to_owned)
            .ok_or(format!("{v} is not text"))
    };
    let list = |v: &Json| -> Result<Vec<String>, String> {
        let l = v.as_array().ok_or(format!("{v} is not a list"))?;
        if l.is_empty() {
            return Err(format!("{kind} set is empty"));
        }
        l.iter().map(text).collect()
    };
    match kind.as_str() {
        "S" => Ok(text(v)?.len()),
        "N" => number_size(&text(v)?),
        "B" => BASE64
            .decode(text(v)?)
            .map(|b| b.len())
            .map_err(|e| format!("B is not base64: {e}")),
        "BOOL" | "NULL" => Ok(1),
        "SS" => Ok(list(v)?.iter().map(String::len).sum()),
        "NS" => list(v)?.iter().map(|n| number_size(n)).sum(),
        other => Err(format!("unknown type {other}")),
    }
}

/// Why DynamoDB would refuse this accepted item, if it would.
fn refusal(item: &Item, keys: &KeyRules) -> Option<String> {
    let Json::Object(json) = dynamodb_json(item) else {
        return Some("dynamodb_json is not an object".to_owned());
    };
    if json.len() != item.attributes.len() {
        return Some(format!(
            "{} attributes became {} in DynamoDB JSON",
            item.attributes.len(),
            json.len()
        ));
    }
    let mut size = 0;
    for (name, value) in &json {
        if name.is_empty() || name.len() > 65_535 {
            return Some(format!("a name of {} bytes", name.len()));
        }
        match json_value_size(value) {
            Ok(n) => size += name.len() + n,
            Err(e) => return Some(format!("attribute {name:?}: {e}")),
        }
    }
    if size > MAX_ITEM_BYTES {
        return Some(format!("{size} bytes as DynamoDB counts them"));
    }
    for (key, limit) in [(&keys.partition, 2048), (&keys.sort, 1024)] {
        let Some(key) = key else { continue };
        let Some(value) = json.get(&key.name) else {
            return Some(format!("no key attribute {:?}", key.name));
        };
        let (kind, v) = value.as_object()?.iter().next()?;
        let allowed = match key.kind {
            Some(KeyType::S) => kind == "S",
            Some(KeyType::N) => kind == "N",
            Some(KeyType::B) => kind == "B",
            None => ["S", "N", "B"].contains(&kind.as_str()),
        };
        if !allowed {
            return Some(format!(
                "key {:?} is {kind}, the table says {:?}",
                key.name, key.kind
            ));
        }
        let length = match kind.as_str() {
            "S" => v.as_str().map_or(0, str::len),
            "B" => BASE64
                .decode(v.as_str().unwrap_or_default())
                .map_or(0, |b| b.len()),
            _ => continue,
        };
        if length == 0 || length > limit {
            return Some(format!("key {:?} is {length} bytes", key.name));
        }
    }
    None
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let (item, keys) = build(&input);
    if check_item(&item, &keys).is_ok()
        && let Some(why) = refusal(&item, &keys)
    {
        panic!("check_item accepts an item DynamoDB refuses: {why}");
    }
});
