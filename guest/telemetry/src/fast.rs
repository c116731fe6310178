//! A fast path for the one shape nearly every record has: a flat JSON object of plain
//! strings and numbers, in ASCII, without escapes.
//!
//! serde_json's derived deserializer was about a third of the `average` module's time in
//! wasm. This scanner reads that common shape directly and answers `None` for anything it does
//! not fully understand — escapes, nesting, non-ASCII, bad grammar, duplicate or missing
//! fields, out-of-range numbers — so that [`crate::parse`] hands the value to serde, which
//! stays the single source of truth for errors and unusual input. It therefore never needs to
//! produce an error message, and every `Some` it returns is exactly what serde would give
//! (checked by a property test against the serde path).

use std::borrow::Cow;

use crate::number::Number;
use crate::reading::Reading;

/// Reads `value` if it is a reading in the common flat shape; `None` means "ask serde".
pub(crate) fn parse(value: &[u8]) -> Option<Reading<'_>> {
    // ASCII only: then UTF-8 validity is implied and strings can be borrowed as they are.
    if !value.is_ascii() {
        return None;
    }
    let mut s = Scanner { b: value, at: 0 };
    let mut device_id = None;
    let mut timestamp = None;
    let mut temperature = None;
    s.skip_ws();
    s.eat(b'{')?;
    s.skip_ws();
    if s.peek()? != b'}' {
        loop {
            let key = s.string()?;
            s.skip_ws();
            s.eat(b':')?;
            s.skip_ws();
            match key {
                b"device_id" if device_id.is_none() => device_id = Some(s.integer()?),
                b"timestamp" if timestamp.is_none() => timestamp = Some(s.string()?),
                b"temperature" if temperature.is_none() => temperature = Some(s.number()?),
                // A repeated field is an error in serde; let it say so.
                b"device_id" | b"timestamp" | b"temperature" => return None,
                _ => s.skip_scalar()?,
            }
            s.skip_ws();
            match s.next()? {
                b',' => s.skip_ws(),
                b'}' => break,
                _ => return None,
            }
        }
    } else {
        s.at += 1;
    }
    s.skip_ws();
    if s.at != value.len() {
        return None;
    }
    // The bytes are ASCII, so they are a `str`; `from_utf8` cannot fail here.
    let timestamp = std::str::from_utf8(timestamp?).ok()?;
    if !crate::timestamp::is_iso8601_datetime(timestamp) {
        return None;
    }
    Some(Reading {
        device_id: device_id?,
        timestamp: Cow::Borrowed(timestamp),
        temperature: temperature?,
    })
}

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

    /// JSON whitespace: space, tab, line feed, carriage return.
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// A string without escapes or control characters; returns its contents.
    fn string(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let start = self.at;
        let rest = self.b.get(start..)?;
        let len = rest
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
        if rest.get(len) != Some(&b'"') {
            return None;
        }
        self.at = start + len + 1;
        self.b.get(start..start + len)
    }

    /// The extent of a JSON number at the cursor, checked against the JSON grammar
    /// (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`), and whether it is an integer.
    fn number_token(&mut self) -> Option<(&'a [u8], bool)> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.one_or_more_digits()?;
            integer = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            self.one_or_more_digits()?;
            integer = false;
        }
        Some((self.b.get(start..self.at)?, integer))
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.at += 1;
        }
    }

    fn one_or_more_digits(&mut self) -> Option<()> {
        let start = self.at;
        self.digits();
        (self.at > start).then_some(())
    }

    /// An integer that fits an `i64` (anything else is serde's to judge).
    fn integer(&mut self) -> Option<i64> {
        let (token, integer) = self.number_token()?;
        plain_integer(token, integer)?.parse().ok()
    }

    /// A temperature: an `i64` integer, or a finite float parsed exactly as serde_json parses
    /// it (its float parser is not `str::parse`, and the last bit must agree).
    fn number(&mut self) -> Option<Number> {
        let (token, integer) = self.number_token()?;
        if integer {
            return plain_integer(token, integer)?.parse().ok().map(Number::Int);
        }
        let x: f64 = serde_json::from_slice(token).ok()?;
        x.is_finite().then_some(Number::Float(x))
    }

    /// Skips a string, number, `true`, `false` or `null`; objects and arrays go to serde.
    fn skip_scalar(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number_token().map(drop),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at + word.len();
        (self.b.get(self.at..end)? == word).then(|| self.at = end)
    }
}

/// An integer token as text, unless it is `-0`, which serde_json reads as the float `-0.0`.
fn plain_integer(token: &[u8], integer: bool) -> Option<&str> {
    if !integer || token == b"-0" {
        return None;
    }
    std::str::from_utf8(token).ok()
}

#[cfg(test)]
mod tests;
