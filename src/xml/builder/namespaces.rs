//! The builder's namespace bindings: prefixes interned to ids, the declarations in scope (one
//! binding per prefix id, shadowed and restored as elements open and close), and the rules a
//! declaration must follow.

use super::{src_str, syntax, Builder, FEW_PREFIXES, GOOD_URIS, PREFIX_CACHE};
use crate::error::XmlError;
use crate::xml::document::{prefix_key, Str, NONE, XML_NS_STR};
use crate::xml::uri::{has_scheme, is_uri_reference};
use crate::xml::work;
use crate::xml::{DEFAULT_PREFIX, XMLNS_NS, XML_NS, XML_PREFIX};

impl<'a> Builder<'a> {
    /// The id of `prefix`, if any declaration ever named it.
    pub(super) fn prefix_id(&mut self, prefix: &str) -> Option<u32> {
        work::add(1);
        match prefix {
            "" => return Some(DEFAULT_PREFIX),
            "xml" => return Some(XML_PREFIX),
            _ => {}
        }
        let key = prefix_key(prefix);
        let slot = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize % PREFIX_CACHE;
        let (k, id) = self.prefix_cache[slot];
        if id != NONE
            && k == key
            && (prefix.len() <= 7 || self.s(self.prefixes[id as usize]) == prefix)
        {
            return Some(id);
        }
        let id = match &self.prefix_ids {
            Some(map) => *map.get(prefix)?,
            None => (2..self.prefixes.len())
                .find(|&i| self.s(self.prefixes[i]) == prefix)
                .map(|i| i as u32)?,
        };
        self.prefix_cache[slot] = (key, id);
        Some(id)
    }

    /// The id of `prefix`, interning it on first sight (`span` is where it is written).
    pub(super) fn intern(&mut self, prefix: &str, span: Str) -> u32 {
        if let Some(id) = self.prefix_id(prefix) {
            return id;
        }
        let id = self.prefixes.len() as u32;
        self.prefixes.push(span);
        self.binding.push(NONE);
        let name = self.src_str(span);
        match &mut self.prefix_ids {
            Some(map) => {
                map.insert(name, id);
            }
            None if self.prefixes.len() > FEW_PREFIXES => {
                let src = self.src;
                let map = self
                    .prefixes
                    .iter()
                    .enumerate()
                    .skip(2)
                    .map(|(i, p)| (src_str(src, *p), i as u32))
                    .collect();
                self.prefix_ids = Some(map);
            }
            None => {}
        }
        id
    }

    /// Puts the declarations `decls` (made on one element) in scope.
    pub(super) fn bind(&mut self, decls: (u32, u32)) {
        for i in decls.0..decls.0 + decls.1 {
            let pid = self.decls[i as usize].pid as usize;
            self.decls[i as usize].shadowed = self.binding[pid];
            self.binding[pid] = i;
        }
        self.in_scope += decls.1 as usize;
        work::add(decls.1 as usize);
    }

    /// Takes the declarations `decls` out of scope again (innermost element first).
    pub(super) fn unbind(&mut self, decls: (u32, u32)) {
        for i in (decls.0..decls.0 + decls.1).rev() {
            let pid = self.decls[i as usize].pid as usize;
            self.binding[pid] = self.decls[i as usize].shadowed;
        }
        self.in_scope -= decls.1 as usize;
    }

    /// The binding of `prefix` in scope: `(uri, prefix id)`.
    pub(super) fn lookup(&mut self, prefix: &str) -> Option<(Str, u32)> {
        let pid = self.prefix_id(prefix)?;
        match self.binding.get(pid as usize) {
            Some(&d) if d != NONE => Some((self.decls[d as usize].uri, pid)),
            _ => None,
        }
    }

    /// Resolves a name's prefix with the declarations in scope (own ones already bound).
    pub(super) fn resolve(
        &mut self,
        prefix: &str,
        offset: usize,
        is_attr: bool,
    ) -> Result<(Str, u32), XmlError> {
        match prefix {
            "xml" => Ok((XML_NS_STR, XML_PREFIX)),
            "xmlns" => Err(syntax(offset, "the prefix xmlns cannot be used for names")),
            "" if is_attr => Ok((Str::EMPTY, DEFAULT_PREFIX)),
            "" => Ok(self
                .lookup("")
                .map_or((Str::EMPTY, DEFAULT_PREFIX), |(u, _)| (u, DEFAULT_PREFIX))),
            p => match self.lookup(p) {
                Some(u) if u.0.len > 0 => Ok(u),
                _ => Err(XmlError::UnboundPrefix {
                    prefix: p.chars().take(40).collect(),
                    offset,
                }),
            },
        }
    }

    /// [`resolve`](Self::resolve) by the prefix's interned id, for a name that resolved before
    /// (so its prefix is not `xmlns`); `None` when it is unbound here.
    pub(super) fn resolve_id(&self, pid: u32, is_attr: bool) -> Option<(Str, u32)> {
        let bound = match self.binding.get(pid as usize) {
            Some(&d) if d != NONE => self.decls.get(d as usize).map(|d| d.uri),
            _ => None,
        };
        match pid {
            XML_PREFIX => Some((XML_NS_STR, XML_PREFIX)),
            DEFAULT_PREFIX if is_attr => Some((Str::EMPTY, DEFAULT_PREFIX)),
            DEFAULT_PREFIX => Some((bound.unwrap_or(Str::EMPTY), DEFAULT_PREFIX)),
            _ => bound.filter(|u| u.len > 0).map(|u| (u, pid)),
        }
    }

    /// Was `uri` already accepted as a namespace name (written without references)?
    pub(super) fn is_good_uri(&self, uri: &str) -> bool {
        self.good_uris
            .iter()
            .any(|g| g.len() == uri.len() && *g == uri)
    }

    /// Checks a declaration of `prefix` as `uri` (`known_good`: the caller already found `uri`
    /// among the URIs accepted before, which only skips the character checks).
    pub(super) fn check_declaration(
        &mut self,
        prefix: &str,
        uri: &str,
        uri_span: Str,
        known_good: bool,
        at: usize,
    ) -> Result<(), XmlError> {
        let bad = |m: &str| {
            Err(XmlError::Namespace {
                message: m.to_owned(),
                offset: at,
            })
        };
        if prefix == "xmlns" {
            return bad("the prefix xmlns cannot be declared");
        }
        if prefix == "xml" {
            return if uri == XML_NS {
                Ok(())
            } else {
                bad("the prefix xml cannot be bound to another namespace")
            };
        }
        if uri == XML_NS || uri == XMLNS_NS {
            return bad("the XML and XMLNS namespaces cannot be bound to another prefix");
        }
        if uri.is_empty() {
            return if prefix.is_empty() {
                Ok(())
            } else {
                bad("a prefix cannot be undeclared in XML 1.0 (xmlns:p=\"\")")
            };
        }
        if known_good || self.is_good_uri(uri) {
            return Ok(());
        }
        if !has_scheme(uri) {
            return bad("relative namespace URIs are not accepted");
        }
        if !is_uri_reference(uri) {
            return bad("a namespace name must be a URI (RFC 3986 characters only)");
        }
        if uri_span.in_source() {
            let known = self.src_str(uri_span);
            self.good_uris[self.good_next % GOOD_URIS] = known;
            self.good_next = self.good_next.wrapping_add(1);
        }
        Ok(())
    }
}
