//! Prometheus' convertnhcb and nhcbparse cases, and the converter's own.
use super::*;

enum Op {
    Bucket(f64, f64),
    Count(f64),
    Sum(f64),
}
use Op::*;

fn run(ops: &[Op]) -> Result<Decoded, ConvError> {
    let mut t = Temp::default();
    for op in ops {
        match *op {
            Bucket(le, c) => t.set_bucket(le, c),
            Count(c) => t.set_count(c),
            Sum(s) => t.set_sum(s),
        }
    }
    let mut d = Decoded::default();
    t.convert(&mut d).map(|()| d)
}

/// Integer histogram: count, sum, spans, deltas, custom values.
fn int(count: f64, sum: f64, spans: &[(i32, u32)], deltas: &[i64], cv: &[f64]) -> Decoded {
    Decoded {
        schema: CUSTOM_BUCKETS_SCHEMA,
        count,
        sum,
        positive_spans: spans.to_vec(),
        positive_deltas: deltas.to_vec(),
        custom_values: cv.to_vec(),
        ..Decoded::default()
    }
}

fn float(count: f64, sum: f64, spans: &[(i32, u32)], counts: &[f64], cv: &[f64]) -> Decoded {
    Decoded {
        schema: CUSTOM_BUCKETS_SCHEMA,
        float: true,
        count,
        sum,
        positive_spans: spans.to_vec(),
        positive_counts: counts.to_vec(),
        custom_values: cv.to_vec(),
        ..Decoded::default()
    }
}

