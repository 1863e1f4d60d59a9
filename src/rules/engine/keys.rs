//! Integer account keys: every account of a run gets a number once, in the order of its
//! account string, so rules group, sort and join accounts as integers (not strings) and still
//! order subjects as the strings would.

use polars::prelude::*;
use rayon::prelude::*;

/// The originator's account key column (0: no account).
pub const ORIG_KEY: &str = "orig_key";
/// The beneficiary's account key column (0: no account).
pub const BENE_KEY: &str = "bene_key";
/// The key of an empty account.
pub const NO_ACCOUNT: u32 = 0;

/// The accounts of a run, sorted; an account's key is its position.
#[derive(Debug, Default)]
pub struct Accounts {
    /// Sorted, distinct; `names[0]` is the empty string ([`NO_ACCOUNT`]).
    names: Vec<String>,
}

impl Accounts {
    /// The account of a key (the empty string for an unknown key).
    pub fn name(&self, key: u32) -> &str {
        self.names.get(key as usize).map_or("", String::as_str)
    }

    /// The key of an account, if the run has it.
    pub fn key(&self, name: &str) -> Option<u32> {
        self.names
            .binary_search_by(|probe| probe.as_str().cmp(name))
            .ok()
            .map(|k| k as u32)
    }
}

/// Adds [`ORIG_KEY`] and [`BENE_KEY`] to a canonical frame and returns the accounts they
/// number.
pub fn with_account_keys(mut frame: DataFrame) -> PolarsResult<(DataFrame, Accounts)> {
    let orig = frame.column("orig_account")?.str()?.rechunk().into_owned();
    let bene = frame.column("bene_account")?.str()?.rechunk().into_owned();
    let n = frame.height();
    let distinct = (0..n)
        .into_par_iter()
        .fold(PlHashSet::<&str>::default, |mut set, row| {
            set.insert(orig.get(row).unwrap_or(""));
            set.insert(bene.get(row).unwrap_or(""));
            set
        })
        .reduce(PlHashSet::default, |mut a, b| {
            a.extend(b);
            a
        });
    let mut names: Vec<&str> = distinct.into_iter().collect();
    names.push("");
    names.sort_unstable();
    names.dedup();
    let key_of: PlHashMap<&str, u32> = names
        .iter()
        .enumerate()
        .map(|(k, name)| (*name, k as u32))
        .collect();
    let keys = |column: &StringChunked| -> Vec<u32> {
        (0..n)
            .into_par_iter()
            .map(|row| key_of[column.get(row).unwrap_or("")])
            .collect()
    };
    let (orig_keys, bene_keys) = rayon::join(|| keys(&orig), || keys(&bene));
    frame.with_column(UInt32Chunked::from_vec(ORIG_KEY.into(), orig_keys).into_column())?;
    frame.with_column(UInt32Chunked::from_vec(BENE_KEY.into(), bene_keys).into_column())?;
    let names = names.into_iter().map(str::to_string).collect();
    Ok((frame, Accounts { names }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_order_of_the_account_strings() {
        let frame = df!(
            "orig_account" => ["B", "", "A", "C"],
            "bene_account" => ["A", "B", "", "A"],
        )
        .unwrap();
        let (frame, accounts) = with_account_keys(frame).unwrap();
        let keys = |c: &str| -> Vec<u32> {
            frame
                .column(c)
                .unwrap()
                .u32()
                .unwrap()
                .into_no_null_iter()
                .collect()
        };
        assert_eq!(keys(ORIG_KEY), [2, NO_ACCOUNT, 1, 3]);
        assert_eq!(keys(BENE_KEY), [1, 2, NO_ACCOUNT, 1]);
        assert_eq!(accounts.name(3), "C");
        assert_eq!(accounts.key("B"), Some(2));
        assert_eq!(accounts.key("D"), None);
        assert_eq!(accounts.name(NO_ACCOUNT), "");
    }
}
