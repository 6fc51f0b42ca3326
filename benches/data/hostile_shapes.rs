// Hostile SAML documents, shared by the work-bound unit test (src/saml/work_bound.rs) and the
// `validate` bench through `include!`. Each is well-formed, within the default parser limits,
// needs no key, and is built to make one loop of the validator do as much work as it can.

/// Where the hostile `ds:Signature` sits.
#[derive(Clone, Copy, Debug)]
pub enum SignedAt {
    /// A child of the Response, referencing the Response.
    Response,
    /// A child of the Assertion, referencing the Assertion.
    Assertion,
}

/// The exclusive C14N transform's `InclusiveNamespaces PrefixList`.
#[derive(Clone, Copy, Debug)]
pub enum PrefixList {
    /// One undeclared prefix (`a`) repeated this many times.
    Repeated(usize),
    /// This many distinct prefixes `p0 p1 ...`; the first sixty are declared in scope.
    Distinct(usize),
}

const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

fn hostile_signature(uri: &str, list: PrefixList) -> String {
    let tokens: Vec<String> = match list {
        PrefixList::Repeated(n) => vec!["a".to_owned(); n],
        PrefixList::Distinct(n) => (0..n).map(|i| format!("p{i}")).collect(),
    };
    format!(
        "<ds:Signature xmlns:ds=\"{DSIG}\"><ds:SignedInfo>\
         <ds:CanonicalizationMethod Algorithm=\"{EXC}\"/>\
         <ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>\
         <ds:Reference URI=\"{uri}\"><ds:Transforms>\
         <ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>\
         <ds:Transform Algorithm=\"{EXC}\"><ec:InclusiveNamespaces xmlns:ec=\"{EXC}\" PrefixList=\"{}\"/></ds:Transform>\
         </ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>\
         <ds:DigestValue>AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</ds:DigestValue></ds:Reference>\
         </ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>",
        tokens.join(" ")
    )
}

/// The red team's shape: a Response or Assertion signature whose PrefixList is `list`, then, in
/// the signed element, an element declaring sixty namespaces with `children` empty children.
pub fn prefix_list_response(at: SignedAt, list: PrefixList, children: usize) -> String {
    let decls: String = (0..60).map(|i| format!(" xmlns:p{i}=\"urn:p{i}\"")).collect();
    let heavy = format!("<h{decls}>{}</h>", "<c/>".repeat(children));
    let (rsig, asig) = match at {
        SignedAt::Response => (hostile_signature("#_r", list), String::new()),
        SignedAt::Assertion => (String::new(), hostile_signature("#_a", list)),
    };
    format!(
        "<samlp:Response xmlns:samlp=\"{SAMLP}\" ID=\"_r\" Version=\"2.0\" \
         IssueInstant=\"2026-01-15T10:00:00Z\" Destination=\"https://sp.example.com/saml/acs\">\
         {rsig}<samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>\
         <saml:Assertion xmlns:saml=\"{SAML}\" ID=\"_a\" Version=\"2.0\" IssueInstant=\"2026-01-15T10:00:00Z\">\
         <saml:Issuer>http://www.okta.com/exkTEST</saml:Issuer>{asig}{heavy}</saml:Assertion></samlp:Response>"
    )
}

/// Sixty-three namespaces in scope, the used prefix declared outermost, and thousands of
/// prefixed elements and attributes (name resolution against many bindings).
pub fn many_namespaces_in_scope(target: usize) -> String {
    let mut s = String::from("<a:r xmlns:a=\"urn:a\"><e");
    for p in 0..62 {
        s.push_str(&format!(" xmlns:p{p}=\"urn:p{p}\""));
    }
    s.push('>');
    let mut elements = 0;
    while s.len() < target.saturating_sub(64) && elements < 9_900 {
        elements += 1;
        s.push_str("<a:x a:b=\"\" a:c=\"\"/>");
    }
    s.push_str("</e></a:r>");
    s
}

/// Elements with the most attributes allowed (64), all of equal length, so that duplicate-name
/// checks compare every pair.
pub fn many_attributes(target: usize) -> String {
    let attrs: String = (0..64).map(|i| format!(" n{i:03}=\"\"")).collect();
    let one = format!("<x{attrs}/>");
    let mut s = String::from("<r>");
    let mut elements = 0;
    // 20 000 attributes per document at most.
    while s.len() + one.len() < target.saturating_sub(8) && elements < 300 {
        elements += 1;
        s.push_str(&one);
    }
    s.push_str("</r>");
    s
}

/// A namespace URI of 100 KB, and elements with 64 attributes in it (the expanded-name check
/// compares every pair of an element's prefixed attributes by namespace and local name: the URI
/// must not be read once per attribute).
pub fn long_namespace_attributes(target: usize) -> String {
    let uri = format!("urn:{}", "x".repeat(100_000));
    let attrs: String = (0..64).map(|i| format!(" p:a{i}=\"1\"")).collect();
    let mut s = format!("<r xmlns:p=\"{uri}\">");
    let mut n = 0;
    while s.len() + attrs.len() + 16 < target.saturating_sub(8) && n < 300 {
        s.push_str(&format!("<e{n}{attrs}/>"));
        n += 1;
    }
    s.push_str("</r>");
    s
}

/// Filler kinds for [`filled_response`]: each made to stress one part of the parser and the
/// canonicalizer inside a signed Response (refused at the digest, after all the work).
#[derive(Clone, Copy, Debug)]
pub enum Filler {
    /// Chains of 56 nested elements (the depth limit is 64).
    Deep,
    /// One text node as long as the document allows.
    LongText,
    /// Text made of character and entity references (decoded into the text, merged).
    References,
    /// Empty elements, up to the node limit.
    SmallElements,
    /// Comments (dropped while parsing: no node limit applies).
    Comments,
    /// Processing instructions, up to the node limit.
    ProcessingInstructions,
}

/// A Response signed at the Response (exclusive C14N, a wrong digest) whose Assertion holds
/// `filler` up to about `target` bytes, within the default limits.
pub fn filled_response(filler: Filler, target: usize) -> String {
    let head = format!(
        "<samlp:Response xmlns:samlp=\"{SAMLP}\" ID=\"_r\" Version=\"2.0\" \
         IssueInstant=\"2026-01-15T10:00:00Z\" Destination=\"https://sp.example.com/saml/acs\">\
         {}<samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status>\
         <saml:Assertion xmlns:saml=\"{SAML}\" ID=\"_a\" Version=\"2.0\" IssueInstant=\"2026-01-15T10:00:00Z\">\
         <saml:Issuer>http://www.okta.com/exkTEST</saml:Issuer>",
        hostile_signature("#_r", PrefixList::Repeated(0))
    );
    let tail = "</saml:Assertion></samlp:Response>";
    let room = target.saturating_sub(head.len() + tail.len() + 16);
    let body = match filler {
        Filler::Deep => {
            let chain = format!("{}{}", "<d>".repeat(56), "</d>".repeat(56));
            // 56 nodes per chain, under the 20 000-node limit.
            chain.repeat((room / chain.len()).min(19_000 / 56))
        }
        Filler::LongText => format!("<t>{}</t>", "x".repeat(room.saturating_sub(7))),
        Filler::References => format!("<t>{}</t>", "a&amp;&#x42;".repeat(room / 12)),
        Filler::SmallElements => "<c/>".repeat((room / 4).min(19_000)),
        Filler::Comments => "<!--c-->".repeat(room / 8),
        Filler::ProcessingInstructions => "<?p d?>".repeat((room / 7).min(19_000)),
    };
    format!("{head}{body}{tail}")
}
