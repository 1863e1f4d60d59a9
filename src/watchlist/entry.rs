//! The loaded lists: entries, their names and where each came from.

use super::facts::{BirthDate, IdDocument};
use crate::model::SourceDigest;

/// How a name relates to its entry. Decides whether the name is screened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NameKind {
    /// The entry's main name.
    Primary,
    /// "Also known as" (OFAC `aka`, UN good quality / `a.k.a.`, FtM `alias`).
    Aka,
    /// "Formerly known as" (OFAC `fka`, UN `f.k.a.`, FtM `previousName`).
    Fka,
    /// "Now known as" (OFAC `nka`).
    Nka,
    /// The name in its original script (UN `NAME_ORIGINAL_SCRIPT`).
    OriginalScript,
    /// A weak alias (FtM `weakAlias`, UN low quality): kept for display, never matched on alone.
    Weak,
}

impl NameKind {
    /// A short lower-case label (`primary`, `aka`, `fka`, `nka`, `original script`, `weak`).
    pub fn as_str(self) -> &'static str {
        match self {
            NameKind::Primary => "primary",
            NameKind::Aka => "aka",
            NameKind::Fka => "fka",
            NameKind::Nka => "nka",
            NameKind::OriginalScript => "original script",
            NameKind::Weak => "weak",
        }
    }

    /// Whether names of this kind are put in the screening index.
    pub fn is_screened(self) -> bool {
        self != NameKind::Weak
    }
}

/// One name of an entry, exactly as the list writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedName {
    /// The name as written in the source (`BIN LADIN, Usama bin Muhammad bin Awad`).
    pub text: String,
    /// Primary, alias, former name, ...
    pub kind: NameKind,
}

/// One listed party (person, organisation, vessel, aircraft).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entry {
    /// The list's short name (`OFAC-SDN`, `UN`, `OPENSANCTIONS`, or a simple CSV's `list`).
    pub list: String,
    /// The entry's id in its list (OFAC ent_num, UN reference number, FtM id).
    pub id: String,
    /// `individual`, `entity`, `vessel`, `aircraft` or `unknown`.
    pub entry_type: String,
    /// Sanctions programmes, `; `-separated (`SDGT; IRAQ2`).
    pub programs: String,
    /// Countries from addresses and nationality, when the list gives them.
    pub countries: Vec<String>,
    /// The primary name first, then aliases in list order.
    pub names: Vec<ListedName>,
    /// Dates of birth (of incorporation for organisations), as precise as the list gives them.
    pub birth_dates: Vec<BirthDate>,
    /// Nationalities and citizenships, ISO 3166-1 alpha-2, in list order without repeats.
    pub nationalities: Vec<String>,
    /// Passports, national ids and other identifiers.
    pub documents: Vec<IdDocument>,
}

impl Entry {
    /// The primary name (the first name), or an empty string for an entry without names.
    pub fn primary_name(&self) -> &str {
        self.names.first().map_or("", |n| n.text.as_str())
    }

    /// Whether the list says this is a person, so `SURNAME, Given` may be reordered.
    pub fn is_individual(&self) -> bool {
        self.entry_type == "individual"
    }
}

/// What one file contributed to a [`WatchlistSet`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceInfo {
    /// The file as given or found in a folder.
    pub path: String,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
    /// The list name the entries were given.
    pub list: String,
    /// The format detected (`OFAC legacy CSV`, `OFAC alt.csv`, `OFAC add.csv`, `UN XML`,
    /// `FtM JSON lines`, `simple CSV`).
    pub format: String,
    /// Entries this file added (0 for OFAC `alt.csv` and `add.csv`, which extend the entries
    /// of `sdn.csv`).
    pub entries: u64,
    /// Names this file added (primary names and aliases, weak ones included).
    pub names: u64,
    /// One line per skipped or doubtful record: `file:line: what was wrong`.
    pub warnings: Vec<String>,
}

impl SourceInfo {
    /// This source as the run manifest's [`SourceDigest`] (`entries` there counts names).
    pub fn digest(&self) -> SourceDigest {
        SourceDigest {
            path: self.path.clone(),
            sha256: self.sha256.clone(),
            id: self.list.clone(),
            entries: self.names,
            warnings: self.warnings.clone(),
        }
    }
}

/// Every entry of every list loaded, plus one [`SourceInfo`] per file read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchlistSet {
    pub(crate) entries: Vec<Entry>,
    pub(crate) sources: Vec<SourceInfo>,
}

impl WatchlistSet {
    /// Builds a set from entries made in code (tests, evaluation); `sources` is left empty.
    pub fn from_entries(entries: Vec<Entry>) -> WatchlistSet {
        WatchlistSet {
            entries,
            sources: Vec::new(),
        }
    }

    /// The entries, in load order (files in the order given, then list order).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// One record per file read, in load order.
    pub fn sources(&self) -> &[SourceInfo] {
        &self.sources
    }

    /// Total warnings over all sources.
    pub fn warning_count(&self) -> usize {
        self.sources.iter().map(|s| s.warnings.len()).sum()
    }

    /// Total names over all entries.
    pub fn name_count(&self) -> usize {
        self.entries.iter().map(|e| e.names.len()).sum()
    }
}
