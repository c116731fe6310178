//! The timestamp shape the reference producer writes (Python's `datetime.isoformat()`).

/// Whether `s` is an ISO-8601 date-time: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of 1–9
/// digits, and an optional `Z` or `±HH:MM` offset.
///
/// Windows are the smallest and largest timestamp *strings* (as in the reference), which only
/// orders time correctly when every timestamp has this shape; anything else is rejected.
#[inline(always)]
pub fn is_iso8601_datetime(s: &str) -> bool {
    is_iso8601_bytes(s.as_bytes())
}

/// [`is_iso8601_datetime`] over bytes. Every byte it accepts is ASCII.
#[inline(always)]
pub(crate) fn is_iso8601_bytes(b: &[u8]) -> bool {
    if !b.first_chunk::<19>().is_some_and(date_time) {
        return false;
    }
    // The rest is an optional fraction, then an optional zone. The zone is found from the
    // end and the fraction checked a word at a time, not digit by digit: wasmtime checks the
    // epoch deadline at every loop iteration, and this runs once per reading.
    let rest = &b[19..];
    let (fraction, zone) = match rest {
        [fraction @ .., b'Z'] => (fraction, None),
        [fraction @ .., b'+' | b'-', h1, h2, b':', m1, m2] => (fraction, Some([h1, h2, m1, m2])),
        fraction => (fraction, None),
    };
    let fraction_ok = match fraction {
        [] => true,
        [b'.', digits @ ..] => (1..=9).contains(&digits.len()) && all_digits(digits),
        _ => false,
    };
    fraction_ok
        && zone.is_none_or(|[h1, h2, m1, m2]| {
            [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit())
                && u32::from(*h1 - b'0') * 10 + u32::from(*h2 - b'0') <= 23
                && u32::from(*m1 - b'0') * 10 + u32::from(*m2 - b'0') <= 59
        })
}

