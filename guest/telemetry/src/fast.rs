//! A fast path for the one shape nearly every record has: a flat JSON object of plain
//! strings and numbers, in ASCII, without escapes.
//!
//! serde_json's derived deserializer was about a third of the `average` module's time in
//! wasm. This scanner reads that common shape directly and answers `None` for anything it does
//! not fully understand — escapes, nesting, non-ASCII, bad grammar, duplicate or missing
//! fields, device ids beyond 64 bits — so that [`crate::parse`] hands the value to serde, which
//! stays the single source of truth for errors and unusual input. It therefore never needs to
//! produce an error message, and every `Some` it returns is exactly what serde would give
//! (checked by a property test against the serde path).
//!
//! It is written for wasm as much as for native code: byte-at-a-time loops and `memcmp` calls
//! (which wasm32 gets from wasi-libc as a plain byte loop) cost several times more under
//! wasmtime than natively, so strings are scanned and field names compared eight bytes at a
//! time, and numbers are accumulated while they are scanned. The layout producers actually
//! write (the reference field order, `json.dumps` separators) is matched first as a handful of
//! fixed tokens, with its timestamp checked a word at a time; any other flat object is read
//! member by member.

use std::borrow::Cow;

use crate::number::Number;
use crate::reading::Reading;

/// Reads `value` if it is a reading in the common flat shape; `None` means "ask serde".
pub(crate) fn parse(value: &[u8]) -> Option<Reading<'_>> {
    let (device_id, timestamp, temperature) = match producer_layout(value) {
        Some(fields) => fields,
        None => any_layout(value)?,
    };
    Some(Reading {
        device_id: i128::from(device_id),
        timestamp: Cow::Borrowed(timestamp),
        temperature,
    })
}

/// A reading's three fields as scanned.
type Fields<'a> = (i64, &'a str, Number);

/// `bytes` as a timestamp, if it is an ISO-8601 date-time.
fn checked_timestamp(bytes: &[u8]) -> Option<&str> {
    crate::timestamp::is_iso8601_bytes(bytes).then(|| {
        // SAFETY: `is_iso8601_bytes` accepts ASCII only, and ASCII is UTF-8, so checking it
        // again with `from_utf8` would only cost time.
        #[allow(unsafe_code)]
        unsafe {
            std::str::from_utf8_unchecked(bytes)
        }
    })
}

/// The layout producers write: the three fields in the reference order, separated as
/// Python's `json.dumps` does by default (`, ` and `: `) or compactly (`,` and `:`), and
/// nothing else. Matching it as a few fixed tokens instead of member by member halves the
/// branches per record (each whitespace skip is a loop, and each `match` on a byte a jump
/// table in wasm); any other layout is left to [`any_layout`].
fn producer_layout(value: &[u8]) -> Option<Fields<'_>> {
    let mut s = Scanner { b: value, at: 0 };
    s.either(b"{\"device_id\": ", b"{\"device_id\":")?;
    let device_id = s.integer()?;
    s.either(b", \"timestamp\": \"", b",\"timestamp\":\"")?;
    let timestamp = s.producer_timestamp()?;
    s.either(b", \"temperature", b",\"temperature")?;
    s.either(b"\": ", b"\":")?;
    let temperature = s.number()?;
    (s.take(b"}") && s.at == value.len()).then_some((device_id, timestamp, temperature))
}

