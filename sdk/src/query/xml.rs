//! The XML answers' shape: `<root>` holding one text element per field, nothing else.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

use crate::error::{Error, Result};

/// Where the parser is in `<root><name>text</name>…</root>`.
enum At {
    Prolog,
    Root,
    Field(String, String),
    End,
}

/// Reads a flat `<root>` document: text-only children with plain names, no attributes,
/// no duplicates, no nesting, nothing but whitespace and comments around them.
pub(super) fn parse_flat(xml: &[u8]) -> Result<Vec<(String, String)>> {
    let bad = |what: String| Error::Xml(what);
    let mut reader = Reader::from_reader(xml);
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut at = At::Prolog;
    let mut first = true;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| bad(format!("at byte {}: {e}", reader.error_position())))?;
        let is_first = std::mem::replace(&mut first, false);
        match (event, &mut at) {
            (Event::Decl(decl), At::Prolog) if is_first => {
                let encoding = decl.encoding().transpose().map_err(|e| bad(e.to_string()))?;
                if encoding.is_some_and(|e| !e.eq_ignore_ascii_case(b"UTF-8")) {
                    return Err(bad("the declared encoding is not UTF-8".into()));
                }
            }
            (Event::Comment(_), _) => {}
            (Event::Start(tag), At::Prolog) => at = root(&tag, At::Root)?,
            (Event::Empty(tag), At::Prolog) => at = root(&tag, At::End)?,
            (Event::Start(tag), At::Root) => at = At::Field(field_name(&tag)?, String::new()),
            (Event::Empty(tag), At::Root) => fields.push((field_name(&tag)?, String::new())),
            (Event::Start(_) | Event::Empty(_), At::Field(name, _)) => {
                return Err(bad(format!("element {name} contains an element")));
            }
            (Event::Text(text), At::Field(_, value)) => {
                value.push_str(&text.decode().map_err(|e| bad(e.to_string()))?);
            }
            (Event::CData(data), At::Field(_, value)) => {
                value.push_str(&data.decode().map_err(|e| bad(e.to_string()))?);
            }
            (Event::GeneralRef(reference), At::Field(_, value)) => {
                let name = reference.decode().map_err(|e| bad(e.to_string()))?;
                match reference.resolve_char_ref().map_err(|e| bad(e.to_string()))? {
                    Some(ch) => value.push(ch),
                    None => value.push_str(
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| bad(format!("unknown entity &{name};")))?,
                    ),
                }
            }
            (Event::Text(text), _) if text.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) => {}
            (Event::End(_), At::Field(..)) => {
                if let At::Field(name, value) = std::mem::replace(&mut at, At::Root) {
                    fields.push((name, value));
                }
            }
            (Event::End(_), At::Root) => at = At::End,
            (Event::Eof, At::End) => break,
            (Event::Eof, _) => return Err(bad("the document ends early".into())),
            (_, _) => {
                let at = reader.buffer_position();
                return Err(bad(format!("unexpected content before byte {at}")));
            }
        }
    }
    let mut seen = std::collections::HashSet::with_capacity(fields.len());
    if let Some((name, _)) = fields.iter().find(|(name, _)| !seen.insert(name.as_str())) {
        return Err(bad(format!("element {name} appears twice")));
    }
    Ok(fields)
}

fn root(tag: &BytesStart<'_>, next: At) -> Result<At> {
    if tag.name().as_ref() != b"root" || tag.attributes().next().is_some() {
        return Err(Error::Xml("the document element must be a plain <root>".into()));
    }
    Ok(next)
}

fn field_name(tag: &BytesStart<'_>) -> Result<String> {
    let name = tag.name();
    let name = name.as_ref();
    let plain =
        (1..=64).contains(&name.len()) && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_');
    if !plain || tag.attributes().next().is_some() {
        let shown = String::from_utf8_lossy(name);
        return Err(Error::Xml(format!(
            "element {shown:?} must be a plain name without attributes"
        )));
    }
    // Plain ASCII, checked above.
    Ok(String::from_utf8_lossy(name).into_owned())
}
