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
pub use number::{DYNAMODB_DIGITS, Exact, Number, PYTHON_MAX_INT_DIGITS, PySum};
pub use reading::{Reading, parse_with_serde};
pub use timestamp::is_iso8601_datetime;
pub use window::Window;

/// Parses a record value into a [`Reading`], or returns why it is not one (a short sentence
/// suitable as a rejection reason).
///
/// The value must be UTF-8 JSON: an object with an integer `device_id` of at most 38 digits,
/// an ISO-8601 `timestamp` string and a numeric `temperature`; other fields are ignored.
/// Numbers read as Python's `json.loads` reads them: `-0` is the integer 0, integers keep
/// every digit (up to Python's 4300), and a float too large for a double (`1e400`) is
/// infinite. `NaN` and `Infinity` are not JSON.
pub fn parse(value: &[u8]) -> Result<Reading<'_>, String> {
    match fast::parse(value) {
        Some(reading) => Ok(reading),
        None => reading::parse_with_serde(value),
    }
}