/// Any flat object of plain members, in any order, with any JSON whitespace.
///
/// Kept out of line so that the producer layout's path stays a small function, which
/// Cranelift compiles with fewer spills.
#[inline(never)]
fn any_layout(value: &[u8]) -> Option<Fields<'_>> {
    let mut s = Scanner { b: value, at: 0 };
    let mut device_id = None;
    let mut timestamp = None;
    let mut temperature = None;
    s.skip_ws();
    s.eat(b'{')?;
    s.skip_ws();
    if !s.take(b"}") {
        loop {
            s.eat(b'"')?;
            let field = s.field()?;
            s.skip_ws();
            s.eat(b':')?;
            s.skip_ws();
            match field {
                Field::DeviceId if device_id.is_none() => device_id = Some(s.integer()?),
                Field::Timestamp if timestamp.is_none() => {
                    timestamp = Some(checked_timestamp(s.string()?)?);
                }
                Field::Temperature if temperature.is_none() => temperature = Some(s.number()?),
                // A repeated field is an error in serde; let it say so.
                Field::DeviceId | Field::Timestamp | Field::Temperature => return None,
                Field::Other => s.skip_scalar()?,
            }
            s.skip_ws();
            match s.next()? {
                b',' => s.skip_ws(),
                b'}' => break,
                _ => return None,
            }
        }
    }
    s.skip_ws();
    if s.at != value.len() {
        return None;
    }
    Some((device_id?, timestamp?, temperature?))
}

/// The field a member's name stands for.
enum Field {
    DeviceId,
    Timestamp,
    Temperature,
    Other,
}

/// A JSON number as scanned: its text, and its parts when they are small enough to use
/// directly.
struct NumberToken<'a> {
    text: &'a [u8],
    negative: bool,
    /// All the digits, integer and fraction, as one integer (meaningless past [`MAX_DIGITS`]).
    digits: u64,
    /// How many digits `digits` holds (a lone leading `0` is not counted).
    count: usize,
    /// How many of them are the fraction's.
    fraction_digits: usize,
    /// Whether it has an exponent.
    exponent: bool,
}

/// Digits that always fit a `u64` (10^19 - 1 < 2^64).
const MAX_DIGITS: usize = 19;

/// Significant digits whose integer is exact in an `f64` (10^15 < 2^53).
const MAX_EXACT_DIGITS: usize = 15;

/// Powers of ten that are exact in an `f64`.
const EXACT_POWERS_OF_TEN: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

