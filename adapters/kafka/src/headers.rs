//! Record headers read straight from librdkafka.
//!
//! rust-rdkafka's accessors turn each header name into `&str` with `to_str().unwrap()`, which
//! panics on a name that is not UTF-8; any producer can send one, and the panic would recur on
//! the same record after every restart. Here names are read as bytes: a record with such a
//! name is reported as defective (and rejected with its coordinates) instead.

use std::ffi::CStr;
use std::os::raw::c_char;

use rdkafka::bindings::{rd_kafka_header_get_all, rd_kafka_headers_t, rd_kafka_resp_err_t};
use rdkafka::message::BorrowedHeaders;

/// One header: its name as the producer sent it, and its value (empty for a null value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawHeader<'a> {
    pub(crate) name: &'a [u8],
    pub(crate) value: &'a [u8],
}

/// The headers of a record, in order.
pub(crate) fn raw_headers(headers: &BorrowedHeaders) -> impl Iterator<Item = RawHeader<'_>> {
    (0..).map_while(move |idx| header(headers, idx))
}

/// Why a record's headers cannot be handed on as text, if they cannot.
pub(crate) fn defect(headers: Option<&BorrowedHeaders>) -> Option<String> {
    raw_headers(headers?).enumerate().find_map(|(idx, h)| {
        std::str::from_utf8(h.name).err().map(|_| {
            format!(
                "header {idx}'s name is not UTF-8 (bytes {})",
                hex(&h.name[..h.name.len().min(32)])
            )
        })
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn header(headers: &BorrowedHeaders, idx: usize) -> Option<RawHeader<'_>> {
    // A `&BorrowedHeaders` is librdkafka's `rd_kafka_headers_t` pointer itself: rust-rdkafka
    // makes one by casting that pointer, and casts it back the same way to call librdkafka.
    let ptr = std::ptr::from_ref(headers).cast::<rd_kafka_headers_t>();
    let mut name: *const c_char = std::ptr::null();
    let mut value: *const std::ffi::c_void = std::ptr::null();
    let mut size: usize = 0;
    // SAFETY: `ptr` is a live header list for as long as `headers` is borrowed, and librdkafka
    // only writes the three out-pointers; an index past the end returns an error code.
    #[allow(unsafe_code)]
    let err = unsafe { rd_kafka_header_get_all(ptr, idx, &mut name, &mut value, &mut size) };
    if err != rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR || name.is_null() {
        return None;
    }
    // SAFETY: librdkafka's header names are NUL-terminated and its values `size` bytes long,
    // both owned by the header list, which outlives the borrow of `headers`.
    #[allow(unsafe_code)]
    let (name, value) = unsafe {
        (
            CStr::from_ptr(name).to_bytes(),
            if value.is_null() {
                &[][..]
            } else {
                std::slice::from_raw_parts(value.cast::<u8>(), size)
            },
        )
    };
    Some(RawHeader { name, value })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use rdkafka::bindings::rd_kafka_header_add;
    use rdkafka::message::{Header, Headers, OwnedHeaders};

    use super::*;

    /// Headers as a producer that is not rust-rdkafka can send them: one with a name that is
    /// not UTF-8 among valid ones.
    fn with_a_binary_name() -> OwnedHeaders {
        let headers = OwnedHeaders::new()
            .insert(Header {
                key: "source",
                value: Some("swap"),
            })
            .insert(Header {
                key: "empty",
                value: None::<&[u8]>,
            });
        let ptr = std::ptr::from_ref(headers.as_borrowed())
            .cast::<rd_kafka_headers_t>()
            .cast_mut();
        let name = [0xffu8, 0xfe, b'x'];
        let value = b"v";
        // SAFETY: `ptr` is the live list `headers` owns; librdkafka copies name and value.
        #[allow(unsafe_code)]
        let err = unsafe {
            rd_kafka_header_add(
                ptr,
                name.as_ptr().cast(),
                name.len() as isize,
                value.as_ptr().cast(),
                value.len() as isize,
            )
        };
        assert_eq!(err, rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR);
        headers
    }

    #[test]
    fn rust_rdkafka_panics_on_a_header_name_that_is_not_utf8() {
        let headers = with_a_binary_name();
        let iterated = std::panic::catch_unwind(|| headers.as_borrowed().iter().count());
        assert!(iterated.is_err(), "the reason this module exists");
    }

    #[test]
    fn header_names_are_read_as_bytes_and_a_binary_one_is_a_defect() {
        let headers = with_a_binary_name();
        let raw: Vec<RawHeader<'_>> = raw_headers(headers.as_borrowed()).collect();
        assert_eq!(
            raw,
            [
                RawHeader {
                    name: b"source",
                    value: b"swap"
                },
                RawHeader {
                    name: b"empty",
                    value: b""
                },
                RawHeader {
                    name: &[0xff, 0xfe, b'x'],
                    value: b"v"
                },
            ]
        );
        assert_eq!(
            defect(Some(headers.as_borrowed())),
            Some("header 2's name is not UTF-8 (bytes fffe78)".to_owned())
        );
    }

    #[test]
    fn text_header_names_are_no_defect() {
        let headers = OwnedHeaders::new().insert(Header {
            key: "a",
            value: Some("b"),
        });
        assert_eq!(defect(Some(headers.as_borrowed())), None);
        assert_eq!(defect(None), None);
    }
}
