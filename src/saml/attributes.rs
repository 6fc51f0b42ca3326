//! [`Attributes`]: the attribute statements of a verified assertion, held in one buffer.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;

/// A span of [`Attributes::text`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: u32,
    len: u32,
}

impl Span {
    fn range(self) -> Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

/// Every `AttributeStatement/Attribute` of a verified assertion: the names in sorted order, each
/// with its values in document order (attributes repeated under one name are merged; an
/// `xsi:nil` value is the empty string).
///
/// All names and values share one buffer, so a user in a thousand groups costs a handful of
/// allocations, not thousands.
///
/// ```
/// # fn show(user: &sso_scim::VerifiedAssertion) {
/// for (name, values) in user.attributes() {
///     println!("{name}: {}", values.collect::<Vec<_>>().join(", "));
/// }
/// if let Some(groups) = user.attribute("groups") {
///     let admin = groups.clone().any(|g| g == "admins");
///     println!("{} groups, admin: {admin}", groups.len());
/// }
/// # }
/// ```
#[derive(Clone, Default)]
pub struct Attributes {
    text: String,
    /// `(name, first value, value count)`, sorted by name.
    names: Vec<(Span, u32, u32)>,
    values: Vec<Span>,
}

/// Builds [`Attributes`] in document order, straight into the final buffers.
pub(crate) struct AttributesBuilder {
    out: Attributes,
}

impl AttributesBuilder {
    /// Room for `values` values and `bytes` bytes of names and values.
    pub(crate) fn with_capacity(values: usize, bytes: usize) -> AttributesBuilder {
        AttributesBuilder {
            out: Attributes {
                text: String::with_capacity(bytes),
                names: Vec::new(),
                values: Vec::with_capacity(values),
            },
        }
    }

    /// Starts an attribute (its values follow).
    pub(crate) fn attribute(&mut self, name: &str) {
        let span = self.out.push(name);
        let first = self.out.values.len() as u32;
        self.out.names.push((span, first, 0));
    }

    /// Adds a value to the attribute started last.
    pub(crate) fn value(&mut self, value: &str) {
        let span = self.out.push(value);
        self.out.values.push(span);
        if let Some(last) = self.out.names.last_mut() {
            last.2 += 1;
        }
    }

    /// Sorts by name; attributes repeated under one name are merged, values in document order.
    pub(crate) fn finish(self) -> Attributes {
        let mut out = self.out;
        let text = std::mem::take(&mut out.text);
        let name = |s: Span| text.get(s.range()).unwrap_or("");
        // (name, first value) is unique, so an unstable sort keeps document order per name.
        out.names
            .sort_unstable_by(|a, b| (name(a.0), a.1).cmp(&(name(b.0), b.1)));
        let repeated = out.names.windows(2).any(|w| name(w[0].0) == name(w[1].0));
        if repeated {
            let mut names: Vec<(Span, u32, u32)> = Vec::with_capacity(out.names.len());
            let mut values = Vec::with_capacity(out.values.len());
            for &(n, first, count) in &out.names {
                let slice = &out.values[first as usize..(first + count) as usize];
                match names.last_mut() {
                    Some(last) if name(last.0) == name(n) => last.2 += count,
                    _ => names.push((n, values.len() as u32, count)),
                }
                values.extend_from_slice(slice);
            }
            out.names = names;
            out.values = values;
        }
        out.text = text;
        out
    }
}

impl Attributes {
    /// Builds the set from `(name, value)` pairs in document order (`None`: an attribute
    /// without values, which is still listed): the reference the builder is tested against.
    #[cfg(test)]
    pub(crate) fn from_pairs<'a>(
        mut pairs: Vec<(&'a str, Option<std::borrow::Cow<'a, str>>)>,
    ) -> Self {
        // Values keep their document order under each name (pairs come in document order, and
        // the sort is stable).
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        let bytes: usize = pairs
            .iter()
            .map(|(n, v)| n.len() + v.as_ref().map_or(0, |v| v.len()))
            .sum();
        let mut out = Attributes {
            text: String::with_capacity(bytes),
            names: Vec::new(),
            values: Vec::with_capacity(pairs.len()),
        };
        let mut i = 0;
        while i < pairs.len() {
            let name = pairs[i].0;
            let run = pairs[i..].iter().take_while(|(n, _)| *n == name).count();
            let name_span = out.push(name);
            let first = out.values.len() as u32;
            for (_, v) in &pairs[i..i + run] {
                if let Some(v) = v {
                    let span = out.push(v);
                    out.values.push(span);
                }
            }
            let count = out.values.len() as u32 - first;
            out.names.push((name_span, first, count));
            i += run;
        }
        out
    }

    fn push(&mut self, s: &str) -> Span {
        let start = self.text.len() as u32;
        self.text.push_str(s);
        Span {
            start,
            len: s.len() as u32,
        }
    }

