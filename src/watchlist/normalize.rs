//! Name normalisation: transliteration to Latin, case and punctuation folding, `SURNAME, Given`
//! reordering, and the vocabularies of weak and common tokens.
//!
//! Legal forms, honorifics and joining words are kept as *weak* tokens: they count a little when
//! they agree and cost a little when they do not, so `ACME TRADING LLC` still equals
//! `Acme Trading Ltd` while `LLC` alone never makes a match.

use super::fast_hash::{FastMap, FastSet};
use std::sync::OnceLock;

/// One token of a normalised name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NameToken {
    /// Lower-case ASCII letters and digits.
    pub text: String,
    /// A legal form, honorific or joining word (`llc`, `sa`, `mr`, `sheikh`, `of`).
    pub weak: bool,
}

/// Legal forms, after dots are removed (`S.A.` is `sa`, `L.L.C.` is `llc`).
const LEGAL_FORMS: &[&str] = &[
    "ab",
    "ag",
    "ao",
    "as",
    "bhd",
    "bv",
    "cia",
    "cjsc",
    "co",
    "company",
    "corp",
    "corporation",
    "cv",
    "eirl",
    "fzc",
    "fzco",
    "fze",
    "fzllc",
    "gmbh",
    "inc",
    "incorporated",
    "jsc",
    "kft",
    "kg",
    "kk",
    "limited",
    "llc",
    "llp",
    "lp",
    "ltd",
    "ltda",
    "nv",
    "oao",
    "ojsc",
    "ooo",
    "oy",
    "pao",
    "pjsc",
    "plc",
    "pte",
    "pty",
    "pvt",
    "sa",
    "sae",
    "sal",
    "sarl",
    "sas",
    "sdn",
    "sl",
    "spa",
    "sro",
    "srl",
    "tbk",
    "tov",
    "zao",
];

/// Honorifics, titles and joining words: weak, but not interchangeable like legal forms.
const HONORIFICS_AND_JOINERS: &[&str] = &[
    "dr", "doctor", "haj", "haji", "hajji", "hadji", "imam", "lord", "madam", "maulana", "maulavi",
    "mawlawi", "miss", "mr", "mrs", "ms", "mullah", "mulla", "prof", "qari", "sheik", "sheikh",
    "shaikh", "shaykh", "sir", "jr", "sr", "and", "of", "the", "for",
];

/// Words so frequent in names that sharing them says little: common given names and surnames
/// across the listed regions, name particles and generic company words.
const COMMON_TOKENS: &[&str] = &[
    // Arabic and Persian given names and particles
    "abd",
    "abdel",
    "abdul",
    "abdallah",
    "abdullah",
    "abdulla",
    "abu",
    "ahmad",
    "ahmed",
    "al",
    "ali",
    "bin",
    "bint",
    "ben",
    "el",
    "hasan",
    "hassan",
    "hussain",
    "hussein",
    "husain",
    "husayn",
    "ibn",
    "ibrahim",
    "ismail",
    "khalid",
    "mahmoud",
    "mahmud",
    "mohamad",
    "mohamed",
    "mohammad",
    "mohammed",
    "mohd",
    "muhammad",
    "muhammed",
    "mustafa",
    "omar",
    "umar",
    "said",
    "saeed",
    "salem",
    "saleh",
    "yusuf",
    "youssef",
    "hamid",
    "karim",
    "rahman",
    "aziz",
    "reza",
    "hossein",
    "mehdi",
    "amir",
    "khan",
    "shah",
    "mirza",
    "sayed",
    "sayyid",
    "syed",
    // Western, Hispanic, Slavic and East Asian given names and surnames
    "john",
    "james",
    "robert",
    "michael",
    "william",
    "david",
    "richard",
    "joseph",
    "thomas",
    "charles",
    "george",
    "peter",
    "paul",
    "mark",
    "maria",
    "mary",
    "ana",
    "anna",
    "jose",
    "juan",
    "carlos",
    "luis",
    "jorge",
    "antonio",
    "francisco",
    "manuel",
    "pedro",
    "miguel",
    "jesus",
    "rafael",
    "fernando",
    "alberto",
    "ivan",
    "sergey",
    "sergei",
    "alexander",
    "aleksandr",
    "alexandr",
    "vladimir",
    "andrey",
    "andrei",
    "dmitry",
    "dmitri",
    "nikolai",
    "nikolay",
    "viktor",
    "yuri",
    "igor",
    "oleg",
    "li",
    "wang",
    "zhang",
    "chen",
    "liu",
    "yang",
    "kim",
    "lee",
    "park",
    "nguyen",
    "tran",
    "smith",
    "jones",
    "brown",
    "garcia",
    "rodriguez",
    "martinez",
    "hernandez",
    "lopez",
    "gonzalez",
    "perez",
    "sanchez",
    "ramirez",
    "torres",
    "flores",
    "gomez",
    "diaz",
    "ivanov",
    "petrov",
    "de",
    "del",
    "della",
    "la",
    "las",
    "los",
    "da",
    "das",
    "do",
    "dos",
    "di",
    "van",
    "von",
    "der",
    "den",
    "du",
    "le",
    "y",
    "e",
    // generic company words
    "agency",
    "air",
    "airlines",
    "bank",
    "capital",
    "center",
    "centre",
    "commercial",
    "construction",
    "consulting",
    "development",
    "east",
    "energy",
    "enterprise",
    "enterprises",
    "equipment",
    "establishment",
    "est",
    "export",
    "factory",
    "finance",
    "financial",
    "food",
    "foods",
    "foundation",
    "general",
    "global",
    "gold",
    "golden",
    "group",
    "holding",
    "holdings",
    "import",
    "industrial",
    "industries",
    "industry",
    "international",
    "intl",
    "investment",
    "investments",
    "logistics",
    "management",
    "manufacturing",
    "marine",
    "maritime",
    "market",
    "medical",
    "middle",
    "national",
    "new",
    "north",
    "oil",
    "gas",
    "partners",
    "petroleum",
    "products",
    "resources",
    "royal",
    "sea",
    "service",
    "services",
    "shipping",
    "solutions",
    "south",
    "star",
    "supply",
    "technology",
    "technologies",
    "textile",
    "trade",
    "trading",
    "transport",
    "travel",
    "united",
    "west",
    "world",
    "worldwide",
    "association",
    "organization",
    "organisation",
    "front",
    "army",
    "network",
    "media",
    "exchange",
    "money",
    "electronics",
    "systems",
    "engineering",
];

