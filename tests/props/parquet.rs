//! Parquet ingest: typed columns of every width and kind.
//!
//! Two properties: frames whose every value has a known outcome (decimal, integer and float
//! amounts, datetime timestamps of three units, integer ids, row groups of any size), checked
//! row by row; and frames of arbitrary values and types in every column, where only the counts
//! can be checked.

use super::csv::{self as gen, check_counts, fx_table, ints, options, texts, Expect};
use crate::props::{config, Scratch};
use amlscreen::ingest::profile::{ColumnSpec, ConcatSpec, SourceColumn};
use amlscreen::ingest::{ingest, IngestOptions, MappingProfile};
use polars::prelude::*;
use proptest::prelude::*;
use std::path::{Path, PathBuf};

const MISSING: &str = "missing_required";
const BAD_TIMESTAMP: &str = "bad_timestamp";
const BAD_AMOUNT: &str = "bad_amount";
const NON_POSITIVE: &str = "non_positive_amount";
const DUPLICATE: &str = "duplicate_txn_id";

/// 1900-01-02 and 2025-12-31 in micros: valid times lie between.
const VALID_FROM: i64 = -2_208_902_400_000_000;
const VALID_TO: i64 = 1_767_139_200_000_000;
/// 1800-01-01 and 2200-01-01 in micros: refused, and representable in nanoseconds.
const TOO_EARLY: i64 = -5_364_662_400_000_000;
const TOO_LATE: i64 = 7_258_118_400_000_000;

/// An amount column of one type, with each value's expected outcome.
#[derive(Debug, Clone)]
enum Amounts {
    /// Unscaled values of a `Decimal(precision, scale)` column.
    Decimal(usize, usize, Vec<Option<i128>>),
    /// Values of an integer column of the given width (`'i'`/`'u'` and bits).
    Int(char, u32, Vec<Option<i128>>),
    /// Values of a float column (`true`: 32 bits).
    Float(bool, Vec<Option<f64>>),
    Text(Vec<(String, Expect<i64>)>),
}

impl Amounts {
    fn expected(&self) -> Vec<Expect<i64>> {
        let exact = |v: i128, scale: u32| -> Expect<i64> {
            if v <= 0 {
                return Err(NON_POSITIVE);
            }
            let micros = if scale <= 6 {
                v.checked_mul(10i128.pow(6 - scale))
            } else {
                let d = 10i128.pow(scale - 6);
                (v % d == 0).then_some(v / d)
            };
            micros.and_then(|m| i64::try_from(m).ok()).ok_or(BAD_AMOUNT)
        };
        match self {
            Amounts::Decimal(_, s, values) => values
                .iter()
                .map(|v| v.map_or(Err(MISSING), |v| exact(v, *s as u32)))
                .collect(),
            Amounts::Int(_, _, values) => values
                .iter()
                .map(|v| v.map_or(Err(MISSING), |v| exact(v, 0)))
                .collect(),
            Amounts::Float(_, values) => values
                .iter()
                .map(|v| match v {
                    None => Err(MISSING),
                    Some(f) if !f.is_finite() || f.abs() > 9.0e12 => Err(BAD_AMOUNT),
                    Some(f) if *f <= 0.0 => Err(NON_POSITIVE),
                    Some(f) => {
                        // generated values are k/64 (exact) or half a micro off
                        let micros = f * 1e6;
                        if (micros - micros.round()).abs() > 1e-3 {
                            Err(BAD_AMOUNT)
                        } else {
                            Ok(micros.round() as i64)
                        }
                    }
                })
                .collect(),
            Amounts::Text(values) => values.iter().map(|(_, e)| *e).collect(),
        }
    }

