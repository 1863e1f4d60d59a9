//! Name tables and builders for people and businesses, and sanctions-style name variants.
//!
//! Names are built from parts drawn from several naming traditions (Caribbean and Anglo,
//! Hispanic, South Asian, Chinese, Arabic, West African), so that a population of a hundred
//! thousand customers has hundreds of thousands of possible distinct names.

use super::name_tables::*;
use super::rng::Rng;

/// One naming tradition: given names, surnames, and how a full name is put together.
struct Tradition {
    given: &'static [&'static str],
    surnames: &'static [&'static str],
    /// Chance of a middle name (drawn from `given`).
    middle_chance: f64,
    /// Hispanic style: two surnames (paternal and maternal).
    double_surname: bool,
    /// Relative weight in the population (per thousand).
    weight: u32,
    /// Beginnings and endings that join into further given names (`SHA` + `NIECE`).
    given_starts: &'static [&'static str],
    /// See `given_starts`.
    given_ends: &'static [&'static str],
}

const TRADITIONS: &[Tradition] = &[
    Tradition {
        given: CARIBBEAN_GIVEN,
        surnames: CARIBBEAN_SURNAMES,
        middle_chance: 0.75,
        double_surname: false,
        weight: 420,
        given_starts: CARIB_STARTS,
        given_ends: CARIB_ENDS,
    },
    Tradition {
        given: ANGLO_GIVEN,
        surnames: ANGLO_SURNAMES,
        middle_chance: 0.7,
        double_surname: false,
        weight: 120,
        given_starts: NONE,
        given_ends: NONE,
    },
    Tradition {
        given: HISPANIC_GIVEN,
        surnames: HISPANIC_SURNAMES,
        middle_chance: 0.5,
        double_surname: true,
        weight: 110,
        given_starts: NONE,
        given_ends: NONE,
    },
    Tradition {
        given: SOUTH_ASIAN_GIVEN,
        surnames: SOUTH_ASIAN_SURNAMES,
        middle_chance: 0.6,
        double_surname: false,
        weight: 130,
        given_starts: SOUTH_ASIAN_STARTS,
        given_ends: SOUTH_ASIAN_ENDS,
    },
    Tradition {
        given: CHINESE_SYLLABLES,
        surnames: CHINESE_SURNAMES,
        middle_chance: 0.0,
        double_surname: false,
        weight: 90,
        given_starts: NONE,
        given_ends: NONE,
    },
    Tradition {
        given: ARABIC_GIVEN,
        surnames: ARABIC_SURNAMES,
        middle_chance: 0.6,
        double_surname: false,
        weight: 60,
        given_starts: ARABIC_STARTS,
        given_ends: ARABIC_ENDS,
    },
    Tradition {
        given: AFRICAN_GIVEN,
        surnames: AFRICAN_SURNAMES,
        middle_chance: 0.7,
        double_surname: false,
        weight: 70,
        given_starts: AFRICAN_STARTS,
        given_ends: AFRICAN_ENDS,
    },
];

/// Index of the Chinese tradition, whose given names are two joined syllables.
const CHINESE: usize = 4;

/// A random person's full name in upper case, e.g. `KEISHA MARCIA CAMPBELL`.
pub fn person_name(rng: &mut Rng) -> String {
    let total: u32 = TRADITIONS.iter().map(|t| t.weight).sum();
    let mut roll = rng.below(u64::from(total)) as u32;
    let mut chosen = 0;
    for (i, t) in TRADITIONS.iter().enumerate() {
        if roll < t.weight {
            chosen = i;
            break;
        }
        roll -= t.weight;
    }
    let t = &TRADITIONS[chosen];
    // English-origin surnames (Anglo and Caribbean) are sometimes compounds: ASH + FORD.
    let compound_surname = chosen <= 1 && rng.chance(0.45);
    let mut name = String::with_capacity(32);
    if chosen == CHINESE {
        // Given name of two syllables, e.g. WEIMING; surname last as commonly written abroad.
        name.push_str(pick_str(rng, t.given));
        name.push_str(pick_str(rng, t.given));
    } else {
        push_given(rng, t, &mut name);
        if rng.chance(t.middle_chance) {
            name.push(' ');
            // Middle names cross traditions often enough in the Caribbean to draw from all.
            if rng.chance(0.3) {
                let other = rng.pick(TRADITIONS);
                push_given(rng, other, &mut name);
            } else {
                push_given(rng, t, &mut name);
            }
        }
    }
    name.push(' ');
    if compound_surname {
        name.push_str(pick_str(rng, SURNAME_STARTS));
        name.push_str(pick_str(rng, SURNAME_ENDS));
    } else {
        name.push_str(pick_str(rng, t.surnames));
    }
    if !t.double_surname && rng.chance(0.04) {
        name.push('-');
        name.push_str(pick_str(rng, t.surnames));
    }
    if t.double_surname && rng.chance(0.7) {
        name.push(' ');
        name.push_str(pick_str(rng, t.surnames));
    }
    name
}

/// A uniformly chosen entry of a word table.
fn pick_str(rng: &mut Rng, words: &[&'static str]) -> &'static str {
    words[rng.index(words.len())]
}

/// Appends a given name of tradition `t`: from its list, or joined from its syllables.
fn push_given(rng: &mut Rng, t: &Tradition, name: &mut String) {
    if !t.given_starts.is_empty() && rng.chance(0.5) {
        name.push_str(pick_str(rng, t.given_starts));
        name.push_str(pick_str(rng, t.given_ends));
    } else {
        name.push_str(pick_str(rng, t.given));
    }
}

/// A random surname from any tradition (used in business names).
pub fn surname(rng: &mut Rng) -> &'static str {
    let t = rng.pick(TRADITIONS);
    pick_str(rng, t.surnames)
}

/// What a business does; decides the words in its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BusinessKind {
    /// Cash-heavy retail (supermarket, bar, gas station...).
    CashRetail,
    /// Card-accepting merchant.
    Merchant,
    /// An employer running a payroll.
    Employer,
    /// An importer paying foreign suppliers.
    Importer,
    /// A foreign supplier or shell company.
    Foreign,
    /// A domestic client paying a business.
    Client,
}

