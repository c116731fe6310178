//! Building output items.

use crate::{Attribute, Item, Value};

/// Builds an [`Item`] attribute by attribute.
#[derive(Debug, Default, Clone)]
pub struct ItemBuilder {
    attributes: Vec<Attribute>,
}

impl ItemBuilder {
    /// An empty item.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an attribute with any [`Value`].
    pub fn attr(mut self, name: &str, value: Value) -> Self {
        self.attributes.push(Attribute {
            name: name.to_owned(),
            value,
        });
        self
    }

    /// Adds a string attribute (DynamoDB `S`).
    pub fn string(self, name: &str, s: impl Into<String>) -> Self {
        self.attr(name, Value::S(s.into()))
    }

    /// Adds a number attribute (DynamoDB `N`) from anything that prints as a decimal number.
    pub fn number(self, name: &str, n: impl ToString) -> Self {
        self.attr(name, Value::N(n.to_string()))
    }

    /// Adds a number attribute from an `f64`, written in the shortest form that reads back
    /// as the same `f64`. Non-finite numbers have no DynamoDB form and are written as `NULL`.
    pub fn float(self, name: &str, x: f64) -> Self {
        self.attr(name, value::float(x))
    }

    /// Finishes the item.
    pub fn build(self) -> Item {
        Item {
            attributes: self.attributes,
        }
    }
}

/// Helpers for [`Value`]s.
pub mod value {
    use crate::Value;

    /// A DynamoDB number from an `f64`: shortest round-trip decimal; `NULL` if not finite.
    pub fn float(x: f64) -> Value {
        if x.is_finite() {
            // Rust's `Display` for f64 never uses exponents and round-trips, which suits `N`.
            Value::N(format!("{x}"))
        } else {
            Value::Null
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_attributes_in_order() {
        let item = ItemBuilder::new()
            .number("device_id", 7)
            .string("window_start", "a")
            .float("mean", 2.5)
            .float("bad", f64::NAN)
            .build();
        let got: Vec<_> = item
            .attributes
            .iter()
            .map(|a| (a.name.as_str(), format!("{:?}", a.value)))
            .collect();
        assert_eq!(
            got,
            vec![
                ("device_id", r#"Value::N("7")"#.to_string()),
                ("window_start", r#"Value::S("a")"#.to_string()),
                ("mean", r#"Value::N("2.5")"#.to_string()),
                ("bad", "Value::Null".to_string()),
            ]
        );
    }
}
