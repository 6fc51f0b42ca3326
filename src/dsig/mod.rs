//! XML-DSig verification for the SAML profile, restricted to what IdPs really send.
//!
//! The accepted profile (see DESIGN.md, and OpenSAML's `SAMLSignatureProfileValidator`):
//! - `ds:Signature` children: `SignedInfo`, `SignatureValue`, optional `KeyInfo` (ignored: the key
//!   is always a configured certificate); no `ds:Object`, nothing else;
//! - `SignedInfo`: one `CanonicalizationMethod` (exclusive C14N, or inclusive C14N 1.0/1.1, all
//!   without comments), one `SignatureMethod` (RSA PKCS#1 v1.5 with SHA-256/384/512, or ECDSA
//!   with SHA-256/384 on P-256 and P-384, its value the raw `r || s` of XML-DSig 1.1), exactly
//!   one `Reference`;
//! - the `Reference` URI is `#` + the ID of the Signature's parent (or `""` when that parent is the
//!   document root), its transforms are exactly enveloped-signature then one canonicalization, its
//!   digest SHA-256/384/512;
//! - RSA keys of at least 2048 bits. SHA-1 and shorter keys only with the insecure legacy opt-in.

mod algorithms;
mod key;
#[cfg(feature = "xmlsec")]
mod libxmlsec;
mod signed;

#[cfg(feature = "xmlsec")]
pub use libxmlsec::libxmlsec_verifies;

use ring::digest;
use ring::signature::{self as sig, UnparsedPublicKey};

use algorithms::ecdsa_fixed_to_der;
pub(crate) use algorithms::{DigestAlg, SignatureAlg};
pub use key::KeyAlgorithm;
pub(crate) use key::{certificate_facts, IdpKey};
pub(crate) use signed::Signed;

use crate::error::{SignatureError, SignedPart};
use crate::xml::{
    canonicalize_into_with, canonicalize_with, C14nBuffers, C14nMethod, Element, Nested,
    NestedOutcome, Node, Sink,
};

/// The XML-DSig namespace.
pub(crate) const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// Which legacy algorithms a verification accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Policy {
    /// SHA-1 digests and signatures, and RSA keys from 1024 bits.
    pub insecure_allow_sha1: bool,
}

/// A `ds:Signature` that fits the profile, with everything needed to verify it.
#[derive(Debug)]
pub(crate) struct ParsedSignature<'d> {
    pub element: Element<'d>,
    pub signed_info: Element<'d>,
    pub signed_info_c14n: C14nMethod,
    pub signature_alg: SignatureAlg,
    pub reference_uri: &'d str,
    pub reference_c14n: C14nMethod,
    pub digest_alg: DigestAlg,
    pub digest_value: crate::b64::SmallBytes,
    pub signature_value: crate::b64::SmallBytes,
}

/// The element children of a `ds:` element: the first [`Kids::KEPT`] of them, and how many
/// there are (the profile never accepts more than four, so none is allocated).
struct Kids<'d> {
    items: [Element<'d>; Kids::KEPT],
    kept: usize,
    count: usize,
}

impl<'d> Kids<'d> {
    const KEPT: usize = 4;

    /// The `i`-th child, if kept.
    fn get(&self, i: usize) -> Option<&Element<'d>> {
        self.as_slice().get(i)
    }

    fn first(&self) -> Option<&Element<'d>> {
        self.get(0)
    }

    /// The kept children.
    fn as_slice(&self) -> &[Element<'d>] {
        &self.items[..self.kept]
    }

    /// How many element children there are (kept or not).
    fn len(&self) -> usize {
        self.count
    }

    fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// The element children of `e`, refusing non-whitespace text and processing instructions.
