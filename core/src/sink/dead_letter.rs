//! Rejected records, as stored in the dead-letter table.

use crate::batch::Coordinates;

/// A record that produced no output: rejected by the module, undecodable, or part of a batch
/// the module failed on. Or an output item DynamoDB would never accept (see
/// [`crate::item::rules`]): then `item` is its index among the batch's items, `coordinates`
/// are the batch's first record and `value` is the item as DynamoDB JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// Where the record is in Kafka.
    pub coordinates: Coordinates,
    /// Why it was rejected.
    pub reason: String,
    /// The record's value as received.
    pub value: Vec<u8>,
    /// Lineage of the module version that rejected it (`name@version#hash`), if one did.
    pub module: Option<String>,
    /// Set for an unwritable output item: its index among its batch's items.
    pub item: Option<usize>,
}
