//! A small phonetic key for blocking: the consonant skeleton of a token.
//!
//! Vowels, `h` and `y` are dropped; consonants that transliterations swap freely are merged
//! (`c`/`k`/`q`/`g` → `k`, `s`/`z`/`x` → `s`, `f`/`v`/`w`/`ph` → `f`, `b`/`p` → `b`,
//! `d`/`t`/`th`/`dh` → `t`); a repeated class counts once, even across vowels. `Qaddafi`,
//! `Gadhafi` and `Kadafi` all give `ktf`; `Usama` and `Osama` give `sm`. Digits are kept. A
//! token of vowels only keys on its first letter.

use super::normalize::canonical_spelling;

/// The consonant skeleton of a lower-case ASCII token.
pub fn consonant_skeleton(token: &str) -> String {
    let bytes = token.as_bytes();
    let mut key = String::with_capacity(bytes.len());
    let mut last: u8 = 0;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let next = bytes.get(i + 1).copied().unwrap_or(0);
        let (class, width) = match (c, next) {
            (b'p', b'h') => (b'f', 2),
            (b't' | b'd', b'h') => (b't', 2),
            (b's' | b'c', b'h') => (b's', 2),
            (b'k' | b'g', b'h') => (b'k', 2),
            (b'c', b'e' | b'i' | b'y') => (b's', 1),
            (b'a' | b'e' | b'i' | b'o' | b'u' | b'h' | b'y', _) => (0, 1),
            (b'c' | b'k' | b'q' | b'g', _) => (b'k', 1),
            (b's' | b'z' | b'x', _) => (b's', 1),
            (b'f' | b'v' | b'w', _) => (b'f', 1),
            (b'b' | b'p', _) => (b'b', 1),
            (b'd' | b't', _) => (b't', 1),
            (other, _) => (other, 1),
        };
        if class != 0 && class != last {
            key.push(class as char);
        }
        // A repeated class counts once even across vowels (`valle` and `vlale` both give `fl`).
        if class != 0 {
            last = class;
        }
        i += width;
    }
    if key.is_empty() {
        token.chars().take(1).collect()
    } else {
        key
    }
}

/// The blocking keys of a token, sorted and unique:
/// - `s:` its consonant skeleton (vowel and transliteration changes keep it);
/// - for skeletons of three letters or more, `s:` the skeleton with each single letter deleted
///   (one changed, dropped or transposed consonant still shares a key);
/// - `c:` its canonical spelling (`Grin` and `Green` share `c:grin`);
/// - for tokens of five letters or more, `f:` the first two and last two letters (an edit in
///   the middle keeps them: `vacle` and `valle` share `f:vale`);
/// - for tokens of five letters or more whose skeleton is shorter than four letters, `p:` the
///   first three and `x:` the last three letters (any single edit leaves one of them whole);
///   for other tokens of eight letters or more, the first and last four letters (a typo that
///   changes two consonant classes, `administracbon`, still shares one of them).
pub fn blocking_keys(token: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for_each_blocking_key(token, &canonical_spelling(token), |key| {
        keys.push(key.to_string())
    });
    keys.sort();
    keys.dedup();
    keys
}

/// Calls `visit` with each of `token`'s [`blocking_keys`] (given its canonical spelling,
/// which the caller has at hand), built in one reused buffer; a key may come more than once.
pub(crate) fn for_each_blocking_key(token: &str, spelling: &str, mut visit: impl FnMut(&str)) {
    let skeleton = consonant_skeleton(token);
    let mut key = String::with_capacity(token.len() + spelling.len() + 2);
    let mut emit = |prefix: &str, parts: &[&str]| {
        key.clear();
        key.push_str(prefix);
        for part in parts {
            key.push_str(part);
        }
        visit(&key);
    };
    emit("s:", &[&skeleton]);
    if skeleton.len() >= 4 {
        for skip in 0..skeleton.len() {
            emit("s:", &[&skeleton[..skip], &skeleton[skip + 1..]]);
        }
    }
    emit("c:", &[spelling]);
    if token.is_ascii() && token.len() >= 5 {
        emit("f:", &[&token[..2], &token[token.len() - 2..]]);
    }
    if token.is_ascii() {
        if skeleton.len() < 4 && token.len() >= 5 {
            emit("p:", &[&token[..3]]);
            emit("x:", &[&token[token.len() - 3..]]);
        } else if token.len() >= 8 {
            emit("p:", &[&token[..4]]);
            emit("x:", &[&token[token.len() - 4..]]);
        }
    }
}
