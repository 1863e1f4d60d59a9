//! Writing `transactions.csv`: the canonical header, typed rows, then the broken rows.
//!
//! Timestamps and amounts are formatted by hand into a reused buffer (the same text as
//! [`crate::model::format_timestamp`] and [`crate::model::format_money`]) because chrono's
//! formatter dominates the run time at ten million rows.

use super::columns::{txn_id_text, Sym, TxnColumns, CANONICAL_HEADER};
use super::SynthError;
use crate::model::{TimestampMicros, MICROS_PER_UNIT};
use std::io::Write;

/// Writes the canonical header and every row of `cols` (typed rows, then `raw_rows`).
pub fn write_transactions_csv<W: Write>(mut w: W, cols: &TxnColumns) -> Result<(), SynthError> {
    // Each distinct string is escaped once; rows are then assembled from ready-made pieces.
    let escaped: Vec<String> = (0..cols.symbols.len() as u32)
        .map(|i| escape_field(cols.symbols.get(Sym(i))))
        .collect();
    let text = |sym: Sym| escaped[sym.0 as usize].as_str();
    let mut line = String::with_capacity(256);
    let mut block = Vec::with_capacity(1 << 20);
    block.extend_from_slice(CANONICAL_HEADER.join(",").as_bytes());
    block.push(b'\n');
    for i in 0..cols.len() {
        line.clear();
        push_txn_id(&mut line, cols.txn_id[i]);
        line.push(',');
        push_timestamp(&mut line, cols.timestamp[i]);
        line.push(',');
        push_money(&mut line, cols.amount[i]);
        for piece in [
            text(cols.currency[i]),
            cols.channel[i].as_str(),
            text(cols.orig_account[i]),
            text(cols.orig_name[i]),
            text(cols.orig_country[i]),
            text(cols.bene_account[i]),
            text(cols.bene_name[i]),
            text(cols.bene_country[i]),
            text(cols.branch[i]),
        ] {
            line.push(',');
            line.push_str(piece);
        }
        line.push('\n');
        block.extend_from_slice(line.as_bytes());
        if block.len() >= 1 << 20 {
            w.write_all(&block)?;
            block.clear();
        }
    }
    w.write_all(&block)?;
    for raw in &cols.raw_rows {
        // a malformed row is written without its last field
        let fields = match raw.reason {
            super::columns::BadRowReason::MalformedRow => &raw.fields[..raw.fields.len() - 1],
            _ => &raw.fields[..],
        };
        let line: Vec<String> = fields.iter().map(|f| escape_field(f)).collect();
        w.write_all(line.join(",").as_bytes())?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(())
}

/// Quotes a field the way the `csv` crate does when it holds a comma, quote or line break.
fn escape_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// Appends `T` and nine or more digits, as [`txn_id_text`] does.
fn push_txn_id(buf: &mut String, seq: u64) {
    if seq < 1_000_000_000 {
        buf.push('T');
        push_padded_u64(buf, seq, 9);
    } else {
        buf.push_str(&txn_id_text(seq));
    }
}

/// Appends `value` zero-padded to `width` digits (at most 20).
fn push_padded_u64(buf: &mut String, mut value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut n = 0;
    while value > 0 || n < width {
        digits[19 - n] = b'0' + (value % 10) as u8;
        value /= 10;
        n += 1;
    }
    for &d in &digits[20 - n..] {
        buf.push(char::from(d));
    }
}

/// Appends `value` zero-padded to `width` digits.
fn push_padded(buf: &mut String, value: i64, width: usize) {
    push_padded_u64(buf, value.unsigned_abs(), width);
}

/// Civil date (year, month, day) of a count of days since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Appends an ISO 8601 UTC timestamp, to the second, with a fraction only when not zero.
fn push_timestamp(buf: &mut String, ts: TimestampMicros) {
    let secs = ts.div_euclid(MICROS_PER_UNIT);
    let micros = ts.rem_euclid(MICROS_PER_UNIT);
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    if !(0..=9999).contains(&year) {
        buf.push_str(&crate::model::format_timestamp(ts));
        return;
    }
    let sod = secs.rem_euclid(86_400);
    push_padded(buf, year, 4);
    buf.push('-');
    push_padded(buf, month, 2);
    buf.push('-');
    push_padded(buf, day, 2);
    buf.push('T');
    push_padded(buf, sod / 3600, 2);
    buf.push(':');
    push_padded(buf, sod / 60 % 60, 2);
    buf.push(':');
    push_padded(buf, sod % 60, 2);
    if micros != 0 {
        buf.push('.');
        push_padded(buf, micros, 6);
    }
    buf.push('Z');
}

/// Appends a plain decimal with at least two decimals, trailing zeros beyond two trimmed.
fn push_money(buf: &mut String, micros: i64) {
    if micros < 0 {
        buf.push('-');
    }
    let abs = micros.unsigned_abs();
    let units = abs / MICROS_PER_UNIT as u64;
    let frac = abs % MICROS_PER_UNIT as u64;
    push_padded_u64(buf, units, 1);
    buf.push('.');
    let mut frac = frac;
    let mut width = 6;
    while width > 2 && frac.is_multiple_of(10) {
        frac /= 10;
        width -= 1;
    }
    push_padded_u64(buf, frac, width);
}
