#!/usr/bin/env python3
"""Makes one of two large Okta-shaped bench responses, each as .xml and as .b64 (the base64 form an
SP receives in SAMLResponse). Both are signed by the xmlsec1 CLI with
tests/vectors/generated/idp-key.pem: Assertion first, then Response, RSA-SHA256, exclusive C14N with
PrefixList="xs" (the signature template of tests/vectors/generated/valid-both-signed.xml), and both
signatures are checked with xmlsec1 --verify before anything is written. Every AttributeValue
declares xmlns:xs and xmlns:xsi and carries xsi:type="xs:string", as Okta sends them.

  python3 benches/data/generate_large.py
      (or --variant large-256k) writes benches/data/large-256k.{xml,b64}: about 256 KiB, one
      `groups` attribute with 1 343 short values ("group-00042-engineering"). Only this variant is
      written; xmlsec1 output is deterministic, so re-running reproduces the committed bytes.
  python3 benches/data/generate_large.py --variant okta-240k
      writes benches/data/okta-240k.{xml,b64}: 240 KiB (245 760 bytes; the size is padded to
      this target), exactly 1 250 group values split over two attributes, `groups` (the first
      625) and `memberOf` (the other 625), with longer hierarchical names ("Okta-00042 /
      Marketing", "Okta-00043 / Support / Onboarding"; a "-Team"-style role suffix where that
      fills the last bytes). The names start short and are lengthened one at a time, spread over
      both attributes, until the signed size reaches the target; with 164 bytes of namespace
      declarations per value, the names average about 26 characters.

Run from anywhere; paths are relative to the repository root."""
import argparse, base64, os, re, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GEN = os.path.join(ROOT, "tests", "vectors", "generated")
OUT = os.path.join(ROOT, "benches", "data")
KEY, CERT = os.path.join(GEN, "idp-key.pem"), os.path.join(GEN, "idp-cert.pem")
ID_ATTRS = ["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
            "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response"]
XP_A = "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']"
XP_R = "/*[local-name()='Response']/*[local-name()='Signature']"
VALUE = ('<saml2:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" '
         'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">{}</saml2:AttributeValue>')
ATTRIBUTE = ('<saml2:Attribute Name="{}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified">'
             '{}</saml2:Attribute>')

def template():
    """The signed vector with its signature values emptied, so xmlsec1 can fill them again: the
    signature templates stay. Returns (template, bytes the signing adds back)."""
    signed = open(os.path.join(GEN, "valid-both-signed.xml"), encoding="utf-8").read()
    src = re.sub(r"<ds:DigestValue>[^<]*</ds:DigestValue>", "<ds:DigestValue></ds:DigestValue>", signed)
    src = re.sub(r"<ds:SignatureValue>[^<]*</ds:SignatureValue>", "<ds:SignatureValue></ds:SignatureValue>", src)
    src = re.sub(r"<ds:X509Certificate>[^<]*</ds:X509Certificate>", "<ds:X509Certificate></ds:X509Certificate>", src)
    return src, len(signed.encode()) - len(src.encode())

def large_256k():
    src, _ = template()
    target = 256 * 1024 - 6144  # leave room for the signature values and certificates xmlsec1 fills in
    groups, i = [], 0
    base_len = len(src) + 200
    while base_len + sum(map(len, groups)) < target:
        groups.append(VALUE.format("group-%05d-engineering" % i))
        i += 1
    src = src.replace("</saml2:AttributeStatement>", ATTRIBUTE.format("groups", "".join(groups))
                      + "</saml2:AttributeStatement>", 1)
    return src, i

DEPTS = ["Engineering", "Sales", "Finance", "Marketing", "Support", "Legal", "People", "IT",
         "Security", "Product", "Data", "Design", "Operations"]
TEAMS = ["Platform-Infrastructure", "Payments", "Identity", "Mobile", "Web", "SRE", "Billing",
         "Analytics", "Growth", "Onboarding", "Compliance", "Recruiting", "Helpdesk", "Payroll",
         "Search", "Networking", "Storage"]
ROLES = ["Admins", "Readers", "Team", "Contractors", "On-Call"]

def okta_240k():
    src, signing_adds = template()
    # Okta declares both namespaces on every value; make sure the template's own values do too.
    src = src.replace("<saml2:AttributeValue>", VALUE.split(">")[0] + ">")
    target, count = 240 * 1024, 1250
    # Each name has three levels of detail; all start at the shortest and are lengthened one at a
    # time, in an order that spreads them over both attributes, until the signed size reaches target.
    levels = [["Okta-%05d / %s" % (i, DEPTS[i % len(DEPTS)])] for i in range(count)]
    for i, name in enumerate(levels):
        name.append(name[0] + " / " + TEAMS[i % len(TEAMS)])
        name.append(name[1] + "-" + ROLES[i % len(ROLES)])
    level = [0] * count

    def build():
        values = [VALUE.format(levels[i][level[i]]) for i in range(count)]
        half = count // 2
        attributes = (ATTRIBUTE.format("groups", "".join(values[:half]))
                      + ATTRIBUTE.format("memberOf", "".join(values[half:])))
        return src.replace("</saml2:AttributeStatement>", attributes + "</saml2:AttributeStatement>", 1)

    size = len(build().encode()) + signing_adds
    order = sorted(range(count), key=lambda k: (k * 617) % count)  # 617 is prime to 1250: a permutation
    for step in (1, 2):
        for i in order:
            grow = len(levels[i][step]) - len(levels[i][step - 1])
            if size + grow > target:
                continue
            level[i] = step
            size += grow
    doc = build()
    starts = re.findall(r"<saml2:AttributeValue\b[^>]*>", doc)
    assert all('xmlns:xs="' in s and 'xmlns:xsi="' in s and 'xsi:type="xs:string"' in s for s in starts)
    assert len(starts) == count + 3, len(starts)  # plus email, firstName, lastName
    return doc, count

VARIANTS = {"large-256k": large_256k, "okta-240k": okta_240k}

def sign(doc, xpath):
    with tempfile.TemporaryDirectory() as d:
        a, b = os.path.join(d, "in.xml"), os.path.join(d, "out.xml")
        open(a, "w", encoding="utf-8").write(doc)
        subprocess.run(["xmlsec1", "--sign", "--privkey-pem", KEY + "," + CERT] + ID_ATTRS +
                       ["--node-xpath", xpath, "--output", b, a], check=True)
        return open(b, encoding="utf-8").read()

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", choices=sorted(VARIANTS), default="large-256k",
                        help="which document to write (default: large-256k)")
    name = parser.parse_args().variant
    src, values = VARIANTS[name]()
    doc = sign(sign(src, XP_A), XP_R)
    for xp in (XP_A, XP_R):
        with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
            f.write(doc)
        subprocess.run(["xmlsec1", "--verify", "--enabled-key-data", "key-name", "--pubkey-cert-pem", CERT] + ID_ATTRS +
                       ["--node-xpath", xp, f.name], check=True, capture_output=True)
        os.unlink(f.name)
    form = base64.b64encode(doc.encode()).decode()
    assert base64.b64decode(form) == doc.encode()
    open(os.path.join(OUT, name + ".xml"), "w", encoding="utf-8").write(doc)
    open(os.path.join(OUT, name + ".b64"), "w").write(form)
    print("%s.xml: %d bytes, %d group values" % (name, len(doc.encode()), values))

if __name__ == "__main__":
    main()
