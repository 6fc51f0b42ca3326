#!/usr/bin/env python3
"""Derive manifest.json from the metadata fixtures in this directory.

python3 standard library only.  Usage:

    python3 compute_manifest.py           # rewrite manifest.json
    python3 compute_manifest.py --check   # exit 1 if manifest.json differs from what the files say

Static facts (origin, license, which entity a test should pick, hand-written notes) are in
FIXTURES below; everything else is computed from the bytes of each file, twice:
  1. with xml.etree.ElementTree (namespace-aware), and
  2. with plain regular expressions over the raw text (no XML parser),
and the script stops if the two disagree.

Rules (they apply to the picked entity's first IDPSSODescriptor only; SPSSODescriptor,
RoleDescriptor, AttributeAuthorityDescriptor etc. are ignored):
  entities      number of EntityDescriptor elements (anywhere in the document) that have an
                IDPSSODescriptor child
  sso_redirect  Location of the first SingleSignOnService, in document order, whose Binding is
                urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect (null if none)
  sso_post      the same for urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST
  signing_certs number of distinct ds:X509Certificate values (all whitespace removed before
                comparing) in KeyDescriptors with use="signing" or without a use attribute
  want_authn_requests_signed  the WantAuthnRequestsSigned attribute ("true"/"1" -> true,
                "false"/"0" -> false), null when absent
  notes         hand-written notes, then computed ones: BOM, XML declaration, DOCTYPE, comment
                count, ds:Signature count, missing trailing newline, CRLF
"""
import hashlib
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"