/// Usual abbreviations and the words they stand for: company words as business registers and
/// payment messages shorten them, the shortened forms of Muhammad, and legal forms written short
/// (`ltd` for `limited`). An abbreviation pairs with any of its words at
/// [`ABBREVIATION_CREDIT`](super::score::ABBREVIATION_CREDIT).
const ABBREVIATIONS: &[(&str, &[&str])] = &[
    ("airl", &["airline", "airlines"]),
    ("assn", &["association"]),
    ("assoc", &["association", "associates"]),
    ("bros", &["brothers"]),
    ("co", &["company"]),
    ("comml", &["commercial"]),
    ("constr", &["construction"]),
    ("corp", &["corporation"]),
    ("dept", &["department"]),
    ("dev", &["development"]),
    ("elec", &["electronics", "electric", "electrical"]),
    ("engg", &["engineering"]),
    ("ent", &["enterprise", "enterprises"]),
    ("est", &["establishment"]),
    ("exch", &["exchange"]),
    ("fdn", &["foundation"]),
    ("gen", &["general"]),
    ("grp", &["group"]),
    ("hldg", &["holding"]),
    ("hldgs", &["holdings"]),
    ("inc", &["incorporated"]),
    ("ind", &["industry", "industrial", "industries"]),
    ("indl", &["industrial"]),
    ("inds", &["industries"]),
    ("inst", &["institute"]),
    ("intl", &["international"]),
    ("invt", &["investment"]),
    ("invts", &["investments"]),
    ("ltd", &["limited"]),
    ("mfg", &["manufacturing"]),
    ("mgmt", &["management"]),
    ("mgt", &["management"]),
    ("natl", &["national"]),
    ("pte", &["private"]),
    ("pvt", &["private"]),
    ("shpg", &["shipping"]),
    ("svc", &["service"]),
    ("svcs", &["services"]),
    ("tech", &["technology", "technologies", "technical"]),
    ("trdg", &["trading"]),
    // shortened forms of Muhammad (Malaysia, Bangladesh, Pakistan)
    (
        "md",
        &[
            "muhammad", "mohammad", "mohammed", "mohamed", "muhammed", "mohamad",
        ],
    ),
    (
        "mhd",
        &[
            "muhammad", "mohammad", "mohammed", "mohamed", "muhammed", "mohamad",
        ],
    ),
    (
        "mohd",
        &[
            "muhammad", "mohammad", "mohammed", "mohamed", "muhammed", "mohamad",
        ],
    ),
    (
        "muhd",
        &[
            "muhammad", "mohammad", "mohammed", "mohamed", "muhammed", "mohamad",
        ],
    ),
];

