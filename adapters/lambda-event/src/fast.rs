//! The fast path of [`super::decode`]: a scanner for the event exactly as the event source
//! mapping lays it out.
//!
//! serde's generic machinery (visitors, field identifiers, `Cow`s, a `Vec` per record's
//! headers) costs more than the JSON itself for events of thousands of small records. The ESM
//! writes a narrow subset of JSON: strings without escapes, integer numbers, records as
//! objects. This scanner reads only that subset and gives up with [`Unsupported`] on anything
//! else (an escape, a float, malformed JSON, a missing or repeated field, …). The caller then
//! decodes the whole event again with serde, which stays the reference for odd events and for
//! every error message: whatever the fast path returns, serde returns the same for that input.
//!
//! Records go through the same [`Decoder::add`] as serde's, so batch contents and rejection
//! reasons cannot drift apart; only reading the JSON differs. Where serde would reject the
//! input (a control character in a string, invalid UTF-8 in a string it reads as `str`, an
//! integer out of its type's range), the fast path gives up rather than repeat the check's
//! exact semantics with an error of its own.

// Every byte access goes through `get`: no input can make this module panic.
#![deny(clippy::indexing_slicing)]

use std::ops::Range;

use memchr::memchr2;

use super::{Decoder, KafkaEventBatch, RecordParts};

/// Why the fast path gave up on an event. Not a verdict on the event: serde decides that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unsupported {
    /// A string with a backslash escape.
    Escape,
    /// Not the token the layout has here, or malformed JSON.
    Syntax,
    /// A number that is not an integer of the field's type (a float, `-0`, out of range).
    Number,
    /// A string serde would reject: a control character, or invalid UTF-8 where it reads `str`.
    InvalidString,
    /// A record or event field missing or repeated.
    Field,
    /// A record the batch does not take (partition out of `i32`, over 4 GiB of values).
    Record,
    /// Containers nested deeper than the skipper tracks.
    TooDeep,
}

use Unsupported::*;

/// Decodes an event laid out as the ESM sends it, or says why it did not.
pub(super) fn decode(json: &[u8]) -> Result<KafkaEventBatch, Unsupported> {
    let mut s = Scanner {
        bytes: json,
        pos: 0,
    };
    let mut decoder = Decoder::default();
    let mut scratch = Scratch::default();
    let mut event_source = None;
    let mut saw_records = false;
    let mut more = s.object_start()?;
    while more {
        // Like serde: the last `eventSource` wins, every `records` adds to the batch.
        match s.key()? {
            b"eventSource" => {
                event_source = s.nullable(Scanner::str)?.map(str::to_owned);
            }
            b"records" => {
                records(&mut s, &mut decoder, &mut scratch)?;
                saw_records = true;
            }
            other => {
                checked_str(other)?;
                s.skip_value()?;
            }
        }
        more = s.more(b'}')?;
    }
    if !saw_records {
        return Err(Field);
    }
    // serde_json allows trailing whitespace and nothing else.
    if s.peek().is_some() {
        return Err(Syntax);
    }
    Ok(KafkaEventBatch {
        event_source,
        batch: decoder.builder.build(),
        undecodable: decoder.undecodable,
    })
}

/// `records`: `{"topic-partition": [record, …], …}`.
fn records<'a>(
    s: &mut Scanner<'a>,
    decoder: &mut Decoder,
    scratch: &mut Scratch<'a>,
) -> Result<(), Unsupported> {
    let mut more = s.object_start()?;
    while more {
        let map_key = checked_str(s.key()?)?;
        let mut elements = s.array_start()?;
        while elements {
            record(s, map_key, decoder, scratch)?;
            elements = s.more(b']')?;
        }
        more = s.more(b'}')?;
    }
    Ok(())
}

/// What reading one record needs besides the scanner, kept from record to record so that
/// records cost no allocation beyond the batch's own.
#[derive(Default)]
struct Scratch<'a> {
    /// The record's headers: names, and where their values are in `header_bytes`.
    headers: Vec<(&'a str, Range<usize>)>,
    header_bytes: Vec<u8>,
    /// Topics, header names and unknown field names mostly repeat from record to record.
    topic: Checked<'a>,
    header_name: Checked<'a>,
    unknown_field: Checked<'a>,
}

