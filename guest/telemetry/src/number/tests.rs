#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

use super::*;

fn sum(values: &[Number]) -> PySum {
    let mut s = PySum::default();
    for v in values {
        s.add(*v);
    }
    s
}

fn total(values: &[Number]) -> f64 {
    sum(values).mean(1).unwrap()
}

fn json(text: &str) -> Number {
    Number::from_json(text.as_bytes()).unwrap().unwrap()
}

#[test]
fn integers_sum_exactly() {
    assert_eq!(
        total(&[Number::Int(i64::MAX), Number::Int(1), Number::Int(-1)]),
        i64::MAX as f64
    );
    // 2^63 + 2^63 - 2^63 - 2^63 + 1, with the total beyond a `long` in between.
    let values = [i64::MAX, 1, i64::MAX, 1, i64::MIN, i64::MIN, 1].map(Number::Int);
    assert_eq!(sum(&values).rounded_mean(1), Ok(1));
}

#[test]
fn floats_are_compensated_like_cpython_3_12() {
    // Python 3.12: sum([0.1] * 10) == 1.0, while naive addition gives 0.9999999999999999.
    assert_eq!(total(&[Number::Float(0.1); 10]), 1.0);
    // Python 3.12: sum([1e100, 1.0, -1e100, 1.0]) == 2.0
    assert_eq!(total(&[1e100, 1.0, -1e100, 1.0].map(Number::Float)), 2.0);
}

#[test]
fn integers_after_a_float_are_added_plainly() {
    // Python 3.12 and 3.13: sum([0.2, 0.2, 0.7, -37, 0.2]) == -35.699999999999996;
    // compensating the int too would give -35.7.
    let mut all = [0.2, 0.2, 0.7].map(Number::Float).to_vec();
    all.extend([Number::Int(-37), Number::Float(0.2)]);
    assert_eq!(total(&all), -35.699999999999996);
}

#[test]
fn an_int_beyond_a_long_ends_compensation_after_adding_it() {
    // Python 3.12: sum([1e30, 1e10, -1e30, 2**63]) == 9.223372046854775e+18 (the 1e10 kept
    // in the compensation is added before the generic path takes over) ...
    let mut values = [1e30, 1e10, -1e30].map(Number::Float).to_vec();
    values.push(Number::Wide(1 << 63));
    assert_eq!(total(&values), 9.223372046854775e18);
    // ... and sum([1e30, 1e10, -1e30, 2**63, 1e30, 1e10, -1e30]) == 9.223372036854776e+18:
    // after it, floats are added plainly.
    values.extend([1e30, 1e10, -1e30].map(Number::Float));
    assert_eq!(total(&values), 9.223372036854776e18);
    // sum([2**62, 2**62, 1e30, 1e10, -1e30]) == 9.223372036854776e+18: an int total that
    // overflows a long takes the generic path too.
    let mut values = vec![Number::Int(1 << 62), Number::Int(1 << 62)];
    values.extend([1e30, 1e10, -1e30].map(Number::Float));
    assert_eq!(total(&values), 9.223372036854776e18);
}

#[test]
fn integer_means_are_one_correctly_rounded_division() {
    // Python: round(2258848920572997260 / 5) == 451769784114599424, while
    // round(float(2258848920572997260) / 5.0) == 451769784114599488.
    let s = sum(&[Number::Int(451_769_784_114_599_452); 5]);
    assert_eq!(s.rounded_mean(5), Ok(451_769_784_114_599_424));
    // Python: (-(2**62) - 5) / 3 == -1.5372286728091292e+18
    let s = sum(&[Number::Int(-(1 << 62)), Number::Int(-5)]);
    assert_eq!(s.mean(3), Some(-1.5372286728091292e18));
}

#[test]
fn mean_is_true_division_rounded_half_to_even() {
    let s = sum(&[35, 33, 33, 34, 34, 32].map(Number::Int));
    assert_eq!(s.mean(6), Some(33.5));
    assert_eq!(s.rounded_mean(6), Ok(34));
    // (2**54 + 1) / 2 == 9007199254740992.0: the exact x.5 rounds to even in the division.
    let s = sum(&[Number::Int((1 << 54) + 1)]);
    assert_eq!(s.rounded_mean(2), Ok(1 << 53));
    assert_eq!(sum(&[Number::Float(-0.0)]).rounded_mean(1), Ok(0));
    assert_eq!(sum(&[Number::Int(0)]).mean(3), Some(0.0));
}

#[test]
fn wide_integers_sum_exactly_to_192_bits() {
    let big = i128::MAX;
    let s = sum(&[
        Number::Wide(big),
        Number::Wide(big),
        Number::Wide(-big),
        Number::Int(-7),
    ]);
    assert_eq!(s.mean(1), Some((big - 7) as f64));
    // Python: round((2*(2**127-1) - 2*(2**127-1) + 3 * 10**37) / 3)
    // == 9999999999999999538762658202121142272 (10**37 is not exact in a float).
    let s = sum(&[
        Number::Wide(big),
        Number::Wide(big),
        Number::Wide(-big),
        Number::Wide(-big),
        Number::Wide(3 * 10i128.pow(37)),
    ]);
    assert_eq!(
        s.rounded_mean(3),
        Ok(9_999_999_999_999_999_538_762_658_202_121_142_272)
    );
}