# file -> static facts. "pick" is the entityID to import (None = the only IdP entity).
FIXTURES = [
    {
        "file": "okta-oktapreview-crewjam.xml",
        "idp": "okta",
        "source": "crewjam/saml testdata/TestSPCanHandleOktaResponseEncryptedAssertionBothSigned_IDPMetadata@346540312f721498fc75e69637d9250dd89f230b",
        "license": "BSD-2-Clause",
        "notes": "Real Okta preview-org app metadata (dev-513394.oktapreview.com): "
                 "md: prefix, ds namespace declared on KeyInfo, no validUntil. The X509Certificate "
                 "is 76-char base64 chunks separated by single spaces, and NameIDFormat values have "
                 "leading/trailing newlines: trim/strip whitespace. POST and Redirect share one "
                 "Location. Identical copies: testdata/TestSPCanHandleOkta*_IDPMetadata (3 files).",
    },
    {
        "file": "okta-saml-kit.xml",
        "idp": "okta",
        "source": "xlgmokha/saml-kit spec/fixtures/metadata/okta.xml@e631d98dd933666ce174274373c7893c531f14d8",
        "license": "MIT",
        "notes": "Okta metadata with the app id and org anonymised by the saml-kit author "
                 "(entityID http://www.okta.com/1, dev.oktapreview.com) and pretty-printed; the "
                 "X509Certificate keeps Okta's line-wrapped base64 (newlines + indentation inside).",
    },
    {
        "file": "adfs-v4-msidlab.xml",
        "idp": "adfs",
        "source": "AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet test/Microsoft.IdentityModel.Protocols.WsFederation.Tests/adfs-v4-metadata.xml@c6b3b6a432e91bae209e2b31a20d8934c7eb025d",
        "license": "MIT",
        "notes": "Unmodified FederationMetadata.xml of an AD FS 2016 (\"v4\") lab server "
                 "(fs.msidlab11.com), one line, no XML declaration. Child order: ds:Signature, "
                 "RoleDescriptor xsi:type=fed:ApplicationServiceType, RoleDescriptor "
                 "xsi:type=fed:SecurityTokenServiceType, SPSSODescriptor (with its own signing "
                 "KeyDescriptor - must be ignored), IDPSSODescriptor, ContactPerson. The enveloped "
                 "signature over the whole document verifies with xmlsec1 1.2.37 using its embedded "
                 "certificate. Fails strict XSD validation only because of the fed: xsi:types (see README).",
    },
    {
        "file": "adfs-v2-msidlab.xml",
        "idp": "adfs",
        "source": "AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet test/Microsoft.IdentityModel.Protocols.WsFederation.Tests/adfs-v2-metadata.xml@c6b3b6a432e91bae209e2b31a20d8934c7eb025d",
        "license": "MIT",
        "notes": "Unmodified FederationMetadata.xml of an AD FS 2.0 lab server (fs.msidlab7.com); same "
                 "shape as adfs-v4-msidlab.xml (RoleDescriptors, SPSSODescriptor before "
                 "IDPSSODescriptor, one line, no XML declaration). Signature verifies with xmlsec1.",
    },
    {
        "file": "entra-aspnet-wsfed.xml",
        "idp": "entra",
        "source": "aspnet/Security test/Microsoft.AspNetCore.Authentication.Test/WsFederation/federationmetadata.xml@26d27d871b7992022c082dc207e3d126e1d9d278",
        "license": "Apache-2.0",
        "notes": "Azure AD (Entra ID) tenant federationmetadata.xml (tenant 4afbc689-...; entityID "
                 "https://sts.windows.net/<tenant>/), 2018 capture used by ASP.NET Core's WS-Fed "
                 "tests. Starts with a UTF-8 BOM, then <?xml version=\"1.0\" encoding=\"utf-8\"?>. "
                 "ds:Signature, RoleDescriptor fed:SecurityTokenServiceType and "
                 "fed:ApplicationServiceType, then IDPSSODescriptor with two signing KeyDescriptors "
                 "(key rollover) and only an HTTP-Redirect SingleSignOnService at login.windows.net "
                 "(older AAD endpoint; current tenants publish login.microsoftonline.com with "
                 "Redirect and POST). The signature does NOT verify (xmlsec1: digest mismatch), so "
                 "the file was altered after signing; do not use it as a valid-signature vector.",
    },
    {
        "file": "google-crewjam-2016.xml",
        "idp": "google",
        "source": "crewjam/saml service_provider_test.go@880f38c9d587b281b0a9d877a1bc32eadb2a6f87 (Go raw string test.IDPMetadata)",
        "license": "BSD-2-Clause",
        "notes": "Google Apps (Workspace) IdP metadata (idpid=C02dfl1r1) as first committed in 2016: "
                 "the bytes between the backticks of the Go raw-string literal (Go raw strings have "
                 "no escapes, so this is byte-exact; no trailing newline). "
                 "<?xml ... standalone=\"no\"?>, validUntil 2021-01-03 (expired), certificate "
                 "wrapped at 76 columns, Redirect and POST at the same Location.",
    },
    {
        "file": "google-crewjam-edited.xml",
        "idp": "google",
        "source": "crewjam/saml testdata/TestSPCanHandlePlaintextResponse_IDPMetadata@346540312f721498fc75e69637d9250dd89f230b",
        "license": "BSD-2-Clause",
        "notes": "Same document as google-crewjam-2016.xml, except that crewjam commit c719077 (2016) "
                 "changed the HTTP-Redirect SingleSignOnService to HTTP-POST, so it lists HTTP-POST "
                 "twice and has no Redirect binding (sso_redirect null). Not as Google publishes "
                 "it; kept as a duplicate-binding / no-Redirect case.",
    },
    {
        "file": "keycloak-codice.xml",
        "idp": "keycloak",
        "source": "codice/saml-conformance external/implementations/samlconf-keycloak-impl/src/main/resources/keycloak-idp-metadata.xml@f95e76bb52e721d73ce76bb0e98b4b6788a220f3",
        "license": "LGPL-3.0-or-later",
        "notes": "Keycloak (2018, /auth/realms/master) realm IdP descriptor, hand-trimmed by the "
                 "codice authors: Keycloak's EntitiesDescriptor Name=\"urn:keycloak\" wrapper was "
                 "removed and the document re-indented (no XML declaration, no trailing newline). "
                 "Keycloak traits kept: dsig: prefix, ds:KeyName (key id) before X509Data, "
                 "WantAuthnRequestsSigned=\"true\", POST/Redirect/SOAP bindings at one Location. "
                 "The X509Certificate text is surrounded by newlines and indentation (24 spaces before, 20 after).",
    },
    {
        "file": "shibboleth-samltest.xml",
        "idp": "shibboleth",
        "source": "crewjam/saml testdata/TestGetArtifactBindingLocation_IDPMetadata@346540312f721498fc75e69637d9250dd89f230b",
        "license": "BSD-2-Clause",
        "notes": "Metadata of the public SAMLtest.id Shibboleth IdP v3. No XML declaration; the "
                 "document starts with a comment before the root element; comments inside "
                 "Extensions; shibmd:Scope and mdui:UIInfo extensions; validUntil 2100; two "
                 "signing KeyDescriptors (back-channel and front-channel certs) plus one encryption; "
                 "PEM-style 64-column certificate text; SSO bindings Shibboleth AuthnRequest, POST, "
                 "POST-SimpleSign, Redirect, SOAP; protocolSupportEnumeration lists SAML 1.1 and 2.0.",
    },
    {
        "file": "shibboleth-msidlab.xml",
        "idp": "shibboleth",
        "source": "AzureAD/azure-activedirectory-identitymodel-extensions-for-dotnet test/Microsoft.IdentityModel.Protocols.WsFederation.Tests/idp-metadata.xml@c6b3b6a432e91bae209e2b31a20d8934c7eb025d",
        "license": "MIT",
        "notes": "Shibboleth IdP v3 generated idp-metadata.xml of a Microsoft lab IdP "
                 "(idp.msidlab13.com). No XML declaration. The only KeyDescriptor has no use "
                 "attribute (so it counts as signing); also an AttributeAuthorityDescriptor (ignore) "
                 "and the Shibboleth 1.x AuthnRequest SSO binding.",
    },
    {
        "file": "federation-rctsaai.xml",
        "idp": "federation",
        "source": "SAML-Toolkits/php-saml tests/data/metadata/idp/shib_metadata.xml@c89d78c4aa398767cf9775d9e32d445e64213425",
        "license": "MIT",
        "pick": "https://idp.fccn.pt/idp/shibboleth",
        "notes": "Real RCTSaai (Portugal) eduGAIN export, signed EntitiesDescriptor "
                 "(Name=http://edugain.org/, validUntil 2017-04-22, expired) with 3 entities: 2 "
                 "Shibboleth IdPs and 1 SP (https://webtut.fccn.pt). A 13-line comment sits between "
                 "the XML declaration and the root element; one comment before each entity. "
                 "KeyDescriptors have no use attribute. The enveloped signature verifies with "
                 "xmlsec1 using its embedded certificate. Pick the second IdP.",
    },
    {
        "file": "federation-sambi.xml",
        "idp": "federation",
        "source": "Sustainsys/Saml2 Tests/Tests.Shared/Metadata/SambiMetadata.xml@d4c716f2db25b823b2dd6a73d06a5c92218c0d27",
        "license": "MIT",
        "pick": "test.broker.service.tieto.com",
        "notes": "Real Sambi (Swedish health-care test federation) aggregate from 2014: signed "
                 "EntitiesDescriptor (ID federation_root, Reference URI=\"\", validUntil 2014-11-06, "
                 "expired, cacheDuration PT15M) with 13 entities: 8 with an IDPSSODescriptor, 6 with "
                 "an SPSSODescriptor. The picked entity has both an IDPSSODescriptor and an "
                 "SPSSODescriptor (only the IdP role counts); its entityID is not a URL. The "
                 "ds:Signature has no KeyInfo (federation key is distributed out of band), so it "
                 "cannot be checked from the file alone. Mixed vendors (Shibboleth, SiteMinder, "
                 "SimpleSAMLphp, ...). Taken from the v2 branch (MIT); added to the project in 2014 "
                 "when it was Kentor.AuthServices.",
    },
]


