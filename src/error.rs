//! Error types, one enum per concern.
//!
//! Every error that can come from a SAML response has a stable [`code`](SamlError::code) (the
//! vocabulary of the test vectors' `reject_checks`, e.g. `audience`, `signature`, `time`) and a
//! [`hint`](SamlError::hint) written for the organization admin: which Okta setting to change.
//! Errors carry what was compared (expected and got), never secrets. Mistakes of the host program
//! (caller misuse) are kept apart in [`UsageError`].

mod encryption;
pub use encryption::EncryptionError;

use std::fmt;
use std::time::Duration;

use crate::time::{Timestamp, TimestampError};

/// Where in Okta each SAML setting lives (used by hints and config errors).
pub(crate) mod okta {
    pub const CERTIFICATE: &str = "Okta admin console: Applications > your app > Sign On > SAML Signing Certificates > Actions > Download certificate (the active one); paste it into the SSO settings' certificate field";
    pub const SSO_URL: &str = "Okta: Applications > your app > Sign On > View SAML setup instructions > \"Identity Provider Single Sign-On URL\" (the \"Redirect Login URL\"); paste it as the Authentication URL";
    pub const ISSUER: &str = "Okta: Applications > your app > Sign On > View SAML setup instructions > \"Identity Provider Issuer\"; paste it as the Issuer URL";
    pub const AUDIENCE: &str = "Okta: Applications > your app > General > SAML Settings > \"Audience URI (SP Entity ID)\" must equal this organization's SP entity id exactly";
    pub const ACS: &str = "Okta: Applications > your app > General > SAML Settings > \"Single sign-on URL\" (with \"Use this for Recipient URL and Destination URL\" checked) must equal this organization's postback (ACS) URL exactly";
    pub const ALGORITHMS: &str = "Okta: Applications > your app > General > SAML Settings > Show Advanced Settings: set \"Signature Algorithm\" to RSA-SHA256 and \"Digest Algorithm\" to SHA256 (and use a 2048-bit certificate)";
    pub const ENCRYPTION: &str = "Okta: Applications > your app > General > SAML Settings > Show Advanced Settings > \"Assertion Encryption\": either set it to Unencrypted, or upload the SP's encryption certificate there and configure its private key in the SSO settings (builds with the encrypted-assertions feature)";
    pub const ENCRYPTION_ALGORITHMS: &str = "Okta: Applications > your app > General > SAML Settings > Show Advanced Settings: \"Encryption Algorithm\" AES256-CBC, AES128-CBC, AES256-GCM or AES128-GCM, and \"Key Transport Algorithm\" RSA-OAEP (RSA 1.5 is refused: it allows Bleichenbacher's attack)";
    pub const DECRYPTION: &str = "The assertion was not encrypted for the configured SP decryption key, or was changed on the way. Check that the \"Encryption Certificate\" uploaded in Okta (General > SAML Settings > Show Advanced Settings) is the certificate of the private key configured here; during a rotation, configure both keys.";
    pub const EMAIL_ATTRIBUTE: &str = "Okta: Applications > your app > General > SAML Settings > Attribute Statements: add Name \"email\", Name format Unspecified, Value user.email";
}

/// An optional value for messages: quoted, or `missing`.
fn shown(v: &Option<String>) -> String {
    match v {
        Some(s) => format!("{s:?}"),
        None => "missing".to_owned(),
    }
}