/// The last string [`checked_str`] accepted in one place: comparing the next one's bytes with
/// it is cheaper than validating them again.
#[derive(Default)]
struct Checked<'a> {
    raw: &'a [u8],
    text: &'a str,
}

impl<'a> Checked<'a> {
    #[inline]
    fn check(&mut self, raw: &'a [u8]) -> Result<&'a str, Unsupported> {
        if !same_bytes(raw, self.raw) {
            self.text = checked_str(raw)?;
            self.raw = raw;
        }
        Ok(self.text)
    }
}

/// Reads one record and adds it to `decoder`.
fn record<'a>(
    s: &mut Scanner<'a>,
    map_key: &str,
    decoder: &mut Decoder,
    scratch: &mut Scratch<'a>,
) -> Result<(), Unsupported> {
    scratch.headers.clear();
    scratch.header_bytes.clear();
    // Past any whitespace, so that both readers start at the record's `{`.
    s.peek();
    let start = s.pos;
    let fields = match s.esm_record(scratch) {
        Some(fields) => fields,
        None => {
            // Not byte for byte the ESM's layout: read it again, in any order.
            s.pos = start;
            scratch.headers.clear();
            scratch.header_bytes.clear();
            s.any_record(scratch)?
        }
    };
    let names = &scratch.headers;
    let bytes = &scratch.header_bytes;
    let parts = RecordParts {
        topic: fields.topic,
        partition: fields.partition,
        offset: fields.offset,
        timestamp: fields.timestamp,
        key: fields.key,
        value: fields.value,
        headers: names.iter().map(|(name, range)| {
            let value = bytes.get(range.clone()).unwrap_or_default();
            (*name, value)
        }),
    };
    let rejected = decoder.undecodable.len();
    decoder.add(map_key, parts).map_err(|_| Record)?;
    // Text that decoded as base64 is plain ASCII, but a record set aside as undecodable may
    // hold anything: serde would have rejected the event if that is not a valid `str`.
    if decoder.undecodable.len() != rejected {
        for text in [fields.key, fields.value].into_iter().flatten() {
            checked_str(text)?;
        }
    }
    Ok(())
}

/// A record's fields other than its headers (which are in [`Scratch`]).
struct Fields<'a> {
    topic: Option<&'a str>,
    partition: i64,
    offset: i64,
    timestamp: i64,
    key: Option<&'a [u8]>,
    value: Option<&'a [u8]>,
}

/// `a == b`, without a call to `memcmp` for the short strings compared on every record: two
/// overlapping loads from either end cover 4 to 16 bytes.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    match a.len() {
        n if n != b.len() => false,
        8..=16 => {
            a.first_chunk::<8>() == b.first_chunk::<8>()
                && a.last_chunk::<8>() == b.last_chunk::<8>()
        }
        4..8 => {
            a.first_chunk::<4>() == b.first_chunk::<4>()
                && a.last_chunk::<4>() == b.last_chunk::<4>()
        }
        _ => a == b,
    }
}

/// Sets a record field, giving up if the record already had it.
fn set_once<T>(field: &mut Option<T>, value: T) -> Result<(), Unsupported> {
    match field.replace(value) {
        None => Ok(()),
        Some(_) => Err(Field),
    }
}

/// A string's contents as serde reads a `str`: no control characters, valid UTF-8.
fn checked_str(raw: &[u8]) -> Result<&str, Unsupported> {
    if raw.iter().any(|&b| b < 0x20) {
        return Err(InvalidString);
    }
    std::str::from_utf8(raw).map_err(|_| InvalidString)
}

/// A header byte: Java's signed bytes or unsigned ones, as serde's `HeaderBytes` takes them.
fn header_byte(n: i64) -> Result<u8, Unsupported> {
    u8::try_from(n)
        .or_else(|_| i8::try_from(n).map(i8::cast_unsigned))
        .map_err(|_| Number)
}

/// Digits of the largest integer read (`i64::MAX` has 19; any 19 digits fit a `u64`).
const MAX_DIGITS: usize = 19;