    fn series(&self) -> Series {
        let name: PlSmallStr = "amount".into();
        match self {
            Amounts::Decimal(p, s, values) => {
                Int128Chunked::from_iter_options(name, values.iter().copied())
                    .into_decimal(*p, *s)
                    .unwrap()
                    .into_series()
            }
            Amounts::Int(kind, bits, values) => {
                macro_rules! int {
                    ($t:ty) => {
                        Series::new(
                            name,
                            values
                                .iter()
                                .map(|v| v.map(|v| v as $t))
                                .collect::<Vec<Option<$t>>>(),
                        )
                    };
                }
                match (kind, bits) {
                    ('i', 8) => int!(i8),
                    ('i', 16) => int!(i16),
                    ('i', 32) => int!(i32),
                    ('i', _) => int!(i64),
                    ('u', 8) => int!(u8),
                    ('u', 16) => int!(u16),
                    ('u', 32) => int!(u32),
                    _ => int!(u64),
                }
            }
            Amounts::Float(true, values) => Series::new(
                name,
                values
                    .iter()
                    .map(|v| v.map(|f| f as f32))
                    .collect::<Vec<_>>(),
            ),
            Amounts::Float(false, values) => Series::new(name, values.clone()),
            Amounts::Text(values) => Series::new(
                name,
                values.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
            ),
        }
    }
}