/// Legal forms written out in words, and the short form each is written as. A run of adjacent
/// tokens spelling one out pairs with that short form (`sociedad anonima` ~ `sa`).
const LEGAL_FORM_PHRASES: &[(&[&str], &str)] = &[
    (&["sociedad", "anonima"], "sa"),
    (&["societe", "anonyme"], "sa"),
    (&["compania", "anonima"], "ca"),
    (&["limited", "liability", "company"], "llc"),
    (&["joint", "stock", "company"], "jsc"),
    (&["public", "joint", "stock", "company"], "pjsc"),
    (&["closed", "joint", "stock", "company"], "cjsc"),
    (&["open", "joint", "stock", "company"], "ojsc"),
    (&["public", "limited", "company"], "plc"),
    (&["free", "zone", "establishment"], "fze"),
    (&["free", "zone", "company"], "fzco"),
    (&["sociedad", "limitada"], "ltda"),
    (&["societa", "per", "azioni"], "spa"),
    (&["sociedad", "de", "responsabilidad", "limitada"], "srl"),
    (&["societa", "a", "responsabilita", "limitata"], "srl"),
    (&["gesellschaft", "mit", "beschraenkter", "haftung"], "gmbh"),
    (
        &["obshchestvo", "s", "ogranichennoi", "otvetstvennostyu"],
        "ooo",
    ),
    (&["aktsionernoe", "obshchestvo"], "ao"),
    (&["otkrytoe", "aktsionernoe", "obshchestvo"], "oao"),
    (&["zakrytoe", "aktsionernoe", "obshchestvo"], "zao"),
    (&["publichnoe", "aktsionernoe", "obshchestvo"], "pao"),
    (
        &["tovarystvo", "z", "obmezhenoyu", "vidpovidalnistyu"],
        "tov",
    ),
    (&["limited", "partnership"], "lp"),
    (&["limited", "liability", "partnership"], "llp"),
];

/// The longest phrase of [`LEGAL_FORM_PHRASES`], in tokens.
pub const MAX_LEGAL_FORM_PHRASE: usize = 4;

/// The words an abbreviation stands for (`intl` → `international`); empty for other tokens.
pub fn abbreviation_expansions(token: &str) -> &'static [&'static str] {
    static MAP: OnceLock<FastMap<&'static str, &'static [&'static str]>> = OnceLock::new();
    MAP.get_or_init(|| ABBREVIATIONS.iter().copied().collect())
        .get(token)
        .copied()
        .unwrap_or(&[])
}

/// The abbreviations of a word (`international` → `intl`); empty for other tokens.
pub fn abbreviations_of(word: &str) -> &'static [&'static str] {
    static MAP: OnceLock<FastMap<&'static str, Vec<&'static str>>> = OnceLock::new();
    MAP.get_or_init(|| {
        let mut map: FastMap<&'static str, Vec<&'static str>> = FastMap::default();
        for (short, words) in ABBREVIATIONS {
            for word in words.iter() {
                map.entry(word).or_default().push(short);
            }
        }
        map
    })
    .get(word)
    .map_or(&[], Vec::as_slice)
}

/// Whether one token is a known abbreviation of the other (`trdg` and `trading`, either way).
pub fn is_abbreviation_pair(a: &str, b: &str) -> bool {
    abbreviation_expansions(a).contains(&b) || abbreviation_expansions(b).contains(&a)
}

/// Whether a token starts one of the legal forms written out in words (`sociedad`, `limited`).
pub fn starts_legal_form_phrase(token: &str) -> bool {
    static SET: OnceLock<FastSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        LEGAL_FORM_PHRASES
            .iter()
            .map(|(phrase, _)| phrase[0])
            .collect()
    })
    .contains(token)
}

/// Whether a token is one of the words of a legal form written out (`limited`, `liability`).
pub fn is_legal_form_phrase_word(token: &str) -> bool {
    static SET: OnceLock<FastSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        LEGAL_FORM_PHRASES
            .iter()
            .flat_map(|(phrase, _)| phrase.iter().copied())
            .collect()
    })
    .contains(token)
}

/// Whether a token is the short form of a legal form written out in words (`sa`, `ca`, `llc`).
pub fn is_legal_form_short(token: &str) -> bool {
    LEGAL_FORM_PHRASES.iter().any(|(_, short)| *short == token)
}

