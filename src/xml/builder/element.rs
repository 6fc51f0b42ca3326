//! A start tag: its name, attributes and namespace declarations, checked and added as one
//! element node.

use std::borrow::Cow;

use super::memo::Tag;
use super::{name_hash, split_qname, syntax, truncate, Builder, HashFilter, Open, PendingAttr};
use crate::error::XmlError;
use crate::xml::attr_scan::AttrScanner;
use crate::xml::document::{prefix_key, AttrData, DeclData, Depth, ElemData, Kind, Str, NONE};
use crate::xml::text::decode_attribute_value;
use crate::xml::work;

impl<'a> Builder<'a> {
    /// A start tag: `content` is its text between `<` and `>` (or `/>`), `name` the start of it
    /// up to the first whitespace; `repeat`: the previous start tag was written the same; `end`:
    /// where the element ends in the source, when the tag is an empty-element tag (else `NONE`,
    /// until its end tag).
    pub(super) fn start(
        &mut self,
        content: &str,
        name: &str,
        pos: usize,
        empty: bool,
        repeat: bool,
        end: u32,
    ) -> Result<(), XmlError> {
        if self.stack.is_empty() && self.root != NONE {
            return Err(syntax(pos, "a second root element"));
        }
        let depth = self.stack.len() + 1;
        if depth > self.limits.max_depth {
            return Err(XmlError::LimitExceeded {
                what: "element depth",
                limit: self.limits.max_depth,
                offset: pos,
            });
        }
        let parent = self.stack.last().map_or(NONE, |o| o.id);
        // Written as the previous start tag, which was a sibling's: the same tag in the same
        // scope (what a canonicalizer may take from that sibling).
        let repeats_sibling = repeat
            && self
                .nodes
                .get(self.last_element as usize)
                .is_some_and(|n| n.parent == parent);
        let plain = if repeat {
            self.plain_repeat(name, parent, repeats_sibling)
        } else {
            None
        };
        let tag = match plain.or_else(|| self.repeat_tag(content, repeat)) {
            Some(tag) => tag,
            None => {
                self.memo_last = None;
                let tag = self.check_tag(content, name, pos)?;
                self.remember_tag(content, &tag);
                tag
            }
        };
        let id = self.add_node(
            Kind::Element(ElemData {
                qname: tag.qname,
                plen: tag.plen,
                ns: tag.ns,
                pid: tag.pid,
                attrs: tag.attrs,
                decls: tag.decls,
                depth: Depth::new(depth, repeats_sibling),
                end,
            }),
            pos,
        )?;
        self.last_element = id;
        if self.stack.is_empty() {
            self.root = id;
        }
        if empty {
            self.unbind(tag.decls);
        } else {
            self.stack.push(Open {
                id,
                last_child: NONE,
            });
        }
        Ok(())
    }

    /// The tag `<name>` (or `<name/>`), written as the previous start tag, when that tag was only
    /// a name too and its element is this one's sibling or parent: no declaration lies between
    /// the two, so the name resolves as it did there (`<c/>` repeated, `<d>` nested in `<d>`).
    /// `None` otherwise, for the memo or the full check. `sibling`: the previous start tag's
    /// element is this one's sibling.
    fn plain_repeat(&self, name: &str, parent: u32, sibling: bool) -> Option<Tag> {
        #[cfg(test)]
        if super::memo::tests::DISABLED.with(std::cell::Cell::get) {
            return None;
        }
        let p = self.nodes.get(self.last_element as usize)?;
        let Kind::Element(e) = &p.kind else {
            return None;
        };
        let sibling_or_parent = sibling || self.last_element == parent;
        if !sibling_or_parent
            || e.attrs.1 != 0
            || e.decls.1 != 0
            || e.qname.len as usize != name.len()
        {
            return None;
        }
        // The comparison of the tag with the previous one, as `repeat_tag` counts it.
        work::add(1);
        Some(Tag {
            qname: self.source_span(name)?,
            plen: e.plen,
            ns: e.ns,
            pid: e.pid,
            attrs: (self.attrs.len() as u32, 0),
            decls: (self.decls.len() as u32, 0),
        })
    }

