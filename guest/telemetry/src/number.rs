//! Numbers as Python's `json` module, `sum()`, true division and `round()` see them.

/// Python's `json` refuses integers with more digits than this (`sys.get_int_max_str_digits()`).
pub const PYTHON_MAX_INT_DIGITS: usize = 4300;

/// Significant digits a DynamoDB number holds (boto3 serialises with a 38-digit context that
/// raises rather than round).
pub const DYNAMODB_DIGITS: u32 = 38;

/// A JSON number, keeping the int/float distinction Python's `json.loads` makes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// A JSON integer (no fraction, no exponent) that fits a C `long`, as CPython's `sum()`
    /// fast path needs (`31`, and `-0`, which Python reads as the int 0).
    Int(i64),
    /// A JSON integer beyond `i64` but within `i128`: exact, as Python's `int` is.
    Wide(i128),
    /// A JSON integer beyond `i128` (up to Python's 4300 digits): Python keeps it exact, this
    /// module does not sum it, and rejects its device instead.
    Huge {
        /// Whether it is negative.
        negative: bool,
    },
    /// Any other JSON number (`31.0`, `3e1`), correctly rounded; `1e400` is infinite, as
    /// Python's `float('1e400')` is.
    Float(f64),
}

impl Number {
    /// Reads a JSON number token (`None` if `text` is not one): integers as [`Number::Int`],
    /// [`Number::Wide`] or [`Number::Huge`], anything else as a correctly rounded
    /// [`Number::Float`]. An integer of more than [`PYTHON_MAX_INT_DIGITS`] digits is an
    /// error, as in Python's `json.loads`.
    pub fn from_json(text: &[u8]) -> Option<Result<Number, String>> {
        let (integer, digits) = json_number_shape(text)?;
        let text = std::str::from_utf8(text).ok()?;
        if !integer {
            return text.parse::<f64>().ok().map(|x| Ok(Number::Float(x)));
        }
        if digits > PYTHON_MAX_INT_DIGITS {
            return Some(Err(format!(
                "an integer of {digits} digits: Python's json refuses more than {PYTHON_MAX_INT_DIGITS}"
            )));
        }
        Some(Ok(match text.parse::<i128>() {
            Ok(n) => i64::try_from(n).map_or(Number::Wide(n), Number::Int),
            Err(_) => Number::Huge {
                negative: text.starts_with('-'),
            },
        }))
    }

    /// The value as an `f64`: exact for integers up to 2^53, correctly rounded beyond;
    /// infinite for [`Number::Huge`].
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Wide(i) => i as f64,
            Number::Huge { negative: false } => f64::INFINITY,
            Number::Huge { negative: true } => f64::NEG_INFINITY,
            Number::Float(x) => x,
        }
    }
}

/// Whether `text` is a JSON number token (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`):
/// `Some((is an integer, digit count))`.
fn json_number_shape(text: &[u8]) -> Option<(bool, usize)> {
    let digits_at = |from: usize| {
        text.get(from..).map_or(0, |rest| {
            rest.iter().take_while(|c| c.is_ascii_digit()).count()
        })
    };
    let mut at = usize::from(text.first() == Some(&b'-'));
    let int_digits = digits_at(at);
    if int_digits == 0 || (int_digits > 1 && text.get(at) == Some(&b'0')) {
        return None;
    }
    at += int_digits;
    let mut integer = true;
    if text.get(at) == Some(&b'.') {
        let n = digits_at(at + 1);
        if n == 0 {
            return None;
        }
        at += 1 + n;
        integer = false;
    }
    if let Some(b'e' | b'E') = text.get(at) {
        at += 1;
        if let Some(b'+' | b'-') = text.get(at) {
            at += 1;
        }
        let n = digits_at(at);
        if n == 0 {
            return None;
        }
        at += n;
        integer = false;
    }
    (at == text.len()).then_some((integer, int_digits))
}

/// An exact integer of 192 bits, `hi * 2^128 + lo`: enough for any sum of `i128` values that
/// a batch can hold (fewer than 2^64 of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Exact {
    hi: i64,
    lo: u128,
}

impl Exact {
    /// `n` exactly.
    pub fn new(n: i128) -> Self {
        Exact {
            hi: if n < 0 { -1 } else { 0 },
            lo: n as u128,
        }
    }