/// The short legal form that `tokens` spell out in words (`["sociedad", "anonima"]` → `sa`).
pub fn legal_form_phrase(tokens: &[&str]) -> Option<&'static str> {
    if !tokens.first().is_some_and(|t| starts_legal_form_phrase(t)) {
        return None;
    }
    LEGAL_FORM_PHRASES
        .iter()
        .find(|(phrase, _)| phrase.len() == tokens.len() && phrase.iter().eq(tokens.iter()))
        .map(|(_, short)| *short)
}

/// A word list as a set, built on first use.
fn word_set(
    cell: &'static OnceLock<FastSet<&'static str>>,
    words: &[&'static str],
) -> &'static FastSet<&'static str> {
    cell.get_or_init(|| words.iter().copied().collect())
}

/// Whether a normalised token is a legal form, honorific or joining word.
pub fn is_weak_token(token: &str) -> bool {
    static SET: OnceLock<FastSet<&'static str>> = OnceLock::new();
    is_legal_form(token) || word_set(&SET, HONORIFICS_AND_JOINERS).contains(token)
}

/// Whether a normalised token is a legal form (`llc`, `ltd`, `sa`, `gmbh`, ...).
pub fn is_legal_form(token: &str) -> bool {
    static SET: OnceLock<FastSet<&'static str>> = OnceLock::new();
    token.len() <= 12 && word_set(&SET, LEGAL_FORMS).contains(token)
}

/// Whether a normalised token is in the built-in list of common name and company words.
pub fn is_common_token(token: &str) -> bool {
    static SET: OnceLock<FastSet<&'static str>> = OnceLock::new();
    word_set(&SET, COMMON_TOKENS).contains(token)
}

/// Transliterates to ASCII, lower-cases, removes dots and apostrophes inside words (`S.A.` →
/// `sa`, `O'Brien` → `obrien`) and turns every other non-alphanumeric character into a space.
/// Returns the tokens joined by single spaces.
pub fn fold(raw: &str) -> String {
    let ascii = if raw.is_ascii() {
        std::borrow::Cow::Borrowed(raw)
    } else {
        // control characters separate words, as they do in ASCII text (deunicode drops them
        // after the first non-ASCII character: `¡,a\0a` would fold to `aa`, `a\0a` to `a a`)
        let spaced: String = raw
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        std::borrow::Cow::Owned(deunicode::deunicode(&spaced))
    };
    let mut out = String::with_capacity(ascii.len());
    let mut pending_space = false;
    for ch in ascii.chars() {
        if ch.is_ascii_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(ch.to_ascii_lowercase());
        } else if matches!(ch, '.' | '\'' | '`' | '\u{2019}') {
            // Joined: initials and apostrophes belong to the word around them.
        } else {
            pending_space = true;
        }
    }
    out
}

/// Puts an individual's `SURNAME, Given Names` into reading order (`Given Names SURNAME`).
///
/// Only the first comma counts; text without a comma, or with an empty side, is returned as is.
pub fn reorder_surname_first(raw: &str) -> String {
    match raw.split_once(',') {
        Some((surname, given)) if !surname.trim().is_empty() && !given.trim().is_empty() => {
            format!("{} {}", given.trim(), surname.trim())
        }
        _ => raw.trim().to_string(),
    }
}

/// How many tokens of an individual's name, as [`normalize_name`] puts it in reading order,
/// are given names: those after the comma of `SURNAME, Given Names`. `None` when the name is
/// not written so (no comma, or an empty side).
pub fn given_name_count(raw: &str) -> Option<usize> {
    let (surname, given) = raw.split_once(',')?;
    if surname.trim().is_empty() || given.trim().is_empty() || fold(surname).is_empty() {
        return None;
    }
    let count = fold(given).split(' ').filter(|t| !t.is_empty()).count();
    (count > 0).then_some(count)
}

/// The longest name matched, in characters after [`fold`]: a longer name is matched on its
/// first tokens up to this length. Real names are far shorter (the longest listed names run to
/// about 300 characters), and blocking keys grow with the square of a token's length, so an
/// unbounded name (one megabyte of letters) would take minutes to screen.
pub const MAX_MATCHED_NAME_CHARS: usize = 512;

/// Normalises a name into tokens. `individual` reorders `SURNAME, Given` first. A name longer
/// than [`MAX_MATCHED_NAME_CHARS`] after folding keeps its first tokens up to that length (a
/// single longer token is cut).
pub fn normalize_name(raw: &str, individual: bool) -> Vec<NameToken> {
    normalize_name_bounded(raw, individual).0
}