    /// Checks a start tag's name, attributes and declarations, adds its attributes and
    /// declarations and puts the declarations in scope.
    fn check_tag(&mut self, content: &str, qname: &str, pos: usize) -> Result<Tag, XmlError> {
        self.check_name(qname, pos)?;
        let (prefix, _local) = split_qname(qname)
            .ok_or_else(|| syntax(pos, format!("invalid element name {:?}", truncate(qname))))?;
        self.check_prefix(prefix, pos)?;
        work::add(1);
        let decl_start = self.decls.len() as u32;
        self.pending.clear();
        // The attribute names' hashes seen on this tag: only a name whose hash may have been
        // seen is compared with the earlier ones.
        let mut seen = HashFilter::default();
        let raw_attrs = content.get(qname.len()..).unwrap_or("");
        let mut scan = AttrScanner {
            s: raw_attrs,
            pos: 0,
        };
        let mut count = 0usize;
        while let Some((key, raw)) = scan
            .next()
            .map_err(|(i, m)| syntax(self.offset_of(raw_attrs) + i, m))?
        {
            count += 1;
            if count > self.limits.max_attributes_per_element {
                return Err(XmlError::LimitExceeded {
                    what: "attributes on one element",
                    limit: self.limits.max_attributes_per_element,
                    offset: pos,
                });
            }
            let at = self.offset_of(raw);
            self.check_name(key, at)?;
            let (ap, al) = split_qname(key)
                .ok_or_else(|| syntax(at, format!("invalid attribute name {:?}", truncate(key))))?;
            self.check_prefix(ap, at)?;
            work::add(1);
            let is_declaration = key == "xmlns" || ap == "xmlns";
            // A declaration of a URI already found valid is that URI (no reference in it).
            let known = is_declaration && self.is_good_uri(raw);
            let value = if known {
                Cow::Borrowed(raw)
            } else {
                decode_attribute_value(raw).map_err(|(i, m)| syntax(at + i, m))?
            };
            let value_span = match &value {
                Cow::Borrowed(v) => self.span(v),
                Cow::Owned(v) => self.owned(v),
            };
            let decl_prefix = if key == "xmlns" {
                Some("")
            } else if ap == "xmlns" {
                Some(al)
            } else {
                None
            };
            if let Some(dp) = decl_prefix {
                self.check_declaration(dp, &value, value_span, known, at)?;
                if self.decls.len() >= self.limits.max_namespace_declarations {
                    return Err(XmlError::LimitExceeded {
                        what: "namespace declarations",
                        limit: self.limits.max_namespace_declarations,
                        offset: at,
                    });
                }
                if self.in_scope + (self.decls.len() - decl_start as usize)
                    >= self.limits.max_namespaces_in_scope
                {
                    return Err(XmlError::LimitExceeded {
                        what: "namespace declarations in scope",
                        limit: self.limits.max_namespaces_in_scope,
                        offset: at,
                    });
                }
                let prefix = if dp.is_empty() {
                    Str::EMPTY
                } else {
                    self.span(dp)
                };
                self.check_prefix(dp, at)?;
                let key = prefix_key(dp);
                let decls = &self.decls[decl_start as usize..];
                work::add(decls.len());
                if decls.iter().any(|d| d.key == key && self.s(d.prefix) == dp) {
                    return Err(syntax(
                        at,
                        format!("namespace prefix {dp:?} declared twice on one element"),
                    ));
                }
                let pid = self.intern(dp, prefix);
                self.decls.push(DeclData {
                    prefix,
                    uri: value_span,
                    key,
                    uri_hash: name_hash(&[value.as_ref()]),
                    pid,
                    shadowed: NONE,
                });
            } else {
                let hash = name_hash(&[key]);
                if seen.insert(hash) && {
                    work::add(self.pending.len());
                    self.pending
                        .iter()
                        .any(|p| p.hash == hash && self.s(p.qname) == key)
                } {
                    return Err(syntax(
                        at,
                        format!("duplicate attribute {:?}", truncate(key)),
                    ));
                }
                let prefix = if ap.is_empty() {
                    Str::EMPTY
                } else {
                    self.span(ap)
                };
                let local = self.span(al);
                let qname = self.span(key);
                self.pending.push(PendingAttr {
                    hash,
                    qname,
                    prefix,
                    local,
                    value: value_span,
                    offset: at,
                });
            }
        }
        let decls = (decl_start, self.decls.len() as u32 - decl_start);
        self.bind(decls);
        let (ns, pid) = self.resolve(prefix, pos, false)?;
        if self.attrs.len() + self.pending.len() > self.limits.max_attributes {
            return Err(XmlError::LimitExceeded {
                what: "attributes",
                limit: self.limits.max_attributes,
                offset: pos,
            });
        }
        let attr_start = self.attrs.len() as u32;
        let pending = std::mem::take(&mut self.pending);
        for p in &pending {
            let (ans, apid) = self.resolve(self.src_str(p.prefix), p.offset, true)?;
            self.attrs.push(AttrData {
                qname: p.qname,
                prefix: p.prefix,
                local: p.local,
                ns: ans,
                pid: apid,
                value: p.value,
            });
        }
        self.pending = pending;
        let attrs = (attr_start, self.attrs.len() as u32 - attr_start);
        // Namespace well-formedness: no two attributes with the same expanded name.
        // Only attributes in a namespace can clash by expanded name (the unprefixed ones were
        // compared by qualified name above).
        let prefixed = self.attrs[attr_start as usize..]
            .iter()
            .filter(|a| a.ns.len != 0)
            .count();
        if prefixed > 1 {
            let mut hashes = std::mem::take(&mut self.attr_hashes);
            hashes.clear();
            let list = &self.attrs[attr_start as usize..];
            // The namespace's hash is its declaration's (hashed once, where it is declared).
            let ns_hash = |a: &AttrData| match self.binding.get(a.pid as usize) {
                Some(&d) if d != NONE => self.decls.get(d as usize).map(|d| d.uri_hash),
                _ => None,
            };
            hashes.extend(list.iter().map(|a| match a.ns.len {
                0 => 0,
                _ => {
                    let uri = ns_hash(a).unwrap_or_else(|| name_hash(&[self.s(a.ns)]));
                    uri.rotate_left(21) ^ name_hash(&[self.s(a.local)])
                }
            }));
            // Each attribute in a namespace against the earlier ones, when its hash may have
            // been seen: a clash is found at its second attribute (the same name either way).
            let mut seen = HashFilter::default();
            for (j, b) in list.iter().enumerate() {
                if b.ns.len == 0 || !seen.insert(hashes[j]) {
                    continue;
                }
                work::add(j);
                for (i, a) in list.iter().enumerate().take(j) {
                    if hashes[i] == hashes[j]
                        && a.ns.len != 0
                        && self.s(a.local) == self.s(b.local)
                        && self.s(a.ns) == self.s(b.ns)
                    {
                        return Err(XmlError::DuplicateAttribute {
                            name: format!("{{{}}}{}", self.s(a.ns), self.s(a.local)),
                            offset: pos,
                        });
                    }
                }
            }
            self.attr_hashes = hashes;
        }
        Ok(Tag {
            qname: self.span(qname),
            plen: prefix.len() as u32,
            ns,
            pid,
            attrs,
            decls,
        })
    }

    pub(super) fn check_name(&self, name: &str, at: usize) -> Result<(), XmlError> {
        if name.len() > self.limits.max_name_bytes {
            return Err(XmlError::LimitExceeded {
                what: "name length in bytes",
                limit: self.limits.max_name_bytes,
                offset: at,
            });
        }
        Ok(())
    }

    pub(super) fn check_prefix(&self, prefix: &str, at: usize) -> Result<(), XmlError> {
        if prefix.len() > self.limits.max_prefix_bytes {
            return Err(XmlError::LimitExceeded {
                what: "namespace prefix length in bytes",
                limit: self.limits.max_prefix_bytes,
                offset: at,
            });
        }
        Ok(())
    }
}