/// Whether `head` is `YYYY-MM-DDTHH:MM:SS` with a month, day, hour, minute and second in
/// range. Every byte it accepts is ASCII.
#[inline(always)]
pub(crate) fn date_time(head: &[u8; 19]) -> bool {
    // `YYYY-MM-DD`, `DDTHH:MM` and `HH:MM:SS` as three (overlapping) words: three checks
    // instead of nineteen branches, which Cranelift compiles less tightly than LLVM does.
    let word = |at: usize| {
        head.get(at..)
            .and_then(<[u8]>::first_chunk::<8>)
            .map_or(0, |w| u64::from_le_bytes(*w))
    };
    if !(DATE.matches(word(0)) && DAY_TIME.matches(word(8)) && TIME.matches(word(11))) {
        return false;
    }
    let two = |at: usize| u32::from(head[at] - b'0') * 10 + u32::from(head[at + 1] - b'0');
    let (month, day, hour, minute, second) = (two(5), two(8), two(11), two(14), two(17));
    // Leap seconds (60) are allowed, as ISO-8601 allows them.
    (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour <= 23
        && minute <= 59
        && second <= 60
}

/// How many of the eight bytes of `word` (little-endian) are ASCII digits before the first
/// one that is not.
#[inline(always)]
pub(crate) fn leading_digits(word: u64) -> usize {
    (DIGITS.misfits(word).trailing_zeros() / 8) as usize
}

/// Whether every byte of `s` is an ASCII digit; from 4 to 16 bytes without a loop, as two
/// overlapping words.
#[inline(always)]
fn all_digits(s: &[u8]) -> bool {
    match s.len() {
        8..=16 => {
            let word =
                |w: Option<&[u8; 8]>| w.is_some_and(|w| DIGITS.matches(u64::from_le_bytes(*w)));
            word(s.first_chunk()) && word(s.last_chunk())
        }
        4..=7 => {
            let word = |w: Option<&[u8; 4]>| {
                w.is_some_and(|w| DIGITS.matches(u64::from(u32::from_le_bytes(*w)) | DIGITS_HIGH))
            };
            word(s.first_chunk()) && word(s.last_chunk())
        }
        _ => s.iter().all(u8::is_ascii_digit),
    }
}

/// Eight bytes of a fixed shape: `#` stands for any ASCII digit, every other byte for itself.
struct Shape {
    /// The shape's bytes, with `0` for each digit.
    expected: u64,
    /// Per byte, what to add to `byte ^ expected` to set its high bit when it does not fit:
    /// 0x76 for a digit (which leaves at most 9), 0x7f for a literal (which leaves 0).
    add: u64,
}

impl Shape {
    const fn new(shape: &[u8; 8]) -> Self {
        let (mut expected, mut add) = ([0; 8], [0; 8]);
        let mut i = 0;
        while i < 8 {
            (expected[i], add[i]) = match shape[i] {
                b'#' => (b'0', 0x76),
                literal => (literal, 0x7f),
            };
            i += 1;
        }
        Self {
            expected: u64::from_le_bytes(expected),
            add: u64::from_le_bytes(add),
        }
    }

    /// Whether the eight bytes of `word` (little-endian) have this shape. A carry out of a
    /// byte only comes from a byte that is already flagged, so it never hides one.
    #[inline(always)]
    fn matches(&self, word: u64) -> bool {
        self.misfits(word) == 0
    }

    /// The high bit of each byte of `word` that does not fit, exact up to the first one (a
    /// byte after it may be flagged by the carry out of it).
    #[inline(always)]
    fn misfits(&self, word: u64) -> u64 {
        const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
        let x = word ^ self.expected;
        (x.wrapping_add(self.add) | x) & HIGH
    }
}

const DATE: Shape = Shape::new(b"####-##-");
const DAY_TIME: Shape = Shape::new(b"##T##:##");
const TIME: Shape = Shape::new(b"##:##:##");
const DIGITS: Shape = Shape::new(b"########");

/// `"0000"` in the high half of a word, so that a four-byte word can be checked as eight.
const DIGITS_HIGH: u64 = 0x3030_3030 << 32;

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::is_iso8601_datetime as ok;
    use super::{all_digits, leading_digits};

    #[test]
    fn accepts_what_python_isoformat_writes() {
        assert!(ok("2026-11-25T12:00:00.123456"));
        assert!(ok("2026-11-25T12:00:00"));
        assert!(ok("2026-11-25T12:00:00.5+01:00"));
        assert!(ok("2026-11-25T23:59:60Z"));
        assert!(ok("2026-11-25T12:00:00.123456789-23:59"));
    }

    #[test]
    fn rejects_other_shapes() {
        for s in [
            "t",
            "",
            "2026-11-25",
            "2026-11-25 12:00:00",
            "2026-13-25T12:00:00",
            "2026-00-25T12:00:00",
            "2026-11-32T12:00:00",
            "2026-11-25T24:00:00",
            "2026-11-25T12:60:00",
            "2026-11-25T12:00:61",
            "2026-11-25T12:00:00.",
            "2026-11-25T12:00:00.1234567890",
            "2026-11-25T12:00:00.12a4",
            "2026-11-25T12:00:00+0100",
            "2026-11-25T12:00:00+24:00",
            "2026-11-25T12:00:00Z+01:00",
            "2026-11-25T12:00:00x",
            "2026-11-25T12:00:00.5ZZ",
            "２026-11-25T12:00:00",
            "2026/11-25T12:00:00",
            "2026-11-25T12:00:0\u{7f}",
        ] {
            assert!(!ok(s), "{s:?} must be rejected");
        }
    }

    #[test]
    fn counts_leading_digits_of_a_word() {
        let word = |b: &[u8; 8]| u64::from_le_bytes(*b);
        assert_eq!(leading_digits(word(b"123456\"}")), 6);
        assert_eq!(leading_digits(word(b"12345678")), 8);
        assert_eq!(leading_digits(word(b"x2345678")), 0);
        // A byte above '9' whose carry could spill into the next byte.
        assert_eq!(leading_digits(word(b"1\xff345678")), 1);
        assert_eq!(leading_digits(word(b"12/45678")), 2);
        assert_eq!(leading_digits(word(b"12:45678")), 2);
    }

    /// The definition, a byte at a time: what the word-wise checks must agree with.
    fn reference(s: &str) -> bool {
        let b = s.as_bytes();
        if b.len() < 19 {
            return false;
        }
        let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
        let two = |at: usize| u32::from(b[at] - b'0') * 10 + u32::from(b[at + 1] - b'0');
        let shape = digits(0..4)
            && b[4] == b'-'
            && digits(5..7)
            && b[7] == b'-'
            && digits(8..10)
            && b[10] == b'T'
            && digits(11..13)
            && b[13] == b':'
            && digits(14..16)
            && b[16] == b':'
            && digits(17..19);
        if !shape
            || !(1..=12).contains(&two(5))
            || !(1..=31).contains(&two(8))
            || two(11) > 23
            || two(14) > 59
            || two(17) > 60
        {
            return false;
        }
        let mut rest = &b[19..];
        if let [b'.', tail @ ..] = rest {
            let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
            if !(1..=9).contains(&n) {
                return false;
            }
            rest = &tail[n..];
        }
        match rest {
            [] | [b'Z'] => true,
            [b'+' | b'-', h1, h2, b':', m1, m2] => {
                [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit())
                    && u32::from(*h1 - b'0') * 10 + u32::from(*h2 - b'0') <= 23
                    && u32::from(*m1 - b'0') * 10 + u32::from(*m2 - b'0') <= 59
            }
            _ => false,
        }
    }

    /// Date-times, mostly valid, with every part sometimes out of range or replaced.
    fn date_time() -> impl Strategy<Value = String> {
        let two = |max: u32| prop_oneof![4 => (0..=max).prop_map(|n| format!("{n:02}")), 1 => "[0-9:/.TZ+ -]{2}"];
        let fraction = prop_oneof![
            2 => Just(String::new()),
            4 => "\\.[0-9]{0,11}",
            1 => "\\.[0-9]{1,4}[^0-9]?[0-9]{0,4}",
        ];
        let zone = prop_oneof![
            4 => Just(String::new()),
            1 => Just("Z".to_owned()),
            2 => ("[+-]", two(30), "[:.]", two(70)).prop_map(|(s, h, c, m)| format!("{s}{h}{c}{m}")),
            1 => "[Z+-:0-9]{1,7}",
        ];
        (
            prop_oneof![4 => "[0-9]{4}", 1 => "[0-9 -]{4}"],
            "[-/]",
            two(13),
            "[-/]",
            two(33),
            "[T ]",
            (two(25), "[:.]", two(61), "[:.]", two(62)),
            fraction,
            zone,
        )
            .prop_map(|(y, s1, mo, s2, d, t, (h, c1, mi, c2, se), f, z)| {
                format!("{y}{s1}{mo}{s2}{d}{t}{h}{c1}{mi}{c2}{se}{f}{z}")
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn agrees_with_the_byte_by_byte_definition(s in date_time()) {
            prop_assert_eq!(ok(&s), reference(&s), "{:?}", s);
        }

        #[test]
        fn agrees_on_truncated_and_arbitrary_strings(s in date_time(), cut in 0usize..40, other in "\\PC{0,30}") {
            let cut = s.get(..cut.min(s.len())).unwrap_or_default();
            prop_assert_eq!(ok(cut), reference(cut), "{:?}", cut);
            prop_assert_eq!(ok(&other), reference(&other), "{:?}", other);
        }

        #[test]
        fn all_digits_is_a_byte_by_byte_check(s in "[0-9]{0,20}[^0-9]?[0-9]{0,20}") {
            prop_assert_eq!(all_digits(s.as_bytes()), s.bytes().all(|c| c.is_ascii_digit()));
        }

        #[test]
        fn leading_digits_counts_like_take_while(bytes in prop::array::uniform8(prop_oneof![3 => b'0'..=b'9', 1 => any::<u8>()])) {
            let expected = bytes.iter().take_while(|c| c.is_ascii_digit()).count();
            prop_assert_eq!(leading_digits(u64::from_le_bytes(bytes)), expected);
        }
    }
}