fn element_children<'d>(e: Element<'d>, part: SignedPart) -> Result<Kids<'d>, SignatureError> {
    let mut out = Kids {
        items: [e; Kids::KEPT],
        kept: 0,
        count: 0,
    };
    for n in e.children() {
        match n {
            Node::Element(c) => {
                if out.kept < Kids::KEPT {
                    out.items[out.kept] = c;
                    out.kept += 1;
                }
                out.count += 1;
            }
            Node::Text(t) if crate::xml::is_xml_whitespace(t) => {}
            _ => {
                return Err(profile(
                    part,
                    format!("unexpected content in ds:{}", e.local_name()),
                ));
            }
        }
    }
    Ok(out)
}

fn profile(part: SignedPart, reason: impl Into<String>) -> SignatureError {
    SignatureError::Profile {
        part,
        reason: reason.into(),
    }
}

fn expect_ds<'d>(
    e: Option<&Element<'d>>,
    local: &'static str,
    part: SignedPart,
) -> Result<Element<'d>, SignatureError> {
    match e {
        Some(e) if e.is(DSIG_NS, local) => Ok(*e),
        Some(e) => Err(profile(
            part,
            format!("expected ds:{local}, found <{}>", e.qualified_name()),
        )),
        None => Err(profile(part, format!("ds:{local} is missing"))),
    }
}

fn algorithm<'d>(e: Element<'d>, part: SignedPart) -> Result<&'d str, SignatureError> {
    e.attribute("Algorithm")
        .ok_or_else(|| profile(part, format!("ds:{} has no Algorithm", e.local_name())))
}