/// Why an XML document was refused by the parser or by canonicalization.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    /// A `<!DOCTYPE ...>` declaration: never accepted (no DTDs, no entity definitions).
    #[error(
        "the document contains a DOCTYPE declaration (at byte {offset}); DTDs are never accepted"
    )]
    Doctype {
        /// Byte offset of the declaration.
        offset: usize,
    },
    /// The document is larger than the configured maximum.
    #[error("the document is {actual} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
        /// The document's size in bytes.
        actual: usize,
    },
    /// A count limit (depth, nodes, attributes, namespace declarations) was exceeded.
    #[error("too many {what} (limit {limit}), at byte {offset}")]
    LimitExceeded {
        /// What was counted.
        what: &'static str,
        /// The limit.
        limit: usize,
        /// Byte offset where it was exceeded.
        offset: usize,
    },
    /// The bytes are not UTF-8.
    #[error("the document is not valid UTF-8 (at byte {offset})")]
    NotUtf8 {
        /// Byte offset of the first invalid sequence.
        offset: usize,
    },
    /// The document declares (or starts with the byte-order mark of) an encoding other than UTF-8.
    #[error("the document is encoded as {declared}; only UTF-8 is accepted")]
    UnsupportedEncoding {
        /// The declared encoding.
        declared: String,
    },
    /// A character XML does not allow (a control character, U+FFFE, U+FFFF).
    #[error("a character XML does not allow, at byte {offset}")]
    IllegalCharacter {
        /// Byte offset of the character.
        offset: usize,
    },
    /// The document is not well-formed.
    #[error("malformed XML at byte {offset}: {message}")]
    Syntax {
        /// Byte offset of the problem.
        offset: usize,
        /// What is wrong.
        message: String,
    },
    /// A reference to an entity other than the five predefined ones.
    #[error("reference to undefined entity &{name}; at byte {offset}")]
    UndefinedEntity {
        /// The entity name.
        name: String,
        /// Byte offset of the reference.
        offset: usize,
    },
    /// A prefix used without a namespace declaration in scope.
    #[error("namespace prefix {prefix:?} is not declared (at byte {offset})")]
    UnboundPrefix {
        /// The prefix.
        prefix: String,
        /// Byte offset of the use.
        offset: usize,
    },
    /// Two attributes with the same namespace and local name.
    #[error("duplicate attribute {name} (at byte {offset})")]
    DuplicateAttribute {
        /// The expanded name `{uri}local`.
        name: String,
        /// Byte offset of the element.
        offset: usize,
    },
    /// A namespace declaration XML Namespaces forbids.
    #[error("invalid namespace declaration at byte {offset}: {message}")]
    Namespace {
        /// What is wrong.
        message: String,
        /// Byte offset of the declaration.
        offset: usize,
    },
    /// An element read as text has element children.
    #[error("<{element}> must contain only text, but it contains elements")]
    NotText {
        /// The element's qualified name.
        element: String,
    },
    /// A canonicalization case this implementation refuses rather than guesses.
    #[error("unsupported canonicalization input: {reason}")]
    UnsupportedCanonicalization {
        /// What was found.
        reason: &'static str,
    },
    /// A node id that does not belong to the document.
    #[error("the node id does not name an element of this document")]
    UnknownNode,
}

impl XmlError {
    /// Stable code: `doctype`, `limit_exceeded` or `malformed_xml`.
    pub fn code(&self) -> &'static str {
        match self {
            XmlError::Doctype { .. } => "doctype",
            XmlError::TooLarge { .. } | XmlError::LimitExceeded { .. } => "limit_exceeded",
            _ => "malformed_xml",
        }
    }
}

/// Why the posted `SAMLResponse` value could not be decoded into an XML document.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodingError {
    /// The value is empty.
    #[error("the SAMLResponse value is empty")]
    Empty,
    /// The value is larger than the configured limit would allow after decoding.
    #[error("the SAMLResponse value is {actual} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// The limit on the encoded value in bytes.
        limit: usize,
        /// The size of the value.
        actual: usize,
    },
    /// Not base64.
    #[error("the SAMLResponse value is not valid base64: {reason}")]
    Base64 {
        /// What the decoder said.
        reason: String,
    },
    /// The decoded bytes look DEFLATE-compressed: that is the HTTP-Redirect encoding, which the
    /// Web SSO profile never uses for responses.
    #[error("the SAMLResponse value is DEFLATE-compressed (HTTP-Redirect encoding); responses are posted as plain base64 (HTTP-POST binding)")]
    Deflated,
    /// The decoded bytes are not an XML document.
    #[error("the decoded SAMLResponse is not XML (it starts with {starts_with:?})")]
    NotXml {
        /// The first bytes, for diagnosis.
        starts_with: String,
    },
}

/// Which signed element a signature error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignedPart {
    /// The `samlp:Response` (the signature that is a direct child of the root).
    Response,
    /// The `saml:Assertion` (the signature that is a direct child of the Assertion).
    Assertion,
}

impl fmt::Display for SignedPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignedPart::Response => "Response",
            SignedPart::Assertion => "Assertion",
        })
    }
}

