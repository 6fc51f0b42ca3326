//! Canonical XML without comments: Exclusive C14N 1.0 and inclusive C14N 1.0 / 1.1.
//!
//! The output is what libxml2 produces for the same node set (our tests compare byte for byte
//! with fixtures made by `xmllint` and `xmlsec1`). A subtree is canonicalized with the namespace
//! context it has in its document: inclusive methods render every namespace in scope at the apex
//! (and, for C14N 1.0, inherit `xml:*` attributes from ancestors); the exclusive method renders a
//! namespace only where it is visibly used or listed in the inclusive prefix list.

use super::text::{escape_attribute, escape_text};
use super::tree::{Attribute, Document, Element, Node, NodeId};
use super::XML_NS;
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
    Canonicalizer::new(method, exclude).subtree(apex, out)
}

/// Appends the canonical form of the whole document (the `URI=""` same-document reference):
/// processing instructions outside the root element are kept, each on its own line.
pub fn canonicalize_document(
    doc: &Document,
    method: &C14nMethod,
    exclude: Option<NodeId>,
    out: &mut Vec<u8>,
) -> Result<(), XmlError> {
    let mut c = Canonicalizer::new(method, exclude);
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

struct Canonicalizer<'m, 'd> {
    method: &'m C14nMethod,
    exclude: Option<NodeId>,
    /// Namespace bindings in scope, innermost last; `frames` marks where each element's start.
    in_scope: Vec<(&'d str, &'d str)>,
    in_scope_frames: Vec<usize>,
    /// Namespace declarations already rendered by output ancestors, innermost last.
    rendered: Vec<(&'d str, &'d str)>,
    rendered_frames: Vec<usize>,
    ns_out: Vec<(&'d str, &'d str)>,
    attrs_out: Vec<Attribute<'d>>,
    /// The fixed-up `xml:base` of a C14N 1.1 apex, written instead of the attribute's value.
    base_fixup: Option<String>,
}

fn lookup<'d>(list: &[(&'d str, &'d str)], prefix: &str) -> Option<&'d str> {
    list.iter()
        .rev()
        .find(|(p, _)| *p == prefix)
        .map(|(_, u)| *u)
}

impl<'m, 'd> Canonicalizer<'m, 'd> {
    fn new(method: &'m C14nMethod, exclude: Option<NodeId>) -> Self {
        Canonicalizer {
            method,
            exclude,
            in_scope: Vec::new(),
            in_scope_frames: Vec::new(),
            rendered: Vec::new(),
            rendered_frames: Vec::new(),
            ns_out: Vec::new(),
            attrs_out: Vec::new(),
            base_fixup: None,
        }
    }

    fn subtree(&mut self, apex: Element<'d>, out: &mut Vec<u8>) -> Result<(), XmlError> {
        if Some(apex.id()) == self.exclude {
            return Ok(());
        }
        // Seed the scope with the ancestors' declarations, outermost first.
        self.in_scope.clear();
        self.rendered.clear();
        let mut chain = Vec::new();
        let mut cur = apex.parent();
        while let Some(a) = cur {
            chain.push(a);
            cur = a.parent();
        }
        for a in chain.iter().rev() {
            self.in_scope.extend(a.namespace_declarations());
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
        Ok(())
    }

    fn start(
        &mut self,
        el: Element<'d>,
        is_apex: bool,
        ancestors: &[Element<'d>],
        out: &mut Vec<u8>,
    ) -> Result<(), XmlError> {
        self.in_scope_frames.push(self.in_scope.len());
        self.in_scope.extend(el.namespace_declarations());
        self.ns_out.clear();
        match self.method {
            C14nMethod::Exclusive { inclusive_prefixes } => {
                let consider = |p: &'d str, this: &mut Self| {
                    if p == "xml" || this.ns_out.iter().any(|(q, _)| *q == p) {
                        return;
                    }
                    let uri = match lookup(&this.in_scope, p) {
                        Some(u) => u,
                        None if p.is_empty() => "",
                        None => return,
                    };
                    if uri != lookup(&this.rendered, p).unwrap_or("") {
                        this.ns_out.push((p, uri));
                    }
                };
                consider(el.prefix(), self);
                for a in el.attributes() {
                    if !a.prefix.is_empty() {
                        consider(a.prefix, self);
                    }
                }
                for p in inclusive_prefixes {
                    let p = if p == "#default" { "" } else { p.as_str() };
                    // Only prefixes that are in scope can be rendered; find the document's copy
                    // of the prefix string so the borrow lives as long as the document.
                    if let Some(&(dp, _)) = self.in_scope.iter().rev().find(|(q, _)| *q == p) {
                        consider(dp, self);
                    } else if p.is_empty() {
                        consider("", self);
                    }
                }
            }
            C14nMethod::Inclusive10 | C14nMethod::Inclusive11 => {
                if is_apex {
                    for i in (0..self.in_scope.len()).rev() {
                        let (p, u) = self.in_scope[i];
                        if p != "xml" && !self.ns_out.iter().any(|(q, _)| *q == p) {
                            self.ns_out.push((p, u));
                        }
                    }
                    self.ns_out.retain(|(_, u)| !u.is_empty());
                } else {
                    for (p, u) in el.namespace_declarations() {
                        if p != "xml"
                            && !self.ns_out.iter().any(|(q, _)| *q == p)
                            && u != lookup(&self.rendered, p).unwrap_or("")
                        {
                            self.ns_out.push((p, u));
                        }
                    }
                }
            }
        }
        self.ns_out.sort_unstable_by(|a, b| a.0.cmp(b.0));
        self.rendered_frames.push(self.rendered.len());
        self.rendered.extend_from_slice(&self.ns_out);

        self.attrs_out.clear();
        self.attrs_out.extend(el.attributes());
        if is_apex && !matches!(self.method, C14nMethod::Exclusive { .. }) {
            self.inherit_xml_attributes(ancestors)?;
        }
        self.attrs_out
            .sort_unstable_by(|a, b| (a.namespace, a.local_name).cmp(&(b.namespace, b.local_name)));

        out.push(b'<');
        out.extend_from_slice(el.qualified_name().as_bytes());
        for &(p, u) in &self.ns_out {
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
        if let Some(n) = self.rendered_frames.pop() {
            self.rendered.truncate(n);
        }
        if let Some(n) = self.in_scope_frames.pop() {
            self.in_scope.truncate(n);
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