/// Where the first `"` or `\` is: the end of a string's contents, unless it has escapes.
///
/// `LONG` says the string is expected to be long (a base64 value): memchr from the start.
/// Other strings are mostly short (field names, topics, keys): eight bytes at a time, the
/// first [`SHORT_WORDS`] words find their end before memchr's setup would pay off, and memchr
/// takes the rest of longer ones: each way is the faster one for its own strings.
#[inline]
fn string_end<const LONG: bool>(bytes: &[u8]) -> Option<usize> {
    if LONG {
        return memchr2(b'"', b'\\', bytes);
    }
    let (words, tail) = bytes.as_chunks::<8>();
    for (i, word) in words.iter().take(SHORT_WORDS).enumerate() {
        let found = quote_or_backslash(u64::from_le_bytes(*word));
        if found != 0 {
            return Some(i * 8 + (found.trailing_zeros() / 8) as usize);
        }
    }
    let checked = SHORT_WORDS * 8;
    if words.len() > SHORT_WORDS {
        return memchr2(b'"', b'\\', bytes.get(checked..)?).map(|i| i + checked);
    }
    let tail_start = words.len() * 8;
    tail.iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|i| i + tail_start)
}

/// Words of a string scanned before handing over to memchr.
const SHORT_WORDS: usize = 2;

/// The high bit of each byte of `word` (little-endian) that may be `"` or `\`: exact for the
/// lowest such byte, which is all [`string_end`] uses (the borrow in the subtraction can only
/// mark bytes above a real match).
#[inline]
fn quote_or_backslash(word: u64) -> u64 {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    zero_byte(word ^ (ONES * u64::from(b'"'))) | zero_byte(word ^ (ONES * u64::from(b'\\')))
}