def q(ns, name):
    return "{%s}%s" % (ns, name)


def parse_values(raw, pick):
    """Values via ElementTree."""
    root = ET.fromstring(raw)
    if root.tag == q(MD, "EntityDescriptor"):
        eds = [root]
    else:
        eds = list(root.iter(q(MD, "EntityDescriptor")))
    idps = [e for e in eds if e.find(q(MD, "IDPSSODescriptor")) is not None]
    if pick is None:
        if len(idps) != 1:
            raise SystemExit("several IdP entities, pick one")
        pick = idps[0].get("entityID")
    matches = [e for e in idps if e.get("entityID") == pick]
    if len(matches) != 1:
        raise SystemExit("entity %r: %d matches" % (pick, len(matches)))
    desc = matches[0].find(q(MD, "IDPSSODescriptor"))

    def first(binding):
        for s in desc.findall(q(MD, "SingleSignOnService")):
            if s.get("Binding") == binding:
                return s.get("Location")
        return None

    certs = []
    for kd in desc.findall(q(MD, "KeyDescriptor")):
        if kd.get("use") in (None, "signing"):
            for c in kd.iter(q(DS, "X509Certificate")):
                v = re.sub(r"\s+", "", c.text or "")
                if v not in certs:
                    certs.append(v)
    w = desc.get("WantAuthnRequestsSigned")
    want = None if w is None else {"true": True, "1": True, "false": False, "0": False}[w.strip()]
    return {
        "entity_id": pick,
        "entities": len(idps),
        "sso_redirect": first(REDIRECT),
        "sso_post": first(POST),
        "signing_certs": len(certs),
        "want_authn_requests_signed": want,
    }


