//! Mutations of raw XML documents, shared by the tamper and differential tests.
#![allow(dead_code)]

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// Erased by canonicalization: must validate when the oracle agrees.
    Benign,
    /// Changes content.
    Content,
}

pub struct Mutation {
    pub what: String,
    pub kind: Kind,
    pub xml: String,
}

pub struct Tag {
    pub start: usize,
    pub end: usize,
    pub name_end: usize,
    /// (attribute start, value start, value end, quote char)
    pub attrs: Vec<(usize, usize, usize, u8)>,
}

fn scan_attrs(src: &str, start: usize, end: usize) -> (usize, Vec<(usize, usize, usize, u8)>) {
    let b = src.as_bytes();
    let mut i = start + 1;
    while i < end && !b[i].is_ascii_whitespace() && b[i] != b'/' && b[i] != b'>' {
        i += 1;
    }
    let name_end = i;
    let mut attrs = Vec::new();
    loop {
        while i < end && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= end || b[i] == b'/' || b[i] == b'>' {
            break;
        }
        let a_start = i;
        while b[i] != b'=' {
            i += 1;
        }
        i += 1;
        while b[i].is_ascii_whitespace() {
            i += 1;
        }
        let q = b[i];
        let v_start = i + 1;
        i = v_start;
        while b[i] != q {
            i += 1;
        }
        attrs.push((a_start, v_start, i, q));
        i += 1;
    }
    (name_end, attrs)
}

/// Tags, element ranges and text runs of the raw XML.
pub type Ranges = Vec<(usize, usize)>;

pub fn tokens(src: &str) -> (Vec<Tag>, Ranges, Ranges) {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(src);
    let mut tags = Vec::new();
    let mut elements = Vec::new();
    let mut texts = Vec::new();
    let mut stack = Vec::new();
    loop {
        let before = r.buffer_position() as usize;
        let ev = r.read_event().expect("valid vectors parse");
        let after = r.buffer_position() as usize;
        match ev {
            Event::Start(_) | Event::Empty(_) => {
                let (name_end, attrs) = scan_attrs(src, before, after);
                tags.push(Tag {
                    start: before,
                    end: after,
                    name_end,
                    attrs,
                });
                if matches!(ev, Event::Start(_)) {
                    stack.push(before);
                } else {
                    elements.push((before, after));
                }
            }
            Event::End(_) => {
                let s = stack.pop().expect("balanced");
                elements.push((s, after));
            }
            Event::Text(_) if !stack.is_empty() => texts.push((before, after)),
            Event::Eof => break,
            _ => {}
        }
    }
    (tags, elements, texts)
}

fn splice(src: &str, start: usize, end: usize, with: &str) -> String {
    format!("{}{}{}", &src[..start], with, &src[end..])
}