/// An integer column's values: anything the type holds, biased to its ends, zero and one.
fn int_amounts(n: usize) -> impl Strategy<Value = Amounts> {
    let widths = prop::sample::select(vec![
        ('i', 8u32),
        ('i', 16),
        ('i', 32),
        ('i', 64),
        ('u', 8),
        ('u', 16),
        ('u', 32),
        ('u', 64),
    ]);
    widths.prop_flat_map(move |(kind, bits)| {
        let (min, max): (i128, i128) = if kind == 'i' {
            (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
        } else {
            (0, (1i128 << bits) - 1)
        };
        let value = prop_oneof![
            4 => (min..=max).prop_map(Some),
            1 => Just(Some(min)),
            1 => Just(Some(max)),
            1 => Just(Some(0)),
            1 => Just(Some(1)),
            1 => (1i128..=max.min(9_223_372_036_854)).prop_map(Some),
            1 => Just(None),
        ];
        prop::collection::vec(value, n).prop_map(move |v| Amounts::Int(kind, bits, v))
    })
}

/// A decimal column's values: exact in micros, over-precise, negative, zero or up to the
/// precision's limit.
fn decimal_amounts(n: usize) -> impl Strategy<Value = Amounts> {
    (1usize..=38)
        .prop_flat_map(|p| (Just(p), 0..=p))
        .prop_flat_map(move |(p, s)| {
            let limit = 10i128.pow(p as u32) - 1;
            let exact_micros = move |m: i64| -> Option<i128> {
                let v = if s > 6 {
                    i128::from(m).checked_mul(10i128.pow(s as u32 - 6))?
                } else {
                    i128::from(m)
                };
                (v <= limit).then_some(v)
            };
            let value = prop_oneof![
                4 => (1i64..=i64::MAX).prop_map(move |m| exact_micros(m).or(Some(limit))),
                3 => (-limit..=limit).prop_map(Some),
                1 => Just(Some(limit)),
                1 => Just(Some(-limit)),
                1 => Just(Some(0)),
                1 => Just(None),
            ];
            prop::collection::vec(value, n).prop_map(move |v| Amounts::Decimal(p, s, v))
        })
}

fn float_amounts(n: usize) -> impl Strategy<Value = Amounts> {
    any::<bool>().prop_flat_map(move |single| {
        let off_limit = if single { 1_000_000u64 } else { 100_000_000 };
        let value = prop_oneof![
            6 => (1u32..1 << 20).prop_map(|k| Some(f64::from(k) / 64.0)),
            2 => (0..off_limit).prop_map(|m| Some((m as f64 + 0.5) / 1e6)),
            1 => prop::sample::select(vec![
                f64::NAN,
                f64::INFINITY,
                f64::NEG_INFINITY,
                0.0,
                -0.0,
                -1.5,
                1.0e13,
                -1.0e13,
            ])
            .prop_map(Some),
            1 => Just(None),
        ];
        prop::collection::vec(value, n).prop_map(move |v| {
            // a value a 32-bit column cannot hold exactly is expected as it is held
            let v = if single {
                v.into_iter()
                    .map(|f| f.map(|f| f64::from(f as f32)))
                    .collect()
            } else {
                v
            };
            Amounts::Float(single, v)
        })
    })
}

fn amounts(n: usize) -> impl Strategy<Value = Amounts> {
    prop_oneof![
        3 => decimal_amounts(n),
        3 => int_amounts(n),
        2 => float_amounts(n),
        1 => prop::collection::vec(gen::amount(), n).prop_map(Amounts::Text),
    ]
}

/// A timestamp column: a datetime of one unit, or text, or integers (not times).
#[derive(Debug, Clone)]
enum Times {
    /// Values in the unit (`"ms"`, `"us"`, `"ns"`) and their expected micros.
    Datetime(&'static str, Vec<Option<i64>>, Vec<Expect<i64>>),
    Text(Vec<(String, Expect<i64>)>),
    Int(Vec<Option<i64>>),
}

impl Times {
    fn expected(&self) -> Vec<Expect<i64>> {
        match self {
            Times::Datetime(_, _, e) => e.clone(),
            Times::Text(values) => values.iter().map(|(_, e)| *e).collect(),
            Times::Int(values) => values
                .iter()
                .map(|v| v.map_or(Err(MISSING), |_| Err(BAD_TIMESTAMP)))
                .collect(),
        }
    }

    fn series(&self) -> Series {
        let name: PlSmallStr = "timestamp".into();
        match self {
            Times::Datetime(unit, values, _) => {
                let unit = match *unit {
                    "ms" => TimeUnit::Milliseconds,
                    "ns" => TimeUnit::Nanoseconds,
                    _ => TimeUnit::Microseconds,
                };
                Int64Chunked::from_iter_options(name, values.iter().copied())
                    .into_datetime(unit, None)
                    .into_series()
            }
            Times::Text(values) => Series::new(
                name,
                values.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
            ),
            Times::Int(values) => Series::new(name, values.clone()),
        }
    }
}

fn times(n: usize) -> impl Strategy<Value = Times> {
    let micros = prop_oneof![
        8 => (VALID_FROM..=VALID_TO).prop_map(|m| Ok(m - m.rem_euclid(1000))),
        1 => Just(Err(TOO_EARLY)),
        1 => Just(Err(TOO_LATE)),
        1 => Just(Err(0)),
    ];
    let datetime = prop::sample::select(vec!["ms", "us", "ns"]).prop_flat_map(move |unit| {
        prop::collection::vec(micros.clone(), n).prop_map(move |cells| {
            let mut values = Vec::with_capacity(cells.len());
            let mut expected = Vec::with_capacity(cells.len());
            for cell in cells {
                // Err(0) is a null; Err(m) a time out of range
                let micros = match cell {
                    Ok(m) => m,
                    Err(0) => {
                        values.push(None);
                        expected.push(Err(MISSING));
                        continue;
                    }
                    Err(m) => m,
                };
                values.push(Some(match unit {
                    "ms" => micros / 1000,
                    "ns" => micros * 1000,
                    _ => micros,
                }));
                expected.push(match cell {
                    Ok(m) => Ok(m),
                    _ => Err(BAD_TIMESTAMP),
                });
            }
            Times::Datetime(unit, values, expected)
        })
    });
    prop_oneof![
        4 => datetime,
        2 => prop::collection::vec(gen::timestamp(), n).prop_map(Times::Text),
        1 => prop::collection::vec(prop::option::weighted(0.8, any::<i64>()), n)
            .prop_map(Times::Int),
    ]
}

/// How a row's id is written.
#[derive(Debug, Clone)]
enum Id {
    Fresh,
    Missing,
    Duplicate(prop::sample::Index),
}

fn id() -> impl Strategy<Value = Id> {
    prop_oneof![
        8 => Just(Id::Fresh),
        1 => Just(Id::Missing),
        2 => any::<prop::sample::Index>().prop_map(Id::Duplicate),
    ]
}

/// An extra column the ingest does not use, of an odd type.
fn extra_column(kind: u8, n: usize, seed: &[i64]) -> Series {
    let v = |k: usize| seed[k % seed.len()];
    let name: PlSmallStr = format!("extra_{kind}").into();
    match kind {
        0 => Series::new(name, (0..n).map(|k| v(k) % 2 == 0).collect::<Vec<_>>()),
        1 => Series::new(name, (0..n).map(|k| v(k) as u64).collect::<Vec<_>>()),
        2 => Series::new(
            name,
            (0..n)
                .map(|k| f32::from_bits(v(k) as u32))
                .collect::<Vec<_>>(),
        ),
        3 => BinaryChunked::from_iter_values(name, (0..n).map(|k| v(k).to_le_bytes().to_vec()))
            .into_series(),
        4 => {
            let lists: Vec<Series> = (0..n)
                .map(|k| Series::new("".into(), vec![v(k), v(k + 1)]))
                .collect();
            Series::new(name, lists)
        }
        5 => Series::new_null(name, n),
        _ => Int128Chunked::from_iter_values(name, (0..n).map(|k| i128::from(v(k)) << 60))
            .into_decimal(38, 10)
            .map(|d| d.into_series())
            .unwrap_or_else(|_| Series::new_null("extra_6".into(), n)),
    }
}

/// A frame with a known outcome for every row.
#[derive(Debug, Clone)]
struct Frame {
    ids: Vec<Id>,
    int_ids: bool,
    times: Times,
    amounts: Amounts,
    currency: Vec<(String, Expect<&'static str>)>,
    channel: Vec<(String, Expect<()>)>,
    countries: Option<Vec<(String, Expect<()>)>>,
    names: Vec<Option<String>>,
    extra: Vec<u8>,
    seed: Vec<i64>,
    row_group: Option<usize>,
}

fn frame() -> impl Strategy<Value = Frame> {
    (0usize..25).prop_flat_map(|n| {
        (
            (prop::collection::vec(id(), n), any::<bool>()),
            times(n),
            amounts(n),
            prop::collection::vec(gen::currency(), n),
            prop::collection::vec(gen::channel(), n),
            prop::option::of(prop::collection::vec(gen::country(), n)),
            prop::collection::vec(prop::option::weighted(0.8, any::<String>()), n),
            prop::collection::vec(0u8..7, 0..4),
            prop::collection::vec(any::<i64>(), 1..4),
            prop::option::of(1usize..8),
        )
            .prop_map(
                |(
                    (ids, int_ids),
                    times,
                    amounts,
                    currency,
                    channel,
                    countries,
                    names,
                    extra,
                    seed,
                    row_group,
                )| Frame {
                    ids,
                    int_ids,
                    times,
                    amounts,
                    currency,
                    channel,
                    countries,
                    names,
                    extra,
                    seed,
                    row_group,
                },
            )
    })
}

/// Writes `frame` as Parquet in row groups of `row_group` rows.
fn write_parquet(path: &Path, frame: &mut DataFrame, row_group: Option<usize>) {
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .with_row_group_size(row_group)
        .finish(frame)
        .unwrap();
}

fn ingest_one(dir: &Path, path: &Path) -> Result<amlscreen::ingest::Ingested, String> {
    ingest(
        &[PathBuf::from(path)],
        &options(fx_table(dir), b','),
        &mut Default::default(),
    )
    .map_err(|e| e.to_string())
}

fn check_frame(f: &Frame) -> Result<(), TestCaseError> {
    let n = f.ids.len();
    let ts = f.times.expected();
    let amounts = f.amounts.expected();
    // each row's first problem, then duplicates among the rows without one, then FX
    let mut outcomes: Vec<Option<&'static str>> = Vec::with_capacity(n);
    let mut ids: Vec<Option<String>> = Vec::with_capacity(n);
    let mut accepted_ids: Vec<String> = Vec::new();
    let mut next = 0u64;
    for k in 0..n {
        let countries = f
            .countries
            .as_ref()
            .map_or([Ok(()), Ok(())], |c| [c[k].1, c[(k + 1) % n].1]);
        let own = [
            matches!(f.ids[k], Id::Missing).then_some(MISSING),
            ts[k].err(),
            amounts[k].err(),
            f.currency[k].1.err(),
            f.channel[k].1.err(),
            countries[0].err(),
            countries[1].err(),
        ]
        .into_iter()
        .flatten()
        .next();
        let (id, mut outcome) = match (&f.ids[k], own, accepted_ids.is_empty()) {
            (Id::Missing, _, _) => (None, own),
            (Id::Duplicate(i), None, false) => (
                Some(accepted_ids[i.index(accepted_ids.len())].clone()),
                Some(DUPLICATE),
            ),
            _ => {
                next += 1;
                (Some((1_000_000_000 + next * 7919).to_string()), own)
            }
        };
        if outcome.is_none() {
            outcome = gen::fx_outcome(f.currency[k].1.unwrap_or(""), amounts[k].unwrap_or(0));
        }
        if outcome.is_none() {
            accepted_ids.push(id.clone().unwrap_or_default());
        }
        ids.push(id);
        outcomes.push(outcome);
    }
    let id_series = if f.int_ids {
        Series::new(
            "txn_id".into(),
            ids.iter()
                .map(|i| i.as_ref().map(|i| i.parse::<i64>().unwrap()))
                .collect::<Vec<_>>(),
        )
    } else {
        Series::new("txn_id".into(), ids.clone())
    };
    let mut columns: Vec<Column> = vec![
        f.amounts.series().into(),
        id_series.into(),
        f.times.series().into(),
        Series::new(
            "currency".into(),
            f.currency
                .iter()
                .map(|(t, _)| t.as_str())
                .collect::<Vec<_>>(),
        )
        .into(),
        Series::new(
            "Channel".into(),
            f.channel
                .iter()
                .map(|(t, _)| t.as_str())
                .collect::<Vec<_>>(),
        )
        .into(),
        Series::new("orig_name".into(), f.names.clone()).into(),
    ];
    if let Some(c) = &f.countries {
        let values =
            |shift: usize| -> Vec<&str> { (0..n).map(|k| c[(k + shift) % n].0.as_str()).collect() };
        columns.push(Series::new("orig_country".into(), values(0)).into());
        columns.push(Series::new("bene_country".into(), values(1)).into());
    }
    let mut extra = f.extra.clone();
    extra.sort_unstable();
    extra.dedup();
    for kind in extra {
        columns.push(extra_column(kind, n, &f.seed).into());
    }
    let mut df = DataFrame::new(n, columns).unwrap();
    let dir = Scratch::new("prop-parquet");
    let path = dir.join("day.parquet");
    write_parquet(&path, &mut df, f.row_group);
    let got = match ingest_one(&dir, &path) {
        Ok(got) => got,
        Err(e) => {
            prop_assert!(false, "ingest failed: {}", e);
            unreachable!()
        }
    };
    check_counts(&got, &path)?;
    prop_assert_eq!(got.inputs[0].rows_read, n as u64);
    let quarantined: Vec<(u64, &str)> = got
        .quarantine
        .iter()
        .map(|q| (q.row, q.reason.as_str()))
        .collect();
    let expected: Vec<(u64, &str)> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(k, o)| o.map(|r| (k as u64 + 1, r)))
        .collect();
    prop_assert_eq!(quarantined, expected);
    let accepted: Vec<usize> = (0..n).filter(|&k| outcomes[k].is_none()).collect();
    let got_ids = texts(&got.frame, "txn_id");
    let got_amounts = ints(&got.frame, "amount");
    let got_times = ints(&got.frame, "ts");
    prop_assert_eq!(got_ids.len(), accepted.len());
    for (j, &k) in accepted.iter().enumerate() {
        prop_assert_eq!(Some(&got_ids[j]), ids[k].as_ref());
        prop_assert_eq!(Ok(got_amounts[j]), amounts[k], "amount of row {}", k + 1);
        prop_assert_eq!(Ok(got_times[j]), ts[k], "ts of row {}", k + 1);
    }
    Ok(())
}

/// A column of `n` arbitrary values of one of many types, built from `values`.
fn odd_column(name: &str, kind: u8, values: &[Option<i64>]) -> Series {
    let name: PlSmallStr = name.into();
    macro_rules! mapped {
        ($f:expr) => {
            Series::new(name, values.iter().map(|v| v.map($f)).collect::<Vec<_>>())
        };
    }
    let ints = || Int64Chunked::from_iter_options(name.clone(), values.iter().copied());
    match kind {
        0 => mapped!(|v: i64| v.to_string()),
        1 => mapped!(|v: i64| v),
        2 => mapped!(|v: i64| v as u64),
        3 => mapped!(|v: i64| v as i8),
        4 => mapped!(|v: i64| f64::from_bits(v as u64)),
        5 => mapped!(|v: i64| f32::from_bits(v as u32)),
        6 => mapped!(|v: i64| v % 2 == 0),
        7 => ints()
            .into_datetime(TimeUnit::Milliseconds, None)
            .into_series(),
        8 => ints()
            .into_datetime(TimeUnit::Nanoseconds, None)
            .into_series(),
        9 => ints()
            .into_datetime(TimeUnit::Microseconds, None)
            .into_series(),
        10 => Int128Chunked::from_iter_options(
            name.clone(),
            values
                .iter()
                .map(|v| v.map(|v| i128::from(v) * 1_000_000_007)),
        )
        .into_decimal(38, 12)
        .unwrap()
        .into_series(),
        11 => Int128Chunked::from_iter_options(
            name.clone(),
            values
                .iter()
                .map(|v| v.map(|v| i128::from(v) * 10i128.pow(18))),
        )
        .into_decimal(38, 38)
        .unwrap()
        .into_series(),
        12 => BinaryChunked::from_iter_options(
            name.clone(),
            values.iter().map(|v| v.map(|v| v.to_le_bytes().to_vec())),
        )
        .into_series(),
        13 => Series::new_null(name, values.len()),
        14 => mapped!(|v: i64| v as u8),
        15 => mapped!(|v: i64| format!("{:?}", f64::from_bits(v as u64))),
        16 => Int32Chunked::from_iter_options(name, values.iter().map(|v| v.map(|v| v as i32)))
            .into_date()
            .into_series(),
        17 => ints().into_time().into_series(),
        18 => ints().into_duration(TimeUnit::Milliseconds).into_series(),
        _ => ints()
            .into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC))
            .into_series(),
    }
}