    fn str(&self, s: Span) -> &str {
        self.text.get(s.range()).unwrap_or("")
    }

    fn entry(&self, e: &(Span, u32, u32)) -> (&str, AttributeValues<'_>) {
        let (name, first, count) = *e;
        (
            self.str(name),
            AttributeValues {
                attributes: self,
                next: first as usize,
                end: (first + count) as usize,
            },
        )
    }

    /// The values of the attribute named exactly `name`.
    pub fn get(&self, name: &str) -> Option<AttributeValues<'_>> {
        let i = self
            .names
            .binary_search_by(|(n, _, _)| self.str(*n).cmp(name))
            .ok()?;
        Some(self.entry(&self.names[i]).1)
    }

    /// Every attribute, by name, with its values.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, AttributeValues<'_>)> + '_ {
        self.names.iter().map(move |e| self.entry(e))
    }

    /// The attribute names, sorted.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.names.iter().map(move |(n, _, _)| self.str(*n))
    }

    /// How many distinct attribute names there are.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// No attribute at all.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The same as a map of owned strings.
    pub fn to_map(&self) -> BTreeMap<String, Vec<String>> {
        self.iter()
            .map(|(n, v)| (n.to_owned(), v.map(str::to_owned).collect()))
            .collect()
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = (&'a str, AttributeValues<'a>);
    type IntoIter = Box<dyn ExactSizeIterator<Item = (&'a str, AttributeValues<'a>)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl fmt::Debug for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Equal when the names and their values are (however the buffer is laid out).
impl PartialEq for Attributes {
    fn eq(&self, other: &Attributes) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|((n, v), (on, ov))| n == on && v.len() == ov.len() && v.eq(ov))
    }
}

impl Eq for Attributes {}

impl PartialEq<BTreeMap<String, Vec<String>>> for Attributes {
    fn eq(&self, other: &BTreeMap<String, Vec<String>>) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other)
                .all(|((n, v), (on, ov))| n == on && v.eq(ov.iter().map(String::as_str)))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Attributes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.len()))?;
        for (name, values) in self.iter() {
            m.serialize_entry(name, &values.collect::<Vec<_>>())?;
        }
        m.end()
    }
}

/// The values of one attribute, in document order.
#[derive(Clone)]
pub struct AttributeValues<'a> {
    attributes: &'a Attributes,
    next: usize,
    end: usize,
}

impl<'a> AttributeValues<'a> {
    /// The `i`-th remaining value.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        let at = self.next.checked_add(i).filter(|&k| k < self.end)?;
        let span = *self.attributes.values.get(at)?;
        Some(self.attributes.str(span))
    }

    /// The first non-empty value, if any.
    pub fn first_non_empty(&self) -> Option<&'a str> {
        self.clone().find(|v| !v.is_empty())
    }
}

impl<'a> Iterator for AttributeValues<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let v = self.get(0)?;
        self.next += 1;
        Some(v)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.next;
        (n, Some(n))
    }
}

impl ExactSizeIterator for AttributeValues<'_> {}

impl DoubleEndedIterator for AttributeValues<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        self.end -= 1;
        let span = *self.attributes.values.get(self.end)?;
        Some(self.attributes.str(span))
    }
}

impl fmt::Debug for AttributeValues<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

impl<const N: usize> PartialEq<[&str; N]> for AttributeValues<'_> {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.clone().eq(other.iter().copied())
    }
}

impl PartialEq<[&str]> for AttributeValues<'_> {
    fn eq(&self, other: &[&str]) -> bool {
        self.clone().eq(other.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn groups_by_name_in_document_order() {
        let a = Attributes::from_pairs(vec![
            ("groups", Some(Cow::Borrowed("b"))),
            ("email", Some(Cow::Borrowed("x@example.com"))),
            ("none", None),
            ("groups", Some(Cow::Owned("a".to_owned()))),
            ("empty", Some(Cow::Borrowed(""))),
        ]);
        assert_eq!(
            a.names().collect::<Vec<_>>(),
            ["email", "empty", "groups", "none"]
        );
        assert_eq!(a.get("none").unwrap().len(), 0);
        let g = a.get("groups").unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g, ["b", "a"]);
        assert_eq!(g.clone().next_back(), Some("a"));
        assert_eq!(a.get("empty").unwrap().first_non_empty(), None);
        assert!(a.get("Groups").is_none());
        assert_eq!(
            format!("{a:?}"),
            format!("{:?}", a.to_map()),
            "Debug reads like the map"
        );
        assert!(a == a.to_map());
        assert!(Attributes::default().is_empty());
        // The builder gives the same set.
        let mut b = AttributesBuilder::with_capacity(4, 64);
        b.attribute("groups");
        b.value("b");
        b.attribute("email");
        b.value("x@example.com");
        b.attribute("none");
        b.attribute("groups");
        b.value("a");
        b.attribute("empty");
        b.value("");
        assert!(b.finish() == a);
    }
}
