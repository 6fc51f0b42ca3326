//! [`Signed`]: an element that a verified signature covers, the only thing claims are read from.

use std::borrow::Cow;
use std::fmt;

use crate::error::{SignedPart, XmlError};
use crate::xml::{Element, NodeId};

/// An element covered by a signature that [`Prepared::finish`](super::Prepared::finish) verified.
///
/// Only `finish` constructs one (the constructor is private to the `dsig` module), and every
/// element reached through its methods is inside the signed subtree: the enveloped signature,
/// which the digest leaves out, is never yielded, and there is no way back to a parent or to
/// the bare [`Element`]. So code that reads a claim through a `Signed` reads a signed claim, and
/// code that tries to read one from an unverified element has no `Signed` to pass: it does not
/// compile.
#[derive(Clone, Copy)]
pub(crate) struct Signed<'d> {
    element: Element<'d>,
    /// The enveloped `ds:Signature` of the signed element (outside the digest).
    excluded: NodeId,
    /// Which signature covers it.
    by: SignedPart,
}

impl fmt::Debug for Signed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signed({:?} by the {} signature)", self.element, self.by)
    }
}

impl<'d> Signed<'d> {
    /// `element`, covered by the verified signature `excluded` (its enveloped child).
    pub(super) fn new(element: Element<'d>, excluded: NodeId, by: SignedPart) -> Signed<'d> {
        Signed {
            element,
            excluded,
            by,
        }
    }

    /// Is this the element `{namespace}local_name`?
    pub(crate) fn is(&self, namespace: &str, local_name: &str) -> bool {
        self.element.is(namespace, local_name)
    }

    /// The namespace URI.
    pub(crate) fn namespace(&self) -> &'d str {
        self.element.namespace()
    }

    /// The local name.
    pub(crate) fn local_name(&self) -> &'d str {
        self.element.local_name()
    }

    /// The value of the unprefixed attribute `name`.
    pub(crate) fn attribute(&self, name: &str) -> Option<&'d str> {
        self.element.attribute(name)
    }

    /// The value of the attribute `{namespace}local_name`.
    pub(crate) fn attribute_ns(&self, namespace: &str, local_name: &str) -> Option<&'d str> {
        self.element.attribute_ns(namespace, local_name)
    }

    /// The element's text; an element with element children is refused (see [`Element::text`]).
    pub(crate) fn text(&self) -> Result<Cow<'d, str>, XmlError> {
        self.element.text()
    }

    /// The child elements inside the signed subtree, in document order.
    pub(crate) fn child_elements(&self) -> impl Iterator<Item = Signed<'d>> + 'd {
        let me = *self;
        self.element
            .child_elements()
            .filter(move |c| c.id() != me.excluded)
            .map(move |c| Signed { element: c, ..me })
    }

    /// The child elements named `{namespace}local_name` inside the signed subtree.
    pub(crate) fn children_named<'a>(
        &self,
        namespace: &'a str,
        local_name: &'a str,
    ) -> impl Iterator<Item = Signed<'d>> + 'a
    where
        'd: 'a,
    {
        self.child_elements()
            .filter(move |c| c.is(namespace, local_name))
    }

    /// `child` as a signed element, when it is a child of this one inside the signed subtree.
    pub(crate) fn child(&self, child: Element<'d>) -> Option<Signed<'d>> {
        (child.parent() == Some(self.element) && child.id() != self.excluded).then_some(Signed {
            element: child,
            ..*self
        })
    }

    /// The Assertion decrypted from `self`, an `EncryptedAssertion` inside the subtree a
    /// verified signature covers (reached through [`child`](Self::child)): its ciphertext is
    /// signed, so the plaintext only the SP's key yields is covered too. `assertion` is the
    /// element that decryption produced (in the document rebuilt around it), and nothing else:
    /// the one caller is the validator's decryption stage.
    #[cfg(feature = "encrypted-assertions")]
    pub(crate) fn decrypted<'s>(&self, assertion: Element<'s>) -> Signed<'s> {
        Signed {
            element: assertion,
            // It carries no enveloped signature: nothing of it is left out.
            excluded: assertion.id(),
            by: self.by,
        }
    }
}
