//! The CSV record scanner: finds every record's lines and fields before Polars parses the
//! file, so that a malformed row is quarantined with its line number and the rest of the file
//! goes on.
//!
//! The rules are RFC 4180's, read leniently where the meaning is plain:
//! - a field that starts with `"` is quoted: it ends at the next `"` that is not doubled, and
//!   may hold delimiters and line breaks;
//! - a `"` inside an unquoted field is a literal character (`12" PIPE SUPPLY LTD`);
//! - a record ends at a line break outside quotes; blank lines are not records.
//!
//! A record is **malformed** when its field count differs from the header's, when text follows
//! a closing quote, when a quote is never closed, or when it holds a NUL byte. When a
//! malformed record spans several lines (a quote opened in one field and closed lines later),
//! each of its lines is read again as a record of its own: the well-formed ones are kept, so a
//! stray quote cannot swallow the rows after it. Within such a broken stretch a line that
//! holds a quote is itself malformed, since that quote is the breakage.
//!
//! Clean files (the usual case) are checked without a copy: one pass counts delimiters per
//! line, in parallel when the file holds no quote at all. Only a file with a problem is copied,
//! without its malformed records, for Polars to parse.

use rayon::prelude::*;

/// One record that cannot be read as a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// Data row number (the header is not counted; blank lines are not rows).
    pub row: u64,
    /// 1-based line of the file where the record starts.
    pub line: u64,
    /// What is wrong, without the row's content.
    pub problem: String,
}

/// The outcome of scanning one file.
#[derive(Debug)]
pub enum Scan {
    /// Every record is well formed and needs no rewriting: parse the bytes as they are.
    Clean {
        /// Data rows in the file.
        rows: u64,
    },
    /// Some records were malformed or needed rewriting.
    Repaired {
        /// The header and the well-formed records, each ending in `\n`, for Polars to parse.
        cleaned: Vec<u8>,
        /// The data row number of each record in `cleaned`, in order.
        row_numbers: Vec<u64>,
        /// The records left out.
        malformed: Vec<Malformed>,
        /// Data rows in the file: `row_numbers.len() + malformed.len()`.
        rows: u64,
    },
}

/// Why the header line cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadHeader {
    pub problem: String,
}

/// One record as found: its byte range (without the line break), the lines it spans, its
/// field count, and what is wrong with it.
#[derive(Debug, Clone)]
struct Record {
    start: usize,
    end: usize,
    /// Byte just past the record's line break (or the end of the file).
    next: usize,
    first_line: u64,
    lines: u64,
    fields: usize,
    problem: Option<String>,
    /// A literal quote inside an unquoted field: Polars would misread it, so the record is
    /// written again with its fields quoted.
    needs_rewrite: bool,
    /// A quote character appears anywhere in the record.
    has_quote: bool,
}

/// Reads one record from `pos`. `single_line`: a quote may not span a line break (used to
/// read the lines of a broken record one by one).
fn read_record(bytes: &[u8], pos: usize, delim: u8, line: u64, single_line: bool) -> Record {
    let n = bytes.len();
    let mut i = pos;
    let mut r = Record {
        start: pos,
        end: n,
        next: n,
        first_line: line,
        lines: 1,
        fields: 1,
        problem: None,
        needs_rewrite: false,
        has_quote: false,
    };
    let mut field_start = true;
    let set = |p: &mut Option<String>, what: String| {
        if p.is_none() {
            *p = Some(what);
        }
    };
    loop {
        if i >= n {
            return r.ended(n, n);
        }
        let b = bytes[i];
        if field_start && b == b'"' {
            r.has_quote = true;
            // a quoted field
            i += 1;
            loop {
                match memchr::memchr3(b'"', b'\n', 0, &bytes[i..]) {
                    None => {
                        set(
                            &mut r.problem,
                            format!("field {}: a quote is opened and never closed", r.fields),
                        );
                        return r.ended(n, n);
                    }
                    Some(k) => {
                        let at = i + k;
                        if bytes[at] == 0 {
                            set(&mut r.problem, format!("field {}: a NUL byte", r.fields));
                            i = at + 1;
                            continue;
                        }
                        if bytes[at] == b'\n' {
                            if single_line {
                                set(
                                    &mut r.problem,
                                    format!(
                                        "field {}: a quote is opened and not closed on its line",
                                        r.fields
                                    ),
                                );
                                let end = trim_cr(bytes, pos, at);
                                return r.ended(end, at + 1);
                            }
                            r.lines += 1;
                            i = at + 1;
                            continue;
                        }
                        if at + 1 < n && bytes[at + 1] == b'"' {
                            i = at + 2;
                            continue;
                        }
                        i = at + 1;
                        break;
                    }
                }
            }
            // after the closing quote: a delimiter, a line break or the end
            match bytes.get(i) {
                None => {}
                Some(&c) if c == delim || c == b'\n' => {}
                Some(b'\r') if matches!(bytes.get(i + 1), None | Some(b'\n')) => {}
                Some(_) => {
                    set(
                        &mut r.problem,
                        format!("field {}: text after a closing quote", r.fields),
                    );
                    field_start = false;
                    continue;
                }
            }
            field_start = false;
            continue;
        }
        if b == delim {
            r.fields += 1;
            field_start = true;
            i += 1;
            continue;
        }
        if b == b'\n' {
            let end = trim_cr(bytes, pos, i);
            return r.ended(end, i + 1);
        }
        if b == b'"' {
            r.has_quote = true;
            r.needs_rewrite = true;
        } else if b == 0 {
            set(&mut r.problem, format!("field {}: a NUL byte", r.fields));
        }
        field_start = false;
        i += 1;
    }
}

