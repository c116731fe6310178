//! Where batches come from in service mode: a Kafka consumer group ([`kafka`]). (In Lambda
//! mode the event source mapping delivers them; see `crate::lambda`.)

pub mod kafka;