/// The document's shape is not that of a single-assertion SAML 2.0 Response.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StructureError {
    /// The root element is not `samlp:Response`.
    #[error("the document is a <{found}>, not a SAML 2.0 protocol Response")]
    NotAResponse {
        /// The root's expanded name.
        found: String,
    },
    /// Version is not 2.0.
    #[error("{element} Version is {}, expected \"2.0\"", shown(.found))]
    Version {
        /// Response or Assertion.
        element: &'static str,
        /// What it says.
        found: Option<String>,
    },
    /// More than one Assertion in the document.
    #[error("the document contains {count} Assertion elements; exactly one is accepted")]
    MultipleAssertions {
        /// How many `saml:Assertion` elements there are, anywhere.
        count: usize,
    },
    /// No Assertion although the status is Success.
    #[error("the Response contains no Assertion")]
    NoAssertion,
    /// The single Assertion is not a direct child of the Response.
    #[error("the Assertion is not a direct child of the Response")]
    MisplacedAssertion,
    /// An EncryptedAssertion, and no SP decryption key to read it with (or a build without the
    /// `encrypted-assertions` feature).
    #[error(
        "the Response contains an EncryptedAssertion, and no SP decryption key is configured (feature encrypted-assertions)"
    )]
    EncryptedAssertion,
    /// An encrypted NameID (not supported yet).
    #[error("the Subject has an EncryptedID; encrypted NameIDs are not supported yet")]
    EncryptedId,
    /// The same ID value appears twice in the document.
    #[error("the ID {id:?} appears more than once in the document")]
    DuplicateId {
        /// The repeated value.
        id: String,
    },
    /// A required element or attribute is missing.
    #[error("{what} is missing")]
    Missing {
        /// What is missing, e.g. `Assertion/Subject`.
        what: &'static str,
    },
    /// An element that may appear once appears several times.
    #[error("{what} appears {count} times; at most one is accepted")]
    Repeated {
        /// The element.
        what: &'static str,
        /// How many times.
        count: usize,
    },
    /// An attribute that must be a date-time is not one.
    #[error("{what} is not a valid date-time: {source}")]
    Time {
        /// Which attribute, e.g. `Conditions/@NotOnOrAfter`.
        what: &'static str,
        /// The parse error.
        source: TimestampError,
    },
    /// A text value could not be read (it contains elements).
    #[error(transparent)]
    Xml(#[from] XmlError),
}

/// A signature is missing, outside the profile we accept, or does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// Neither the Response nor the Assertion is signed.
    #[error("neither the Response nor the Assertion is signed")]
    Unsigned,
    /// A `ds:Signature` somewhere other than as a direct child of the Response or the Assertion.
    #[error("a ds:Signature inside <{parent}> is not where SAML signatures go (direct child of the Response or the Assertion)")]
    Misplaced {
        /// The element containing it.
        parent: String,
    },
    /// More than one signature on the same element.
    #[error("the {part} carries {count} signatures; exactly one is accepted")]
    Multiple {
        /// The signed element.
        part: SignedPart,
        /// How many.
        count: usize,
    },
    /// The signature's structure is outside the restricted XML-DSig profile.
    #[error("the {part} signature is outside the accepted XML-DSig profile: {reason}")]
    Profile {
        /// The signed element.
        part: SignedPart,
        /// What is outside the profile.
        reason: String,
    },
    /// An algorithm we do not implement at all.
    #[error("the {part} signature uses an unsupported algorithm {algorithm}")]
    UnsupportedAlgorithm {
        /// The signed element.
        part: SignedPart,
        /// The algorithm URI.
        algorithm: String,
    },
    /// A legacy algorithm (SHA-1) refused unless explicitly allowed.
    #[error("the {part} signature uses the legacy algorithm {algorithm}, refused unless SHA-1 is explicitly allowed")]
    LegacyAlgorithm {
        /// The signed element.
        part: SignedPart,
        /// The algorithm URI.
        algorithm: String,
    },
    /// Every configured certificate's RSA key is shorter than 2048 bits (or than the policy allows).
    #[error("the configured certificate keys are too short ({bits} bits); at least 2048 bits are required")]
    WeakKey {
        /// The largest configured key size in bits.
        bits: usize,
    },
    /// The SignatureMethod needs another kind of key than every configured certificate holds
    /// (an ECDSA signature with RSA certificates, or the other way round).
    #[error("the {part} signature uses {algorithm}, which no configured certificate can verify (they hold {keys})")]
    KeyMismatch {
        /// The signed element.
        part: SignedPart,
        /// The SignatureMethod URI.
        algorithm: String,
        /// The configured keys, e.g. `RSA 2048-bit`.
        keys: String,
    },
    /// The signed content does not match its digest: it was changed after signing.
    #[error("the {part} was changed after it was signed (digest mismatch)")]
    DigestMismatch {
        /// The signed element.
        part: SignedPart,
    },
    /// The signature value does not verify with any configured certificate.
    #[error("the {part} signature does not verify with the configured certificate{}", if *.certificates == 1 { String::new() } else { format!("s ({} tried)", .certificates) })]
    BadSignature {
        /// The signed element.
        part: SignedPart,
        /// How many configured certificates were tried.
        certificates: usize,
    },
    /// The independent libxmlsec1 check disagreed (only with the `xmlsec` feature).
    #[error("the {part} signature was refused by the libxmlsec1 cross-check: {reason}")]
    CrossCheck {
        /// The signed element.
        part: SignedPart,
        /// What libxmlsec1 reported.
        reason: String,
    },
}

