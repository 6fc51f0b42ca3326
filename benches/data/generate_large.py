#!/usr/bin/env python3
"""Makes benches/data/large-256k.{xml,b64}: an Okta-shaped response of about 256 KiB (Response
and Assertion signed by the xmlsec1 CLI with tests/vectors/generated/idp-key.pem, RSA-SHA256,
exclusive C14N with PrefixList="xs"), whose assertion carries a `groups` attribute with thousands
of values. Run from the repository root: python3 benches/data/generate_large.py"""
import base64, os, re, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, "tests", "vectors", "generated")
KEY, CERT = os.path.join(GEN, "idp-key.pem"), os.path.join(GEN, "idp-cert.pem")
ID_ATTRS = ["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response"]
XP_A = "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']"
XP_R = "/*[local-name()='Response']/*[local-name()='Signature']"
TARGET = 256 * 1024 - 6144  # leave room for the signature values and certificates xmlsec1 fills in

src = open(os.path.join(GEN, "valid-both-signed.xml"), encoding="utf-8").read()
# Empty the signature values so xmlsec1 can fill them again: the signed template stays.
src = re.sub(r"<ds:DigestValue>[^<]*</ds:DigestValue>", "<ds:DigestValue></ds:DigestValue>", src)
src = re.sub(r"<ds:SignatureValue>[^<]*</ds:SignatureValue>", "<ds:SignatureValue></ds:SignatureValue>", src)
src = re.sub(r"<ds:X509Certificate>[^<]*</ds:X509Certificate>", "<ds:X509Certificate></ds:X509Certificate>", src)
value = ('<saml2:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" '
         'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">{}</saml2:AttributeValue>')
groups, i = [], 0
base_len = len(src) + 200
while base_len + sum(map(len, groups)) < TARGET:
    groups.append(value.format("group-%05d-engineering" % i))
    i += 1
attribute = ('<saml2:Attribute Name="groups" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified">'
             + "".join(groups) + "</saml2:Attribute>")
src = src.replace("</saml2:AttributeStatement>", attribute + "</saml2:AttributeStatement>", 1)

def sign(doc, xpath):
    with tempfile.TemporaryDirectory() as d:
        a, b = os.path.join(d, "in.xml"), os.path.join(d, "out.xml")
        open(a, "w", encoding="utf-8").write(doc)
        subprocess.run(["xmlsec1", "--sign", "--privkey-pem", KEY + "," + CERT] + ID_ATTRS +
                       ["--node-xpath", xpath, "--output", b, a], check=True)
        return open(b, encoding="utf-8").read()

doc = sign(sign(src, XP_A), XP_R)
for xp in (XP_A, XP_R):
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write(doc)
    subprocess.run(["xmlsec1", "--verify", "--enabled-key-data", "key-name", "--pubkey-cert-pem", CERT] + ID_ATTRS +
                   ["--node-xpath", xp, f.name], check=True, capture_output=True)
    os.unlink(f.name)
out = os.path.join(ROOT, "benches", "data")
open(os.path.join(out, "large-256k.xml"), "w", encoding="utf-8").write(doc)
open(os.path.join(out, "large-256k.b64"), "w").write(base64.b64encode(doc.encode()).decode())
print("large-256k.xml: %d bytes, %d group values" % (len(doc.encode()), i))