def regex_values(raw, pick):
    """The same values from the raw text with regular expressions only (cross-check).

    Assumes what holds for these fixtures: attribute values in double quotes, no CDATA, and
    no metadata markup inside comments that would change the answers (comments are removed
    first).
    """
    text = raw.decode("utf-8-sig")
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    p = r"(?:[A-Za-z_][\w.-]*:)?"  # optional prefix
    ent_re = re.compile(r"<(%s)EntityDescriptor\b([^>]*)>(.*?)</\1EntityDescriptor>" % p, re.S)
    ents = []
    for m in ent_re.finditer(text):
        eid = re.search(r'\bentityID="([^"]*)"', m.group(2)).group(1)
        idp = re.search(r"<(%s)IDPSSODescriptor\b([^>]*)>(.*?)</\1IDPSSODescriptor>" % p, m.group(3), re.S)
        if idp:
            ents.append((eid, idp))
    if pick is None:
        pick = ents[0][0]
    eid, idp = [x for x in ents if x[0] == pick][0]
    attrs, body = idp.group(2), idp.group(3)

    def first(binding):
        for s in re.finditer(r"<%sSingleSignOnService\b([^>]*?)/?>" % p, body):
            b = re.search(r'\bBinding="([^"]*)"', s.group(1)).group(1)
            if b == binding:
                return re.search(r'\bLocation="([^"]*)"', s.group(1)).group(1)
        return None

    certs = []
    for kd in re.finditer(r"<(%s)KeyDescriptor\b([^>]*)>(.*?)</\1KeyDescriptor>" % p, body, re.S):
        use = re.search(r'\buse="([^"]*)"', kd.group(2))
        if use is None or use.group(1) == "signing":
            for c in re.finditer(r"<%sX509Certificate>(.*?)</%sX509Certificate>" % (p, p), kd.group(3), re.S):
                v = re.sub(r"\s+", "", c.group(1))
                if v not in certs:
                    certs.append(v)
    w = re.search(r'\bWantAuthnRequestsSigned="([^"]*)"', attrs)
    want = None if w is None else w.group(1).strip() in ("true", "1")
    return {
        "entity_id": pick,
        "entities": len(ents),
        "sso_redirect": first(REDIRECT),
        "sso_post": first(POST),
        "signing_certs": len(certs),
        "want_authn_requests_signed": want,
    }


def computed_notes(raw):
    out = []
    if raw.startswith(b"\xef\xbb\xbf"):
        out.append("UTF-8 BOM")
    m = re.match(rb"(?:\xef\xbb\xbf)?(<\?xml[^>]*\?>)", raw)
    out.append("XML declaration: " + m.group(1).decode() if m else "no XML declaration")
    if b"<!DOCTYPE" in raw:
        out.append("DOCTYPE")
    n = raw.count(b"<!--")
    if n:
        out.append("%d comment(s)" % n)
    sigs = len(list(ET.fromstring(raw).iter(q(DS, "Signature"))))
    if sigs:
        out.append("%d ds:Signature element(s)" % sigs)
    if b"\r" in raw:
        out.append("CR/CRLF line endings")
    if not raw.endswith(b"\n"):
        out.append("no trailing newline")
    out.append("%d bytes" % len(raw))
    return out


def build():
    manifest = []
    for fx in FIXTURES:
        raw = open(os.path.join(HERE, fx["file"]), "rb").read()
        a = parse_values(raw, fx.get("pick"))
        b = regex_values(raw, fx.get("pick"))
        if a != b:
            raise SystemExit("%s: ElementTree %r != regex %r" % (fx["file"], a, b))
        entry = {
            "file": fx["file"],
            "idp": fx["idp"],
            "source": fx["source"],
            "license": fx["license"],
        }
        entry.update(a)
        entry["notes"] = fx["notes"] + " [" + "; ".join(computed_notes(raw)) + "]"
        entry["sha256"] = hashlib.sha256(raw).hexdigest()
        manifest.append(entry)
    return manifest


def main():
    manifest = build()
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    path = os.path.join(HERE, "manifest.json")
    if "--check" in sys.argv:
        if open(path, encoding="utf-8").read() != text:
            print("manifest.json is out of date")
            return 1
        print("manifest.json matches the files (%d entries)" % len(manifest))
        return 0
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    for e in manifest:
        print("%-30s %-10s %-3s %-5s %-5s %s" % (e["file"], e["idp"], e["entities"], e["signing_certs"],
                                                e["want_authn_requests_signed"], e["entity_id"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
