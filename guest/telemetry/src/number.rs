//! Numbers as Python's `json` module and `sum()` see them.

/// A JSON number, keeping the int/float distinction Python's `json.loads` makes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    /// A JSON number without fraction or exponent (`31`).
    Int(i64),
    /// Any other JSON number (`31.0`, `3e1`).
    Float(f64),
}

impl Number {
    /// The value as an `f64` (exact for integers up to 2^53).
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(x) => x,
        }
    }
}

/// A running sum that gives bit-for-bit the result of CPython 3.12's `sum(values)`.
///
/// CPython sums integers exactly; at the first float it converts the integer total and goes
/// on with Neumaier-compensated float summation for floats (integers met after that are added
/// plainly), adding the compensation at the end. The reference Lambda averages with
/// `round(sum(temps) / len(temps))`, so matching this is what makes `avg_temp` match on ties.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PySum {
    /// All values so far were integers: exact sum.
    Int(i128),
    /// At least one float: running sum and compensation.
    Float {
        /// High-order running sum.
        hi: f64,
        /// Compensation for lost low-order bits.
        lo: f64,
    },
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
            (PySum::Int(s), Number::Int(v)) => PySum::Int(s + i128::from(v)),
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
        };
    }

    /// The total as an `f64`, as `float(sum(values))` would give it.
    pub fn total(self) -> f64 {
        match self {
            PySum::Int(s) => s as f64,
            PySum::Float { hi, lo } => {
                if lo != 0.0 && lo.is_finite() {
                    hi + lo
                } else {
                    hi
                }
            }
        }
    }

    /// `sum(values) / count` as Python's true division computes it (`count` > 0).
    pub fn mean(self, count: u64) -> f64 {
        self.total() / count as f64
    }

    /// `round(sum(values) / count)` as Python computes it: half to even. (Python's int has no
    /// bounds; a temperature mean beyond ±2^63 saturates here.)
    pub fn rounded_mean(self, count: u64) -> i64 {
        self.mean(count).round_ties_even() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(values: &[Number]) -> f64 {
        let mut s = PySum::default();
        for v in values {
            s.add(*v);
        }
        s.total()
    }

    #[test]
    fn integers_sum_exactly() {
        assert_eq!(
            sum(&[Number::Int(i64::MAX), Number::Int(1), Number::Int(-1)]),
            i64::MAX as f64
        );
    }

    #[test]
    fn floats_are_compensated_like_cpython_3_12() {
        // Python 3.12: sum([0.1] * 10) == 1.0, while naive addition gives 0.9999999999999999.
        assert_eq!(sum(&[Number::Float(0.1); 10]), 1.0);
        // Python 3.12: sum([1e100, 1.0, -1e100, 1.0]) == 2.0
        assert_eq!(
            sum(&[
                Number::Float(1e100),
                Number::Float(1.0),
                Number::Float(-1e100),
                Number::Float(1.0)
            ]),
            2.0
        );
    }

    #[test]
    fn integers_after_a_float_are_added_plainly() {
        // Python 3.12 and 3.13: sum([0.2, 0.2, 0.7, -37, 0.2]) == -35.699999999999996;
        // compensating the int too would give -35.7.
        let values = [0.2, 0.2, 0.7].map(Number::Float);
        let mut all = values.to_vec();
        all.extend([Number::Int(-37), Number::Float(0.2)]);
        assert_eq!(sum(&all), -35.699999999999996);
    }

    #[test]
    fn mean_is_true_division() {
        let mut s = PySum::default();
        for v in [35, 33, 33, 34, 34, 32] {
            s.add(Number::Int(v));
        }
        assert_eq!(s.mean(6), 33.5);
    }
}