/// A cursor over the event's bytes.
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// Skips JSON whitespace (what serde_json skips) and returns the next byte.
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.bytes.get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\t' | b'\r') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// Consumes `want`, the next byte after whitespace.
    #[inline]
    fn eat(&mut self, want: u8) -> Result<(), Unsupported> {
        match self.peek() {
            Some(b) if b == want => {
                self.pos += 1;
                Ok(())
            }
            _ => Err(Syntax),
        }
    }

    /// Consumes `{`; says whether a first member follows (rather than `}`).
    #[inline]
    fn object_start(&mut self) -> Result<bool, Unsupported> {
        self.eat(b'{')?;
        self.close_now(b'}')
    }

    /// Consumes `[`; says whether a first element follows (rather than `]`).
    #[inline]
    fn array_start(&mut self) -> Result<bool, Unsupported> {
        self.eat(b'[')?;
        self.close_now(b']')
    }

    /// After an opening bracket: consumes `close` if it is next, and says whether it was not.
    #[inline]
    fn close_now(&mut self, close: u8) -> Result<bool, Unsupported> {
        match self.peek() {
            Some(b) if b == close => {
                self.pos += 1;
                Ok(false)
            }
            Some(_) => Ok(true),
            None => Err(Syntax),
        }
    }

    /// After a member or element: consumes `,` (true: another follows) or `close` (false).
    #[inline]
    fn more(&mut self, close: u8) -> Result<bool, Unsupported> {
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(Syntax),
        }
    }

    /// An object member's key and the colon after it, as raw string contents.
    #[inline]
    fn key(&mut self) -> Result<&'a [u8], Unsupported> {
        let key = self.raw_string::<false>()?;
        self.eat(b':')?;
        Ok(key)
    }

    /// A record object with its fields in any order, whitespace anywhere, unknown fields.
    fn any_record(&mut self, scratch: &mut Scratch<'a>) -> Result<Fields<'a>, Unsupported> {
        // The outer `Option` says whether the field was seen: serde rejects a repeated field.
        let mut topic: Option<Option<&str>> = None;
        let mut partition: Option<i64> = None;
        let mut offset: Option<i64> = None;
        let mut timestamp: Option<i64> = None;
        let mut key: Option<Option<&[u8]>> = None;
        let mut value: Option<Option<&[u8]>> = None;
        let mut saw_headers = false;
        let mut more = self.object_start()?;
        while more {
            match self.key()? {
                b"topic" => {
                    let t = self.nullable(Scanner::raw_string::<false>)?;
                    let t = t.map(|t| scratch.topic.check(t)).transpose()?;
                    set_once(&mut topic, t)?;
                }
                b"partition" => set_once(&mut partition, self.i64()?)?,
                b"offset" => set_once(&mut offset, self.i64()?)?,
                b"timestamp" => set_once(&mut timestamp, self.i64()?)?,
                // Base64 text is checked by decoding it (see `record`).
                b"key" => {
                    let k = self.nullable(Scanner::raw_string::<false>)?;
                    set_once(&mut key, k)?;
                }
                b"value" => {
                    let v = self.nullable(Scanner::raw_string::<true>)?;
                    set_once(&mut value, v)?;
                }
                b"headers" => {
                    if saw_headers {
                        return Err(Field);
                    }
                    saw_headers = true;
                    if !self.null()? {
                        self.headers(scratch)?;
                    }
                }
                name => {
                    scratch.unknown_field.check(name)?;
                    self.skip()?;
                }
            }
            more = self.more(b'}')?;
        }
        let (Some(partition), Some(offset), Some(timestamp)) = (partition, offset, timestamp)
        else {
            return Err(Field);
        };
        Ok(Fields {
            topic: topic.flatten(),
            partition,
            offset,
            timestamp,
            key: key.flatten(),
            value: value.flatten(),
        })
    }

    /// A record exactly as the ESM writes it: every field, in its order, no whitespace around
    /// names and punctuation, one name per header object. Reading it token by token against
    /// constants skips the bookkeeping [`Self::any_record`] needs; `None` at the first
    /// difference, wherever the scanner then is (the caller starts the record again with
    /// `any_record`). Values are read and checked as `any_record` reads them, so a record both
    /// accept comes out the same.
    fn esm_record(&mut self, scratch: &mut Scratch<'a>) -> Option<Fields<'a>> {
        self.token(b"{\"topic\":\"")?;
        let topic = scratch.topic.check(self.string_rest::<false>()?).ok()?;
        self.token(b",\"partition\":")?;
        let partition = self.i64().ok()?;
        self.token(b",\"offset\":")?;
        let offset = self.i64().ok()?;
        self.token(b",\"timestamp\":")?;
        let timestamp = self.i64().ok()?;
        self.token(b",\"timestampType\":\"")?;
        if self.string_rest::<false>()?.iter().any(|&b| b < 0x20) {
            return None;
        }
        self.token(b",\"key\":")?;
        let key = self.esm_base64::<false>()?;
        self.token(b",\"value\":")?;
        let value = self.esm_base64::<true>()?;
        self.token(b",\"headers\":[")?;
        if !self.take(b"]") {
            loop {
                self.token(b"{\"")?;
                let name = scratch
                    .header_name
                    .check(self.string_rest::<false>()?)
                    .ok()?;
                self.token(b":[")?;
                let start = scratch.header_bytes.len();
                if !self.take(b"]") {
                    loop {
                        let byte = header_byte(self.i64().ok()?).ok()?;
                        scratch.header_bytes.push(byte);
                        if !self.take(b",") {
                            self.token(b"]")?;
                            break;
                        }
                    }
                }
                scratch
                    .headers
                    .push((name, start..scratch.header_bytes.len()));
                self.token(b"}")?;
                if !self.take(b",") {
                    self.token(b"]")?;
                    break;
                }
            }
        }
        self.token(b"}")?;
        Some(Fields {
            topic: Some(topic),
            partition,
            offset,
            timestamp,
            key,
            value,
        })
    }

    /// A key or value in [`Self::esm_record`]: `null` or a string.
    #[inline]
    fn esm_base64<const LONG: bool>(&mut self) -> Option<Option<&'a [u8]>> {
        if self.take(b"null") {
            return Some(None);
        }
        self.token(b"\"")?;
        self.string_rest::<LONG>().map(Some)
    }

    /// [`Self::take`] for [`Self::esm_record`]: `None` if the input does not continue with
    /// `token`.
    #[inline(always)]
    fn token<const N: usize>(&mut self, token: &[u8; N]) -> Option<()> {
        self.take(token).then_some(())
    }

    /// The rest of a string whose opening quote is consumed, through the closing quote;
    /// `None` if it has an escape or does not end. `LONG`: see [`string_end`].
    #[inline]
    fn string_rest<const LONG: bool>(&mut self) -> Option<&'a [u8]> {
        let rest = self.bytes.get(self.pos..)?;
        let end = string_end::<LONG>(rest)?;
        let (contents, after) = rest.split_at_checked(end)?;
        if after.first() != Some(&b'"') {
            return None;
        }
        self.pos += end + 1;
        Some(contents)
    }

    /// Consumes `token` if the input continues with exactly it (no whitespace skipped).
    #[inline(always)]
    fn take<const N: usize>(&mut self, token: &[u8; N]) -> bool {
        let next = self
            .bytes
            .get(self.pos..)
            .and_then(<[u8]>::first_chunk::<N>);
        if next == Some(token) {
            self.pos += N;
            true
        } else {
            false
        }
    }

    /// A string's raw contents, without its quotes. Escapes give up; control characters and
    /// UTF-8 are the caller's to check (see [`checked_str`]). `LONG`: see [`string_end`].
    #[inline]
    fn raw_string<const LONG: bool>(&mut self) -> Result<&'a [u8], Unsupported> {
        self.eat(b'"')?;
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let end = string_end::<LONG>(rest).ok_or(Syntax)?;
        let (contents, after) = rest.split_at_checked(end).ok_or(Syntax)?;
        match after.first() {
            Some(b'"') => {
                self.pos += end + 1;
                Ok(contents)
            }
            _ => Err(Escape),
        }
    }

    /// A string serde reads as `str`.
    #[inline]
    fn str(&mut self) -> Result<&'a str, Unsupported> {
        checked_str(self.raw_string::<false>()?)
    }

    /// Consumes `null` if it is next (after whitespace).
    #[inline]
    fn null(&mut self) -> Result<bool, Unsupported> {
        match self.peek() {
            Some(b'n') => {
                self.literal(b"null")?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// `null` (`None`) or what `read` reads, as serde reads an `Option`.
    #[inline]
    fn nullable<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, Unsupported>,
    ) -> Result<Option<T>, Unsupported> {
        if self.null()? {
            Ok(None)
        } else {
            read(self).map(Some)
        }
    }

    /// Consumes exactly `word` (`true`, `false`, `null`).
    fn literal(&mut self, word: &[u8]) -> Result<(), Unsupported> {
        let end = self.pos.saturating_add(word.len());
        match self.bytes.get(self.pos..end) {
            Some(found) if found == word => {
                self.pos = end;
                Ok(())
            }
            _ => Err(Syntax),
        }
    }

    /// An integer that serde_json reads into an `i64` as it is: no fraction or exponent, no
    /// `-0` (serde_json reads that as a float), within range.
    #[inline(always)]
    fn i64(&mut self) -> Result<i64, Unsupported> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let magnitude = self.digits()?;
        let magnitude = i64::try_from(magnitude).map_err(|_| Number)?;
        match (negative, magnitude) {
            (false, m) => Ok(m),
            (true, 0) => Err(Number),
            (true, m) => Ok(-m),
        }
    }

    /// The digits of an integer (JSON's rules: no leading zero), not followed by a fraction or
    /// an exponent.
    #[inline(always)]
    fn digits(&mut self) -> Result<u64, Unsupported> {
        let digits = self.bytes.get(self.pos..).unwrap_or_default();
        let mut n: u64 = 0;
        let mut len = 0;
        for &b in digits {
            let digit = b.wrapping_sub(b'0');
            if digit > 9 {
                break;
            }
            // Cannot wrap within `MAX_DIGITS` digits; longer numbers are refused below.
            n = n.wrapping_mul(10).wrapping_add(u64::from(digit));
            len += 1;
        }
        if len > MAX_DIGITS {
            return Err(Number);
        }
        let leading_zero = digits.first() == Some(&b'0') && len > 1;
        if len == 0 || leading_zero {
            return Err(Syntax);
        }
        self.pos += len;
        match self.bytes.get(self.pos) {
            Some(b'.' | b'e' | b'E') => Err(Number),
            _ => Ok(n),
        }
    }

    /// `headers`: `[{"name": [byte, …], …}, …]`, into `out` in event order.
    fn headers(&mut self, out: &mut Scratch<'a>) -> Result<(), Unsupported> {
        let mut more = self.array_start()?;
        while more {
            let mut entries = self.object_start()?;
            while entries {
                let name = out.header_name.check(self.key()?)?;
                let start = out.header_bytes.len();
                let mut bytes = self.array_start()?;
                while bytes {
                    out.header_bytes.push(header_byte(self.i64()?)?);
                    bytes = self.more(b']')?;
                }
                out.headers.push((name, start..out.header_bytes.len()));
                entries = self.more(b'}')?;
            }
            more = self.more(b']')?;
        }
        Ok(())
    }

    /// Skips any JSON value (see [`Self::skip_value`]); a string, the usual case, directly.
    #[inline]
    fn skip(&mut self) -> Result<(), Unsupported> {
        if self.peek() != Some(b'"') {
            return self.skip_value();
        }
        // serde skips strings without checking their UTF-8.
        if self.raw_string::<false>()?.iter().any(|&b| b < 0x20) {
            return Err(InvalidString);
        }
        Ok(())
    }

    /// Skips any JSON value, accepting what serde's `IgnoredAny` accepts (strings with no
    /// escapes only). Iterative, so deep nesting cannot overflow the stack.
    fn skip_value(&mut self) -> Result<(), Unsupported> {
        // Bit `i` set: the container at depth `i` is an array (else an object).
        let mut arrays: u128 = 0;
        let mut depth: u32 = 0;
        loop {
            let opened = match self.peek().ok_or(Syntax)? {
                b'{' => Some(false),
                b'[' => Some(true),
                b'"' => {
                    // serde skips strings without checking their UTF-8.
                    let raw = self.raw_string::<false>()?;
                    if raw.iter().any(|&b| b < 0x20) {
                        return Err(InvalidString);
                    }
                    None
                }
                b'-' | b'0'..=b'9' => {
                    self.skip_number()?;
                    None
                }
                b't' => {
                    self.literal(b"true")?;
                    None
                }
                b'f' => {
                    self.literal(b"false")?;
                    None
                }
                b'n' => {
                    self.literal(b"null")?;
                    None
                }
                _ => return Err(Syntax),
            };
            if let Some(is_array) = opened {
                self.pos += 1;
                if depth >= u128::BITS {
                    return Err(TooDeep);
                }
                let bit = 1u128 << depth;
                arrays = if is_array {
                    arrays | bit
                } else {
                    arrays & !bit
                };
                depth += 1;
                let close = if is_array { b']' } else { b'}' };
                if self.close_now(close)? {
                    if !is_array {
                        self.skip_key()?;
                    }
                    continue;
                }
                depth -= 1;
            }
            // A value is complete: close finished containers, or move to the next member.
            loop {
                let Some(top) = depth.checked_sub(1) else {
                    return Ok(());
                };
                let is_array = arrays & (1u128 << top) != 0;
                match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        if !is_array {
                            self.skip_key()?;
                        }
                        break;
                    }
                    Some(b']') if is_array => {
                        self.pos += 1;
                        depth = top;
                    }
                    Some(b'}') if !is_array => {
                        self.pos += 1;
                        depth = top;
                    }
                    _ => return Err(Syntax),
                }
            }
        }
    }

    /// The key and colon of a member of a skipped object.
    fn skip_key(&mut self) -> Result<(), Unsupported> {
        let key = self.key()?;
        if key.iter().any(|&b| b < 0x20) {
            return Err(InvalidString);
        }
        Ok(())
    }

    /// Skips a number by JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn skip_number(&mut self) -> Result<(), Unsupported> {
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.bytes.get(self.pos) {
            Some(b'0') => {
                self.pos += 1;
                if self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    return Err(Syntax);
                }
            }
            Some(b'1'..=b'9') => {
                self.skip_digits();
            }
            _ => return Err(Syntax),
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.skip_digits() == 0 {
                return Err(Syntax);
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if self.skip_digits() == 0 {
                return Err(Syntax);
            }
        }
        Ok(())
    }

    /// Skips ASCII digits; returns how many.
    fn skip_digits(&mut self) -> usize {
        let start = self.pos;
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - start
    }
}

#[cfg(test)]
mod tests;
