//! `decode_into` (base64-simd, then the `base64` crate on errors) against the `base64` crate
//! alone, which decoded every key and value before.

#![allow(clippy::unwrap_used)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use proptest::prelude::*;

use super::decode_into;

/// What the `base64` crate alone appends to a column holding `before`, or its reason.
fn reference(before: &[u8], text: &[u8]) -> Result<Vec<u8>, String> {
    let mut column = before.to_vec();
    BASE64
        .decode_vec(text, &mut column)
        .map(|()| column)
        .map_err(|e| format!("record value is not valid base64: {e}"))
}

fn ours(before: &[u8], text: &[u8]) -> Result<Vec<u8>, String> {
    let mut column = before.to_vec();
    decode_into(Some(text), &mut column, "value").map(|()| column)
}

#[test]
fn base64_decoding_keeps_the_base64_crates_reasons() {
    let cases: [(&[u8], &str); 7] = [
        (b"%%%", "Invalid symbol 37, offset 0."),
        (b"a2V", "Invalid padding"),
        (b"QQ=", "Invalid padding"),
        (b"QR==", "Invalid last symbol 82, offset 1."),
        (b"QQ==QQ==", "Invalid symbol 61, offset 2."),
        ("déjà".as_bytes(), "Invalid symbol 195, offset 1."),
        (b"eA== ", "Invalid symbol 32, offset 4."),
    ];
    for (text, reason) in cases {
        let got = ours(b"x", text);
        assert_eq!(got, reference(b"x", text));
        assert_eq!(
            got,
            Err(format!("record value is not valid base64: {reason}")),
            "{}",
            String::from_utf8_lossy(text)
        );
    }
    assert_eq!(ours(b"x", b""), Ok(b"x".to_vec()));
    assert_eq!(ours(b"x", b"b2s="), Ok(b"xok".to_vec()));
}

/// Text near base64: the alphabet, padding in odd places, and a few bytes outside it.
fn near_base64() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        20 => prop::sample::select(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".to_vec()
        ),
        2 => Just(b'='),
        1 => prop::sample::select(b"-_ \n%\x00\x80\xc3\xff".to_vec()),
    ];
    prop::collection::vec(byte, 0..80)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decodes_valid_base64_as_the_base64_crate(
        before in prop::collection::vec(any::<u8>(), 0..8),
        bytes in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let text = BASE64.encode(&bytes);
        let mut expected = before.clone();
        expected.extend_from_slice(&bytes);
        prop_assert_eq!(ours(&before, text.as_bytes()), Ok(expected));
    }

    #[test]
    fn accepts_and_rejects_exactly_as_the_base64_crate(
        before in prop::collection::vec(any::<u8>(), 0..8),
        text in near_base64(),
    ) {
        prop_assert_eq!(ours(&before, &text), reference(&before, &text));
    }

    #[test]
    fn one_changed_byte_is_judged_as_by_the_base64_crate(
        bytes in prop::collection::vec(any::<u8>(), 1..120),
        at in any::<usize>(),
        to in prop_oneof![Just(b'='), any::<u8>()],
    ) {
        // Valid text with one byte changed: trailing bits, padding and symbols anywhere,
        // inside and outside the SIMD blocks.
        let mut text = BASE64.encode(&bytes).into_bytes();
        let i = at % text.len();
        text[i] = to;
        prop_assert_eq!(ours(b"", &text), reference(b"", &text));
    }
}