pub fn mutations(src: &str) -> Vec<Mutation> {
    let (tags, elements, texts) = tokens(src);
    let mut out = Vec::new();
    let mut push = |what: String, kind: Kind, xml: String| out.push(Mutation { what, kind, xml });
    for (i, &(s, e)) in elements.iter().enumerate() {
        if s == tags[0].start {
            continue; // the root
        }
        let snippet = &src[s..e.min(s + 40)];
        push(
            format!("remove element #{i} {snippet:?}"),
            Kind::Content,
            splice(src, s, e, ""),
        );
        push(
            format!("duplicate element #{i} {snippet:?}"),
            Kind::Content,
            splice(src, e, e, &src[s..e]),
        );
        // Swap with the next sibling element, if the next element starts right after (possibly
        // after whitespace) and is not nested.
        if let Some(&(ns, ne)) = elements
            .iter()
            .find(|&&(ns, _)| ns >= e && src[e..ns].trim().is_empty())
        {
            let swapped = format!(
                "{}{}{}{}{}",
                &src[..s],
                &src[ns..ne],
                &src[e..ns],
                &src[s..e],
                &src[ne..]
            );
            push(
                format!("swap element #{i} with its next sibling"),
                Kind::Content,
                swapped,
            );
        }
    }
    for (t, tag) in tags.iter().enumerate() {
        let at = tag.name_end;
        push(
            format!("add attribute to tag #{t}"),
            Kind::Content,
            splice(src, at, at, " mutated=\"x\""),
        );
        push(
            format!("unused namespace declaration on tag #{t}"),
            Kind::Benign,
            splice(src, at, at, " xmlns:unused=\"urn:example:unused\""),
        );
        if !tag.attrs.is_empty() {
            // Whitespace inside the tag: before every attribute and before the closing bracket.
            let mut x = src[..tag.start].to_owned();
            let mut last = tag.start;
            for &(a, _, _, _) in &tag.attrs {
                x.push_str(src[last..a].trim_end());
                x.push_str("\n\t  ");
                last = a;
            }
            let close = if src[..tag.end].ends_with("/>") {
                tag.end - 2
            } else {
                tag.end - 1
            };
            x.push_str(&src[last..close]);
            x.push_str("  ");
            x.push_str(&src[close..]);
            push(format!("whitespace inside tag #{t}"), Kind::Benign, x);
        }
        for (k, &(a, vs, ve, q)) in tag.attrs.iter().enumerate() {
            let value = &src[vs..ve];
            let name = &src[a..vs - 2];
            if !name.starts_with("xmlns") {
                push(
                    format!("remove attribute {name} of tag #{t}"),
                    Kind::Content,
                    splice(src, a - 1, ve + 1, ""),
                );
                push(
                    format!("change attribute {name} of tag #{t}"),
                    Kind::Content,
                    splice(src, ve, ve, "x"),
                );
            }
            let other = if q == b'"' { '\'' } else { '"' };
            if !value.contains(other) {
                let mut x = src.to_owned();
                x.replace_range(vs - 1..vs, &other.to_string());
                x.replace_range(ve..ve + 1, &other.to_string());
                push(
                    format!("quote style of attribute #{k} of tag #{t}"),
                    Kind::Benign,
                    x,
                );
            }
        }
    }
    for (i, &(s, e)) in texts.iter().enumerate() {
        let text = &src[s..e];
        if text.trim().is_empty() {
            push(
                format!("add whitespace to text run #{i}"),
                Kind::Content,
                splice(src, e, e, " "),
            );
        } else if let Some((j, c)) = text.char_indices().find(|(_, c)| c.is_ascii_alphanumeric()) {
            let repl = if c == 'A' { "B" } else { "A" };
            push(
                format!("change text run #{i} {:?}", &text[..text.len().min(30)]),
                Kind::Content,
                splice(src, s + j, s + j + 1, repl),
            );
        }
    }
    out
}

/// A small deterministic PRNG (xorshift64*), so mutation sets are reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Random byte flips, a namespace prefix renamed everywhere, and whitespace added between and
/// inside elements: `count` documents.
pub fn noisy_mutations(src: &str, seed: u64, count: usize) -> Vec<Mutation> {
    let mut rng = Rng::new(seed);
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let prefixes: Vec<String> = src
        .match_indices("xmlns:")
        .filter_map(|(i, _)| src[i + 6..].split('=').next().map(str::to_owned))
        .filter(|p| !p.is_empty() && p.len() < 20)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    while out.len() < count {
        match rng.below(4) {
            0 => {
                let mut b = bytes.to_vec();
                for _ in 0..1 + rng.below(3) {
                    let i = rng.below(b.len());
                    b[i] ^= 1 << rng.below(7);
                }
                if let Ok(xml) = String::from_utf8(b) {
                    out.push(Mutation {
                        what: "byte flip".into(),
                        kind: Kind::Content,
                        xml,
                    });
                }
            }
            1 if !prefixes.is_empty() => {
                let p = &prefixes[rng.below(prefixes.len())];
                let xml = src
                    .replace(&format!("<{p}:"), "<renamed:")
                    .replace(&format!("</{p}:"), "</renamed:")
                    .replace(&format!("xmlns:{p}="), "xmlns:renamed=")
                    .replace(&format!(" {p}:"), " renamed:");
                out.push(Mutation {
                    what: format!("prefix {p} renamed"),
                    kind: Kind::Content,
                    xml,
                });
            }
            2 => {
                let gaps: Vec<usize> = src.match_indices("><").map(|(i, _)| i + 1).collect();
                if let Some(&at) = gaps.get(rng.below(gaps.len())) {
                    let ws = ["\n", " ", "\t", "\r\n  "][rng.below(4)];
                    out.push(Mutation {
                        what: "whitespace between elements".into(),
                        kind: Kind::Content,
                        xml: format!("{}{ws}{}", &src[..at], &src[at..]),
                    });
                }
            }
            _ => {
                let spaces: Vec<usize> = src.match_indices("\" ").map(|(i, _)| i + 1).collect();
                if let Some(&at) = spaces.get(rng.below(spaces.len())) {
                    out.push(Mutation {
                        what: "whitespace inside a tag".into(),
                        kind: Kind::Benign,
                        xml: format!("{}  \n{}", &src[..at], &src[at..]),
                    });
                }
            }
        }
    }
    out
}