/// Reads a canonicalization algorithm element (CanonicalizationMethod or Transform).
fn c14n_method(e: Element<'_>, part: SignedPart) -> Result<Option<C14nMethod>, SignatureError> {
    let alg = algorithm(e, part)?;
    let kids = element_children(e, part)?;
    let method = match alg {
        crate::xml::uris::EXC => {
            let mut prefixes = Vec::new();
            match kids.as_slice() {
                [] => {}
                [inc] if inc.is(crate::xml::uris::EXC, "InclusiveNamespaces") => {
                    if inc.child_elements().next().is_some() {
                        return Err(profile(part, "InclusiveNamespaces has children"));
                    }
                    prefixes = prefix_list(inc.attribute("PrefixList").unwrap_or(""), part)?;
                }
                _ => {
                    return Err(profile(
                        part,
                        "unexpected children in an exclusive C14N algorithm",
                    ))
                }
            }
            C14nMethod::Exclusive {
                inclusive_prefixes: prefixes,
            }
        }
        crate::xml::uris::C14N_10 | crate::xml::uris::C14N_11 => {
            if !kids.is_empty() {
                return Err(profile(part, "unexpected children in a C14N algorithm"));
            }
            if alg == crate::xml::uris::C14N_10 {
                C14nMethod::Inclusive10
            } else {
                C14nMethod::Inclusive11
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(method))
}

/// The most prefixes an `InclusiveNamespaces PrefixList` may name (Okta sends one, `xs`).
pub(crate) const MAX_INCLUSIVE_PREFIXES: usize = 64;

/// Reads an `InclusiveNamespaces PrefixList`: at most [`MAX_INCLUSIVE_PREFIXES`] tokens, each a
/// namespace prefix or `#default`; repeated tokens are kept once.
fn prefix_list(list: &str, part: SignedPart) -> Result<Vec<String>, SignatureError> {
    let mut out: Vec<String> = Vec::new();
    for (n, token) in list.split_ascii_whitespace().enumerate() {
        if n >= MAX_INCLUSIVE_PREFIXES {
            return Err(profile(
                part,
                format!(
                    "InclusiveNamespaces PrefixList names more than {MAX_INCLUSIVE_PREFIXES} prefixes"
                ),
            ));
        }
        if token != "#default" && !crate::xml::is_ncname(token) {
            return Err(profile(
                part,
                format!(
                    "InclusiveNamespaces PrefixList token {:?} is not a namespace prefix",
                    token.chars().take(40).collect::<String>()
                ),
            ));
        }
        if !out.iter().any(|t| t == token) {
            out.push(token.to_owned());
        }
    }
    Ok(out)
}

fn base64_text(e: Element<'_>, part: SignedPart) -> Result<crate::b64::SmallBytes, SignatureError> {
    let text = e
        .text()
        .map_err(|_| profile(part, format!("ds:{} must be text", e.local_name())))?;
    crate::b64::decode_lenient_small(&text, 64 * 1024)
        .map_err(|why| profile(part, format!("ds:{} is not base64: {why}", e.local_name())))
}

/// Checks a `ds:Signature` against the profile and extracts what verification needs.
pub(crate) fn parse<'d>(
    signature: Element<'d>,
    part: SignedPart,
) -> Result<ParsedSignature<'d>, SignatureError> {
    let kids = element_children(signature, part)?;
    let signed_info = expect_ds(kids.first(), "SignedInfo", part)?;
    let signature_value = expect_ds(kids.get(1), "SignatureValue", part)?;
    match kids.as_slice().get(2..).unwrap_or(&[]) {
        [] => {}
        [k] if k.is(DSIG_NS, "KeyInfo") && kids.len() == 3 => {}
        [k, ..] => {
            return Err(profile(
                part,
                format!(
                    "unexpected <{}> in ds:Signature (ds:Object and others are refused)",
                    k.qualified_name()
                ),
            ))
        }
    }

    let si = element_children(signed_info, part)?;
    let cm = expect_ds(si.first(), "CanonicalizationMethod", part)?;
    let sm = expect_ds(si.get(1), "SignatureMethod", part)?;
    let references = si.len().saturating_sub(2);
    if references != 1 {
        return Err(profile(
            part,
            format!("SignedInfo has {references} References; exactly one is accepted"),
        ));
    }
    let reference = expect_ds(si.get(2), "Reference", part)?;

    let signed_info_c14n =
        c14n_method(cm, part)?.ok_or_else(|| SignatureError::UnsupportedAlgorithm {
            part,
            algorithm: algorithm(cm, part).unwrap_or_default().to_owned(),
        })?;
    if !element_children(sm, part)?.is_empty() {
        return Err(profile(
            part,
            "SignatureMethod has parameters (e.g. HMACOutputLength)",
        ));
    }
    let sm_uri = algorithm(sm, part)?;
    let signature_alg =
        SignatureAlg::from_uri(sm_uri).ok_or_else(|| SignatureError::UnsupportedAlgorithm {
            part,
            algorithm: sm_uri.to_owned(),
        })?;

    let reference_uri = reference
        .attribute("URI")
        .ok_or_else(|| profile(part, "the Reference has no URI"))?;
    let rk = element_children(reference, part)?;
    let transforms = expect_ds(rk.first(), "Transforms", part)?;
    let dm = expect_ds(rk.get(1), "DigestMethod", part)?;
    let dv = expect_ds(rk.get(2), "DigestValue", part)?;
    if rk.len() != 3 {
        return Err(profile(part, "unexpected elements in the Reference"));
    }
    let tk = element_children(transforms, part)?;
    let [t1, t2] = tk.as_slice() else {
        return Err(profile(
            part,
            format!("the Reference has {} transforms; exactly enveloped-signature then one canonicalization are accepted", tk.len()),
        ));
    };
    let t1 = expect_ds(Some(t1), "Transform", part)?;
    let t2 = expect_ds(Some(t2), "Transform", part)?;
    if algorithm(t1, part)? != ENVELOPED || !element_children(t1, part)?.is_empty() {
        return Err(profile(
            part,
            "the first transform must be enveloped-signature",
        ));
    }
    let reference_c14n = c14n_method(t2, part)?.ok_or_else(|| {
        profile(
            part,
            format!(
                "the second transform must be a canonicalization without comments, found {}",
                algorithm(t2, part).unwrap_or_default()
            ),
        )
    })?;
    if !element_children(dm, part)?.is_empty() {
        return Err(profile(part, "DigestMethod has parameters"));
    }
    let dm_uri = algorithm(dm, part)?;
    let digest_alg =
        DigestAlg::from_uri(dm_uri).ok_or_else(|| SignatureError::UnsupportedAlgorithm {
            part,
            algorithm: dm_uri.to_owned(),
        })?;
    let digest_value = base64_text(dv, part)?;
    let signature_value = base64_text(signature_value, part)?;
    Ok(ParsedSignature {
        element: signature,
        signed_info,
        signed_info_c14n,
        signature_alg,
        reference_uri,
        reference_c14n,
        digest_alg,
        digest_value,
        signature_value,
    })
}

