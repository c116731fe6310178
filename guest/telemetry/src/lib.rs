//! Device telemetry as the reference producer writes it, for analytics modules.
//!
//! A reading is one JSON object per Kafka record:
//! `{"device_id": 1, "timestamp": "2026-11-25T12:00:00.123456", "temperature": 31}`.
//! [`parse`] turns a record value into a [`Reading`] or says, in one line, why it cannot;
//! [`PySum`] adds temperatures exactly as the reference Lambda's Python `sum()` does, so averages
//! round the same way; [`Window`] keeps a batch's first and last timestamp; [`Devices`] holds
//! per-device figures for a batch.

mod devices;
mod fast;
mod number;
mod reading;
mod timestamp;
mod window;

pub use devices::Devices;
pub use number::{Number, PySum};
pub use reading::{Reading, parse};
pub use timestamp::is_iso8601_datetime;
pub use window::Window;
