//! The timestamp shape the reference producer writes (Python's `datetime.isoformat()`).

/// Whether `s` is an ISO-8601 date-time: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of 1–9
/// digits, and an optional `Z` or `±HH:MM` offset.
///
/// Windows are the smallest and largest timestamp *strings* (as in the reference), which only
/// orders time correctly when every timestamp has this shape; anything else is rejected.
pub fn is_iso8601_datetime(s: &str) -> bool {
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
    if !shape {
        return false;
    }
    let (month, day, hour, minute, second) = (two(5), two(8), two(11), two(14), two(17));
    // Leap seconds (60) are allowed, as ISO-8601 allows them.
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
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

#[cfg(test)]
mod tests {
    use super::is_iso8601_datetime as ok;

    #[test]
    fn accepts_what_python_isoformat_writes() {
        assert!(ok("2026-11-25T12:00:00.123456"));
        assert!(ok("2026-11-25T12:00:00"));
        assert!(ok("2026-11-25T12:00:00.5+01:00"));
        assert!(ok("2026-11-25T23:59:60Z"));
    }

    #[test]
    fn rejects_other_shapes() {
        for s in [
            "t",
            "",
            "2026-11-25",
            "2026-11-25 12:00:00",
            "2026-13-25T12:00:00",
            "2026-11-25T24:00:00",
            "2026-11-25T12:00:00.",
            "2026-11-25T12:00:00.1234567890",
            "2026-11-25T12:00:00+0100",
            "2026-11-25T12:00:00x",
            "２026-11-25T12:00:00",
        ] {
            assert!(!ok(s), "{s:?} must be rejected");
        }
    }
}