impl ParsedSignature<'_> {
    /// Refuses legacy algorithms unless the policy allows them.
    pub(crate) fn check_algorithms(
        &self,
        part: SignedPart,
        policy: Policy,
    ) -> Result<(), SignatureError> {
        if policy.insecure_allow_sha1 {
            return Ok(());
        }
        if self.signature_alg == SignatureAlg::RsaSha1 {
            return Err(SignatureError::LegacyAlgorithm {
                part,
                algorithm: "http://www.w3.org/2000/09/xmldsig#rsa-sha1".into(),
            });
        }
        if self.digest_alg == DigestAlg::Sha1 {
            return Err(SignatureError::LegacyAlgorithm {
                part,
                algorithm: "http://www.w3.org/2000/09/xmldsig#sha1".into(),
            });
        }
        Ok(())
    }
}

/// A signature that fits the profile and the policy, whose Reference names its signed element:
/// what is left is to digest that element and verify the SignedInfo.
pub(crate) struct Prepared<'d, 'k> {
    parsed: ParsedSignature<'d>,
    part: SignedPart,
    target: Element<'d>,
    /// `URI="#id"` (else `URI=""`, the whole document).
    by_id: bool,
    keys: &'k [IdpKey],
    policy: Policy,
}

/// Checks `s`, whose signed element is its parent `target`, against the policy and the
/// configured `keys`, and its Reference against `target`.
pub(crate) fn prepare<'d, 'k>(
    s: ParsedSignature<'d>,
    part: SignedPart,
    target: Element<'d>,
    keys: &'k [IdpKey],
    policy: Policy,
) -> Result<Prepared<'d, 'k>, SignatureError> {
    s.check_algorithms(part, policy)?;
    if usable(keys, &s, policy).next().is_none() {
        let rsa = |k: &&IdpKey| matches!(k.algorithm(), KeyAlgorithm::Rsa { .. });
        if s.signature_alg.is_rsa() && keys.iter().any(|k| rsa(&k)) {
            return Err(SignatureError::WeakKey {
                bits: keys.iter().filter(rsa).map(IdpKey::bits).max().unwrap_or(0),
            });
        }
        let mut held: Vec<String> = keys.iter().map(|k| k.algorithm().to_string()).collect();
        held.dedup();
        return Err(SignatureError::KeyMismatch {
            part,
            algorithm: s.signature_alg.uri().to_owned(),
            keys: held.join(", "),
        });
    }

    // The reference must point at the signed element itself: never look an ID up elsewhere.
    let is_root = target.parent().is_none();
    let by_id = match s.reference_uri.strip_prefix('#') {
        Some(frag) => match target.attribute("ID") {
            Some(id) if id == frag && !id.is_empty() => true,
            _ => {
                return Err(profile(
                    part,
                    format!(
                        "the Reference URI {:?} does not name the signed {part} (its ID is {:?})",
                        s.reference_uri,
                        target.attribute("ID").unwrap_or("")
                    ),
                ))
            }
        },
        None if s.reference_uri.is_empty() && is_root => false,
        None => {
            return Err(profile(
                part,
                format!("unsupported Reference URI {:?}", s.reference_uri),
            ));
        }
    };
    Ok(Prepared {
        parsed: s,
        part,
        target,
        by_id,
        keys,
        policy,
    })
}

/// The configured keys `s` may be verified with, and ring's algorithm for each: keys of the
/// SignatureMethod's kind, RSA ones of at least 2048 bits unless the policy admits legacy keys.
fn usable<'k>(
    keys: &'k [IdpKey],
    s: &ParsedSignature<'_>,
    policy: Policy,
) -> impl Iterator<Item = (&'k IdpKey, &'static dyn sig::VerificationAlgorithm)> + 'k {
    let alg = s.signature_alg;
    keys.iter().filter_map(move |k| {
        if k.algorithm().is_weak() && !policy.insecure_allow_sha1 {
            return None;
        }
        alg.verification(k).map(|p| (k, p))
    })
}

