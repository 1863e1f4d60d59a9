//! The code lists of a goAML XML schema (XSD), read with quick-xml.
//!
//! A goAML profile names the schema its FIU publishes. Every code the profile holds (report
//! code, transmode, funds, indicators, local currency) is written into one element of the
//! report; [`GoamlSchema::code_list`] finds that element by its path from `report`, following
//! element types, named complex types and their extensions, and returns the enumeration of the
//! simple type the element is bound to (following restriction bases). Only what the profile
//! check needs is modelled: elements, complex and simple types, sequences, choices, extensions,
//! restrictions and enumerations.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// Why a goAML schema could not be used to check a profile's codes.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// The profile names a schema outside its own folder (absolute, with `..`, or through a
    /// symbolic link that leads out).
    #[error(
        "`{schema}` is not a relative path inside the profile's folder ({folder}): a profile may \
         only name a schema file beside it or below it, without `..`"
    )]
    OutsideProfileFolder {
        /// The path as the profile gives it.
        schema: String,
        /// The profile's folder.
        folder: PathBuf,
    },
    /// The schema file could not be opened or read.
    #[error("cannot read {path}")]
    Read {
        /// The schema file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The schema is not well-formed XML.
    #[error("{path}:{line}: expected well-formed XML")]
    Xml {
        /// The schema file.
        path: PathBuf,
        /// 1-based line where the XML parser stopped.
        line: usize,
        /// What the XML parser found.
        #[source]
        source: quick_xml::Error,
    },
    /// The file is XML but its root element is not `xs:schema`.
    #[error("{path}: expected an XML schema (root element `xs:schema`), found `{found}`")]
    NotXsd {
        /// The schema file.
        path: PathBuf,
        /// The root element's local name.
        found: String,
    },
    /// The schema declares no element at the path where the profile's code is written.
    #[error("{path}: expected a goAML schema declaring the element `{element}`; it has none")]
    NoElement {
        /// The schema file.
        path: PathBuf,
        /// The element path from the root, e.g. `report/transaction/transmode_code`.
        element: String,
    },
    /// The element's type has no enumeration, so there is no code list to check against.
    #[error(
        "{path}: expected the element `{element}` to have a code list (an enumeration); its type \
         `{type_name}` has none"
    )]
    NoCodeList {
        /// The schema file.
        path: PathBuf,
        /// The element path from the root.
        element: String,
        /// The element's type as the schema names it.
        type_name: String,
    },
}

/// The codes an element accepts, in the schema's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeList {
    /// The simple type holding the enumeration, e.g. `report_type`.
    pub type_name: String,
    /// The enumerated values, in the order the schema lists them.
    pub codes: Vec<String>,
}

impl CodeList {
    /// True when `code` is one of the enumerated values (exact, case-sensitive match).
    pub fn contains(&self, code: &str) -> bool {
        self.codes.iter().any(|c| c == code)
    }
}

/// One XSD element (`xs:element`, `xs:sequence`, …) with its attributes and children.
#[derive(Debug)]
struct Node {
    /// The local name, without the `xs:` prefix.
    tag: String,
    attrs: Vec<(String, String)>,
    children: Vec<usize>,
}

/// A parsed goAML schema: enough of the XSD to find an element's code list.
#[derive(Debug)]
pub struct GoamlSchema {
    path: PathBuf,
    nodes: Vec<Node>,
    /// Top-level `xs:element`s by name.
    elements: HashMap<String, usize>,
    /// Named `xs:complexType`s.
    complex_types: HashMap<String, usize>,
    /// Named `xs:simpleType`s.
    simple_types: HashMap<String, usize>,
}

/// How deep type references (restriction bases, extensions) are followed before giving up.
const MAX_TYPE_DEPTH: usize = 32;