/// Arbitrary values: anything, and the ends of the ranges.
fn odd_values(n: usize) -> impl Strategy<Value = Vec<Option<i64>>> {
    let value = prop_oneof![
        4 => any::<i64>().prop_map(Some),
        1 => prop::sample::select(vec![
            i64::MIN,
            i64::MAX,
            0,
            -1,
            1,
            1_700_000_000_000,
            1_700_000_000_000_000,
            -62_135_596_800_000,
            253_402_300_799_999_999,
        ])
        .prop_map(Some),
        1 => Just(None),
    ];
    prop::collection::vec(value, n)
}

proptest! {
    // 192 cases of up to 24 rows: about 2 s in a debug build
    #![proptest_config(config(192))]
    #[test]
    fn typed_parquet_values_are_read_exactly_or_quarantined_with_their_reason(f in frame()) {
        check_frame(&f)?;
    }
}

proptest! {
    // 192 cases of up to 24 rows: about 2.2 s in a debug build
    #![proptest_config(config(192))]
    #[test]
    fn parquet_columns_of_any_type_and_value_never_lose_a_row(
        (n, kinds, values, row_group) in (0usize..25).prop_flat_map(|n| (
            Just(n),
            prop::collection::vec(0u8..20, 12),
            prop::collection::vec(odd_values(n), 12),
            prop::option::of(1usize..8),
        )),
        concat in any::<bool>(),
    ) {
        let columns: Vec<Column> = gen::COLUMNS
            .iter()
            .enumerate()
            .map(|(k, name)| odd_column(name, kinds[k], &values[k]).into())
            .collect();
        let mut df = DataFrame::new(n, columns).unwrap();
        let dir = Scratch::new("prop-parquet-odd");
        let path = dir.join("odd.parquet");
        write_parquet(&path, &mut df, row_group);
        // a profile may join typed columns as text
        let profile = concat.then(|| {
            let mut p = MappingProfile::default();
            p.columns.insert(
                "branch".into(),
                ColumnSpec::Concat(ConcatSpec {
                    concat: vec![
                        SourceColumn::Name("timestamp".into()),
                        SourceColumn::Name("amount".into()),
                        SourceColumn::Position(12),
                    ],
                    separator: "/".into(),
                }),
            );
            p
        });
        let options = IngestOptions { profile, ..options(fx_table(&dir), b',') };
        let got = ingest(std::slice::from_ref(&path), &options, &mut Default::default())
            .map_err(|e| e.to_string());
        match got {
            Ok(got) => {
                check_counts(&got, &path)?;
                prop_assert_eq!(got.inputs[0].rows_read, n as u64);
            }
            Err(e) => {
                prop_assert!(e.contains(&path.display().to_string()), "{}", e);
                prop_assert!(e.len() < 2_000, "{}", e);
            }
        }
    }
}