impl Record {
    /// The record, ended at `end` (its content) and `next` (past its line break).
    fn ended(mut self, end: usize, next: usize) -> Record {
        self.end = end;
        self.next = next;
        self
    }
}

/// The end of a line's content: before a `\r` that ends it.
fn trim_cr(bytes: &[u8], start: usize, newline: usize) -> usize {
    if newline > start && bytes[newline - 1] == b'\r' {
        newline - 1
    } else {
        newline
    }
}

/// A record with no content but line-break bytes.
fn is_blank(bytes: &[u8], r: &Record) -> bool {
    bytes[r.start..r.end].iter().all(|&b| b == b'\r')
}

/// The header's field count, or why the header cannot be read.
fn header(bytes: &[u8], delim: u8) -> Result<Record, BadHeader> {
    let r = read_record(bytes, 0, delim, 1, true);
    if let Some(problem) = r.problem {
        return Err(BadHeader {
            problem: format!("header line: {problem}"),
        });
    }
    Ok(r)
}

/// Scans `bytes` (a whole CSV file, header first) with `delim` as the delimiter.
pub fn scan(bytes: &[u8], delim: u8) -> Result<Scan, BadHeader> {
    let head = header(bytes, delim)?;
    let expected = head.fields;
    if memchr::memchr2(b'"', 0, bytes).is_none() {
        if let Some(rows) = clean_without_quotes(&bytes[head.next..], delim, expected) {
            return Ok(Scan::Clean { rows });
        }
    }
    Ok(full_scan(bytes, delim, &head))
}

/// For a file without quotes or NULs: the number of data rows when every line has `expected`
/// fields and none is blank (lines counted in parallel), else `None`.
fn clean_without_quotes(body: &[u8], delim: u8, expected: usize) -> Option<u64> {
    const PIECE: usize = 1 << 20;
    // pieces end at line breaks, so that each holds whole lines
    let mut cuts = vec![0usize];
    while *cuts.last().unwrap_or(&0) < body.len() {
        let from = cuts.last().copied().unwrap_or(0) + PIECE;
        if from >= body.len() {
            cuts.push(body.len());
            break;
        }
        match memchr::memchr(b'\n', &body[from..]) {
            Some(k) => cuts.push(from + k + 1),
            None => cuts.push(body.len()),
        }
    }
    let counts: Option<Vec<u64>> = cuts
        .par_windows(2)
        .map(|w| {
            let piece = &body[w[0]..w[1]];
            // one pass over the delimiters and line breaks (vectorised search): a line is
            // clean when it holds `expected - 1` delimiters and is not blank
            let mut rows = 0u64;
            let mut fields = 1usize;
            let mut line_start = 0usize;
            for at in memchr::memchr2_iter(delim, b'\n', piece) {
                if piece[at] == delim {
                    fields += 1;
                    continue;
                }
                let content = &piece[line_start..at];
                let content = content.strip_suffix(b"\r").unwrap_or(content);
                if content.is_empty() || fields != expected {
                    return None;
                }
                rows += 1;
                fields = 1;
                line_start = at + 1;
            }
            // a last line without a line break
            if line_start < piece.len() {
                let content = &piece[line_start..];
                let content = content.strip_suffix(b"\r").unwrap_or(content);
                if content.is_empty() || fields != expected {
                    return None;
                }
                rows += 1;
            }
            Some(rows)
        })
        .collect();
    counts.map(|c| c.into_iter().sum())
}

