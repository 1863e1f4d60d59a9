//! Integer account keys: every account of a run gets a number once, in the order of its
//! account string, so rules group, sort and join accounts as integers (not strings) and still
//! order subjects as the strings would. Channels get integer codes the same way.

use crate::model::Channel;
use crate::text_stretches::{encode_stretches, rows_through_tables, StretchDictionary};
use polars::prelude::*;
use rayon::prelude::*;

/// The originator's account key column (0: no account).
pub const ORIG_KEY: &str = "orig_key";
/// The beneficiary's account key column (0: no account).
pub const BENE_KEY: &str = "bene_key";
/// The key of an empty account.
pub const NO_ACCOUNT: u32 = 0;
/// The channel's position in [`Channel::ALL`] (`u32`: the build has no 8-bit integer
/// columns), so rules test channels as integers.
pub const CHANNEL_CODE: &str = "channel_code";
/// The [`CHANNEL_CODE`] of a value that is not a canonical channel name.
const NO_CHANNEL: u32 = u32::MAX;

/// The [`CHANNEL_CODE`] of a channel.
pub fn channel_code(channel: Channel) -> u32 {
    Channel::ALL
        .iter()
        .position(|c| *c == channel)
        .map_or(NO_CHANNEL, |p| p as u32)
}

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

    /// The number of keys (accounts, and the empty account): every key is below it.
    pub fn key_count(&self) -> usize {
        self.names.len()
    }

    /// The key of an account, if the run has it.
    pub fn key(&self, name: &str) -> Option<u32> {
        self.names
            .binary_search_by(|probe| probe.as_str().cmp(name))
            .ok()
            .map(|k| k as u32)
    }
}

/// Adds [`ORIG_KEY`], [`BENE_KEY`] and [`CHANNEL_CODE`] to a canonical frame and returns the
/// accounts the keys number. Each column is dictionary-encoded stretch by stretch of its
/// chunks, in parallel and without copying it (see [`encode_stretches`]); the stretches'
/// values are then merged and sorted, and each stretch's codes translated by a table.
pub fn with_account_keys(mut frame: DataFrame) -> PolarsResult<(DataFrame, Accounts)> {
    let orig = frame.column("orig_account")?.str()?.clone();
    let bene = frame.column("bene_account")?.str()?.clone();
    let (orig_stretches, bene_stretches) =
        rayon::join(|| encode_stretches(&orig), || encode_stretches(&bene));
    let mut names: Vec<&str> = orig_stretches
        .iter()
        .chain(&bene_stretches)
        .flat_map(|stretch| stretch.values.iter().copied())
        .chain([""])
        .collect::<PlHashSet<&str>>()
        .into_iter()
        .collect();
    names.par_sort_unstable();
    let key_of: PlHashMap<&str, u32> = names
        .iter()
        .enumerate()
        .map(|(k, name)| (*name, k as u32))
        .collect();
    let keys = |stretches: &[StretchDictionary]| -> Vec<u32> {
        let stretches: Vec<&StretchDictionary> = stretches.iter().collect();
        rows_through_tables(&stretches, 0, |i| {
            stretches[i].values.iter().map(|n| key_of[n]).collect()
        })
    };
    let (orig_keys, bene_keys) = (keys(&orig_stretches), keys(&bene_stretches));
    frame.with_column(UInt32Chunked::from_vec(ORIG_KEY.into(), orig_keys).into_column())?;
    frame.with_column(UInt32Chunked::from_vec(BENE_KEY.into(), bene_keys).into_column())?;
    let channels = frame.column("channel")?.str()?.clone();
    frame.with_column(channel_codes(&channels).into_column())?;
    let names = names.into_iter().map(str::to_string).collect();
    Ok((frame, Accounts { names }))
}

/// The [`CHANNEL_CODE`] column of a canonical `channel` column: each stretch's distinct
/// values are looked up once.
fn channel_codes(channels: &StringChunked) -> UInt32Chunked {
    // exactly the canonical names, as a text comparison would match them
    let code_of = |name: &str| {
        Channel::ALL
            .iter()
            .position(|c| c.as_str() == name)
            .map_or(NO_CHANNEL, |p| p as u32)
    };
    let encoded = encode_stretches(channels);
    let stretches: Vec<&StretchDictionary> = encoded.iter().collect();
    let codes = rows_through_tables(&stretches, NO_CHANNEL, |i| {
        stretches[i].values.iter().map(|v| code_of(v)).collect()
    });
    UInt32Chunked::from_vec(CHANNEL_CODE.into(), codes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_column(frame: &DataFrame, name: &str) -> Vec<u32> {
        let keys = frame.column(name).unwrap().u32().unwrap();
        keys.into_no_null_iter().collect()
    }

    #[test]
    fn keys_follow_the_order_of_the_account_strings() {
        let frame = df!(
            "orig_account" => ["B", "", "A", "C"],
            "bene_account" => ["A", "B", "", "A"],
            "channel" => ["CASH", "WIRE", "cash", "OTHER"],
        )
        .unwrap();
        let (frame, accounts) = with_account_keys(frame).unwrap();
        assert_eq!(key_column(&frame, ORIG_KEY), [2, NO_ACCOUNT, 1, 3]);
        assert_eq!(key_column(&frame, BENE_KEY), [1, 2, NO_ACCOUNT, 1]);
        assert_eq!(accounts.name(3), "C");
        assert_eq!(accounts.key("B"), Some(2));
        assert_eq!(accounts.key("D"), None);
        assert_eq!(accounts.name(NO_ACCOUNT), "");
        // channels by their exact canonical names, as a text comparison would match them
        assert_eq!(
            key_column(&frame, CHANNEL_CODE),
            [
                channel_code(Channel::Cash),
                channel_code(Channel::Wire),
                NO_CHANNEL,
                channel_code(Channel::Other)
            ]
        );
    }

    #[test]
    fn stretches_of_many_chunks_agree_on_every_key() {
        // one chunk per row: the columns are numbered in several stretches, then merged
        let one = |orig: &str, bene: &str| {
            df!("orig_account" => [orig], "bene_account" => [bene], "channel" => ["CASH"]).unwrap()
        };
        let mut frame = one("B", "A");
        for (orig, bene) in [("A", ""), ("C", "B"), ("B", "C"), ("", "D")] {
            let more = one(orig, bene);
            frame.vstack_mut_owned(more).unwrap();
        }
        assert!(frame.column("orig_account").unwrap().n_chunks() > 1);
        let (frame, accounts) = with_account_keys(frame).unwrap();
        assert_eq!(key_column(&frame, ORIG_KEY), [2, 1, 3, 2, NO_ACCOUNT]);
        assert_eq!(key_column(&frame, BENE_KEY), [1, NO_ACCOUNT, 2, 3, 4]);
        assert_eq!(accounts.name(4), "D");
    }
}