/// [`normalize_name`], and whether the name was cut to [`MAX_MATCHED_NAME_CHARS`].
pub fn normalize_name_bounded(raw: &str, individual: bool) -> (Vec<NameToken>, bool) {
    let ordered;
    let text = if individual {
        ordered = reorder_surname_first(raw);
        ordered.as_str()
    } else {
        raw
    };
    let folded = fold(text);
    let (kept, cut) = bounded(&folded);
    let tokens = kept
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(|t| NameToken {
            weak: is_weak_token(t),
            text: t.to_string(),
        })
        .collect();
    (tokens, cut)
}

/// The first [`MAX_MATCHED_NAME_CHARS`] of a folded (ASCII) name, ending at a token boundary
/// when there is one; and whether anything was left out.
fn bounded(folded: &str) -> (&str, bool) {
    if folded.len() <= MAX_MATCHED_NAME_CHARS {
        return (folded, false);
    }
    let head = &folded[..MAX_MATCHED_NAME_CHARS];
    if folded.as_bytes()[MAX_MATCHED_NAME_CHARS] == b' ' {
        return (head, true);
    }
    match head.rfind(' ') {
        Some(space) => (&head[..space], true),
        None => (head, true),
    }
}

/// Normalises a name to one display string (`BIN LADIN, Usama` → `usama bin ladin`).
pub fn normalize_display(raw: &str, individual: bool) -> String {
    normalize_name(raw, individual)
        .into_iter()
        .map(|t| t.text)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `text` holds `pattern` (of one to three bytes), compared byte by byte: a general
/// slice comparison calls `memcmp` for every position of every rule.
fn holds(text: &[u8], pattern: &[u8]) -> bool {
    match *pattern {
        [a] => text.contains(&a),
        [a, b] => text.windows(2).any(|w| w[0] == a && w[1] == b),
        [a, b, c] => text.windows(3).any(|w| w[0] == a && w[1] == b && w[2] == c),
        _ => text.windows(pattern.len()).any(|w| w == pattern),
    }
}

/// Spelling variants that transliterations swap freely, most specific first.
const SPELLING_RULES: &[(&str, &str)] = &[
    ("dzh", "j"),
    ("dj", "j"),
    ("zh", "j"),
    ("kh", "h"),
    ("gh", "g"),
    // Arabic dhal and dad: `Qadhafi`, `Qaddafi`, `Qadafi`; `al-Fadhli`, `al-Fadli`
    ("dh", "d"),
    ("ph", "f"),
    ("th", "t"),
    ("ck", "k"),
    ("q", "k"),
    ("ee", "i"),
    ("ou", "u"),
    ("oo", "u"),
    ("o", "u"),
    ("y", "i"),
    ("w", "v"),
    ("x", "ks"),
];

/// A token's canonical spelling for comparison: transliteration variants merged (`dj` → `j`,
/// `kh` → `h`, `dh` → `d`, `ou`/`oo`/`o` → `u`, `ee`/`y` → `i`, `w` → `v`, `q` → `k`, ...), a
/// word-initial `g` before a vowel or `w` written `k` (as `q`: the Arabic qaf is romanised `q`,
/// `g` or `k`; Korean initials `g` or `k`, `gw` or `kw`), and doubled letters collapsed, so
/// `Iyad` and `Iiad`, `Green` and `Grin`, `Novin` and `Nowin`, `Gaddafi`, `Qadhafi` and
/// `Kadhafi` agree.
pub fn canonical_spelling(token: &str) -> String {
    // each rule rewrites the result of the ones before it; most tokens match few rules, and
    // a short byte search is cheaper than a general substring search on a few letters
    let mut text = std::borrow::Cow::Borrowed(token);
    for (from, to) in SPELLING_RULES {
        if holds(text.as_bytes(), from.as_bytes()) {
            text = std::borrow::Cow::Owned(text.replace(from, to));
        }
    }
    // after the rules, so that `gh` (already `g`), `o`/`y` (already `u`/`i`) and `w` (already
    // `v`, Korean `gw`/`kw`) count
    let initial_g = matches!(
        text.as_bytes(),
        [b'g', b'a' | b'e' | b'i' | b'u' | b'v', ..]
    );
    let mut out = String::with_capacity(text.len());
    let mut last = None;
    for (k, ch) in text.chars().enumerate() {
        let ch = if k == 0 && initial_g { 'k' } else { ch };
        if last != Some(ch) {
            out.push(ch);
            last = Some(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_search_of_spelling_rules_agrees_with_a_substring_search() {
        for text in [
            "", "d", "dz", "dzhokhar", "ahmed", "qassim", "youssef", "xoo", "ee",
        ] {
            for (from, _) in SPELLING_RULES {
                assert_eq!(holds(text.as_bytes(), from.as_bytes()), text.contains(from));
            }
        }
    }
}
