//! The tree builder as it was before it had its own tokenizer: quick-xml's events in, the same
//! checks. Tests only ([`tokenizer_tests`](super::tokenizer_tests)): the documents both accept
//! must build the same tree, and those one refuses the other must refuse.

use std::cell::Cell;

use quick_xml::events::Event;
use quick_xml::Reader;

use super::{syntax, Builder};
use crate::error::XmlError;
use crate::xml::document::NONE;

thread_local! {
    /// Set by the tests: documents are tokenized by quick-xml.
    pub(super) static QUICK_XML: Cell<bool> = const { Cell::new(false) };
}

impl Builder<'_> {
    pub(super) fn run_quick_xml(&mut self) -> Result<(), XmlError> {
        let src = self.src;
        let mut reader = Reader::from_str(src);
        {
            let c = reader.config_mut();
            c.check_comments = true;
            c.check_end_names = true;
            c.expand_empty_elements = false;
            c.trim_text_start = false;
            c.trim_text_end = false;
            c.allow_dangling_amp = false;
            c.allow_unmatched_ends = false;
        }
        let mut first = true;
        // The previous start tag as written (from quick-xml's positions): a tag written the same
        // is a repeat, as the tokenizer finds by its own comparison.
        let mut last_tag: Option<&str> = None;
        loop {
            let pos = reader.buffer_position() as usize;
            let event = reader.read_event().map_err(|e| {
                let at = reader.error_position() as usize;
                syntax(at, e.to_string())
            })?;
            let was_first = std::mem::replace(&mut first, false);
            match event {
                Event::Decl(d) => {
                    if !was_first {
                        return Err(syntax(pos, "XML declaration not at the start"));
                    }
                    let version = d.version().map_err(|e| syntax(pos, e.to_string()))?;
                    if &*version != "1.0" {
                        return Err(syntax(pos, "XML version"));
                    }
                    if let Some(enc) = d.encoding() {
                        let enc = enc.map_err(|e| syntax(pos, e.to_string()))?;
                        if !enc.eq_ignore_ascii_case("utf-8") {
                            return Err(XmlError::UnsupportedEncoding {
                                declared: enc.chars().take(40).collect(),
                            });
                        }
                    }
                }
                Event::DocType(_) => return Err(XmlError::Doctype { offset: pos }),
                Event::PI(pi) => {
                    let data = pi.content().trim_start_matches([' ', '\t', '\n', '\r']);
                    self.processing_instruction(pi.target(), data, pos)?;
                }
                Event::Comment(_) => {}
                Event::Start(e) => {
                    let raw = src.get(pos..reader.buffer_position() as usize);
                    let repeat = raw.is_some() && raw == last_tag;
                    last_tag = raw;
                    self.start(&e, e.name().0, pos, false, repeat, NONE)?
                }
                Event::Empty(e) => {
                    let raw = src.get(pos..reader.buffer_position() as usize);
                    let repeat = raw.is_some() && raw == last_tag;
                    last_tag = raw;
                    let end = u32::try_from(reader.buffer_position()).unwrap_or(NONE);
                    self.start(&e, e.name().0, pos, true, repeat, end)?;
                }
                Event::End(e) => self.end(e.name().0, pos, reader.buffer_position())?,
                Event::Text(t) => self.text(&t.into_inner(), pos)?,
                Event::CData(c) => self.cdata(&c.into_inner(), pos)?,
                Event::GeneralRef(r) => self.reference(&r, pos)?,
                Event::Eof => break,
            }
        }
        self.finish()
    }
}