/// A verified response whose conditions do not hold for this service provider, now.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConditionError {
    /// The Response's Destination is not our ACS URL.
    #[error("Response Destination is {}, expected {expected:?}", shown(.got))]
    Destination {
        /// Our ACS URL.
        expected: String,
        /// What the Response says (`None` when absent).
        got: Option<String>,
    },
    /// No bearer SubjectConfirmationData names our ACS URL as Recipient.
    #[error("SubjectConfirmationData Recipient is {}, expected {expected:?}", shown(.got))]
    Recipient {
        /// Our ACS URL.
        expected: String,
        /// What the (first bearer) confirmation says.
        got: Option<String>,
    },
    /// Our SP entity id is not among the audiences.
    #[error("Audience is {got:?}, expected {expected:?} to be among them")]
    Audience {
        /// Our SP entity id.
        expected: String,
        /// The audiences of the failing AudienceRestriction.
        got: Vec<String>,
    },
    /// The issuer is not the configured IdP.
    #[error("{element} Issuer is {}, expected {expected:?}", shown(.got))]
    Issuer {
        /// `Response` or `Assertion`.
        element: &'static str,
        /// The configured IdP issuer.
        expected: String,
        /// What the element says.
        got: Option<String>,
    },
    /// `now` is before a NotBefore (with the clock skew allowance).
    #[error("{what} NotBefore is {not_before}, but now is {now} (allowed clock skew {}s)", .skew.as_secs())]
    NotYetValid {
        /// Which element.
        what: &'static str,
        /// The instant it becomes valid.
        not_before: Timestamp,
        /// The validation instant.
        now: Timestamp,
        /// The allowed skew.
        skew: Duration,
    },
    /// `now` is at or after a NotOnOrAfter (with the clock skew allowance).
    #[error("{what} expired at {not_on_or_after}, now is {now} (allowed clock skew {}s)", .skew.as_secs())]
    Expired {
        /// Which element.
        what: &'static str,
        /// The instant it stops being valid.
        not_on_or_after: Timestamp,
        /// The validation instant.
        now: Timestamp,
        /// The allowed skew.
        skew: Duration,
    },
    /// The IdP reports failure.
    #[error("the identity provider reported status {code}{}{}", .second_level.as_ref().map(|s| format!(" / {s}")).unwrap_or_default(), .message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    Status {
        /// The top-level status code URI.
        code: String,
        /// The second-level status code URI, if any.
        second_level: Option<String>,
        /// The StatusMessage, if any (text from the IdP; shown to admins, not trusted).
        message: Option<String>,
    },
    /// InResponseTo does not name an outstanding request (or is absent where one is required).
    #[error("InResponseTo is {}, {}", shown(.got), if .outstanding == &0 { "but no login request is outstanding (IdP-initiated logins are not allowed)".to_owned() } else { format!("which is not one of the {} outstanding login request(s)", .outstanding) })]
    InResponseTo {
        /// The value in the response (`None` = unsolicited).
        got: Option<String>,
        /// How many request ids the host passed.
        outstanding: usize,
    },
    /// Response and SubjectConfirmationData carry different InResponseTo values.
    #[error("Response InResponseTo {} differs from SubjectConfirmationData InResponseTo {}", shown(.response), shown(.confirmation))]
    InResponseToMismatch {
        /// On the Response.
        response: Option<String>,
        /// On the bearer SubjectConfirmationData.
        confirmation: Option<String>,
    },
    /// No bearer SubjectConfirmation.
    #[error("the Subject has no bearer SubjectConfirmation with SubjectConfirmationData")]
    NoBearerConfirmation,
    /// Conditions holds a condition this validator does not understand (SAML core §2.5.1: the
    /// assertion is then Indeterminate).
    #[error("Conditions holds the unknown condition {condition}")]
    UnknownCondition {
        /// `{namespace}name`, with its `xsi:type` when it has one (shortened).
        condition: String,
    },
}