impl Sink for digest::Context {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

impl<'d> Prepared<'d, '_> {
    /// The digest of the signed element's canonical form (streamed, never buffered whole), and,
    /// from the same pass, the digest `nested` (a signature of a descendant with the same
    /// canonicalization) needs, when the pass could produce it.
    pub(crate) fn digest(
        &self,
        nested: Option<&Prepared<'d, '_>>,
        buffers: &mut C14nBuffers<'d>,
    ) -> Result<(digest::Digest, Option<digest::Digest>), SignatureError> {
        let s = &self.parsed;
        let doc = self.target.document();
        let apex = self.by_id.then(|| self.target.id());
        let mut outer = digest::Context::new(s.digest_alg.ring());
        let same_method = |n: &&Prepared<'d, '_>| n.parsed.reference_c14n == s.reference_c14n;
        let Some(n) = nested.filter(same_method) else {
            canonicalize_into_with(
                doc,
                apex,
                &s.reference_c14n,
                Some(s.element.id()),
                &mut outer,
                None,
                buffers,
            )
            .map_err(|e| profile(self.part, e.to_string()))?;
            return Ok((outer.finish(), None));
        };
        let mut inner = digest::Context::new(n.parsed.digest_alg.ring());
        let outcome = canonicalize_into_with(
            doc,
            apex,
            &s.reference_c14n,
            Some(s.element.id()),
            &mut outer,
            Some(Nested {
                apex: n.target.id(),
                exclude: Some(n.parsed.element.id()),
                sink: &mut inner,
            }),
            buffers,
        )
        .map_err(|e| profile(self.part, e.to_string()))?;
        let inner = (outcome == NestedOutcome::Complete).then(|| inner.finish());
        Ok((outer.finish(), inner))
    }

    /// Compares `digest` (of the signed element, from [`digest`](Self::digest)) with the
    /// Reference's, then verifies the SignedInfo with the usable keys, and returns the signed
    /// element as [`Signed`]: the only way to obtain one.
    pub(crate) fn finish(
        self,
        digest: &digest::Digest,
        buffers: &mut C14nBuffers<'d>,
    ) -> Result<Signed<'d>, SignatureError> {
        let (s, part) = (&self.parsed, self.part);
        if digest.as_ref() != s.digest_value.as_slice() {
            return Err(SignatureError::DigestMismatch { part });
        }
        // The canonical SignedInfo goes into the streaming buffer, free between passes.
        let mut signed_info = buffers.take_stream();
        canonicalize_with(
            self.target.document(),
            s.signed_info.id(),
            &s.signed_info_c14n,
            None,
            &mut signed_info,
            buffers,
        )
        .map_err(|e| profile(part, e.to_string()))?;
        let alg = s.signature_alg;
        let value = s.signature_value.as_slice();
        let verified = usable(self.keys, s, self.policy).any(|(key, params)| {
            let der;
            let value = match (alg, key.algorithm()) {
                (SignatureAlg::EcdsaSha384, KeyAlgorithm::EcdsaP256)
                | (SignatureAlg::EcdsaSha256, KeyAlgorithm::EcdsaP384) => {
                    match ecdsa_fixed_to_der(value, key.bits() / 8) {
                        Some(d) => {
                            der = d;
                            der.as_slice()
                        }
                        None => return false,
                    }
                }
                _ => value,
            };
            UnparsedPublicKey::new(params, key.public_key_bytes())
                .verify(&signed_info, value)
                .is_ok()
        });
        buffers.put_stream(signed_info);
        if verified {
            return Ok(Signed::new(self.target, s.element.id(), part));
        }
        Err(SignatureError::BadSignature {
            part,
            certificates: self.keys.len(),
        })
    }
}
