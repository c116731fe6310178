//! The window of a batch's readings: their smallest and largest timestamp strings.

use std::borrow::Cow;
use std::cmp::Ordering;

/// The first and last timestamp seen, compared as strings, exactly as the reference's
/// `min(timestamps)` / `max(timestamps)` do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window<'a> {
    /// The smallest timestamp.
    pub first: Cow<'a, str>,
    /// The largest timestamp.
    pub last: Cow<'a, str>,
}

impl<'a> Window<'a> {
    /// A window of one reading.
    pub fn new(timestamp: Cow<'a, str>) -> Self {
        Self {
            first: timestamp.clone(),
            last: timestamp,
        }
    }

    /// Widens the window to include `timestamp`.
    ///
    /// By reference, cloned only when it widens the window: moving a `Cow` in wasm32 copies it
    /// with a load wider than the stores that wrote it, which defeats the CPU's store
    /// forwarding.
    #[inline]
    // A `&Cow` rather than a `&str`: keeping it must not copy an owned timestamp's text.
    #[allow(clippy::ptr_arg)]
    pub fn add(&mut self, timestamp: &Cow<'a, str>) {
        // Readings mostly arrive in time order: one comparison for those.
        if compare(timestamp, &self.last) == Ordering::Greater {
            self.last = timestamp.clone();
        } else if compare(timestamp, &self.first) == Ordering::Less {
            self.first = timestamp.clone();
        }
    }
}

/// `a.cmp(b)` for strings, eight bytes at a time. A `str` comparison is a `memcmp` call, which
/// in wasm is wasi-libc's byte loop; timestamps of one batch share a long prefix, so it was a
/// visible cost per reading. The first 24 bytes (where timestamps differ: minutes, seconds,
/// fraction) are compared without a loop, since wasmtime checks the epoch deadline at every
/// loop iteration.
#[inline(always)]
fn compare(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if let (Some(x), Some(y)) = (a.first_chunk::<24>(), b.first_chunk::<24>()) {
        match head(x).cmp(&head(y)) {
            Ordering::Equal => compare_from(a, b, 24),
            unequal => unequal,
        }
    } else {
        compare_from(a, b, 0)
    }
}

/// The first 24 bytes as three big-endian words, which order as the bytes do.
#[inline(always)]
fn head(bytes: &[u8; 24]) -> (u64, u64, u64) {
    let (words, _) = bytes.as_chunks::<8>();
    let word = |i: usize| words.get(i).map_or(0, |w| u64::from_be_bytes(*w));
    (word(0), word(1), word(2))
}

/// `a[done..].cmp(&b[done..])`, where the bytes before `done` are equal.
fn compare_from(a: &[u8], b: &[u8], done: usize) -> Ordering {
    let (a, b) = (
        a.get(done..).unwrap_or_default(),
        b.get(done..).unwrap_or_default(),
    );
    let (a_words, _) = a.as_chunks::<8>();
    let (b_words, _) = b.as_chunks::<8>();
    for (x, y) in a_words.iter().zip(b_words) {
        // Big-endian, so that the first differing byte decides, as in byte-wise order.
        let (x, y) = (u64::from_be_bytes(*x), u64::from_be_bytes(*y));
        if x != y {
            return x.cmp(&y);
        }
    }
    let done = a_words.len().min(b_words.len()) * 8;
    let (a_rest, b_rest) = (
        a.get(done..).unwrap_or_default(),
        b.get(done..).unwrap_or_default(),
    );
    for (x, y) in a_rest.iter().zip(b_rest) {
        if x != y {
            return x.cmp(y);
        }
    }
    a_rest.len().cmp(&b_rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_the_smallest_and_largest_timestamp_strings() {
        let mut w = Window::new("2026-11-25T12:00:01".into());
        for t in [
            "2026-11-25T12:00:00.5",
            "2026-11-25T12:00:02",
            "2026-11-25T12:00:01.9",
        ] {
            w.add(&t.into());
        }
        assert_eq!(w.first, "2026-11-25T12:00:00.5");
        assert_eq!(w.last, "2026-11-25T12:00:02");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn compares_as_str_does(
            prefix in "[0-9T:.-]{0,30}",
            a in "[0-9T:.-]{0,12}",
            b in "[0-9T:.-]{0,12}",
        ) {
            let (a, b) = (format!("{prefix}{a}"), format!("{prefix}{b}"));
            prop_assert_eq!(compare(&a, &b), a.cmp(&b));
        }
    }
}