impl GoamlSchema {
    /// Reads and parses the schema at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, SchemaError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SchemaError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text)
    }

    /// Parses schema `text`; `path` names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Self, SchemaError> {
        let mut reader = Reader::from_str(text);
        reader.config_mut().trim_text(true);
        let mut nodes: Vec<Node> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        let xml_error = |position: u64, source: quick_xml::Error| SchemaError::Xml {
            path: path.to_path_buf(),
            line: line_of(text, usize::try_from(position).unwrap_or(usize::MAX)),
            source,
        };
        loop {
            let event = reader
                .read_event()
                .map_err(|e| xml_error(reader.error_position(), e))?;
            let (start, opens) = match &event {
                Event::Start(start) => (start, true),
                Event::Empty(start) => (start, false),
                Event::End(_) => {
                    stack.pop();
                    continue;
                }
                Event::Eof => break,
                _ => continue,
            };
            let node = node_of(start).map_err(|e| xml_error(reader.buffer_position(), e))?;
            let index = nodes.len();
            nodes.push(node);
            if let Some(&parent) = stack.last() {
                nodes[parent].children.push(index);
            }
            if opens {
                stack.push(index);
            }
        }
        let root = nodes.first().ok_or_else(|| SchemaError::NotXsd {
            path: path.to_path_buf(),
            found: "no element".to_string(),
        })?;
        if root.tag != "schema" {
            return Err(SchemaError::NotXsd {
                path: path.to_path_buf(),
                found: root.tag.clone(),
            });
        }
        let mut schema = GoamlSchema {
            path: path.to_path_buf(),
            nodes,
            elements: HashMap::new(),
            complex_types: HashMap::new(),
            simple_types: HashMap::new(),
        };
        for &child in &schema.nodes[0].children {
            let node = &schema.nodes[child];
            let Some(name) = attr(node, "name") else {
                continue;
            };
            let map = match node.tag.as_str() {
                "element" => &mut schema.elements,
                "complexType" => &mut schema.complex_types,
                "simpleType" => &mut schema.simple_types,
                _ => continue,
            };
            map.entry(name.to_string()).or_insert(child);
        }
        Ok(schema)
    }

    /// The schema file this was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The code list of the element at `element_path` (names separated by `/`, starting with a
    /// top-level element: `report/transaction/t_from/from_funds_code`).
    pub fn code_list(&self, element_path: &str) -> Result<CodeList, SchemaError> {
        let element = self.find_element(element_path)?;
        self.enumeration_of(element, element_path)
    }

    fn find_element(&self, element_path: &str) -> Result<usize, SchemaError> {
        let missing = || SchemaError::NoElement {
            path: self.path.clone(),
            element: element_path.to_string(),
        };
        let mut names = element_path.split('/');
        let first = names.next().ok_or_else(missing)?;
        let mut current = *self.elements.get(first).ok_or_else(missing)?;
        for name in names {
            current = self
                .child_elements(current)
                .into_iter()
                .find(|&c| attr(&self.nodes[c], "name") == Some(name))
                .ok_or_else(missing)?;
        }
        Ok(current)
    }

    /// The element declarations an element may contain directly: those of its inline complex
    /// type or of the named complex type it refers to (with the bases that type extends).
    fn child_elements(&self, element: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let node = &self.nodes[element];
        if let Some(&complex) = attr(node, "type").and_then(|t| self.complex_types.get(local(t))) {
            self.collect_particles(complex, &mut out, 0);
        }
        for &child in &node.children {
            if self.nodes[child].tag == "complexType" {
                self.collect_particles(child, &mut out, 0);
            }
        }
        out
    }

    /// Element declarations under a type or model group, without entering nested elements.
    fn collect_particles(&self, node: usize, out: &mut Vec<usize>, depth: usize) {
        if depth > MAX_TYPE_DEPTH {
            return;
        }
        for &child in &self.nodes[node].children {
            let child_node = &self.nodes[child];
            match child_node.tag.as_str() {
                "element" => out.push(child),
                "sequence" | "choice" | "all" | "complexContent" => {
                    self.collect_particles(child, out, depth + 1)
                }
                "extension" => {
                    if let Some(&base) =
                        attr(child_node, "base").and_then(|b| self.complex_types.get(local(b)))
                    {
                        self.collect_particles(base, out, depth + 1);
                    }
                    self.collect_particles(child, out, depth + 1);
                }
                _ => {}
            }
        }
    }

    /// The enumeration of an element's simple type, following restriction bases to the first
    /// type that enumerates its values.
    fn enumeration_of(&self, element: usize, element_path: &str) -> Result<CodeList, SchemaError> {
        let node = &self.nodes[element];
        let element_name = attr(node, "name").unwrap_or_default();
        let no_list = |type_name: &str| SchemaError::NoCodeList {
            path: self.path.clone(),
            element: element_path.to_string(),
            type_name: type_name.to_string(),
        };
        let (mut simple, mut type_name) = match attr(node, "type") {
            Some(t) => match self.simple_types.get(local(t)) {
                Some(&s) => (s, local(t).to_string()),
                None => return Err(no_list(t)),
            },
            None => match self.child_with_tag(element, "simpleType") {
                Some(s) => (s, format!("(the inline type of {element_name})")),
                None => return Err(no_list("(none)")),
            },
        };
        for _ in 0..MAX_TYPE_DEPTH {
            let Some(restriction) = self.child_with_tag(simple, "restriction") else {
                break;
            };
            let codes: Vec<String> = self.nodes[restriction]
                .children
                .iter()
                .map(|&c| &self.nodes[c])
                .filter(|n| n.tag == "enumeration")
                .filter_map(|n| attr(n, "value").map(str::to_string))
                .collect();
            if !codes.is_empty() {
                return Ok(CodeList { type_name, codes });
            }
            let base = attr(&self.nodes[restriction], "base").unwrap_or_default();
            match self.simple_types.get(local(base)) {
                Some(&next) => {
                    simple = next;
                    type_name = local(base).to_string();
                }
                None => break,
            }
        }
        Err(no_list(&type_name))
    }

    fn child_with_tag(&self, node: usize, tag: &str) -> Option<usize> {
        self.nodes[node]
            .children
            .iter()
            .copied()
            .find(|&c| self.nodes[c].tag == tag)
    }
}

fn node_of(start: &BytesStart<'_>) -> Result<Node, quick_xml::Error> {
    let tag = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute?;
        let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
        let value = attribute.unescape_value()?.into_owned();
        attrs.push((key, value));
    }
    Ok(Node {
        tag,
        attrs,
        children: Vec::new(),
    })
}

fn attr<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    node.attrs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A type reference without its namespace prefix (`xs:string` → `string`).
fn local(reference: &str) -> &str {
    reference.rsplit(':').next().unwrap_or(reference)
}

/// 1-based line number of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// At most `shown` codes joined by `, `, then how many there are in all when some were left out:
/// `AIF, AIFT, CIR, … (17 codes)`.
pub(crate) fn preview_codes(codes: &[String], shown: usize) -> String {
    let mut text = codes
        .iter()
        .take(shown)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if codes.len() > shown {
        text.push_str(&format!(", … ({} codes in all)", codes.len()));
    }
    text
}