/// Prometheus' `TestNHCBConvert` (util/convertnhcb), case by case.
#[test]
fn prometheus_convert_cases() {
    // Prometheus' happy case, integer counts; the same histogram in any order.
    let happy = || {
        Ok(int(
            1000.0,
            1000.25,
            &[(0, 3)],
            &[50, 850, -850],
            &[0.5, 1.0],
        ))
    };
    let inf = f64::INFINITY;
    let cases: Vec<(&str, Vec<Op>, Result<Decoded, &str>)> = vec![
        ("empty", vec![], Ok(int(0.0, 0.0, &[], &[], &[]))),
        (
            "sum only",
            vec![Sum(1000.25)],
            Ok(int(0.0, 1000.25, &[], &[], &[])),
        ),
        (
            "single integer bucket",
            vec![Sum(1000.25), Bucket(0.5, 1000.0)],
            Ok(int(1000.0, 1000.25, &[(0, 1)], &[1000], &[0.5])),
        ),
        (
            "single float bucket",
            vec![Sum(1000.25), Bucket(0.5, 1337.42)],
            Ok(float(1337.42, 1000.25, &[(0, 1)], &[1337.42], &[0.5])),
        ),
        (
            "happy case integer bucket",
            vec![
                Count(1000.0),
                Sum(1000.25),
                Bucket(0.5, 50.0),
                Bucket(1.0, 950.0),
                Bucket(inf, 1000.0),
            ],
            happy(),
        ),
        (
            "happy case float bucket",
            vec![
                Count(1000.0),
                Sum(1000.25),
                Bucket(0.5, 50.0),
                Bucket(1.0, 950.5),
                Bucket(inf, 1000.0),
            ],
            Ok(float(
                1000.0,
                1000.25,
                &[(0, 3)],
                &[50.0, 900.5, 49.5],
                &[0.5, 1.0],
            )),
        ),
        (
            "non cumulative bucket",
            vec![
                Count(1000.0),
                Sum(1000.25),
                Bucket(0.5, 50.0),
                Bucket(1.0, 950.0),
                Bucket(inf, 900.0),
            ],
            Err("count is not cumulative: 900 < 950"),
        ),
        (
            "negative count",
            vec![
                Count(-1000.0),
                Sum(1000.25),
                Bucket(0.5, 50.0),
                Bucket(1.0, 950.0),
                Bucket(inf, 900.0),
            ],
            Err("count must be non-negative: count=-1000"),
        ),
        (
            "NaN bucket upper bound",
            vec![Bucket(1.0, 5.0), Bucket(f64::NAN, 10.0)],
            Err("bucket boundary must not be NaN"),
        ),
        (
            "mixed order",
            vec![
                Bucket(0.5, 50.0),
                Bucket(inf, 1000.0),
                Bucket(1.0, 950.0),
                Count(1000.0),
                Sum(1000.25),
            ],
            happy(),
        ),
        // Beyond Prometheus' table: the errors' wording and Compact's spans.
        (
            "negative bucket",
            vec![Bucket(1.0, -5.0)],
            Err("bucket count must be non-negative: le=1, count=-5"),
        ),
        (
            "inserted above its successor",
            vec![Bucket(1.0, 5.0), Bucket(3.0, 6.0), Bucket(2.0, 7.0)],
            Err("count is not cumulative: 7 > 6"),
        ),
        (
            "count below the +Inf bucket",
            vec![Count(5.0), Bucket(1.0, 2.0), Bucket(inf, 6.0)],
            Err("count mismatch: count=5 != le=+Inf count=6"),
        ),
        (
            "float count mismatch",
            vec![Count(5.5), Bucket(1.0, 2.0), Bucket(inf, 6.0)],
            Err("count mismatch: count=5.5 != le=+Inf count=6"),
        ),
        (
            "repeated bucket ignored",
            vec![Bucket(1.0, 2.0), Bucket(1.0, 9.0), Bucket(inf, 3.0)],
            Ok(int(3.0, 0.0, &[(0, 2)], &[2, -1], &[1.0])),
        ),
        (
            "integer: runs of more than 2 empty buckets split spans",
            vec![
                Bucket(1.0, 1.0),
                Bucket(2.0, 1.0),
                Bucket(3.0, 1.0),
                Bucket(4.0, 1.0),
                Bucket(5.0, 3.0),
                Bucket(6.0, 3.0),
                Bucket(7.0, 3.0),
                Bucket(8.0, 6.0),
                Bucket(inf, 6.0),
            ],
            Ok(int(
                6.0,
                0.0,
                &[(0, 1), (3, 4)],
                &[1, 1, -2, 0, 3],
                &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
            )),
        ),
        (
            "float: every empty bucket goes",
            vec![
                Bucket(1.0, 0.5),
                Bucket(2.0, 0.5),
                Bucket(3.0, 0.5),
                Bucket(4.0, 0.5),
                Bucket(5.0, 2.5),
                Bucket(6.0, 2.5),
                Bucket(7.0, 2.5),
                Bucket(8.0, 5.5),
                Bucket(inf, 5.5),
            ],
            Ok(float(
                5.5,
                0.0,
                &[(0, 1), (3, 1), (2, 1)],
                &[0.5, 2.0, 3.0],
                &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
            )),
        ),
        (
            "leading empty buckets move the offset",
            vec![
                Bucket(-1.0, 0.0),
                Bucket(0.0, 0.0),
                Bucket(1.0, 0.0),
                Bucket(2.0, 4.0),
            ],
            Ok(int(4.0, 0.0, &[(3, 1)], &[4], &[-1.0, 0.0, 1.0, 2.0])),
        ),
        (
            "-Inf is a custom value",
            vec![Bucket(f64::NEG_INFINITY, 1.0), Bucket(inf, 1.0)],
            Ok(int(1.0, 0.0, &[(0, 1)], &[1], &[f64::NEG_INFINITY])),
        ),
        (
            "counts beyond int64 make a float histogram",
            vec![Bucket(1.0, 1e19), Bucket(inf, 1e19)],
            Ok(float(1e19, 0.0, &[(0, 1)], &[1e19], &[1.0])),
        ),
    ];
    for (name, ops, want) in cases {
        match (run(&ops), want) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{name}"),
            (Err(e), Err(msg)) => assert_eq!(e.message(), msg, "{name}"),
            (got, want) => panic!("{name}: {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn go_conversions() {
    assert_eq!(go_i64(f64::NAN), i64::MIN);
    assert_eq!(go_i64(1e19), i64::MIN);
    assert_eq!(go_i64(-3.7), -3);
    assert_eq!(go_u64(f64::NAN), 0);
    assert_eq!(go_u64(1.5e19), 15_000_000_000_000_000_000);
    assert_eq!(go_u64(3e19), 0);
    assert_eq!(go_round(2.5), 3.0);
    assert_eq!(go_round(-2.5), -3.0);
}