/// The assertion is valid but does not carry what the product needs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimError {
    /// The Subject has no NameID.
    #[error("the Subject has no NameID")]
    MissingNameId,
    /// The email attribute statement is missing (required by configuration).
    #[error("the assertion has no {attribute:?} attribute (matched case-insensitively), which is required")]
    MissingEmail {
        /// The configured attribute name.
        attribute: String,
    },
    /// The email attribute has several values, or several attributes match.
    #[error("the {attribute:?} attribute has {count} values; exactly one is accepted")]
    AmbiguousEmail {
        /// The configured attribute name.
        attribute: String,
        /// How many values were found.
        count: usize,
    },
    /// The email value is not an email address.
    #[error("the {attribute:?} attribute value {value:?} is not an email address")]
    InvalidEmail {
        /// The configured attribute name.
        attribute: String,
        /// The value (shortened).
        value: String,
    },
}

/// The host program called the API in a way that cannot be validated safely.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// No request state was given, but IdP-initiated logins are disabled, so InResponseTo cannot
    /// be judged.
    #[error("no outstanding request ids were passed, but IdP-initiated logins are disabled: pass RequestState::outstanding(ids) or enable allow_idp_initiated")]
    NoRequestState,
}

/// Why a SAML response was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SamlError {
    /// The posted value could not be decoded.
    #[error(transparent)]
    Encoding(#[from] EncodingError),
    /// The XML could not be parsed.
    #[error(transparent)]
    Xml(#[from] XmlError),
    /// The document is not a single-assertion SAML Response.
    #[error(transparent)]
    Structure(#[from] StructureError),
    /// A signature is missing, outside the profile, or does not verify.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// A condition (issuer, audience, destination, time, status, ...) does not hold.
    #[error(transparent)]
    Condition(#[from] ConditionError),
    /// A required claim is missing or malformed.
    #[error(transparent)]
    Claims(#[from] ClaimError),
    /// The host program misused the API.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// An EncryptedAssertion could not be decrypted, or is outside the profile.
    #[error(transparent)]
    Encryption(#[from] EncryptionError),
}

impl SamlError {
    /// A stable, machine-readable code for this error (for logs, metrics and API responses).
    ///
    /// | code | meaning |
    /// |---|---|
    /// | `encoding` | the form value is not plain base64 of an XML document |
    /// | `malformed_xml`, `limit_exceeded`, `doctype` | the XML was refused by the parser |
    /// | `not_a_response`, `missing_element`, `malformed_saml` | the document is not a usable SAML Response |
    /// | `multiple_assertions`, `missing_assertion`, `duplicate_id` | shapes used by signature-wrapping attacks |
    /// | `encrypted_assertion` | encrypted assertions (or NameIDs) are not supported yet |
    /// | `signature` | unsigned, misplaced, outside the profile, changed after signing, or wrong key |
    /// | `legacy_algorithm` | SHA-1 or a key under 2048 bits, without the insecure opt-in |
    /// | `issuer`, `audience`, `destination`, `recipient`, `time`, `status`, `in_response_to` | conditions |
    /// | `subject_confirmation` | no bearer subject confirmation |
    /// | `unknown_condition` | Conditions holds a condition we do not understand (SAML core §2.5.1) |
    /// | `missing_name_id`, `missing_email`, `ambiguous_email`, `invalid_email` | claims |
    /// | `request_state` | caller misuse: no request state while IdP-initiated logins are disabled |
    /// | `unsupported_algorithm` | an EncryptedAssertion's algorithm is not implemented or refused |
    /// | `decryption` | an EncryptedAssertion did not decrypt and verify with the SP's keys |
    pub fn code(&self) -> &'static str {
        match self {
            SamlError::Encoding(_) => "encoding",
            SamlError::Xml(e) => e.code(),
            SamlError::Structure(e) => match e {
                StructureError::NotAResponse { .. } => "not_a_response",
                StructureError::MultipleAssertions { .. } => "multiple_assertions",
                StructureError::NoAssertion => "missing_assertion",
                StructureError::MisplacedAssertion => "multiple_assertions",
                StructureError::EncryptedAssertion | StructureError::EncryptedId => {
                    "encrypted_assertion"
                }
                StructureError::DuplicateId { .. } => "duplicate_id",
                StructureError::Missing { .. } => "missing_element",
                StructureError::Xml(x) => x.code(),
                _ => "malformed_saml",
            },
            SamlError::Signature(e) => match e {
                SignatureError::LegacyAlgorithm { .. } | SignatureError::WeakKey { .. } => {
                    "legacy_algorithm"
                }
                _ => "signature",
            },
            SamlError::Condition(e) => match e {
                ConditionError::Destination { .. } => "destination",
                ConditionError::Recipient { .. } => "recipient",
                ConditionError::Audience { .. } => "audience",
                ConditionError::Issuer { .. } => "issuer",
                ConditionError::NotYetValid { .. } | ConditionError::Expired { .. } => "time",
                ConditionError::Status { .. } => "status",
                ConditionError::InResponseTo { .. }
                | ConditionError::InResponseToMismatch { .. } => "in_response_to",
                ConditionError::NoBearerConfirmation => "subject_confirmation",
                ConditionError::UnknownCondition { .. } => "unknown_condition",
            },
            SamlError::Claims(e) => match e {
                ClaimError::MissingNameId => "missing_name_id",
                ClaimError::MissingEmail { .. } => "missing_email",
                ClaimError::AmbiguousEmail { .. } => "ambiguous_email",
                ClaimError::InvalidEmail { .. } => "invalid_email",
            },
            SamlError::Usage(_) => "request_state",
            SamlError::Encryption(e) => match e {
                EncryptionError::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
                EncryptionError::Decryption => "decryption",
                _ => "encrypted_assertion",
            },
        }
    }

    /// What an admin (or the host developer, for `request_state`) should do about it.
    pub fn hint(&self) -> &'static str {
        match self.code() {
            "encoding" => "Post the SAMLResponse form field exactly as the browser sent it (HTTP-POST binding: plain base64, no DEFLATE, no URL-decoding twice). Check that the ACS URL is configured in Okta as the \"Single sign-on URL\" of a SAML 2.0 app.",
            "malformed_xml" | "limit_exceeded" | "doctype" | "not_a_response" | "missing_element" | "malformed_saml" => "The posted document is not a SAML 2.0 Response as Okta sends it. Make sure the ACS URL receives only Okta's SAML POST; if it does, the response was altered on the way.",
            "multiple_assertions" | "duplicate_id" | "missing_assertion" => "The response has the shape of a signature-wrapping attack or carries no assertion. Okta sends exactly one Assertion; if this is not an attack, check that the user is assigned to the app in Okta.",
            "encrypted_assertion" => okta::ENCRYPTION,
            "unsupported_algorithm" => okta::ENCRYPTION_ALGORITHMS,
            "decryption" => okta::DECRYPTION,
            "signature" => "The signature does not verify with the configured IdP certificate. Re-download the active certificate (Okta: Applications > your app > Sign On > SAML Signing Certificates > Download certificate) and paste it into the SSO settings; after a certificate rotation, configure both certificates until the old one is retired. Okta should sign the Response and/or the Assertion (General > SAML Settings > Show Advanced Settings).",
            "legacy_algorithm" => okta::ALGORITHMS,
            "issuer" => okta::ISSUER,
            "audience" => okta::AUDIENCE,
            "destination" | "recipient" => okta::ACS,
            "time" => "The response is outside its validity window. Check that this server's clock is synchronized (NTP); a small difference is tolerated by the clock-skew setting. If the user took long to post it, they can simply log in again.",
            "status" => "Okta refused the login. Check in Okta that the user is assigned to the app (Applications > your app > Assignments) and see Okta's System Log for the reason.",
            "in_response_to" => "The response does not answer a login this application started (or it started too long ago, or in another browser). Start the login again from the application; to allow logins started from the Okta dashboard, enable IdP-initiated logins in the SSO settings.",
            "subject_confirmation" => okta::ACS,
            "unknown_condition" => "The assertion carries a condition this application does not understand, so it cannot be judged valid (SAML core 2.5.1). Okta sends only AudienceRestriction: check that the response really comes from the configured Okta app, and remove any custom condition added by an inline hook or another IdP.",
            "missing_name_id" => "Okta: Applications > your app > General > SAML Settings > \"Name ID format\" and \"Application username\" must be set (EmailAddress and Email are typical).",
            "missing_email" | "ambiguous_email" | "invalid_email" => okta::EMAIL_ATTRIBUTE,
            "request_state" => "Host program: pass the outstanding AuthnRequest ids to the validator, or enable IdP-initiated logins in the SSO configuration (weaker: InResponseTo is then not judged).",
            _ => "See the error message.",
        }
    }
}

/// Why an [`SsoConfig`](crate::SsoConfig) could not be built: which field, what was wrong, and
/// where in Okta the right value is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ConfigError {
    field: ConfigField,
    reason: String,
}

impl ConfigError {
    pub(crate) fn new(field: ConfigField, reason: impl Into<String>) -> ConfigError {
        ConfigError {
            field,
            reason: reason.into(),
        }
    }

    /// The field that is wrong.
    pub fn field(&self) -> ConfigField {
        self.field
    }

    /// What is wrong with it.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Where the right value is (in Okta, or in this product).
    pub fn hint(&self) -> &'static str {
        self.field.where_to_find()
    }
}

/// A field of [`SsoConfig`](crate::SsoConfig).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigField {
    /// The IdP's X.509 signing certificate(s).
    IdpCertificate,
    /// The IdP's Authentication URL (Okta "Redirect Login URL" / "Identity Provider Single Sign-On URL").
    IdpSsoUrl,
    /// The IdP's Issuer URL (Okta "Identity Provider Issuer").
    IdpIssuer,
    /// Our SP entity id (Okta "Audience URI (SP Entity ID)").
    SpEntityId,
    /// Our postback (ACS) URL (Okta "Single sign-on URL").
    AcsUrl,
    /// The clock skew allowance.
    ClockSkew,
    /// The name of the email attribute statement.
    EmailAttribute,
    /// The name of the first-name attribute statement.
    FirstNameAttribute,
    /// The name of the last-name attribute statement.
    LastNameAttribute,
}

