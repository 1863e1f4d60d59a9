//! A minimal indented XML writer: every text value goes through [`xml_text`].

use crate::report::escape::xml_text;

/// Builds an XML document element by element, two spaces per level.
#[derive(Debug)]
pub(crate) struct XmlWriter {
    out: String,
    open: Vec<&'static str>,
}

impl XmlWriter {
    /// Starts a document with the XML declaration.
    pub fn new() -> Self {
        XmlWriter {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            open: Vec::new(),
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.open.len() {
            self.out.push_str("  ");
        }
    }

    /// Opens `<tag>`.
    pub fn open(&mut self, tag: &'static str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push_str(">\n");
        self.open.push(tag);
    }

    /// Closes the innermost open element.
    pub fn close(&mut self) {
        if let Some(tag) = self.open.pop() {
            self.indent();
            self.out.push_str("</");
            self.out.push_str(tag);
            self.out.push_str(">\n");
        }
    }

    /// Writes `<tag>text</tag>` with `text` escaped.
    pub fn leaf(&mut self, tag: &str, text: &str) {
        self.indent();
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push('>');
        self.out.push_str(&xml_text(text));
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push_str(">\n");
    }

    /// Writes `<tag>text</tag>` only when `text` is not empty.
    pub fn leaf_if(&mut self, tag: &str, text: &str) {
        if !text.is_empty() {
            self.leaf(tag, text);
        }
    }

    /// Closes every open element and returns the document.
    pub fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.close();
        }
        self.out
    }
}