    /// `self + n`, or `None` past 192 bits.
    pub fn checked_add(self, n: i128) -> Option<Self> {
        let (lo, carry) = self.lo.overflowing_add(n as u128);
        // `n as u128` is `n + 2^128` for a negative `n`: take the 2^128 back off `hi`.
        let hi = self
            .hi
            .checked_add(i64::from(carry))?
            .checked_sub(i64::from(n < 0))?;
        Some(Exact { hi, lo })
    }

    /// The sign and the magnitude as little-endian 64-bit limbs.
    fn sign_magnitude(self) -> (bool, [u64; 3]) {
        let negative = self.hi < 0;
        let (hi, lo) = if negative {
            // Two's complement negation of the 192-bit value.
            let lo = (!self.lo).wrapping_add(1);
            let hi = (!self.hi as u64).wrapping_add(u64::from(lo == 0));
            (hi, lo)
        } else {
            (self.hi as u64, self.lo)
        };
        (negative, [lo as u64, (lo >> 64) as u64, hi])
    }

    /// `self / divisor` correctly rounded to an `f64` (half to even), as Python's `int / int`
    /// computes it from the exact quotient; `divisor` > 0.
    pub fn div_to_f64(self, divisor: u64) -> f64 {
        let (negative, magnitude) = self.sign_magnitude();
        if magnitude == [0; 3] || divisor == 0 {
            return 0.0;
        }
        // The magnitude times 2^128, so that the integer quotient has at least 65 bits.
        let numerator = [0, 0, magnitude[0], magnitude[1], magnitude[2]];
        let mut quotient = [0u64; 5];
        let mut remainder: u128 = 0;
        for i in (0..numerator.len()).rev() {
            let current = (remainder << 64) | u128::from(numerator[i]);
            quotient[i] = (current / u128::from(divisor)) as u64;
            remainder = current % u128::from(divisor);
        }
        let bits = bit_length(&quotient);
        // The top 64 bits, and whether anything below them (or the remainder) is non-zero.
        let shift = bits.saturating_sub(64);
        let (limb, offset) = (shift / 64, shift % 64);
        let at = |i: usize| quotient.get(i).copied().unwrap_or(0);
        let mut top = at(limb) >> offset;
        if offset > 0 {
            top |= at(limb + 1) << (64 - offset);
        }
        let below = quotient.iter().take(limb).any(|&l| l != 0)
            || (offset > 0 && at(limb) & ((1u64 << offset) - 1) != 0);
        // With all 64 bits used, bit 0 lies below the rounding position and its guard bit, so
        // setting it for a non-zero rest makes the conversion round as the exact value would.
        let sticky = u64::from(below || remainder != 0);
        let x = (top | sticky) as f64 * power_of_two(shift as i32 - 128);
        if negative { -x } else { x }
    }

    /// The value correctly rounded to an `f64`, as Python's `float(int)`.
    pub fn to_f64(self) -> f64 {
        self.div_to_f64(1)
    }
}

/// How many bits the little-endian limbs hold up to the highest set one.
fn bit_length(limbs: &[u64]) -> usize {
    limbs
        .iter()
        .rposition(|&l| l != 0)
        .map_or(0, |i| i * 64 + 64 - limbs[i].leading_zeros() as usize)
}

/// `2^e` for the normal range of exponents the division needs (|e| < 1023).
fn power_of_two(e: i32) -> f64 {
    f64::from_bits(((e + 1023) as u64) << 52)
}

/// A running sum that gives bit for bit the result of CPython 3.12's `sum(values)`.
///
/// CPython keeps a C `long` while every value is an int and the total fits; a float switches
/// it to Neumaier-compensated float summation (ints that fit a `long` are then added plainly);
/// anything else (an int beyond a `long`, or a total that overflows one) drops to generic
/// `+`: exact int addition, plain float addition, no compensation from then on. The
/// reference Lambda averages with `round(sum(temps) / len(temps))`, so matching this is what
/// makes `avg_temp` match on ties.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PySum {
    /// All values so far were ints and the total fits a C `long`.
    Int(i64),
    /// Float fast path: running sum and compensation.
    Float {
        /// High-order running sum.
        hi: f64,
        /// Compensation for lost low-order bits.
        lo: f64,
    },
    /// Generic path, the total an int.
    BigInt(Exact),
    /// Generic path, the total a float.
    Plain(f64),
    /// A value (or a total) beyond what this module sums exactly.
    Unsupported,
}

impl Default for PySum {
    fn default() -> Self {
        PySum::Int(0)
    }
}