struct Scanner<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }

    fn eat(&mut self, expected: u8) -> Option<()> {
        (self.next()? == expected).then_some(())
    }

    /// Consumes `token` if the input continues with it.
    #[inline(always)]
    fn take<const N: usize>(&mut self, token: &[u8; N]) -> bool {
        let found = self
            .b
            .get(self.at..)
            .and_then(|rest| rest.first_chunk::<N>())
            .is_some_and(|next| same(next, token));
        if found {
            self.at += N;
        }
        found
    }

    /// Consumes one of two tokens, the first if both match.
    #[inline(always)]
    fn either<const A: usize, const B: usize>(&mut self, a: &[u8; A], b: &[u8; B]) -> Option<()> {
        (self.take(a) || self.take(b)).then_some(())
    }

    /// JSON whitespace: space, tab, line feed, carriage return.
    #[inline(always)]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// A member name whose opening quote is consumed, through its closing quote. The three
    /// reading fields are recognised by comparing whole words; any other name must be a plain
    /// string (an escaped name might spell a reading field, which serde must then decide).
    fn field(&mut self) -> Option<Field> {
        if self.take(b"device_id\"") {
            Some(Field::DeviceId)
        } else if self.take(b"timestamp\"") {
            Some(Field::Timestamp)
        } else if self.take(b"temperature\"") {
            Some(Field::Temperature)
        } else {
            self.string_rest().map(|_| Field::Other)
        }
    }

    /// A timestamp as Python's `isoformat()` writes it without a zone, whose opening quote is
    /// consumed, through its closing quote: `YYYY-MM-DDTHH:MM:SS` and an optional fraction of
    /// up to 7 digits, read a word at a time. Zones and longer fractions take the general path
    /// ([`Scanner::string`] and [`checked_timestamp`]).
    #[inline(always)]
    fn producer_timestamp(&mut self) -> Option<&'a str> {
        use crate::timestamp::{date_time, leading_digits};
        let rest = self.b.get(self.at..)?;
        if !date_time(rest.first_chunk::<19>()?) {
            return None;
        }
        // An `if` rather than a `match`, which LLVM makes a jump table for wasm: an indirect
        // jump that Cranelift keeps and the CPU mispredicts.
        let len = if rest.get(19) == Some(&b'.') {
            // The eight bytes after the point exist whenever the fraction is followed by a
            // quote and the temperature member.
            let word = u64::from_le_bytes(*rest.get(20..)?.first_chunk::<8>()?);
            let digits = leading_digits(word);
            if !(1..8).contains(&digits) {
                return None;
            }
            20 + digits
        } else {
            19
        };
        let (timestamp, after) = rest.split_at_checked(len)?;
        if after.first() != Some(&b'"') {
            return None;
        }
        self.at += len + 1;
        // SAFETY: `date_time` and `leading_digits` accept ASCII only, and ASCII is UTF-8.
        #[allow(unsafe_code)]
        Some(unsafe { std::str::from_utf8_unchecked(timestamp) })
    }

    /// A plain string (see [`plain_len`]); returns its contents.
    fn string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        self.string_rest()
    }

    /// The rest of a plain string whose opening quote is consumed, through the closing quote.
    fn string_rest(&mut self) -> Option<&'a [u8]> {
        let rest = self.b.get(self.at..)?;
        let len = plain_len(rest);
        let (contents, after) = rest.split_at_checked(len)?;
        if after.first() != Some(&b'"') {
            return None;
        }
        self.at += len + 1;
        Some(contents)
    }

    /// A JSON number at the cursor, checked against the JSON grammar
    /// (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`).
    ///
    /// Inlined, as are [`Scanner::integer`] and [`Scanner::number`]: called, the token is
    /// returned through wasm's shadow stack in linear memory and the scanner's cursor lives
    /// there too.
    #[inline(always)]
    fn number_token(&mut self) -> Option<NumberToken<'a>> {
        let start = self.at;
        let negative = self.take(b"-");
        let mut n = 0;
        let mut count = 0;
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits(&mut n, &mut count),
            _ => return None,
        }
        let mut fraction_digits = 0;
        if self.take(b".") {
            let before = count;
            self.digits(&mut n, &mut count);
            fraction_digits = count - before;
            if fraction_digits == 0 {
                return None;
            }
        }
        let mut exponent = false;
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            let (mut ignored, mut exponent_digits) = (0, 0);
            self.digits(&mut ignored, &mut exponent_digits);
            if exponent_digits == 0 {
                return None;
            }
            exponent = true;
        }
        Some(NumberToken {
            text: self.b.get(start..self.at)?,
            negative,
            digits: n,
            count,
            fraction_digits,
            exponent,
        })
    }

    /// Digits at the cursor, accumulated into `n` (wrapping past [`MAX_DIGITS`], when `count`
    /// says `n` is not to be used) and counted into `count`.
    #[inline(always)]
    fn digits(&mut self, n: &mut u64, count: &mut usize) {
        // The first three unrolled (most numbers are that short): under wasmtime every loop
        // iteration also checks the epoch deadline.
        for _ in 0..3 {
            if !self.digit(n, count) {
                return;
            }
        }
        while self.digit(n, count) {}
    }

    /// One digit at the cursor, if there is one, into `n` and `count`.
    #[inline(always)]
    fn digit(&mut self, n: &mut u64, count: &mut usize) -> bool {
        match self.peek().map(|c| c.wrapping_sub(b'0')) {
            Some(digit @ 0..=9) => {
                *n = n.wrapping_mul(10).wrapping_add(u64::from(digit));
                *count += 1;
                self.at += 1;
                true
            }
            _ => false,
        }
    }

    /// An integer that fits an `i64` (anything else is serde's to judge).
    #[inline(always)]
    fn integer(&mut self) -> Option<i64> {
        plain_integer(&self.number_token()?)
    }

    /// A temperature, as [`Number::from_json`] reads it.
    #[inline(always)]
    fn number(&mut self) -> Option<Number> {
        let token = self.number_token()?;
        if token.fraction_digits == 0 && !token.exponent {
            return match plain_integer(&token) {
                Some(n) => Some(Number::Int(n)),
                None => Number::from_json(token.text)?.ok(),
            };
        }
        // A decimal of at most 15 significant digits is an exact `f64` divided by an exact
        // power of ten: one correctly rounded division, as the full parse gives. Anything else
        // takes the full (correctly rounded) parse.
        if token.count <= MAX_EXACT_DIGITS
            && !token.exponent
            && let Some(power) = EXACT_POWERS_OF_TEN.get(token.fraction_digits)
        {
            let x = token.digits as f64 / power;
            return Some(Number::Float(if token.negative { -x } else { x }));
        }
        Number::from_json(token.text)?.ok()
    }

    /// Skips a string, number, `true`, `false` or `null`; objects and arrays go to serde.
    fn skip_scalar(&mut self) -> Option<()> {
        let known = match self.peek()? {
            b'"' => return self.string().map(drop),
            b't' => self.take(b"true"),
            b'f' => self.take(b"false"),
            b'n' => self.take(b"null"),
            _ => return self.number_token().map(drop),
        };
        known.then_some(())
    }
}

