//! Canonical XML without comments: Exclusive C14N 1.0 and inclusive C14N 1.0 / 1.1.
//!
//! The output is what libxml2 produces for the same node set (our tests compare byte for byte
//! with fixtures made by `xmllint` and `xmlsec1`). A subtree is canonicalized with the namespace
//! context it has in its document: inclusive methods render every namespace in scope at the apex
//! (and, for C14N 1.0, inherit `xml:*` attributes from ancestors); the exclusive method renders a
//! namespace only where it is visibly used or listed in the inclusive prefix list.

use std::collections::HashSet;

use super::document::{Attribute, Document, Element, Node, NodeId};
use super::text::{escape_attribute, escape_text};
use super::{work, XML_NS};
use super::{DEFAULT_PREFIX, XML_PREFIX};
use crate::error::XmlError;

/// Algorithm URI of Exclusive XML Canonicalization 1.0 (without comments).
pub(crate) const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// Algorithm URI of Canonical XML 1.0 (without comments).
pub(crate) const C14N_10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
/// Algorithm URI of Canonical XML 1.1 (without comments).
pub(crate) const C14N_11: &str = "http://www.w3.org/2006/12/xml-c14n11";

/// A canonicalization method. Comments are never included.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum C14nMethod {
    /// Exclusive XML Canonicalization 1.0. `inclusive_prefixes` is the `InclusiveNamespaces
    /// PrefixList` (Okta sends `xs`): those prefixes are rendered as inclusive C14N would.
    /// `#default` stands for the default namespace.
    Exclusive {
        /// Prefixes treated inclusively.
        inclusive_prefixes: Vec<String>,
    },
    /// Canonical XML 1.0 (inclusive).
    Inclusive10,
    /// Canonical XML 1.1 (inclusive). The apex of a subtree gets the `xml:base` of its ancestors
    /// resolved into its own (the 1.1 "fix-up"); `xml:id` is not inherited.
    Inclusive11,
}

impl C14nMethod {
    /// Exclusive C14N with no inclusive prefixes.
    pub fn exclusive() -> C14nMethod {
        C14nMethod::Exclusive {
            inclusive_prefixes: Vec::new(),
        }
    }

    /// Exclusive C14N with an `InclusiveNamespaces PrefixList` (whitespace-separated).
    pub fn exclusive_with_prefix_list(list: &str) -> C14nMethod {
        C14nMethod::Exclusive {
            inclusive_prefixes: list.split_ascii_whitespace().map(str::to_owned).collect(),
        }
    }

    /// The method's algorithm URI (without comments).
    pub fn algorithm(&self) -> &'static str {
        match self {
            C14nMethod::Exclusive { .. } => EXC_C14N,
            C14nMethod::Inclusive10 => C14N_10,
            C14nMethod::Inclusive11 => C14N_11,
        }
    }
}

/// Appends the canonical form of the subtree rooted at `apex` to `out`, leaving out the subtree
/// rooted at `exclude` (the enveloped signature), if any.
///
/// Returns [`XmlError::UnknownNode`] when `apex` is not an element of `doc`.
pub fn canonicalize(
    doc: &Document,
    apex: NodeId,
    method: &C14nMethod,
    exclude: Option<NodeId>,
    out: &mut Vec<u8>,
) -> Result<(), XmlError> {
    let apex = doc.element(apex).ok_or(XmlError::UnknownNode)?;
    Canonicalizer::new(doc, method, exclude).subtree(apex, out)
}

/// Appends the canonical form of the whole document (the `URI=""` same-document reference):
/// processing instructions outside the root element are kept, each on its own line.
pub fn canonicalize_document(
    doc: &Document,
    method: &C14nMethod,
    exclude: Option<NodeId>,
    out: &mut Vec<u8>,
) -> Result<(), XmlError> {
    let mut c = Canonicalizer::new(doc, method, exclude);
    let mut seen_root = false;
    for node in doc.top_level() {
        match node {
            Node::Element(e) => {
                c.subtree(e, out)?;
                seen_root = true;
            }
            Node::ProcessingInstruction { target, data } => {
                if seen_root {
                    out.push(b'\n');
                }
                write_pi(out, target, data);
                if !seen_root {
                    out.push(b'\n');
                }
            }
            Node::Text(_) => {}
        }
    }
    Ok(())
}

fn write_pi(out: &mut Vec<u8>, target: &str, data: &str) {
    out.extend_from_slice(b"<?");
    out.extend_from_slice(target.as_bytes());
    if !data.is_empty() {
        out.push(b' ');
        out.extend_from_slice(data.as_bytes());
    }
    out.extend_from_slice(b"?>");
}