/// Record by record, with quotes: malformed records are set aside, records with literal
/// quotes written again, the rest copied.
fn full_scan(bytes: &[u8], delim: u8, head: &Record) -> Scan {
    let expected = head.fields;
    let mut cleaned = Vec::with_capacity(bytes.len());
    cleaned.extend_from_slice(&bytes[head.start..head.end]);
    cleaned.push(b'\n');
    let mut row_numbers = Vec::new();
    let mut malformed = Vec::new();
    let mut changed = false;
    let mut row = 0u64;
    let mut pos = head.next;
    let mut line = 1 + head.lines;
    while pos < bytes.len() {
        let r = read_record(bytes, pos, delim, line, false);
        pos = r.next;
        line += r.lines;
        if is_blank(bytes, &r) {
            changed = true;
            continue;
        }
        let problem = r.problem.clone().or_else(|| {
            (r.fields != expected).then(|| format!("{} fields, expected {expected}", r.fields))
        });
        match problem {
            None => {
                row += 1;
                row_numbers.push(row);
                if r.needs_rewrite {
                    changed = true;
                    rewrite(bytes, &r, delim, &mut cleaned);
                } else {
                    cleaned.extend_from_slice(&bytes[r.start..r.end]);
                    cleaned.push(b'\n');
                }
            }
            Some(problem) if r.lines == 1 => {
                changed = true;
                row += 1;
                malformed.push(Malformed {
                    row,
                    line: r.first_line,
                    problem,
                });
            }
            Some(problem) => {
                // a broken record over several lines: each line read on its own
                changed = true;
                let mut at = r.start;
                let mut l = r.first_line;
                while at < r.next {
                    let piece = read_record(&bytes[..r.next], at, delim, l, true);
                    at = piece.next;
                    l += 1;
                    if is_blank(bytes, &piece) {
                        continue;
                    }
                    row += 1;
                    let own = piece.problem.clone().or_else(|| {
                        if piece.has_quote {
                            Some(format!(
                                "part of a record broken by quotes (lines {}-{}: {problem})",
                                r.first_line,
                                r.first_line + r.lines - 1
                            ))
                        } else {
                            (piece.fields != expected)
                                .then(|| format!("{} fields, expected {expected}", piece.fields))
                        }
                    });
                    match own {
                        Some(problem) => malformed.push(Malformed {
                            row,
                            line: piece.first_line,
                            problem,
                        }),
                        None => {
                            row_numbers.push(row);
                            cleaned.extend_from_slice(&bytes[piece.start..piece.end]);
                            cleaned.push(b'\n');
                        }
                    }
                }
            }
        }
    }
    if !changed {
        return Scan::Clean { rows: row };
    }
    Scan::Repaired {
        cleaned,
        row_numbers,
        malformed,
        rows: row,
    }
}