#[test]
fn means_python_cannot_round_or_dynamodb_cannot_hold_are_errors() {
    let overflow = sum(&[Number::Float(1e308), Number::Float(1e308)]);
    assert_eq!(
        overflow.rounded_mean(2).unwrap_err(),
        "the mean temperature overflows to infinity: Python's round() raises OverflowError"
    );
    let nan = sum(&[
        Number::Float(f64::INFINITY),
        Number::Float(f64::NEG_INFINITY),
    ]);
    assert!(nan.rounded_mean(2).unwrap_err().contains("NaN"));
    // Python: round((10**38 + 2**75) / 1) == 100000000000000035527741686413195739136, 39
    // digits, which boto3 refuses; round(10**38 / 1) == 99999999999999997748809823456034029568.
    let wide = sum(&[Number::Wide(10i128.pow(38) + (1 << 75))]);
    assert_eq!(
        wide.rounded_mean(1).unwrap_err(),
        "the rounded mean temperature 1.0000000000000004e38 has more than 38 digits, more than a DynamoDB number holds"
    );
    assert_eq!(
        sum(&[Number::Wide(10i128.pow(38))]).rounded_mean(1),
        Ok(99_999_999_999_999_997_748_809_823_456_034_029_568)
    );
    let huge = sum(&[Number::Int(1), Number::Huge { negative: false }]);
    assert!(huge.rounded_mean(2).unwrap_err().contains("beyond ±2^127"));
}

#[test]
fn reads_json_numbers_as_python_does() {
    assert_eq!(json("-0"), Number::Int(0));
    assert_eq!(json("-0.0"), Number::Float(-0.0));
    assert!(json("-0.0").as_f64().is_sign_negative());
    assert_eq!(json("9223372036854775807"), Number::Int(i64::MAX));
    assert_eq!(json("9223372036854775808"), Number::Wide(1 << 63));
    assert_eq!(
        json("-170141183460469231731687303715884105728"),
        Number::Wide(i128::MIN)
    );
    assert_eq!(
        json("170141183460469231731687303715884105728"),
        Number::Huge { negative: false }
    );
    assert_eq!(json("1e400"), Number::Float(f64::INFINITY));
    assert_eq!(json("-1E+400"), Number::Float(f64::NEG_INFINITY));
    assert_eq!(json("1e-400"), Number::Float(0.0));
    // Correctly rounded, as Python's float(): 2^-1074 * 1.5 rounds to even.
    assert_eq!(
        json(
            "7.4109846876186981626485318930233205854758970392148714663837852375101326090531312779794975454245398856969484704316857659638998506553390969459816219401617281718945106978546710679176872575177347315553307795408549809608457500958111373034747658096871009590975442271004757307809711118935784838675653998783503015228055934046593739791790738723868299395818481660169122019456499931289798411362062484498678713572180352209017023903285791732520220528974020802906854021606612375549983402671300035812486479041385743401875520901590172592547146296175134159774938718574737870961645638908718119841271673056017045493004705269590165763776884908267986972573366521765567941072508764337560846003984904972149117463085539556354188641513168478436313080237596295773983001708984374999e-324"
        ),
        Number::Float(5e-324)
    );
    assert_eq!(Number::from_json(b"01"), None);
    assert_eq!(Number::from_json(b"1."), None);
    assert_eq!(Number::from_json(b"-"), None);
    assert_eq!(Number::from_json(b"1e"), None);
    let digits = "9".repeat(4301);
    assert_eq!(
        Number::from_json(digits.as_bytes()).unwrap().unwrap_err(),
        "an integer of 4301 digits: Python's json refuses more than 4300"
    );
    assert_eq!(
        Number::from_json("9".repeat(4300).as_bytes()),
        Some(Ok(Number::Huge { negative: false }))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// The division agrees with f64 division wherever that is exact (both operands exact in an
    /// f64, which IEEE division then rounds once).
    #[test]
    fn exact_division_agrees_with_f64_division_of_exact_operands(
        s in -(1i64 << 53)..(1i64 << 53),
        n in 1u64..(1 << 53),
    ) {
        prop_assert_eq!(
            Exact::new(i128::from(s)).div_to_f64(n).to_bits(),
            (s as f64 / n as f64).to_bits()
        );
    }

    /// Converting to f64 agrees with Rust's correctly rounded `i128 as f64`.
    #[test]
    fn exact_to_f64_rounds_like_a_cast(v in any::<i128>()) {
        prop_assert_eq!(Exact::new(v).to_f64().to_bits(), (v as f64).to_bits());
    }

    /// The 192-bit sum agrees with i128 arithmetic wherever that does not overflow.
    #[test]
    fn exact_sums_agree_with_i128(values in prop::collection::vec(any::<i64>(), 0..50)) {
        let mut exact = Exact::default();
        let mut wide = 0i128;
        for v in values {
            exact = exact.checked_add(i128::from(v) << 58).unwrap();
            wide += i128::from(v) << 58;
        }
        prop_assert_eq!(exact, Exact::new(wide));
    }
}
