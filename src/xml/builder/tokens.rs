//! From tokens to nodes: what the builder does with each construct the tokenizer finds (start
//! tags are [`element`](super::element)'s), and what a complete document must have.

use super::{syntax, truncate, Builder, Open};
use crate::error::XmlError;
use crate::xml::attr_scan::AttrScanner;
use crate::xml::document::{Kind, Str, NONE};
use crate::xml::text::{is_ncname, is_xml_whitespace, resolve_reference, same_bytes};

impl Builder<'_> {
    /// What a complete document must have once its last token is read.
    pub(super) fn finish(&self) -> Result<(), XmlError> {
        let src = self.src;
        if !self.stack.is_empty() {
            return Err(syntax(
                src.len(),
                "unclosed element at the end of the document",
            ));
        }
        if self.root == NONE {
            return Err(syntax(src.len(), "no root element"));
        }
        Ok(())
    }

    /// The XML declaration (`content`: its pseudo-attributes): only at the very start, version
    /// 1.0, and UTF-8 if it names an encoding.
    pub(super) fn declaration(&mut self, content: &str, pos: usize) -> Result<(), XmlError> {
        if pos != 0 {
            return Err(syntax(pos, "XML declaration not at the start"));
        }
        let mut scan = AttrScanner { s: content, pos: 0 };
        let mut next = || scan.next().map_err(|(i, m)| syntax(pos + 5 + i, m));
        let version = match next()? {
            Some(("version", v)) => v,
            _ => {
                return Err(syntax(
                    pos,
                    "the XML declaration must start with its version",
                ))
            }
        };
        if version != "1.0" {
            return Err(syntax(
                pos,
                format!("XML version {} (only 1.0 is accepted)", truncate(version)),
            ));
        }
        let mut rest = next()?;
        if let Some(("encoding", enc)) = rest {
            if !enc.eq_ignore_ascii_case("utf-8") {
                return Err(XmlError::UnsupportedEncoding {
                    declared: enc.chars().take(40).collect(),
                });
            }
            rest = next()?;
        }
        if let Some(("standalone", "yes" | "no")) = rest {
            rest = next()?;
        }
        match rest {
            None => Ok(()),
            Some((name, _)) => Err(syntax(
                pos,
                format!(
                    "unexpected {:?} in the XML declaration (version, encoding and standalone, in that order)",
                    truncate(name)
                ),
            )),
        }
    }

    pub(super) fn processing_instruction(
        &mut self,
        target: &str,
        data: &str,
        pos: usize,
    ) -> Result<(), XmlError> {
        self.check_name(target, pos)?;
        if target.eq_ignore_ascii_case("xml") || !is_ncname(target) {
            return Err(syntax(
                pos,
                format!("invalid processing instruction target {target:?}"),
            ));
        }
        let target = self.span(target);
        let data = self.span(data);
        self.add_node(Kind::Pi { target, data }, pos)?;
        Ok(())
    }

    /// An end tag: it must close the open element, by the same name.
    pub(super) fn end(&mut self, name: &str, pos: usize, after: u64) -> Result<(), XmlError> {
        let Some(Open { id: open, .. }) = self.stack.pop() else {
            return Err(syntax(
                pos,
                format!("end tag </{}> with no open element", truncate(name)),
            ));
        };
        let (qname, decls) = match &mut self.nodes[open as usize].kind {
            Kind::Element(e) => {
                // Where it ends, recorded now (kept only if the names match).
                e.end = u32::try_from(after).unwrap_or(NONE);
                (e.qname, e.decls)
            }
            _ => (Str::EMPTY, (0, 0)),
        };
        // The open element's name is in the source: compared as bytes (no UTF-8 boundaries to
        // check for a comparison).
        let open_name = self
            .src
            .as_bytes()
            .get(qname.start as usize..qname.end() as usize)
            .unwrap_or_default();
        if !same_bytes(open_name, name.as_bytes()) {
            return Err(syntax(
                pos,
                format!(
                    "end tag </{}> where </{}> closes the open element",
                    truncate(name),
                    truncate(self.s(qname))
                ),
            ));
        }
        if decls.1 != 0 {
            self.unbind(decls);
        }
        Ok(())
    }

    pub(super) fn text(&mut self, raw: &str, pos: usize) -> Result<(), XmlError> {
        if self.stack.is_empty() {
            if !is_xml_whitespace(raw) {
                return Err(syntax(pos, "text outside the root element"));
            }
            return Ok(());
        }
        if memchr::memchr(b']', raw.as_bytes()).is_some() {
            if let Some(i) = raw.find("]]>") {
                return Err(syntax(pos + i, "']]>' is not allowed in text"));
            }
        }
        let s = self.span(raw);
        self.append_text(s, None, pos)
    }

    pub(super) fn cdata(&mut self, raw: &str, pos: usize) -> Result<(), XmlError> {
        if self.stack.is_empty() {
            return Err(syntax(pos, "CDATA outside the root element"));
        }
        let s = self.span(raw);
        self.append_text(s, None, pos)
    }

    pub(super) fn reference(&mut self, name: &str, pos: usize) -> Result<(), XmlError> {
        if self.stack.is_empty() {
            return Err(syntax(pos, "reference outside the root element"));
        }
        let c = resolve_reference(name).map_err(|m| {
            if m == "undefined entity" {
                XmlError::UndefinedEntity {
                    name: name.chars().take(40).collect(),
                    offset: pos,
                }
            } else {
                syntax(pos, m)
            }
        })?;
        let mut buf = [0u8; 4];
        self.append_text(Str::EMPTY, Some(c.encode_utf8(&mut buf)), pos)
    }
}