/// Writes a well-formed record with a literal quote in an unquoted field, every field quoted
/// as RFC 4180 has it, so that Polars reads the same values.
fn rewrite(bytes: &[u8], r: &Record, delim: u8, out: &mut Vec<u8>) {
    let text = &bytes[r.start..r.end];
    let mut i = 0;
    let mut first = true;
    loop {
        if !first {
            out.push(delim);
        }
        first = false;
        let mut value: Vec<u8> = Vec::new();
        if text.get(i) == Some(&b'"') {
            i += 1;
            while i < text.len() {
                if text[i] == b'"' {
                    if text.get(i + 1) == Some(&b'"') {
                        value.push(b'"');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                value.push(text[i]);
                i += 1;
            }
        } else {
            while i < text.len() && text[i] != delim {
                value.push(text[i]);
                i += 1;
            }
        }
        out.push(b'"');
        for &b in &value {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
        if i < text.len() && text[i] == delim {
            i += 1;
            continue;
        }
        break;
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "a,b,c\n";

    fn repaired(text: &str) -> (String, Vec<u64>, Vec<Malformed>, u64) {
        match scan(text.as_bytes(), b',').expect("header") {
            Scan::Repaired {
                cleaned,
                row_numbers,
                malformed,
                rows,
            } => (
                String::from_utf8(cleaned).expect("utf8"),
                row_numbers,
                malformed,
                rows,
            ),
            Scan::Clean { rows } => panic!("clean with {rows} rows: {text:?}"),
        }
    }

    #[test]
    fn clean_files_are_not_copied() {
        for text in [
            "a,b,c\n1,2,3\n4,5,6\n",
            "a,b,c\r\n1,2,3\r\n4,5,6",
            "a,b,c\n1,\"2,x\",3\n4,\"multi\nline\",6\n",
            "a,b,c\n",
        ] {
            match scan(text.as_bytes(), b',').expect("header") {
                Scan::Clean { rows } => assert_eq!(
                    rows,
                    text.lines().count() as u64 - 1 - u64::from(text.contains("multi"))
                ),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn wrong_field_counts_are_malformed() {
        let (cleaned, rows, bad, n) = repaired(&format!("{H}1,2,3\n1,2\n1,2,3,4\n7,8,9\n"));
        assert_eq!(cleaned, "a,b,c\n1,2,3\n7,8,9\n");
        assert_eq!(rows, vec![1, 4]);
        assert_eq!(n, 4);
        assert_eq!(bad.len(), 2);
        assert_eq!((bad[0].row, bad[0].line), (2, 3));
        assert_eq!(bad[0].problem, "2 fields, expected 3");
        assert_eq!((bad[1].row, bad[1].line), (3, 4));
    }

    #[test]
    fn a_quote_left_open_does_not_swallow_the_rows_after_it() {
        let text = format!("{H}1,2,3\n4,\"5,6\n7,8,9\n10,11,12\"\n13,14,15\n");
        let (cleaned, rows, bad, n) = repaired(&text);
        assert_eq!(cleaned, "a,b,c\n1,2,3\n7,8,9\n13,14,15\n");
        assert_eq!(rows, vec![1, 3, 5]);
        assert_eq!(n, 5);
        let lines: Vec<u64> = bad.iter().map(|m| m.line).collect();
        assert_eq!(lines, vec![3, 5]);
    }

    #[test]
    fn a_literal_quote_in_an_unquoted_field_is_kept() {
        let (cleaned, rows, bad, n) = repaired(&format!("{H}1,12\" PIPE,3\n4,5,6\n"));
        assert_eq!(cleaned, "a,b,c\n\"1\",\"12\"\" PIPE\",\"3\"\n4,5,6\n");
        assert_eq!((rows, bad, n), (vec![1, 2], vec![], 2));
    }

    #[test]
    fn unterminated_quote_at_the_end_text_after_quote_and_nul() {
        let (_, rows, bad, _) = repaired(&format!("{H}1,2,3\n4,\"5,6\n"));
        assert_eq!(rows, vec![1]);
        assert_eq!(bad.len(), 1);
        let (_, _, bad, _) = repaired(&format!("{H}1,\"2\"x,3\n"));
        assert_eq!(bad[0].problem, "field 2: text after a closing quote");
        let (_, _, bad, _) = repaired(&format!("{H}1,2\0,3\n4,5,6\n"));
        assert_eq!(bad[0].problem, "field 2: a NUL byte");
        assert_eq!(bad[0].line, 2);
        // inside quotes too
        let (cleaned, rows, bad, _) = repaired(&format!("{H}1,\"2\0\",3\n4,5,6\n"));
        assert_eq!(bad[0].problem, "field 2: a NUL byte");
        assert_eq!((cleaned.as_str(), rows), ("a,b,c\n4,5,6\n", vec![2]));
    }

    #[test]
    fn blank_lines_are_not_rows() {
        let (cleaned, rows, bad, n) = repaired(&format!("{H}1,2,3\n\n\r\n4,5,6\n"));
        assert_eq!(cleaned, "a,b,c\n1,2,3\n4,5,6\n");
        assert_eq!((rows, bad.len(), n), (vec![1, 2], 0, 2));
    }

    #[test]
    fn a_broken_header_is_an_error() {
        assert!(scan(b"a,\"b,c\n1,2,3\n", b',').is_err());
    }
}
