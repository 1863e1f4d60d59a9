//! Deliberately broken rows, one quarantine reason after another, appended after the good rows.

use super::columns::{txn_id_text, BadRowReason, RawRow, TxnColumns};
use super::rng::Rng;
use crate::model::format_money;

/// Appends `count` broken rows to `cols.raw_rows`, cycling through [`BadRowReason::ALL`]. Each is
/// a copy of a random good row with one field spoiled and a fresh id (`B000000001`), except the
/// duplicate, which reuses the copied row's id, and the missing id, which is empty.
pub fn append_bad_rows(cols: &mut TxnColumns, rng: &mut Rng, count: usize) {
    if cols.is_empty() {
        return;
    }
    for n in 0..count {
        let reason = BadRowReason::ALL[n % BadRowReason::ALL.len()];
        // each time round the reasons, the other variant of a reason that has two
        let round = n / BadRowReason::ALL.len();
        let source = cols.view(rng.index(cols.len()));
        let mut fields = [
            format!("B{:09}", n + 1),
            source.timestamp_text(),
            format_money(source.amount),
            source.currency.to_string(),
            source.channel.as_str().to_string(),
            source.orig_account.to_string(),
            source.orig_name.to_string(),
            source.orig_country.to_string(),
            source.bene_account.to_string(),
            source.bene_name.to_string(),
            source.bene_country.to_string(),
            source.branch.to_string(),
        ];
        match reason {
            // written one field short (see `csv_out`): quarantined before any value is read
            BadRowReason::MalformedRow => {}
            BadRowReason::MissingRequired => fields[0].clear(),
            BadRowReason::BadTimestamp => {
                fields[1] = if round.is_multiple_of(2) {
                    "2026-02-30T25:61:00Z".to_string()
                } else {
                    "yesterday".to_string()
                };
            }
            BadRowReason::BadAmount => fields[2] = "12,34x".to_string(),
            BadRowReason::NonPositiveAmount => {
                fields[2] = if round.is_multiple_of(2) {
                    "0.00".to_string()
                } else {
                    "-250.00".to_string()
                };
            }
            BadRowReason::UnknownChannel => fields[4] = "TELEPATHY".to_string(),
            BadRowReason::BadCurrency => fields[3] = "US".to_string(),
            BadRowReason::BadCountry => {
                if fields[7].is_empty() {
                    fields[10] = "Jamaica".to_string();
                } else {
                    fields[7] = "Jamaica".to_string();
                }
            }
            BadRowReason::DuplicateTxnId => fields[0] = txn_id_text(source.txn_seq),
            BadRowReason::NoFxRate => fields[3] = "GBP".to_string(),
        }
        cols.raw_rows.push(RawRow { reason, fields });
    }
}
