#!/usr/bin/env python3
"""Generate extra Okta-shaped SAML 2.0 Response test vectors, signed by the xmlsec1 CLI.

Run:    python3 generate.py        (from any directory; rewrites this directory's
                                    *.xml vectors and manifest.json in place)
Needs:  python3 >= 3.9 (stdlib only), the xmlsec1 CLI (tested: 1.2.37, Debian, OpenSSL
        backend) and the openssl CLI (tested: 3.0).

This complements ../vectors (same manifest format, same SP configuration, same IdP key):
canonicalization variants, other algorithms and key sizes, claim extraction (email
attribute rules, multi-valued attributes, entity references, CDATA), and XML-DSig profile
restrictions (ds:Object, several References, XPath / missing C14N transforms, HMAC,
a Reference to another element, misplaced signatures) plus a few SAML conditions.

Every signature is made by `xmlsec1 --sign` from a template (never computed here), and
every file is re-checked with `xmlsec1 --verify`; the outcomes are recorded in the
manifest. The signer is deliberately NOT the Rust code under test.

Keys:
  ../vectors/generated/idp-key.pem, idp-cert.pem   the shared TEST-ONLY IdP key (read only)
  rsa4096-key.pem / rsa4096-cert.pem               TEST-ONLY 4096-bit key (valid-rsa4096)
  rsa1024-key.pem / rsa1024-cert.pem               TEST-ONLY 1024-bit key (legacy-rsa1024)
The two new keys are created only when missing; their certificates are rebuilt here from
fixed fields, so with the committed keys the output is byte-for-byte deterministic (RSA
PKCS#1 v1.5 and HMAC signatures are deterministic; all IDs and instants are fixed).
"""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "vectors", "generated"))

# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------
NS_P = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_A = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NS_XENC = "http://www.w3.org/2001/04/xmlenc#"
NS_XS = "http://www.w3.org/2001/XMLSchema"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_EXT = "urn:example:okta-extension"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
C14N10 = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N11 = "http://www.w3.org/2006/12/xml-c14n11"
XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
ECDSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
HMAC_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
DIG_SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
DIG_SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
DIG_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#sha384"
DIG_SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
ENTITY_FMT = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
TRANSIENT_FMT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
ATTR_UNSPEC = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"
PPT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
CM_BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
CM_HOK = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"

# Same SP configuration as ../vectors/generated.
ACS_URL = "https://sp.example.com/saml/acs"
SP_ENTITY_ID = "https://sp.example.com/saml/metadata"
IDP_ISSUER = "http://www.okta.com/exkTEST"
REQUEST_ID = "_4f1c2a9e-3b7d-4c1a-9e2f-6a8b0c1d2e3f"
OTHER_REQUEST_ID = "_0bad0bad-0000-4000-8000-000000000000"
T0 = datetime(2026, 1, 15, 10, 0, 0, 123000, tzinfo=timezone.utc)  # IssueInstant
NOW = "2026-01-15T10:00:30Z"  # inside [T0-5min, T0+5min)
EMAIL = "jane.doe@example.com"

IDP_KEY = os.path.join(SHARED, "idp-key.pem")
IDP_CERT = os.path.join(SHARED, "idp-cert.pem")
IDP_CERT_REL = "../vectors/generated/idp-cert.pem"
OWN_KEYS = {  # name: (key file, cert file, bits, serial, CN)
    "rsa4096": ("rsa4096-key.pem", "rsa4096-cert.pem", 4096, 0x1D1D4096, "test-idp-4096.example.com"),
    "rsa1024": ("rsa1024-key.pem", "rsa1024-cert.pem", 1024, 0x1D1D1024, "test-idp-1024.example.com"),
    # ECDSA keys: the curve name instead of a size. Their certificates carry an ECDSA signature,
    # which is randomized: they are made once, when missing, and committed.
    "p256": ("ec-p256-key.pem", "ec-p256-cert.pem", "P-256", 0x1D1DEC256, "test-idp-p256.example.com"),
    "p384": ("ec-p384-key.pem", "ec-p384-cert.pem", "P-384", 0x1D1DEC384, "test-idp-p384.example.com"),
}
KEY_PREAMBLE = (
    "TEST-ONLY private key for the SAML test vectors in this directory.\n"
    "It is public; never use it outside tests. (Text before the PEM boundary is\n"
    "allowed by RFC 7468 section 5.2.)\n"
)

ID_ATTRS = [
    "--id-attr:ID", NS_A + ":Assertion",
    "--id-attr:ID", NS_P + ":Response",
]
XP_RESP_SIG = "/*[local-name()='Response']/*[local-name()='Signature']"
XP_ASSERT_SIG = ("/*[local-name()='Response']/*[local-name()='Assertion']"
                 "/*[local-name()='Signature']")
XP_EXT_SIG = "/*[local-name()='Response']/*[local-name()='Extensions']//*[local-name()='Signature']"
XMLSEC1_COMMAND = ("xmlsec1 --verify --id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion "
                   "--id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response --pubkey-cert-pem <idp_cert> <file>")


def run(cmd, inp=None):
    return subprocess.run(cmd, input=inp, capture_output=True)


def die(msg):
    sys.exit("generate.py: " + msg)


# ---------------------------------------------------------------------------
# Keys and certificates (fixed fields, built with a tiny DER encoder; the same
# construction as ../vectors/generated/generate.py)
# ---------------------------------------------------------------------------
def der(tag, body):
    n = len(body)
    if n < 0x80:
        ln = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        ln = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + ln + body