/// A change to the per-prefix state, undone when the element that made it closes.
enum Undo<'d> {
    Scope(u32, Option<&'d str>),
    Rendered(u32, &'d str),
}

/// Renders a subtree. Namespace state is kept per interned prefix id, so the work for one element
/// is proportional to its own name, attributes and declarations (plus, at the apex only, the
/// namespaces in scope and the inclusive prefix list): never a product of two document counts.
struct Canonicalizer<'m, 'd> {
    method: &'m C14nMethod,
    exclude: Option<NodeId>,
    /// Per prefix id: the namespace bound in scope (`Some("")` for `xmlns=""`).
    scope: Vec<Option<&'d str>>,
    /// Per prefix id: the namespace rendered by the nearest output ancestor (`""`: none).
    rendered: Vec<&'d str>,
    undo: Vec<Undo<'d>>,
    frames: Vec<usize>,
    /// Per prefix id: listed in the exclusive method's InclusiveNamespaces PrefixList.
    inclusive: Vec<bool>,
    /// The listed prefix ids (for the apex).
    inclusive_ids: Vec<u32>,
    /// Per prefix id: the element (by count) that last considered it, to consider it once.
    seen: Vec<u32>,
    element_count: u32,
    ns_out: Vec<(u32, &'d str, &'d str)>,
    attrs_out: Vec<Attribute<'d>>,
    /// The fixed-up `xml:base` of a C14N 1.1 apex, written instead of the attribute's value.
    base_fixup: Option<String>,
}

impl<'m, 'd> Canonicalizer<'m, 'd> {
    fn new(doc: &'d Document, method: &'m C14nMethod, exclude: Option<NodeId>) -> Self {
        let n = doc.prefix_count();
        let mut inclusive = vec![false; n];
        let mut inclusive_ids = Vec::new();
        if let C14nMethod::Exclusive { inclusive_prefixes } = method {
            let listed: HashSet<&str> = inclusive_prefixes
                .iter()
                .map(|p| if p == "#default" { "" } else { p.as_str() })
                .collect();
            work::add(inclusive_prefixes.len() + n);
            for (pid, flag) in inclusive.iter_mut().enumerate() {
                if pid != XML_PREFIX as usize && listed.contains(doc.prefix_name(pid as u32)) {
                    *flag = true;
                    inclusive_ids.push(pid as u32);
                }
            }
        }
        Canonicalizer {
            method,
            exclude,
            scope: vec![None; n],
            rendered: vec![""; n],
            undo: Vec::new(),
            frames: Vec::new(),
            inclusive,
            inclusive_ids,
            seen: vec![u32::MAX; n],
            element_count: 0,
            ns_out: Vec::new(),
            attrs_out: Vec::new(),
            base_fixup: None,
        }
    }

    fn subtree(&mut self, apex: Element<'d>, out: &mut Vec<u8>) -> Result<(), XmlError> {
        if Some(apex.id()) == self.exclude {
            return Ok(());
        }
        let written = out.len();
        // Seed the scope with the ancestors' declarations, outermost first.
        let mut chain = Vec::new();
        let mut cur = apex.parent();
        while let Some(a) = cur {
            chain.push(a);
            cur = a.parent();
        }
        for a in chain.iter().rev() {
            for (pid, _, uri) in a.declarations_with_prefix_ids() {
                work::add(1);
                self.scope[pid as usize] = Some(uri);
            }
        }
        self.start(apex, true, &chain, out)?;
        let mut stack = vec![(apex, apex.children())];
        while let Some((el, it)) = stack.last_mut() {
            match it.next() {
                None => {
                    let el = *el;
                    self.end(el, out);
                    stack.pop();
                }
                Some(Node::Text(t)) => escape_text(out, t),
                Some(Node::ProcessingInstruction { target, data }) => write_pi(out, target, data),
                Some(Node::Element(child)) => {
                    if Some(child.id()) != self.exclude {
                        self.start(child, false, &[], out)?;
                        stack.push((child, child.children()));
                    }
                }
            }
        }
        work::add(out.len() - written);
        Ok(())
    }

    /// Adds `pid` to the namespaces rendered on this element when it is bound in scope to
    /// something other than what the nearest output ancestor rendered (exclusive method).
    fn consider(&mut self, pid: u32, prefix: &'d str) {
        work::add(1);
        let i = pid as usize;
        if pid == XML_PREFIX || self.seen[i] == self.element_count {
            return;
        }
        self.seen[i] = self.element_count;
        let uri = match self.scope[i] {
            Some(u) => u,
            None if pid == DEFAULT_PREFIX => "",
            None => return,
        };
        if uri != self.rendered[i] {
            self.ns_out.push((pid, prefix, uri));
        }
    }

    fn start(
        &mut self,
        el: Element<'d>,
        is_apex: bool,
        ancestors: &[Element<'d>],
        out: &mut Vec<u8>,
    ) -> Result<(), XmlError> {
        work::add(1);
        self.element_count = self.element_count.wrapping_add(1);
        self.frames.push(self.undo.len());
        for (pid, _, uri) in el.declarations_with_prefix_ids() {
            let i = pid as usize;
            self.undo.push(Undo::Scope(pid, self.scope[i]));
            self.scope[i] = Some(uri);
        }
        self.ns_out.clear();
        let doc = el.document();
        match self.method {
            C14nMethod::Exclusive { .. } => {
                // Visibly utilized: the element's prefix and its attributes' prefixes.
                self.consider(el.prefix_id(), el.prefix());
                for (a, pid) in el.attributes_with_prefix_ids() {
                    if !a.prefix.is_empty() {
                        self.consider(pid, a.prefix);
                    }
                }
                // Listed prefixes: at the apex every one in scope; below it, a listed prefix can
                // only change where it is declared, so only this element's declarations count.
                if is_apex {
                    for k in 0..self.inclusive_ids.len() {
                        let pid = self.inclusive_ids[k];
                        self.consider(pid, doc.prefix_name(pid));
                    }
                } else {
                    for (pid, prefix, _) in el.declarations_with_prefix_ids() {
                        if self.inclusive[pid as usize] {
                            self.consider(pid, prefix);
                        }
                    }
                }
            }
            C14nMethod::Inclusive10 | C14nMethod::Inclusive11 => {
                if is_apex {
                    // Every namespace in scope: the apex's and its ancestors' declarations.
                    let own = std::iter::once(el);
                    for e in own.chain(ancestors.iter().copied()) {
                        for (pid, prefix, _) in e.declarations_with_prefix_ids() {
                            work::add(1);
                            let i = pid as usize;
                            if pid == XML_PREFIX || self.seen[i] == self.element_count {
                                continue;
                            }
                            self.seen[i] = self.element_count;
                            if let Some(uri) = self.scope[i].filter(|u| !u.is_empty()) {
                                self.ns_out.push((pid, prefix, uri));
                            }
                        }
                    }
                } else {
                    for (pid, prefix, uri) in el.declarations_with_prefix_ids() {
                        work::add(1);
                        if pid != XML_PREFIX && uri != self.rendered[pid as usize] {
                            self.ns_out.push((pid, prefix, uri));
                        }
                    }
                }
            }
        }
        self.ns_out.sort_unstable_by(|a, b| a.1.cmp(b.1));
        for &(pid, _, uri) in &self.ns_out {
            let i = pid as usize;
            self.undo.push(Undo::Rendered(pid, self.rendered[i]));
            self.rendered[i] = uri;
        }

        self.attrs_out.clear();
        self.attrs_out.extend(el.attributes());
        if is_apex && !matches!(self.method, C14nMethod::Exclusive { .. }) {
            self.inherit_xml_attributes(ancestors)?;
        }
        self.attrs_out
            .sort_unstable_by(|a, b| (a.namespace, a.local_name).cmp(&(b.namespace, b.local_name)));

        out.push(b'<');
        out.extend_from_slice(el.qualified_name().as_bytes());
        for &(_, p, u) in &self.ns_out {
            if p.is_empty() {
                out.extend_from_slice(b" xmlns=\"");
            } else {
                out.extend_from_slice(b" xmlns:");
                out.extend_from_slice(p.as_bytes());
                out.extend_from_slice(b"=\"");
            }
            escape_attribute(out, u);
            out.push(b'"');
        }
        let fixup = if is_apex {
            self.base_fixup.take()
        } else {
            None
        };
        let v11 = matches!(self.method, C14nMethod::Inclusive11);
        for a in &self.attrs_out {
            let mut value = a.value;
            if a.namespace == XML_NS && a.local_name == "base" {
                if let Some(v) = &fixup {
                    value = v;
                }
                // C14N 1.1 (as libxml2 implements it) omits an empty xml:base.
                if v11 && value.is_empty() {
                    continue;
                }
            }
            out.push(b' ');
            out.extend_from_slice(a.qualified_name.as_bytes());
            out.extend_from_slice(b"=\"");
            escape_attribute(out, value);
            out.push(b'"');
        }
        out.push(b'>');
        Ok(())
    }

    /// Inclusive C14N of a subtree carries the `xml:*` attributes in scope from ancestors onto the
    /// apex (C14N 1.0: all of them, nearest value; C14N 1.1: `xml:lang` and `xml:space`, never
    /// `xml:id`, and `xml:base` resolved through every ancestor's value into the apex's own).
    fn inherit_xml_attributes(&mut self, ancestors: &[Element<'d>]) -> Result<(), XmlError> {
        let v11 = matches!(self.method, C14nMethod::Inclusive11);
        // The apex's own xml:base, before inherited attributes are added to the list.
        let own_base = self
            .attrs_out
            .iter()
            .find(|x| x.namespace == XML_NS && x.local_name == "base")
            .map(|x| x.value);
        // `ancestors` is nearest first.
        for a in ancestors {
            for attr in a.attributes().filter(|x| x.namespace == XML_NS) {
                if v11 && !matches!(attr.local_name, "lang" | "space" | "base") {
                    continue;
                }
                if !self
                    .attrs_out
                    .iter()
                    .any(|x| x.namespace == XML_NS && x.local_name == attr.local_name)
                {
                    self.attrs_out.push(attr);
                }
            }
        }
        if v11 {
            let own = own_base;
            let mut bases = ancestors
                .iter()
                .rev()
                .filter_map(|a| a.attribute_ns(XML_NS, "base"))
                .peekable();
            if bases.peek().is_some() {
                let mut value = String::new();
                for b in bases.chain(own) {
                    value = super::base::resolve(&value, b);
                }
                self.base_fixup = Some(value);
            }
        }
        Ok(())
    }

    fn end(&mut self, el: Element<'d>, out: &mut Vec<u8>) {
        out.extend_from_slice(b"</");
        out.extend_from_slice(el.qualified_name().as_bytes());
        out.push(b'>');
        let mark = self.frames.pop().unwrap_or(0);
        while self.undo.len() > mark {
            match self.undo.pop() {
                Some(Undo::Scope(pid, v)) => self.scope[pid as usize] = v,
                Some(Undo::Rendered(pid, v)) => self.rendered[pid as usize] = v,
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::Limits;

    fn c14n(xml: &str, path: &[usize], m: &C14nMethod) -> String {
        let d = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
        let mut e = d.root();
        for &i in path {
            e = e.child_elements().nth(i).unwrap();
        }
        let mut out = Vec::new();
        canonicalize(&d, e.id(), m, None, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn exclusive_renders_only_utilized_and_listed() {
        let x = r#"<r xmlns="urn:d" xmlns:a="urn:a" xmlns:xs="urn:xs" xmlns:u="urn:u"><a:e xmlns:b="urn:b" b:x="1" t="xs:string"><c/></a:e></r>"#;
        assert_eq!(
            c14n(x, &[0], &C14nMethod::exclusive()),
            r#"<a:e xmlns:a="urn:a" xmlns:b="urn:b" t="xs:string" b:x="1"><c xmlns="urn:d"></c></a:e>"#
        );
        assert_eq!(
            c14n(
                x,
                &[0],
                &C14nMethod::exclusive_with_prefix_list("xs #default")
            ),
            r#"<a:e xmlns="urn:d" xmlns:a="urn:a" xmlns:b="urn:b" xmlns:xs="urn:xs" t="xs:string" b:x="1"><c></c></a:e>"#
        );
    }

    #[test]
    fn inclusive_renders_scope_and_undeclares_default() {
        let x = r#"<r xmlns="urn:d" xmlns:a="urn:a" xml:lang="en"><a:e z="1" a:y="2"><c xmlns=""/></a:e></r>"#;
        assert_eq!(
            c14n(x, &[0], &C14nMethod::Inclusive10),
            r#"<a:e xmlns="urn:d" xmlns:a="urn:a" z="1" xml:lang="en" a:y="2"><c xmlns=""></c></a:e>"#
        );
        assert_eq!(
            c14n(x, &[0], &C14nMethod::Inclusive11),
            r#"<a:e xmlns="urn:d" xmlns:a="urn:a" z="1" xml:lang="en" a:y="2"><c xmlns=""></c></a:e>"#
        );
        let base = r#"<r xml:base="http://e/a/"><e xml:base="../b"/></r>"#;
        let d = Document::parse(base.as_bytes(), &Limits::default()).unwrap();
        let e = d.root().child_elements().next().unwrap();
        let mut out = Vec::new();
        canonicalize(&d, e.id(), &C14nMethod::Inclusive11, None, &mut out).unwrap();
        assert_eq!(out, br#"<e xml:base="http://e/b"></e>"#);
    }

    #[test]
    fn excludes_a_subtree_and_escapes() {
        let x = "<r a=\"&#9;&quot;&lt;>\"><s><x/></s>t&amp;&#13;&gt;<?p  d ?></r>";
        let d = Document::parse(x.as_bytes(), &Limits::default()).unwrap();
        let s = d.root().child_elements().next().unwrap();
        let mut out = Vec::new();
        canonicalize(
            &d,
            d.root().id(),
            &C14nMethod::exclusive(),
            Some(s.id()),
            &mut out,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "<r a=\"&#x9;&quot;&lt;>\">t&amp;&#xD;&gt;<?p d ?></r>"
        );
    }
}