impl PySum {
    /// Adds one value.
    pub fn add(&mut self, value: Number) {
        *self = match (*self, value) {
            (PySum::Unsupported, _) | (_, Number::Huge { .. }) => PySum::Unsupported,
            (PySum::Int(s), Number::Int(v)) => match s.checked_add(v) {
                Some(total) => PySum::Int(total),
                None => exact(Exact::new(i128::from(s)), i128::from(v)),
            },
            (PySum::Int(s), Number::Wide(v)) => exact(Exact::new(i128::from(s)), v),
            // The switch to floats is a plain `int + float`.
            (PySum::Int(s), Number::Float(x)) => PySum::Float {
                hi: s as f64 + x,
                lo: 0.0,
            },
            (PySum::Float { hi, lo }, Number::Float(x)) => {
                let t = hi + x;
                let lo = if hi.abs() >= x.abs() {
                    lo + ((hi - t) + x)
                } else {
                    lo + ((x - t) + hi)
                };
                PySum::Float { hi: t, lo }
            }
            (PySum::Float { hi, lo }, Number::Int(v)) => PySum::Float {
                hi: hi + v as f64,
                lo,
            },
            // An int beyond a `long` leaves the fast path, compensation added first.
            (PySum::Float { hi, lo }, Number::Wide(v)) => {
                PySum::Plain(compensated(hi, lo) + v as f64)
            }
            (PySum::BigInt(s), Number::Int(v)) => exact(s, i128::from(v)),
            (PySum::BigInt(s), Number::Wide(v)) => exact(s, v),
            (PySum::BigInt(s), Number::Float(x)) => PySum::Plain(s.to_f64() + x),
            (PySum::Plain(f), Number::Int(v)) => PySum::Plain(f + v as f64),
            (PySum::Plain(f), Number::Wide(v)) => PySum::Plain(f + v as f64),
            (PySum::Plain(f), Number::Float(x)) => PySum::Plain(f + x),
        };
    }

    /// `sum(values) / count` as Python's true division computes it (`count` > 0): an int total
    /// divided exactly and rounded once, a float total divided as floats. `None` if a value was
    /// beyond what is summed exactly.
    pub fn mean(self, count: u64) -> Option<f64> {
        match self {
            PySum::Int(s) => Some(Exact::new(i128::from(s)).div_to_f64(count)),
            PySum::BigInt(s) => Some(s.div_to_f64(count)),
            PySum::Float { hi, lo } => Some(compensated(hi, lo) / count as f64),
            PySum::Plain(f) => Some(f / count as f64),
            PySum::Unsupported => None,
        }
    }

    /// `round(sum(values) / count)` as Python computes it (half to even), provided that
    /// Python would get a number DynamoDB can hold: otherwise why not, as a rejection reason
    /// (Python raises there: `round` of an infinite or NaN mean, or boto3 refusing an int of
    /// more than 38 digits).
    pub fn rounded_mean(self, count: u64) -> Result<i128, String> {
        let Some(mean) = self.mean(count) else {
            return Err(format!(
                "a temperature is an integer beyond ±2^127, which this module does not average \
                 (Python's exact int sum would go on; its mean would not fit the {DYNAMODB_DIGITS} \
                 digits of a DynamoDB number unless other readings cancelled it)"
            ));
        };
        if mean.is_nan() {
            return Err(
                "the mean temperature is NaN (infinite readings of both signs): Python's round() \
                 raises ValueError"
                    .to_owned(),
            );
        }
        if mean.is_infinite() {
            return Err(
                "the mean temperature overflows to infinity: Python's round() raises \
                 OverflowError"
                    .to_owned(),
            );
        }
        let rounded = mean.round_ties_even();
        // Saturates beyond i128, which is beyond the limit too.
        let n = rounded as i128;
        if n.unsigned_abs() >= 10u128.pow(DYNAMODB_DIGITS) {
            return Err(format!(
                "the rounded mean temperature {rounded:e} has more than {DYNAMODB_DIGITS} digits, \
                 more than a DynamoDB number holds"
            ));
        }
        Ok(n)
    }
}

/// `exact + n` on the generic path.
fn exact(total: Exact, n: i128) -> PySum {
    total
        .checked_add(n)
        .map_or(PySum::Unsupported, PySum::BigInt)
}

/// The float fast path's total: the compensation is added unless it is zero or not finite
/// (which would lose a negative zero's sign or turn an infinite sum into NaN).
fn compensated(hi: f64, lo: f64) -> f64 {
    if lo != 0.0 && lo.is_finite() {
        hi + lo
    } else {
        hi
    }
}

#[cfg(test)]
mod tests;