/// A random business name for the given kind, e.g. `CAMPBELL & SONS LTD`, `ISLAND HARDWARE LLC`.
pub fn business_name(rng: &mut Rng, kind: BusinessKind) -> String {
    let trade = match kind {
        BusinessKind::CashRetail => rng.pick(CASH_RETAIL_WORDS),
        BusinessKind::Merchant => rng.pick(MERCHANT_WORDS),
        BusinessKind::Employer | BusinessKind::Client => rng.pick(EMPLOYER_WORDS),
        BusinessKind::Importer => rng.pick(IMPORTER_WORDS),
        BusinessKind::Foreign => rng.pick(FOREIGN_WORDS),
    };
    let forms = if kind == BusinessKind::Foreign {
        FOREIGN_FORMS
    } else {
        LEGAL_FORMS
    };
    let form = rng.pick(forms);
    // Family firms: CAMPBELL & SONS LTD; otherwise lead word(s), trade and legal form.
    if form.starts_with('&') && rng.chance(0.3) {
        return format!("{} {}", surname(rng), form);
    }
    let form = form
        .trim_start_matches("& ")
        .trim_start_matches("SONS ")
        .trim_start_matches("CO")
        .trim_start_matches("ASSOCIATES ");
    let form = if form.trim().is_empty() {
        "LTD"
    } else {
        form.trim()
    };
    let lead = match rng.below(4) {
        0 => format!("{}'S", surname(rng)),
        1 => surname(rng).to_string(),
        2 => rng.pick(PLACE_WORDS).to_string(),
        _ => format!("{} {}", rng.pick(PLACE_WORDS), surname(rng)),
    };
    format!("{lead} {trade} {form}")
}

/// How a listed name was altered to make a sanctions-screening test name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariantKind {
    /// One letter changed, doubled or two neighbours swapped.
    Typo,
    /// Tokens reordered (surname first).
    Reordered,
    /// A middle name left out.
    DroppedMiddle,
}

impl VariantKind {
    /// Plain-language description for walk-throughs.
    pub fn describe(self) -> &'static str {
        match self {
            VariantKind::Typo => "a one-letter typing error",
            VariantKind::Reordered => "the name parts in a different order",
            VariantKind::DroppedMiddle => "the middle name left out",
        }
    }
}

/// Upper-cases and collapses runs of whitespace.
pub fn normalize_name(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_uppercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A key that ignores token order, used to keep background names away from listed names.
pub fn token_set_key(name: &str) -> String {
    let mut tokens: Vec<String> = name.split_whitespace().map(str::to_uppercase).collect();
    tokens.sort();
    tokens.join(" ")
}

/// Makes a variant of a listed name. Falls back to a typo when the requested change is not
/// possible (a single-token name cannot be reordered, a two-token name has no middle name).
/// Returns the variant and the kind actually applied; the variant always differs from the name.
pub fn name_variant(rng: &mut Rng, listed: &str, wanted: VariantKind) -> (String, VariantKind) {
    let tokens: Vec<String> = normalize_name(listed)
        .split(' ')
        .map(str::to_string)
        .collect();
    match wanted {
        VariantKind::Reordered if tokens.len() >= 2 => {
            let mut reordered = tokens.clone();
            let last = reordered.pop().unwrap_or_default();
            reordered.insert(0, last);
            let text = reordered.join(" ");
            if text != tokens.join(" ") {
                return (text, VariantKind::Reordered);
            }
        }
        VariantKind::DroppedMiddle if tokens.len() >= 3 => {
            let drop_at = 1 + rng.index(tokens.len() - 2);
            let kept: Vec<&str> = tokens
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != drop_at)
                .map(|(_, t)| t.as_str())
                .collect();
            return (kept.join(" "), VariantKind::DroppedMiddle);
        }
        _ => {}
    }
    (typo(rng, &tokens), VariantKind::Typo)
}

/// Applies one typing error to the longest token.
fn typo(rng: &mut Rng, tokens: &[String]) -> String {
    let original = tokens.join(" ");
    let (longest, _) = tokens
        .iter()
        .enumerate()
        .max_by_key(|(i, t)| (t.len(), usize::MAX - i))
        .unwrap_or((0, &original));
    let mut out: Vec<String> = tokens.to_vec();
    if out.is_empty() {
        return format!("{original}X");
    }
    let word: Vec<char> = out[longest].chars().collect();
    for attempt in 0..8 {
        let mut w = word.clone();
        let style = (rng.below(3) + attempt) % 3;
        if w.len() >= 3 {
            let pos = 1 + rng.index(w.len() - 2);
            match style {
                0 => w.swap(pos, pos + 1),
                1 => {
                    let c = w[pos];
                    w.insert(pos, c);
                }
                _ => {
                    let vowels = ['A', 'E', 'I', 'O', 'U', 'Y'];
                    let replacement = *rng.pick(&vowels);
                    w[pos] = if w[pos] == replacement {
                        'H'
                    } else {
                        replacement
                    };
                }
            }
        } else {
            w.push(w.last().copied().unwrap_or('X'));
        }
        let candidate: String = w.into_iter().collect();
        if candidate != out[longest] {
            out[longest] = candidate;
            return out.join(" ");
        }
    }
    out[longest].push('H');
    out.join(" ")
}