impl ConfigField {
    /// The field's name as used in serialized configuration.
    pub fn name(self) -> &'static str {
        match self {
            ConfigField::IdpCertificate => "idp_certificates",
            ConfigField::IdpSsoUrl => "idp_sso_url",
            ConfigField::IdpIssuer => "idp_issuer",
            ConfigField::SpEntityId => "sp_entity_id",
            ConfigField::AcsUrl => "acs_url",
            ConfigField::ClockSkew => "clock_skew_secs",
            ConfigField::EmailAttribute => "email_attribute",
            ConfigField::FirstNameAttribute => "first_name_attribute",
            ConfigField::LastNameAttribute => "last_name_attribute",
        }
    }

    /// Where the right value is.
    pub fn where_to_find(self) -> &'static str {
        match self {
            ConfigField::IdpCertificate => okta::CERTIFICATE,
            ConfigField::IdpSsoUrl => okta::SSO_URL,
            ConfigField::IdpIssuer => okta::ISSUER,
            ConfigField::SpEntityId => "This product's SSO settings page shows the SP entity id; enter the same value in Okta: Applications > your app > General > SAML Settings > \"Audience URI (SP Entity ID)\"",
            ConfigField::AcsUrl => "This product's SSO settings page shows the postback (ACS) URL; enter the same value in Okta: Applications > your app > General > SAML Settings > \"Single sign-on URL\"",
            ConfigField::ClockSkew => "A few minutes is enough (default 180 seconds); at most one hour",
            ConfigField::EmailAttribute | ConfigField::FirstNameAttribute | ConfigField::LastNameAttribute => "Okta: Applications > your app > General > SAML Settings > Attribute Statements: the Name column",
        }
    }
}