def der_int(v):
    return der(0x02, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big"))


def der_oid(s):
    parts = [int(x) for x in s.split(".")]
    out = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        enc = [p & 0x7F]
        p >>= 7
        while p:
            enc.append(0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(reversed(enc))
    return der(0x06, out)


def der_seq(*items):
    return der(0x30, b"".join(items))


def der_name(rdns):
    oids = {"C": "2.5.4.6", "ST": "2.5.4.8", "L": "2.5.4.7", "O": "2.5.4.10",
            "OU": "2.5.4.11", "CN": "2.5.4.3"}
    sets = []
    for k, v in rdns:
        tag = 0x13 if k == "C" else 0x0C  # PrintableString / UTF8String
        sets.append(der(0x31, der_seq(der_oid(oids[k]), der(tag, v.encode()))))
    return der_seq(*sets)


def make_cert(key_path, cert_path, serial, cn, ec=False):
    """Self-signed v3 cert (no extensions, like Okta's), validity 2025-01-01..2045-01-01."""
    spki = run(["openssl", "pkey", "-in", key_path, "-pubout", "-outform", "DER"])
    if spki.returncode:
        die("openssl pkey failed: " + spki.stderr.decode())
    if ec:
        alg = der_seq(der_oid("1.2.840.10045.4.3.2"))  # ecdsa-with-SHA256 (no parameters)
    else:
        alg = der_seq(der_oid("1.2.840.113549.1.1.11"), b"\x05\x00")  # sha256WithRSA
    name = der_name([("C", "US"), ("ST", "California"), ("L", "San Francisco"),
                     ("O", "Example Test IdP (TEST ONLY)"), ("OU", "SSOProvider"),
                     ("CN", cn)])
    validity = der_seq(der(0x17, b"250101000000Z"), der(0x17, b"450101000000Z"))
    tbs = der_seq(der(0xA0, der_int(2)), der_int(serial), alg, name, validity,
                  name, spki.stdout)
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "tbs")
        with open(p, "wb") as f:
            f.write(tbs)
        sig = run(["openssl", "dgst", "-sha256", "-sign", key_path, p])
    if sig.returncode:
        die("openssl dgst failed: " + sig.stderr.decode())
    cert = der_seq(tbs, alg, der(0x03, b"\x00" + sig.stdout))
    b64 = base64.b64encode(cert).decode()
    pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(
        b64[i:i + 64] for i in range(0, len(b64), 64)) + "\n-----END CERTIFICATE-----\n"
    with open(cert_path, "w") as f:
        f.write(pem)


def ensure_keys():
    for f in (IDP_KEY, IDP_CERT):
        if not os.path.exists(f):
            die("missing %s (the shared IdP key pair in ../vectors/generated)" % f)
    for key, cert, bits, serial, cn in OWN_KEYS.values():
        kp, cp = os.path.join(HERE, key), os.path.join(HERE, cert)
        ec = isinstance(bits, str)
        if not os.path.exists(kp):
            if ec:
                r = run(["openssl", "genpkey", "-algorithm", "EC",
                         "-pkeyopt", "ec_paramgen_curve:%s" % bits,
                         "-pkeyopt", "ec_param_enc:named_curve"])
            else:
                r = run(["openssl", "genpkey", "-algorithm", "RSA",
                         "-pkeyopt", "rsa_keygen_bits:%d" % bits])
            if r.returncode:
                die("openssl genpkey failed: " + r.stderr.decode())
            with open(kp, "w") as f:
                f.write(KEY_PREAMBLE + r.stdout.decode())
        if not ec or not os.path.exists(cp):
            make_cert(kp, cp, serial, cn, ec)
        chk = run(["openssl", "x509", "-in", cp, "-noout", "-pubkey"])
        pub = run(["openssl", "pkey", "-in", kp, "-pubout"])
        if chk.returncode or chk.stdout != pub.stdout:
            die("certificate %s does not match key %s" % (cert, key))


def key_args(name):
    """xmlsec1 --sign arguments that load the signing key `name`."""
    if name == "idp":
        return ["--privkey-pem", "%s,%s" % (IDP_KEY, IDP_CERT)]
    if name == "hmac":
        # Algorithm-confusion attack: HMAC keyed with the IdP's PUBLIC certificate file,
        # which every attacker has.
        return ["--hmackey", IDP_CERT]
    key, cert = OWN_KEYS[name][:2]
    return ["--privkey-pem", "%s,%s" % (os.path.join(HERE, key), os.path.join(HERE, cert))]


# ---------------------------------------------------------------------------
# XML building (string based, so the exact serialization is under control)
# ---------------------------------------------------------------------------
def esc_text(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def esc_attr(s):
    return esc_text(s).replace('"', "&quot;")


class Raw(str):
    """Markup inserted verbatim (entity / character references, CDATA sections)."""


class El:
    def __init__(self, tag, attrs=(), children=(), text=None):
        self.tag, self.attrs, self.children, self.text = tag, list(attrs), list(children), text

    def ser(self, pretty, depth=0):
        a = "".join(' %s="%s"' % (k, v if isinstance(v, Raw) else esc_attr(v))
                    for k, v in self.attrs)
        if self.text == "":  # as libxml2 writes empty elements (signature template slots)
            return "<%s%s/>" % (self.tag, a)
        if self.text is not None:
            t = self.text if isinstance(self.text, Raw) else esc_text(self.text)
            return "<%s%s>%s</%s>" % (self.tag, a, t, self.tag)
        if not self.children:
            return "<%s%s/>" % (self.tag, a)
        if pretty:
            ind = "\n" + "  " * (depth + 1)
            inner = "".join(ind + c.ser(True, depth + 1) for c in self.children)
            inner += "\n" + "  " * depth
        else:
            inner = "".join(c.ser(False) for c in self.children)
        return "<%s%s>%s</%s>" % (self.tag, a, inner, self.tag)


def to_default_namespaces(el):
    """saml2:/saml2p: prefixes -> default namespace declarations (ADFS-like layout)."""
    for p in ("saml2p:", "saml2:"):
        if el.tag.startswith(p):
            el.tag = el.tag[len(p):]
    el.attrs = [("xmlns" if k in ("xmlns:saml2", "xmlns:saml2p") else k, v) for k, v in el.attrs]
    for ch in el.children:
        to_default_namespaces(ch)


def fmt_instant(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def okta_id(seed):
    """Okta-looking ID: 'id' + 26 digits, derived from a seed (the case name)."""
    return "id" + str(int(hashlib.sha256(seed.encode()).hexdigest(), 16))[:26]


def fake_b64(seed, n):
    """Deterministic stand-in ciphertext (never decrypted)."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(("%s/%d" % (seed, i)).encode()).digest()
        i += 1
    return base64.b64encode(out[:n]).decode()


# ---------------------------------------------------------------------------
# Signature templates
# ---------------------------------------------------------------------------
DEFAULT_SPEC = dict(cm=EXC_C14N, ref=EXC_C14N, alg=RSA_SHA256, dig=DIG_SHA256, key="idp")


def c14n_el(tag, uri):
    if uri == EXC_C14N:  # Okta: PrefixList "xs" on the Reference transform
        return El(tag, [("Algorithm", EXC_C14N)], [
            El("ec:InclusiveNamespaces", [("xmlns:ec", EXC_C14N), ("PrefixList", "xs")])])
    return El(tag, [("Algorithm", uri)])


def reference(uri, spec, dig=None):
    if spec.get("transforms") == "enveloped-only":
        transforms = [El("ds:Transform", [("Algorithm", ENVELOPED)])]
    elif spec.get("transforms") == "xpath":
        transforms = [El("ds:Transform", [("Algorithm", ENVELOPED)]),
                      El("ds:Transform", [("Algorithm", XPATH)], [
                          El("ds:XPath", text="not(ancestor-or-self::ds:Signature)")]),
                      c14n_el("ds:Transform", spec["ref"])]
    else:
        transforms = [El("ds:Transform", [("Algorithm", ENVELOPED)]),
                      c14n_el("ds:Transform", spec["ref"])]
    return El("ds:Reference", [("URI", uri)], [
        El("ds:Transforms", [], transforms),
        El("ds:DigestMethod", [("Algorithm", dig or spec["dig"])]),
        El("ds:DigestValue", text=""),
    ])


def sig_template(default_uri, spec):
    uri = spec.get("uri", default_uri)
    refs = [reference(uri, spec)]
    for extra_uri, extra_dig in spec.get("extra_refs", []):
        refs.append(reference(extra_uri, spec, extra_dig))
    cm = El("ds:CanonicalizationMethod", [("Algorithm", spec["cm"])])
    kids = [El("ds:SignedInfo", [], [cm, El("ds:SignatureMethod", [("Algorithm", spec["alg"])])] + refs),
            El("ds:SignatureValue", text="")]
    if spec["key"] != "hmac":
        kids.append(El("ds:KeyInfo", [], [El("ds:X509Data", [], [El("ds:X509Certificate", text="")])]))
    if spec.get("object"):
        kids.append(spec["object"])
    return El("ds:Signature", [("xmlns:ds", NS_DS)], kids)


# ---------------------------------------------------------------------------
# Response builder (Okta layout, copied from ../vectors/generated/generate.py)
# ---------------------------------------------------------------------------
ATTRS = [("email", [EMAIL]), ("firstName", ["Jane"]), ("lastName", ["Doe"])]


def attribute(name, values, root_ns, extra=()):
    av = [] if root_ns else [("xmlns:xs", NS_XS), ("xmlns:xsi", NS_XSI)]
    av.append(("xsi:type", "xs:string"))
    return El("saml2:Attribute", [("Name", name)] + list(extra) + [("NameFormat", ATTR_UNSPEC)],
              [El("saml2:AttributeValue", av, text=v) for v in values])


def confirmation(kind, scd_irt, noa, c):
    scd = [("InResponseTo", scd_irt)] if scd_irt else []
    scd += [("NotOnOrAfter", fmt_instant(noa)), ("Recipient", c.get("recipient", ACS_URL))]
    if kind == "bearer":
        return El("saml2:SubjectConfirmation", [("Method", CM_BEARER)], [
            El("saml2:SubjectConfirmationData", scd)])
    # holder-of-key: KeyInfoConfirmationDataType with the key the subject must prove
    return El("saml2:SubjectConfirmation", [("Method", CM_HOK)], [
        El("saml2:SubjectConfirmationData",
           [("xmlns:xsi", NS_XSI)] + scd + [("xsi:type", "saml2:KeyInfoConfirmationDataType")], [
               El("ds:KeyInfo", [("xmlns:ds", NS_DS)], [
                   El("ds:KeyName", text="jane.doe-device-key")])])])


def encrypted_assertion(seed):
    return El("saml2:EncryptedAssertion", [("xmlns:saml2", NS_A)], [
        El("xenc:EncryptedData", [("xmlns:xenc", NS_XENC), ("Id", "_" + okta_id(seed + "/ed")),
                                  ("Type", NS_XENC + "Element")], [
            El("xenc:EncryptionMethod", [("Algorithm", NS_XENC + "aes256-cbc")]),
            El("ds:KeyInfo", [("xmlns:ds", NS_DS)], [
                El("xenc:EncryptedKey", [("Id", "_" + okta_id(seed + "/ek"))], [
                    El("xenc:EncryptionMethod", [("Algorithm", NS_XENC + "rsa-oaep-mgf1p")], [
                        El("ds:DigestMethod", [("Algorithm", DIG_SHA1)])]),
                    El("xenc:CipherData", [], [El("xenc:CipherValue", text=fake_b64(seed + "/key", 256))]),
                ])]),
            El("xenc:CipherData", [], [El("xenc:CipherValue", text=fake_b64(seed + "/data", 1584))]),
        ])])


def signed_extension(seed):
    """A custom element with its own enveloped signature (xml:id, which libxml2 treats as
    an ID without any --id-attr, so the plain xmlsec1 command resolves the Reference)."""
    xid = "ext" + okta_id(seed + "/ext")[2:]
    note = El("okta:SignedNote", [("xmlns:okta", NS_EXT), ("xml:id", xid)], [
        El("okta:Subject", text=EMAIL),
        sig_template("#" + xid, DEFAULT_SPEC),
    ])
    return El("saml2p:Extensions", [("xmlns:saml2p", NS_P)], [note])


def build_response(c, resp_id, a_id):
    issue = T0
    nb, noa = issue - timedelta(minutes=5), issue + timedelta(minutes=5)
    scd_irt = c.get("scd_irt")
    resp_irt = c.get("resp_irt", scd_irt)
    root_ns = c.get("root_ns", False)  # xs / xsi declared on the Response root only
    sign = c["sign"]
    aspec = dict(DEFAULT_SPEC, **c.get("spec", {}), **c.get("aspec", {}))
    rspec = dict(DEFAULT_SPEC, **c.get("spec", {}), **c.get("rspec", {}))

    subject = [El("saml2:NameID", [("Format", NAMEID_EMAIL)], text=c.get("nameid", EMAIL))]
    if c.get("no_nameid"):
        subject = []
    subject += [confirmation(k, scd_irt, noa, c) for k in c.get("confirmations", ["bearer"])]

    cond_kids = [El("saml2:AudienceRestriction", [], [El("saml2:Audience", text=a) for a in auds])
                 for auds in c.get("audiences", [[SP_ENTITY_ID]])]
    cond_kids += c.get("extra_conditions", [])
    authn_attrs = [("xmlns:saml2", NS_A), ("AuthnInstant", fmt_instant(issue - timedelta(seconds=2))),
                   ("SessionIndex", c.get("session_index", scd_irt or okta_id(c["name"] + "/session")))]
    if c.get("session_noa"):
        authn_attrs.append(("SessionNotOnOrAfter", c["session_noa"]))

    extra = c.get("attr_extra", {})
    a_children = [El("saml2:Issuer", [("xmlns:saml2", NS_A), ("Format", ENTITY_FMT)], text=IDP_ISSUER)]
    if sign in ("assertion", "both"):
        a_children.append(sig_template("#" + a_id, aspec))
    a_children += [
        El("saml2:Subject", [("xmlns:saml2", NS_A)], subject),
        El("saml2:Conditions", [("xmlns:saml2", NS_A), ("NotBefore", fmt_instant(nb)),
                                ("NotOnOrAfter", c.get("conditions_noa", fmt_instant(noa)))], cond_kids),
        El("saml2:AuthnStatement", authn_attrs, [
            El("saml2:AuthnContext", [], [El("saml2:AuthnContextClassRef", text=PPT)])]),
        El("saml2:AttributeStatement", [("xmlns:saml2", NS_A)],
           [attribute(n, v, root_ns, extra.get(n, ())) for n, v in c.get("attrs", ATTRS)]),
    ]
    a_attrs = [("xmlns:saml2", NS_A)] + ([] if root_ns else [("xmlns:xs", NS_XS)])
    a_attrs += [("ID", a_id), ("IssueInstant", fmt_instant(issue)), ("Version", "2.0")]
    if c.get("encrypted"):
        assertion = encrypted_assertion(c["name"])
    else:
        assertion = El("saml2:Assertion", a_attrs, a_children)

    r_attrs = [("xmlns:saml2p", NS_P), ("xmlns:xs", NS_XS)]
    if root_ns:
        r_attrs.append(("xmlns:xsi", NS_XSI))
    if c.get("destination", ACS_URL) is not None:
        r_attrs.append(("Destination", c.get("destination", ACS_URL)))
    r_attrs.append(("ID", resp_id))
    if resp_irt:
        r_attrs.append(("InResponseTo", resp_irt))
    r_attrs += [("IssueInstant", fmt_instant(issue)), ("Version", "2.0")]
    r_children = [El("saml2:Issuer", [("xmlns:saml2", NS_A), ("Format", c.get("resp_issuer_format", ENTITY_FMT))],
                     text=IDP_ISSUER)]
    if sign in ("response", "both"):
        r_children.append(sig_template("#" + resp_id, rspec))
    if c.get("signed_extension"):
        r_children.append(signed_extension(c["name"]))
    r_children += [El("saml2p:Status", [("xmlns:saml2p", NS_P)], [
        El("saml2p:StatusCode", [("Value", STATUS_SUCCESS)])]), assertion]
    root = El("saml2p:Response", r_attrs, r_children)
    if c.get("default_ns"):
        to_default_namespaces(root)

    pretty = c.get("pretty", False)
    # Same head and tail as libxml2 (xmlsec1 --output) writes.
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + root.ser(pretty) + "\n").encode(), aspec, rspec


# ---------------------------------------------------------------------------
# Signing with xmlsec1
# ---------------------------------------------------------------------------
SIG_BLOCK = re.compile(rb"<ds:Signature\b.*?</ds:Signature>", re.S)


def block_for(doc, uri):
    """The ds:Signature block whose first Reference has URI=uri (exactly one)."""
    hits = []
    for m in SIG_BLOCK.finditer(doc):
        first = re.search(rb'<ds:Reference URI="([^"]*)"', m.group(0))
        if first and first.group(1) == uri.encode():
            hits.append(m)
    if len(hits) != 1:
        die("expected one ds:Signature referencing %r, found %d" % (uri, len(hits)))
    return hits[0]


def xmlsec_sign(doc, key, xpath, uri):
    """Signs the template Signature at `xpath` with xmlsec1.

    Returns (xmlsec1's output, the input with only that Signature block replaced by the
    one xmlsec1 wrote). Both are the same infoset; the second keeps our exact
    serialization of everything else (libxml2 rewrites character references such as
    &#x41; and &quot; in text when it writes the document)."""
    with tempfile.TemporaryDirectory() as d:
        src, out = os.path.join(d, "in.xml"), os.path.join(d, "out.xml")
        with open(src, "wb") as f:
            f.write(doc)
        r = run(["xmlsec1", "--sign"] + key_args(key) + ID_ATTRS +
                ["--node-xpath", xpath, "--output", out, src])
        if r.returncode:
            die("xmlsec1 --sign failed:\n" + r.stderr.decode())
        with open(out, "rb") as f:
            signed = f.read()
    new = block_for(signed, uri).group(0)
    old = block_for(doc, uri)
    return signed, doc[:old.start()] + new + doc[old.end():]


def sign_case(c, doc, resp_id, a_id, aspec, rspec):
    notes = []

    def step(doc, key, xpath, uri):
        signed, spliced = xmlsec_sign(doc, key, xpath, uri)
        if c.get("preserve"):
            return spliced
        if signed != spliced:
            notes.append("libxml2 re-serialized %s" % c["name"])
        return signed

    if c.get("signed_extension"):
        xid = re.search(rb'xml:id="([^"]+)"', doc).group(1).decode()
        doc = step(doc, "idp", XP_EXT_SIG, "#" + xid)
    if c["sign"] in ("assertion", "both"):  # assertion first: the response digest covers it
        doc = step(doc, aspec["key"], XP_ASSERT_SIG, aspec.get("uri", "#" + a_id))
        if c.get("tamper_assertion"):
            doc = replace_once(doc, *c["tamper_assertion"])
    if c["sign"] in ("response", "both"):
        doc = step(doc, rspec["key"], XP_RESP_SIG, rspec.get("uri", "#" + resp_id))
    if c.get("unsigned_insert"):  # added after signing, outside every signed element
        before, added = c["unsigned_insert"]
        doc = replace_once(doc, before, added + before)
    for n in notes:
        print("warning: " + n, file=sys.stderr)
    return doc


def replace_once(doc, old, new):
    if doc.count(old) != 1:
        die("expected exactly one %r in document, found %d" % (old, doc.count(old)))
    return doc.replace(old, new)


# ---------------------------------------------------------------------------
# xmlsec1 verification (recorded in the manifest, same shape as ../vectors)
# ---------------------------------------------------------------------------
def classify(r):
    out = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    if r.returncode == 0 and re.search(r"^OK$", out, re.M):
        return "OK"
    if re.search(r"^FAIL$", out, re.M):
        return "FAIL"
    return "ERROR"


def sig_presence(xml_bytes):
    """(root has a ds:Signature child, [each direct-child Assertion has one])."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(xml_bytes)
    sig = "{%s}Signature" % NS_DS
    has = lambda el: any(ch.tag == sig for ch in el)
    return has(root), [has(ch) for ch in root if ch.tag == "{%s}Assertion" % NS_A]


def xmlsec_results(xml_bytes, cert_path):
    """default: exactly the command in the manifest's xmlsec1_command (it checks only the
    FIRST ds:Signature in document order, wherever it is, and resolves any ID it knows).
    response_signature / assertion_signatures: the ds:Signature that is a direct child of
    the root Response / of each direct-child Assertion, checked with the same command plus
    --node-xpath and --enabled-key-data key-name (pinned key only)."""
    has_resp, has_assert = sig_presence(xml_bytes)
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "v.xml")
        with open(p, "wb") as f:
            f.write(xml_bytes)
        base = ["xmlsec1", "--verify"] + ID_ATTRS + ["--pubkey-cert-pem", cert_path]
        pinned = base + ["--enabled-key-data", "key-name", "--node-xpath"]
        res = {"default": classify(run(base + [p]))}
        res["response_signature"] = classify(run(pinned + [XP_RESP_SIG, p])) if has_resp else "absent"
        sigs = []
        for i, present in enumerate(has_assert, 1):
            xp = ("/*[local-name()='Response']/*[local-name()='Assertion'][%d]"
                  "/*[local-name()='Signature']" % i)
            sigs.append(classify(run(pinned + [xp, p])) if present else "absent")
        res["assertion_signatures"] = sigs
        return res


def xmlsec_extra(xml_bytes, args):
    """One extra xmlsec1 --verify run (for the notes of special cases)."""
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "v.xml")
        with open(p, "wb") as f:
            f.write(xml_bytes)
        return classify(run(["xmlsec1", "--verify"] + ID_ATTRS + args + [p]))


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------
C10 = dict(cm=C14N10, ref=C14N10)
C11 = dict(cm=C14N11, ref=C14N11)
EXPECT_ATTRS = {n: v for n, v in ATTRS}
GROUPS = ["Everyone", "Engineering", "Okta-Admins"]
SESSION_NOA = fmt_instant(T0 + timedelta(hours=8))

CASES = [
    # --- canonicalization --------------------------------------------------------------
    dict(name="valid-c14n10-both-signed", sign="both", spec=C10, root_ns=True, expect="valid",
         why="Assertion then Response signed with inclusive C14N 1.0 (CanonicalizationMethod and the "
             "Reference transform after enveloped-signature); xs/xsi are declared only on the Response root "
             "and used inside the Assertion (xsi:type=\"xs:string\"), so the inherited declarations are part "
             "of the Assertion's digest and of both SignedInfos"),
    dict(name="valid-c14n11-assertion-signed", sign="assertion", spec=C11, root_ns=True, expect="valid",
         why="only the Assertion is signed, with C14N 1.1 as CanonicalizationMethod and Reference transform; "
             "xs/xsi inherited from the Response root as in valid-c14n10-both-signed"),
    dict(name="valid-mixed-c14n", sign="both", root_ns=True,
         aspec=dict(cm=EXC_C14N, ref=C14N10), rspec=dict(cm=C14N10, ref=EXC_C14N), expect="valid",
         why="Assertion signature: SignedInfo exc-c14n, Reference transform inclusive C14N 1.0; Response "
             "signature: the other way round (SignedInfo C14N 1.0, transform exc-c14n PrefixList xs); "
             "xs/xsi declared on the Response root only"),
    # --- algorithms and keys -----------------------------------------------------------
    dict(name="valid-rsa-sha384", sign="both", spec=dict(alg=RSA_SHA384, dig=DIG_SHA384), expect="valid",
         why="both signed with RSA-SHA384 and SHA-384 digests (xmldsig-more URIs)"),
    dict(name="valid-rsa4096", sign="both", spec=dict(key="rsa4096"), cert="rsa4096", expect="valid",
         why="both signed (RSA-SHA256) by a 4096-bit key; idp_cert is that key's certificate"),
    dict(name="valid-ecdsa-p256-sha256", sign="both", spec=dict(key="p256", alg=ECDSA_SHA256), cert="p256",
         expect="valid", why="both signed with ECDSA-SHA256 by a P-256 key (raw r||s SignatureValue, as "
                             "XML-DSig 1.1 specifies); idp_cert is that key's certificate"),
    dict(name="valid-ecdsa-p384-sha384", sign="both", spec=dict(key="p384", alg=ECDSA_SHA384, dig=DIG_SHA384),
         cert="p384", expect="valid", why="both signed with ECDSA-SHA384 by a P-384 key, SHA-384 digests"),
    dict(name="valid-ecdsa-p256-sha384", sign="both", spec=dict(key="p256", alg=ECDSA_SHA384), cert="p256",
         expect="valid", why="both signed with ECDSA-SHA384 by a P-256 key (a hash longer than the curve)"),
    dict(name="valid-ecdsa-p384-sha256", sign="assertion", spec=dict(key="p384", alg=ECDSA_SHA256), cert="p384",
         expect="valid", why="the Assertion alone signed with ECDSA-SHA256 by a P-384 key"),
    dict(name="invalid-ecdsa-with-rsa-cert", sign="both", spec=dict(key="p256", alg=ECDSA_SHA256),
         expect="invalid", reject=["signature"],
         why="signed with ECDSA by a P-256 key, but idp_cert is the shared RSA certificate: no configured key "
             "can verify it"),
    dict(name="invalid-ecdsa-other-p256-key", sign="both", spec=dict(key="p256", alg=ECDSA_SHA256), cert="p384",
         expect="invalid", reject=["signature"],
         why="signed by the P-256 key, idp_cert is the P-384 certificate: no configured key fits"),
    dict(name="invalid-rsa-with-ecdsa-cert", sign="both", cert="p256", expect="invalid", reject=["signature"],
         why="signed with RSA-SHA256 by the shared IdP key, but idp_cert is an ECDSA P-256 certificate"),
    dict(name="invalid-ecdsa-tampered", sign="assertion", spec=dict(key="p256", alg=ECDSA_SHA256), cert="p256",
         expect="invalid", reject=["signature"],
         tamper_assertion=(b">jane.doe@example.com</saml2:NameID>", b">admin@example.com</saml2:NameID>"),
         why="ECDSA-signed Assertion whose NameID was changed after signing"),
    dict(name="legacy-rsa1024", sign="both", spec=dict(key="rsa1024"), cert="rsa1024", expect="invalid",
         reject=["legacy_algorithm"], needs="legacy-sha1",
         why="both signed with RSA-SHA256/SHA-256 but by a 1024-bit key: refused unless the legacy opt-in "
             "(which admits keys from 1024 bits) is enabled"),
    dict(name="legacy-sha1-digest", sign="both", spec=dict(dig=DIG_SHA1), expect="invalid",
         reject=["legacy_algorithm"], needs="legacy-sha1",
         why="SignatureMethod RSA-SHA256 but DigestMethod SHA-1: the digest algorithm alone makes it legacy "
             "(a check of SignatureMethod only would miss it)"),
    # --- reference forms and layout ----------------------------------------------------
    dict(name="valid-uri-empty", sign="response", rspec=dict(uri=""), expect="valid",
         why="only the Response is signed, with Reference URI=\"\" (the whole document; the Signature's "
             "parent is the root), enveloped-signature + exc-c14n; Assertion unsigned"),
    dict(name="valid-pretty-printed-whitespace", sign="both", pretty=True, expect="valid",
         why="pretty-printed (LF, two-space indent) BEFORE signing: the whitespace text nodes between "
             "elements, including inside SignedInfo, are signed content and must be kept by the verifier"),
    dict(name="valid-default-namespaces", sign="both", default_ns=True, expect="valid",
         why="same content with default namespace declarations instead of saml2:/saml2p: prefixes "
             "(xmlns=\"...protocol\" on Response/Status, xmlns=\"...assertion\" on Issuer/Assertion); "
             "elements must be matched by namespace, not prefix"),
    # --- claims ------------------------------------------------------------------------
    dict(name="valid-email-attribute-case", sign="both",
         attrs=[("EMAIL", [EMAIL]), ("firstName", ["Jane"]), ("lastName", ["Doe"])], expect="valid",
         why="the email attribute is named EMAIL; the configured email_attribute \"email\" matches it "
             "case-insensitively (the attributes map keeps the name as sent)"),
    dict(name="valid-multivalued-attributes", sign="both",
         attrs=[("email", [EMAIL]), ("firstName", ["Jane"]), ("lastName", ["Doe"]), ("groups", GROUPS)],
         expect="valid",
         why="a groups attribute with three AttributeValues (Okta group attribute statement); every value "
             "is kept, in document order"),
    dict(name="valid-entity-refs", sign="both", preserve=True,
         attrs=[("email", [EMAIL]),
                ("firstName", [Raw("<![CDATA[Jane & <Co>]]>")]),
                ("lastName", [Raw("&#x41;nders &amp; &lt;Sons&gt; &quot;Ltd&quot; &apos;99")]),
                ("department", [Raw("R&amp;D&#xD;&#xA;Ops ]]&gt; <![CDATA[x]]>")])],
         attr_extra={"lastName": [("FriendlyName", Raw("Family &amp; &quot;Last&quot; &lt;Name&gt; &#x41;&#x9;tab&#xA;lf"))]},
         expect_attrs={"email": [EMAIL], "firstName": ["Jane & <Co>"],
                       "lastName": ["Anders & <Sons> \"Ltd\" '99"], "department": ["R&D\r\nOps ]]> x"]},
         expect="valid",
         why="signed text and attribute values use &amp; &lt; &gt; &quot; &apos; &#x41; &#x9; &#xA; &#xD; "
             "and CDATA sections (firstName is <![CDATA[Jane & <Co>]]>); the claims are the decoded text, "
             "and C14N must escape them canonically (&#xD; in text, &#x9;/&#xA; in attributes)",
         note="the file keeps the references exactly as written; xmlsec1 signed the same infoset "
              "(libxml2 would write &#x41; as A), and xmlsec1 verifies this very file"),
    dict(name="valid-with-sessionnotonorafter", sign="both", session_noa=SESSION_NOA,
         session_index="_" + okta_id("valid-with-sessionnotonorafter/sessionindex"), expect="valid",
         why="AuthnStatement with SessionIndex and SessionNotOnOrAfter (8 h after IssueInstant); the "
             "session_index and session_not_on_or_after entries give the expected values"),
    dict(name="invalid-ambiguous-email", sign="both",
         attrs=[("email", [EMAIL, "john.roe@example.com"]), ("firstName", ["Jane"]), ("lastName", ["Doe"])],
         expect="invalid", reject=["ambiguous_email"],
         why="the email attribute has two different values: which one is the user is ambiguous"),
    dict(name="invalid-ambiguous-email-case-variants", sign="both",
         attrs=[("email", [EMAIL]), ("Email", ["john.roe@example.com"]), ("firstName", ["Jane"]),
                ("lastName", ["Doe"])],
         expect="invalid", reject=["ambiguous_email"],
         why="two attributes, email and Email, with different values: both match email_attribute "
             "case-insensitively, so the email is ambiguous (picking the first would be a choice)"),
    dict(name="invalid-missing-email", sign="both", attrs=[("firstName", ["Jane"]), ("lastName", ["Doe"])],
         expect="invalid", reject=["missing_email"],
         why="no email attribute at all (NameID is still an email address; it must not be used instead)"),
    dict(name="invalid-bad-email", sign="both",
         attrs=[("email", ["not-an-email"]), ("firstName", ["Jane"]), ("lastName", ["Doe"])],
         expect="invalid", reject=["invalid_email"],
         why="the single email value is \"not-an-email\""),
    dict(name="invalid-missing-nameid", sign="both", no_nameid=True, expect="invalid",
         reject=["missing_name_id"], why="Subject has a bearer SubjectConfirmation but no NameID"),
    # --- XML-DSig profile --------------------------------------------------------------
    dict(name="invalid-ds-object", sign="assertion", expect="invalid", reject=["signature"],
         aspec=dict(object=El("ds:Object", [], [
             El("okta:Note", [("xmlns:okta", NS_EXT)], text="not covered by any Reference")])),
         why="the Assertion's Signature carries a ds:Object (present when xmlsec1 signed, not referenced): "
             "cryptographically valid, but the profile refuses ds:Object (unsigned content inside a signature)"),
    dict(name="invalid-two-references", sign="assertion", expect="invalid", reject=["signature"],
         why="SignedInfo holds two References, both to the Assertion (SHA-256 and SHA-512 digests); each is "
             "correct, but the profile accepts exactly one Reference",
         aspec=dict(extra_refs=[("#ASSERTION", DIG_SHA512)])),
    dict(name="invalid-only-enveloped", sign="assertion", aspec=dict(transforms="enveloped-only"),
         expect="invalid", reject=["signature"],
         why="the Reference's only transform is enveloped-signature (xmlsec1 then applies the default "
             "inclusive C14N 1.0); valid per XML-DSig, refused by our profile on purpose"),
    dict(name="invalid-xpath-transform", sign="assertion", aspec=dict(transforms="xpath"),
         expect="invalid", reject=["signature"],
         why="Reference transforms: enveloped-signature, XPath not(ancestor-or-self::ds:Signature), exc-c14n; "
             "valid per XML-DSig and xmlsec1, but XPath transforms are refused"),
    dict(name="invalid-hmac", sign="assertion", aspec=dict(alg=HMAC_SHA256, key="hmac"),
         expect="invalid", reject=["signature"],
         why="Assertion signed with HMAC-SHA256 keyed with the bytes of the IdP certificate PEM file "
             "(public!): algorithm confusion; only RSA signature methods may be accepted",
         note="no KeyInfo; xmlsec1 verifies it with --hmackey ../vectors/generated/idp-cert.pem (see hmac_check). "
              "HMAC is not an RSA method, so the legacy_algorithm definition also fails literally; it is not "
              "listed because no legacy opt-in may ever accept it: the expected code is signature"),
    dict(name="invalid-reference-to-other", sign="assertion", aspec=dict(uri="#RESPONSE"),
         expect="invalid", reject=["signature"],
         why="the Assertion's Signature has Reference URI=#<Response ID>: it signs the (otherwise unsigned) "
             "Response, not its parent Assertion; xmlsec1 verifies it, the profile refuses it"),
    dict(name="invalid-unsigned-assertion-in-unsigned-response-with-signed-extension", sign="none", signed_extension=True,
         expect="invalid", reject=["signature"],
         why="Response and Assertion unsigned; the only ds:Signature signs a custom element (xml:id) inside "
             "saml2p:Extensions. xmlsec1's plain command verifies it (OK): a validator that checks 'some "
             "signature' would accept"),
    dict(name="invalid-assertion-sig-broken-under-response-sig", sign="both", expect="invalid",
         reject=["signature"],
         tamper_assertion=(b">jane.doe@example.com</saml2:NameID>", b">admin@example.com</saml2:NameID>"),
         why="Assertion signed, then its NameID changed to admin@example.com, then the Response signed over "
             "the changed content: the Response signature verifies, the Assertion signature does not, and "
             "every signature present must verify"),
    # --- SAML structure and conditions -------------------------------------------------
    dict(name="invalid-encrypted-assertion", sign="response", encrypted=True, expect="invalid",
         reject=["encrypted_assertion", "multiple_assertions"],
         why="signed Response whose only assertion is a saml2:EncryptedAssertion (dummy xenc:EncryptedData, "
             "aes256-cbc + rsa-oaep EncryptedKey; never decryptable): encryption is not supported",
         note="also fails multiple_assertions as defined in ../vectors (no EncryptedAssertion, exactly one "
              "Assertion); our validator reports encrypted_assertion"),
    dict(name="invalid-no-audience-restriction", sign="both", audiences=[], expect="invalid",
         reject=["audience"], why="Conditions has NotBefore/NotOnOrAfter but no AudienceRestriction"),
    dict(name="valid-multiple-audiences", sign="both",
         audiences=[["https://other-sp.example.com/saml/metadata", SP_ENTITY_ID]], expect="valid",
         why="one AudienceRestriction with two Audience values, ours second"),
    dict(name="invalid-audience-restrictions-conjunction", sign="both",
         audiences=[[SP_ENTITY_ID], ["https://other-sp.example.com/saml/metadata"]], expect="invalid",
         reject=["audience"],
         why="two AudienceRestriction elements, the first naming us, the second only another SP: each "
             "AudienceRestriction must be satisfied (SAML core 2.5.1.4)",
         note="the audience definition copied from ../vectors (\"sp_entity_id is among the Assertion's "
              "Audience values\") is too loose here; SAML core makes multiple AudienceRestrictions a conjunction"),
    dict(name="invalid-confirmation-not-bearer", sign="both", confirmations=["hok"], expect="invalid",
         reject=["subject_confirmation"],
         why="the only SubjectConfirmation is holder-of-key (KeyInfoConfirmationDataType, Recipient and "
             "NotOnOrAfter correct): no bearer confirmation for the Web SSO profile"),
    dict(name="valid-hok-then-bearer", sign="both", confirmations=["hok", "bearer"], expect="valid",
         why="a holder-of-key SubjectConfirmation first, then a valid bearer one: the bearer one must be found"),
    dict(name="invalid-response-issuer-format", sign="both", resp_issuer_format=TRANSIENT_FMT,
         expect="invalid", reject=["issuer"],
         why="Response Issuer has the right value but Format=...nameid-format:transient (SAML core 3.2.2.1: "
             "absent or entity)"),
    # --- strictness (issue 8): each exploited nothing, each is refused ------------------
    dict(name="invalid-unknown-condition", sign="both",
         extra_conditions=[El("saml2:Condition", [("xmlns:foo", "urn:example:conditions"),
                                                  ("xmlns:xsi", NS_XSI), ("xsi:type", "foo:Unknown")])],
         expect="invalid", reject=["unknown_condition"],
         why="Conditions holds an IdP-signed <saml2:Condition xsi:type=\"foo:Unknown\"/>: SAML core 2.5.1 makes "
             "an assertion with a condition the relying party does not understand Indeterminate"),
    dict(name="valid-one-time-use", sign="both", extra_conditions=[El("saml2:OneTimeUse")], expect="valid",
         why="Conditions holds OneTimeUse beside the AudienceRestriction: understood (every assertion is "
             "consumed once anyway), so accepted"),
    dict(name="invalid-recipient-dot-segment", sign="both", recipient="https://sp.example.com/x/../saml/acs",
         expect="invalid", reject=["recipient"],
         why="Recipient is https://sp.example.com/x/../saml/acs: a URL parser removes the dot segments and "
             "finds the ACS URL, but the IdP named another string (compared exactly, as OpenSAML does)"),
    dict(name="invalid-recipient-tab", sign="both", preserve=True,
         recipient=Raw("https://sp.example.com/saml/a&#x9;cs"), expect="invalid", reject=["recipient"],
         why="Recipient has a tab character reference (&#x9;, a real tab after parsing) inside the path; "
             "a URL parser drops tabs and newlines"),
    dict(name="invalid-destination-newline", sign="both", preserve=True,
         destination=Raw("https://sp.example.com/saml/acs&#xA;"), expect="invalid", reject=["destination"],
         why="Destination is the ACS URL followed by a newline character reference (&#xA;); a URL parser "
             "strips it"),
    dict(name="invalid-destination-backslash", sign="both", destination="https://sp.example.com\\saml\\acs",
         expect="invalid", reject=["destination"],
         why="Destination is https://sp.example.com\\saml\\acs: a WHATWG URL parser turns the backslashes "
             "into slashes for https, but the string differs"),
    dict(name="invalid-destination-leading-space", sign="both", destination=" " + ACS_URL,
         expect="invalid", reject=["destination"],
         why="Destination is the ACS URL with a leading space; a URL parser trims it"),
    dict(name="valid-assertion-signed-no-destination", sign="assertion", destination=None, expect="valid",
         why="Response unsigned (only the Assertion signed) without Destination: SAML bindings 3.5.5.2 "
             "requires Destination only on signed messages; the bearer Recipient binds the assertion"),
    dict(name="invalid-response-signed-no-destination", sign="response", destination=None,
         expect="invalid", reject=["destination"],
         why="Response signed without Destination: SAML bindings 3.5.5.2 requires it on a signed Response"),
    dict(name="valid-destination-case-and-default-port", sign="both",
         destination="HTTPS://SP.EXAMPLE.COM:443/saml/acs", expect="valid",
         why="Destination differs from the ACS URL only in scheme and host case and an explicit default "
             "port: equal (scheme and host are case-insensitive, :443 is https's default)"),
    dict(name="invalid-zone-offset-beyond-14h", sign="both", conditions_noa="2026-01-16T00:06:00.123+14:01",
         expect="invalid", reject=["malformed_saml"],
         why="Conditions NotOnOrAfter has the zone offset +14:01; xs:dateTime allows -14:00..+14:00 only"),
    dict(name="invalid-session-expired", sign="both", session_noa=fmt_instant(T0 - timedelta(hours=1)),
         session_index="_" + okta_id("invalid-session-expired/sessionindex"),
         expect="invalid", reject=["time"],
         why="AuthnStatement SessionNotOnOrAfter is an hour before IssueInstant: the IdP's session is already "
             "over, so it is no login (python3-saml refuses it too)"),
    dict(name="invalid-long-element-name", sign="assertion",
         unsigned_insert=(b"<saml2p:Status ", b'<saml2p:Extensions xmlns:saml2p="' + NS_P.encode() + b'"><x'
                          + b"a" * 200_000 + b"/></saml2p:Extensions>"),
         expect="invalid", reject=["limit_exceeded"],
         why="only the Assertion is signed; the unsigned Response carries an Extensions element holding an "
             "element whose name is 200,001 characters long (libxml2 refuses names this long)"),
    dict(name="invalid-long-prefix", sign="assertion",
         unsigned_insert=(b"<saml2p:Status ", b'<saml2p:Extensions xmlns:saml2p="' + NS_P.encode() + b'"><'
                          + b"p" * 100_000 + b':x xmlns:' + b"p" * 100_000 + b'="urn:x"/></saml2p:Extensions>'),
         expect="invalid", reject=["limit_exceeded"],
         why="only the Assertion is signed; the unsigned Response carries an Extensions element holding an "
             "element whose namespace prefix is 100,000 characters long"),
    dict(name="invalid-inresponseto-mismatch", sign="both", resp_irt=OTHER_REQUEST_ID, scd_irt=REQUEST_ID,
         in_response_to=REQUEST_ID, expect="invalid", reject=["in_response_to"],
         why="Response InResponseTo is another request id; SubjectConfirmationData InResponseTo is the "
             "outstanding request (in_response_to): the two must agree"),
]


def gen_case(c):
    resp_id = okta_id(c["name"] + "/response")
    a_id = okta_id(c["name"] + "/assertion")
    for k in ("aspec", "rspec"):  # placeholders for IDs known only now
        s = c.get(k)
        if s:
            s = dict(s)
            if s.get("uri") == "#RESPONSE":
                s["uri"] = "#" + resp_id
            s["extra_refs"] = [(u.replace("#ASSERTION", "#" + a_id), d) for u, d in s.get("extra_refs", [])]
            c[k] = s
    doc, aspec, rspec = build_response(c, resp_id, a_id)
    if c["sign"] != "none" or c.get("signed_extension"):
        doc = sign_case(c, doc, resp_id, a_id, aspec, rspec)
    return doc


KEY_ORDER = ["file", "source", "idp_cert", "sp_entity_id", "acs_url", "idp_issuer", "now",
             "in_response_to", "expect", "needs", "expect_with_legacy", "why", "reject",
             "name_id", "email", "email_attribute", "attributes", "session_index",
             "session_not_on_or_after", "note", "sha256", "xmlsec1", "hmac_check"]

REJECT_CHECKS = {  # the first 13 are copied verbatim from ../vectors/manifest.json
    "signature": "the Response signature and/or the signature of the (single) Assertion in the normal place must verify with idp_cert; every such signature present must verify",
    "legacy_algorithm": "only RSA-SHA256/384/512 + SHA-256/384/512 with a >= 2048-bit key (else needs legacy-sha1)",
    "destination": "Response Destination == acs_url",
    "recipient": "SubjectConfirmationData Recipient == acs_url",
    "audience": "sp_entity_id is among the Assertion's Audience values",
    "issuer": "Assertion Issuer (and Response Issuer if present) == idp_issuer",
    "time": "Conditions NotBefore <= now < NotOnOrAfter and now < SubjectConfirmationData NotOnOrAfter",
    "status": "top-level StatusCode is urn:oasis:names:tc:SAML:2.0:status:Success",
    "in_response_to": "in_response_to null: no InResponseTo anywhere (IdP-initiated); else SubjectConfirmationData (and Response if present) InResponseTo == in_response_to",
    "multiple_assertions": "exactly one saml:Assertion element in the whole document, no EncryptedAssertion",
    "duplicate_id": "every ID attribute value is unique in the document",
    "doctype": "no DOCTYPE at all",
    "encoding": "the HTTP-POST value is plain base64 of the XML (no DEFLATE)",
    # extra codes of the sso-scim validator
    "malformed_xml": "the document is not well-formed XML or uses a construct the strict parser refuses (other than a DOCTYPE or a limit)",
    "limit_exceeded": "the document exceeds a parser limit (size, nesting depth, number of nodes/attributes)",
    "not_a_response": "the root element is not {urn:oasis:names:tc:SAML:2.0:protocol}Response",
    "missing_element": "a required SAML element or attribute is absent (e.g. Assertion/Subject, Assertion/@ID, SubjectConfirmationData/@NotOnOrAfter)",
    "malformed_saml": "the SAML structure is wrong otherwise (Version not 2.0, unparsable instant, repeated single element, element content where text is required)",
    "missing_assertion": "a successful Response that carries no saml:Assertion",
    "encrypted_assertion": "an EncryptedAssertion (or EncryptedID) is present: encrypted assertions are not supported",
    "subject_confirmation": "no SubjectConfirmation with Method urn:oasis:names:tc:SAML:2.0:cm:bearer",
    "missing_name_id": "the Subject has no NameID, or an empty one",
    "missing_email": "email is required but no attribute named email_attribute (compared case-insensitively) has a non-empty value",
    "ambiguous_email": "the attribute(s) named email_attribute (case-insensitively) carry more than one distinct non-empty value",
    "invalid_email": "the single email value is not a syntactically valid email address",
    "unknown_condition": "Conditions holds an element other than AudienceRestriction, OneTimeUse or ProxyRestriction (SAML core 2.5.1: Indeterminate)",
}


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    for tool in (["xmlsec1", "--version"], ["openssl", "version"]):
        if run(tool).returncode:
            die("%s not found" % tool[0])
    ensure_keys()
    xmlsec_version = run(["xmlsec1", "--version"]).stdout.decode().strip()
    names = [c["name"] for c in CASES]
    if len(set(names)) != len(names):
        die("duplicate case names")
    entries = []
    for c in CASES:
        c = dict(c)
        doc = gen_case(c)
        rel = c["name"] + ".xml"
        path = os.path.join(HERE, rel)
        with open(path, "wb") as f:
            f.write(doc)
        cert_rel = OWN_KEYS[c["cert"]][1] if c.get("cert") else IDP_CERT_REL
        e = dict(file=rel, source="generated by generate.py, signed by " + xmlsec_version,
                 idp_cert=cert_rel, sp_entity_id=SP_ENTITY_ID, acs_url=ACS_URL, idp_issuer=IDP_ISSUER,
                 now=NOW, in_response_to=c.get("in_response_to"), expect=c["expect"], why=c["why"])
        if c.get("needs"):
            e["needs"] = c["needs"]
            e["expect_with_legacy"] = "valid"
        if c["expect"] == "invalid":
            e["reject"] = c["reject"]
        e["email_attribute"] = "email"
        if c["expect"] == "valid" or c.get("needs"):
            attrs = c.get("expect_attrs") or {n: list(v) for n, v in c.get("attrs", ATTRS)}
            e["name_id"] = EMAIL
            e["email"] = next(v[0] for n, v in attrs.items() if n.lower() == "email")
            e["attributes"] = attrs
        if c.get("session_noa"):
            e["session_index"] = c["session_index"]
            e["session_not_on_or_after"] = c["session_noa"]
        if c.get("note"):
            e["note"] = c["note"]
        e["sha256"] = sha256_file(path)
        e["xmlsec1"] = xmlsec_results(doc, os.path.normpath(os.path.join(HERE, cert_rel)))
        if c["name"] == "invalid-hmac":
            e["hmac_check"] = {"command": "xmlsec1 --verify <id-attrs> --hmackey ../vectors/generated/idp-cert.pem <file>",
                               "result": xmlsec_extra(doc, ["--hmackey", IDP_CERT])}
        entries.append({k: e[k] for k in KEY_ORDER if k in e})
        if set(e) - set(KEY_ORDER):
            die("unknown keys %s" % (set(e) - set(KEY_ORDER)))

    # Sanity: every valid / legacy vector must verify with xmlsec1 (both signature slots).
    for e in entries:
        x = e["xmlsec1"]
        if e["expect"] == "valid" or e.get("needs"):
            slots = [x["response_signature"]] + x["assertion_signatures"]
            if x["default"] != "OK" or any(s not in ("OK", "absent") for s in slots) or \
                    all(s == "absent" for s in slots):
                die("%s: expected to verify with xmlsec1, got %s" % (e["file"], x))

    manifest = {
        "format": "sso-scim SAML test vectors v1 (see README.md)",
        "generator": "generate.py",
        "xmlsec1_version": xmlsec_version,
        "xmlsec1_command": XMLSEC1_COMMAND,
        "reject_checks": REJECT_CHECKS,
        "vectors": entries,
    }
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print("wrote %d vectors and manifest.json" % len(entries))
    for e in entries:
        x = e["xmlsec1"]
        print("%-55s %-7s %-40s default=%s resp=%s assert=%s" % (
            e["file"], e["expect"], ",".join(e.get("reject", [])), x["default"],
            x["response_signature"], ",".join(x["assertion_signatures"])))


if __name__ == "__main__":
    main()