/// An integer token's value, unless it is not a plain `i64`: a fraction or an exponent, more
/// digits than fit, or out of range. `-0` is 0, as Python's `json` reads it.
fn plain_integer(token: &NumberToken<'_>) -> Option<i64> {
    if token.fraction_digits != 0 || token.exponent {
        return None;
    }
    if token.count > MAX_DIGITS {
        return None;
    }
    let n = token.digits;
    if !token.negative {
        return i64::try_from(n).ok();
    }
    (n <= i64::MIN.unsigned_abs()).then(|| 0_i64.wrapping_sub_unsigned(n))
}

/// Whether two byte arrays are equal, a word at a time for names of 8 to 16 bytes (two
/// overlapping loads each): a slice comparison is a `memcmp` call in wasm.
#[inline(always)]
fn same<const N: usize>(a: &[u8; N], b: &[u8; N]) -> bool {
    let word = |w: Option<&[u8; 8]>| w.map(|w| u64::from_le_bytes(*w));
    if (8..=16).contains(&N) {
        word(a.first_chunk()) == word(b.first_chunk())
            && word(a.last_chunk()) == word(b.last_chunk())
    } else {
        a.iter().zip(b).all(|(x, y)| x == y)
    }
}

/// How many bytes at the start of `bytes` can be part of a plain string: up to the first `"`,
/// `\`, control character or non-ASCII byte (or the end). Eight bytes at a time.
fn plain_len(bytes: &[u8]) -> usize {
    let (words, tail) = bytes.as_chunks::<8>();
    for (i, word) in words.iter().enumerate() {
        let special = string_specials(u64::from_le_bytes(*word));
        if special != 0 {
            return i * 8 + (special.trailing_zeros() / 8) as usize;
        }
    }
    let done = words.len() * 8;
    done + tail
        .iter()
        .position(|&c| matches!(c, b'"' | b'\\') || !(0x20..0x80).contains(&c))
        .unwrap_or(tail.len())
}

/// The high bit of each byte of `word` (byte `i` is bits `8 * i ..`, little-endian) that is
/// `"`, `\`, below 0x20 or above 0x7f: the bytes a plain string cannot hold. Exact up to the
/// first such byte (the zero-byte trick may also flag bytes after it, which [`plain_len`]
/// never looks at).
#[inline(always)]
fn string_specials(word: u64) -> u64 {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    let zero = |x: u64| x.wrapping_sub(ONES) & !x;
    let quote = zero(word ^ (ONES * u64::from(b'"')));
    let backslash = zero(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word;
    (quote | backslash | control | word) & HIGH
}

#[cfg(test)]
mod tests;