impl fmt::Display for ConfigField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a certificate could not be used as an IdP signing certificate.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// Nothing to parse.
    #[error("the certificate is empty")]
    Empty,
    /// A PEM block that is not a CERTIFICATE.
    #[error("the PEM block is a {label:?}, not a CERTIFICATE (do not paste a private key or a public key alone)")]
    WrongPemLabel {
        /// The label found.
        label: String,
    },
    /// PEM armor or base64 is broken.
    #[error("the certificate text is not valid PEM or base64: {reason}")]
    Encoding {
        /// What is wrong.
        reason: String,
    },
    /// The DER is not an X.509 certificate.
    #[error("the certificate is not a valid X.509 certificate: {reason}")]
    X509 {
        /// What the parser said.
        reason: String,
    },
    /// The key is neither RSA nor ECDSA (the name is older than ECDSA support).
    #[error("the certificate's key is {algorithm}; only RSA and ECDSA (P-256, P-384) keys are supported")]
    NotRsa {
        /// The key algorithm OID.
        algorithm: String,
    },
    /// An ECDSA key on a curve other than P-256 and P-384.
    #[error("the certificate's ECDSA key is on curve {curve}; only P-256 and P-384 are supported")]
    UnsupportedCurve {
        /// The curve's OID.
        curve: String,
    },
    /// Too large to be a certificate.
    #[error("the certificate is {actual} bytes; at most {limit} are accepted")]
    TooLarge {
        /// The limit.
        limit: usize,
        /// The size.
        actual: usize,
    },
}

/// Why [`PendingLogin::consume`](crate::PendingLogin::consume) refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError<E: std::error::Error + 'static> {
    /// The assertion id was consumed before: this post is a replay.
    #[error("assertion {assertion_id:?} from {issuer:?} was already used to log in (replay)")]
    Replayed {
        /// The IdP issuer.
        issuer: String,
        /// The assertion id.
        assertion_id: String,
    },
    /// The replay cache could not be consulted; the login must not proceed.
    #[error("the replay cache failed: {0}")]
    Cache(#[source] E),
    /// The response answers an AuthnRequest id that is not outstanding in the request store:
    /// never issued here, expired, or already answered.
    #[error("the response answers login request {in_response_to:?}, which is not outstanding (unknown, expired or already used)")]
    UnknownRequest {
        /// The response's InResponseTo.
        in_response_to: String,
    },
    /// The response answers an AuthnRequest, and the validator was told the request ids are in
    /// a store ([`RequestState::stored`](crate::RequestState::stored)), but no store was given:
    /// use [`PendingLogin::consume_with`](crate::PendingLogin::consume_with).
    #[error("this response answers login request {in_response_to:?}: consume it with PendingLogin::consume_with and the AuthnRequest store")]
    RequestStoreNeeded {
        /// The response's InResponseTo.
        in_response_to: String,
    },
    /// The AuthnRequest store failed; the login must not proceed.
    #[error("the login request store failed: {0}")]
    Requests(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl<E: std::error::Error + 'static> ReplayError<E> {
    /// `replay` or `replay_cache`.
    pub fn code(&self) -> &'static str {
        match self {
            ReplayError::Replayed { .. } => "replay",
            ReplayError::Cache(_) => "replay_cache",
            ReplayError::UnknownRequest { .. } => "in_response_to",
            ReplayError::RequestStoreNeeded { .. } => "request_state",
            ReplayError::Requests(_) => "request_store",
        }
    }

    /// What to do.
    pub fn hint(&self) -> &'static str {
        match self {
            ReplayError::Replayed { .. } => "This SAML response was already used. Each response logs in once; start the login again.",
            ReplayError::Cache(_) => "The replay cache (host storage) is unavailable; the login was refused to stay safe. Retry when storage is back.",
            ReplayError::UnknownRequest { .. } => "The response does not answer a login this application started, or that login is older than its lifetime (10 minutes by default) or was already completed. Start the login again from the application.",
            ReplayError::RequestStoreNeeded { .. } => "Host program: the validator was given RequestState::stored(); finish the login with PendingLogin::consume_with(replay_cache, request_store).",
            ReplayError::Requests(_) => "The login request store (host storage) is unavailable; the login was refused to stay safe. Retry when storage is back.",
        }
    }
}
