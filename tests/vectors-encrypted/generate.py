#!/usr/bin/env python3
"""Generate encrypted SAML Response vectors: Okta-shaped responses from ../vectors-extra's
generator, signed by the xmlsec1 CLI, whose Assertion is then encrypted for a TEST-ONLY SP key
by the xmlsec1 CLI (`--encrypt` with a template) or, where xmlsec1 cannot (xmlenc11#rsa-oaep
with an MGF element, arbitrary CBC padding, sibling EncryptedKeys), by the openssl CLI
(`pkeyutl` for the key, `enc` for the data). No encryption is computed here or in Rust.

Run:    python3 generate.py   (rewrites this directory's *.xml and manifest.json)
Needs:  python3 >= 3.9 (stdlib), xmlsec1 (tested 1.2.37, OpenSSL backend), openssl (3.0).

Every vector is checked: `xmlsec1 --decrypt` with the SP key where xmlsec1 can read it (the
result is recorded), and the plaintext the generator encrypted must be the signed Assertion.
Keys (created when missing, committed): sp-key.pem / sp-cert.pem, sp2-key.pem / sp2-cert.pem
(a second SP key for rotation). Ciphertexts are randomized: the vectors change on every run.
"""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "vectors-extra"))
import generate as g  # noqa: E402  (the Okta-shaped response builder and xmlsec1 signer)

XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
DS = "http://www.w3.org/2000/09/xmldsig#"
ALG = {
    "aes128-cbc": XENC + "aes128-cbc", "aes256-cbc": XENC + "aes256-cbc",
    "aes128-gcm": XENC11 + "aes128-gcm", "aes256-gcm": XENC11 + "aes256-gcm",
}
SESSION = {"aes128-cbc": "aes-128", "aes256-cbc": "aes-256", "aes128-gcm": "aes-128", "aes256-gcm": "aes-256"}
DIGEST = {"sha1": DS + "sha1", "sha256": XENC + "sha256", "sha512": XENC + "sha512"}
KEYS = {"sp": ("sp-key.pem", "sp-cert.pem", "sp.example.com encryption (TEST ONLY)"),
        "sp2": ("sp2-key.pem", "sp2-cert.pem", "sp.example.com encryption 2 (TEST ONLY)")}
PREAMBLE = ("TEST-ONLY SP decryption key for the encrypted SAML test vectors in this directory.\n"
            "It is public; never use it outside tests.\n")


def run(cmd, inp=None):
    r = subprocess.run(cmd, input=inp, capture_output=True)
    return r


def must(cmd, inp=None):
    r = run(cmd, inp)
    if r.returncode:
        sys.exit("generate.py: %s failed:\n%s" % (cmd[0:2], r.stderr.decode()))
    return r.stdout


def path(name):
    return os.path.join(HERE, name)


def ensure_keys():
    for key, cert, cn in KEYS.values():
        if not os.path.exists(path(key)):
            pem = must(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])
            with open(path(key), "w") as f:
                f.write(PREAMBLE + pem.decode())
        if not os.path.exists(path(cert)):
            must(["openssl", "req", "-x509", "-new", "-key", path(key), "-subj", "/CN=" + cn,
                  "-days", "7300", "-set_serial", "4242", "-out", path(cert)])


def signed_response(name, sign):
    """An Okta-shaped response (xs/xsi declared on the Response root only, so the Assertion
    uses prefixes declared outside it), signed by xmlsec1: the Assertion when `sign` is
    "assertion" or "both" (the Response signature, if any, is made after encryption)."""
    c = dict(name=name, sign=sign, root_ns=True, expect="valid", why="")
    resp_id, a_id = g.okta_id(name + "/response"), g.okta_id(name + "/assertion")
    doc, aspec, rspec = g.build_response(c, resp_id, a_id)
    if sign in ("assertion", "both"):
        doc, _ = g.xmlsec_sign(doc, aspec["key"], g.XP_ASSERT_SIG, "#" + a_id)
    return doc, resp_id, rspec


def assertion_span(doc):
    m = re.search(rb"<saml2:Assertion\b.*?</saml2:Assertion>", doc, re.S)
    return m.start(), m.end()


def b64(data):
    return base64.b64encode(data).decode()


def encrypted_key_xml(wrapped, method, digest=None, mgf=None, id_attr="", carried=None):
    inner = ""
    if digest:
        inner += '<ds:DigestMethod xmlns:ds="%s" Algorithm="%s"/>' % (DS, DIGEST[digest])
    if mgf:
        inner += '<xenc11:MGF xmlns:xenc11="%s" Algorithm="%smgf1%s"/>' % (XENC11, XENC11, mgf)
    return ('<xenc:EncryptedKey xmlns:xenc="%s"%s><xenc:EncryptionMethod Algorithm="%s">%s'
            '</xenc:EncryptionMethod><xenc:CipherData><xenc:CipherValue>%s</xenc:CipherValue>'
            '</xenc:CipherData>%s</xenc:EncryptedKey>') % (
        XENC, id_attr, method, inner, b64(wrapped),
        "<xenc:CarriedKeyName>%s</xenc:CarriedKeyName>" % carried if carried else "")


def with_xmlsec(doc, cipher, transport, key="sp", x509=False):
    """Encrypts the Assertion with xmlsec1 --encrypt (a template; rsa-oaep-mgf1p or rsa-1_5).
    `x509`: the EncryptedKey's own KeyInfo names the certificate (xmlsec1 fills X509Data in)."""
    s, e = assertion_span(doc)
    wrapped = doc[:s] + b'<saml2:EncryptedAssertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">' + doc[s:e] + b"</saml2:EncryptedAssertion>" + doc[e:]
    digest = '<ds:DigestMethod Algorithm="%s"/>' % DIGEST["sha1"] if transport == "rsa-oaep-mgf1p" else ""
    template = ('<xenc:EncryptedData xmlns:xenc="%s" xmlns:ds="%s" Type="%sElement">'
                '<xenc:EncryptionMethod Algorithm="%s"/><ds:KeyInfo><xenc:EncryptedKey>'
                '<xenc:EncryptionMethod Algorithm="%s%s">%s</xenc:EncryptionMethod>%s'
                '<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>'
                '<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>') % (
        XENC, DS, XENC, ALG[cipher], XENC, transport, digest,
        "<ds:KeyInfo><ds:X509Data/></ds:KeyInfo>" if x509 else "")
    with tempfile.TemporaryDirectory() as d:
        data, tmpl, out = os.path.join(d, "data.xml"), os.path.join(d, "t.xml"), os.path.join(d, "o.xml")
        with open(data, "wb") as f:
            f.write(wrapped)
        with open(tmpl, "w") as f:
            f.write(template)
        must(["xmlsec1", "--encrypt", "--pubkey-cert-pem", path(KEYS[key][1]), "--session-key",
              SESSION[cipher], "--xml-data", data, "--node-xpath",
              "/*[local-name()='Response']/*[local-name()='EncryptedAssertion']/*[local-name()='Assertion']",
              "--output", out, tmpl])
        with open(out, "rb") as f:
            return f.read(), doc[s:e]


def with_openssl(doc, cipher, digest, mgf, layout="keyinfo", padding="pkcs7", key="sp",
                 transport=None, tamper=None):
    """Encrypts the Assertion with the openssl CLI: the content key with `pkeyutl` (RSA-OAEP,
    `digest` and MGF1 `mgf`), the data with `enc` (CBC only: `enc` has no GCM)."""
    s, e = assertion_span(doc)
    plain = doc[s:e]
    if tamper:  # what an attacker can do with the SP's public key: encrypt a changed assertion
        if plain.count(tamper[0]) != 1:
            sys.exit("generate.py: tamper target not found once")
        plain = plain.replace(tamper[0], tamper[1])
    bits = 128 if cipher.startswith("aes128") else 256
    cek, iv = os.urandom(bits // 8), os.urandom(16)
    if padding == "pkcs7":
        ct = must(["openssl", "enc", "-aes-%d-cbc" % bits, "-K", cek.hex(), "-iv", iv.hex()], plain)
    else:  # XML Encryption padding: arbitrary bytes, the last one the padding length
        n = 16 - len(plain) % 16
        padded = plain + os.urandom(n - 1) + bytes([n])
        ct = must(["openssl", "enc", "-aes-%d-cbc" % bits, "-K", cek.hex(), "-iv", iv.hex(), "-nopad"], padded)
    with tempfile.TemporaryDirectory() as d:
        pub = os.path.join(d, "pub.pem")
        must(["openssl", "x509", "-in", path(KEYS[key][1]), "-pubkey", "-noout", "-out", pub])
        wrapped = must(["openssl", "pkeyutl", "-encrypt", "-pubin", "-inkey", pub,
                        "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:" + digest,
                        "-pkeyopt", "rsa_mgf1_md:" + mgf], cek)
    method = transport or (XENC11 + "rsa-oaep" if (digest, mgf) != ("sha1", "sha1") or layout == "xenc11"
                           else XENC + "rsa-oaep-mgf1p")
    xenc11 = method.startswith(XENC11)
    ek = lambda **kw: encrypted_key_xml(wrapped, method, digest=digest,
                                        mgf=mgf if xenc11 else None, **kw)
    data_head = ('<xenc:EncryptedData xmlns:xenc="%s" Type="%sElement"><xenc:EncryptionMethod Algorithm="%s"/>'
                 % (XENC, XENC, ALG[cipher]))
    data_tail = '<xenc:CipherData><xenc:CipherValue>%s</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>' % b64(iv + ct)
    if layout == "keyinfo" or layout == "xenc11":
        body = data_head + '<ds:KeyInfo xmlns:ds="%s">%s</ds:KeyInfo>' % (DS, ek()) + data_tail
    elif layout == "retrieval":  # Shibboleth: the EncryptedKey beside the EncryptedData
        body = (data_head + '<ds:KeyInfo xmlns:ds="%s"><ds:RetrievalMethod Type="%sEncryptedKey" URI="#_ek1"/>'
                '</ds:KeyInfo>' % (DS, XENC) + data_tail + ek(id_attr=' Id="_ek1"'))
    elif layout == "keyname":  # KeyName naming the sibling's CarriedKeyName
        body = (data_head + '<ds:KeyInfo xmlns:ds="%s"><ds:KeyName>sp-2026</ds:KeyName></ds:KeyInfo>' % DS
                + data_tail + ek(carried="sp-2026"))
    else:
        raise ValueError(layout)
    out = doc[:s] + b'<saml2:EncryptedAssertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">' + body.encode() + b"</saml2:EncryptedAssertion>" + doc[e:]
    return out, plain


def sign_response_after(doc, resp_id, rspec):
    signed, _ = g.xmlsec_sign(doc, rspec["key"], g.XP_RESP_SIG, "#" + resp_id)
    return signed


CASES = [
    # name, assertion signature, how, options, expected outcome (default / with rsa-1_5 opt-in)
    ("valid-xmlsec-aes256-cbc-oaep-mgf1p", "assertion", "xmlsec", dict(cipher="aes256-cbc", transport="rsa-oaep-mgf1p"), "valid",
     "Okta's default: AES-256-CBC, RSA-OAEP (mgf1p, SHA-1), the Assertion signed inside"),
    ("valid-xmlsec-okta-certificate-in-keyinfo", "assertion", "xmlsec", dict(cipher="aes256-cbc", transport="rsa-oaep-mgf1p", x509=True), "valid",
     "as Okta sends it: the EncryptedKey's own KeyInfo holds the SP certificate it was encrypted for (X509Data filled in by xmlsec1)"),
    ("valid-xmlsec-aes128-cbc-oaep-mgf1p", "assertion", "xmlsec", dict(cipher="aes128-cbc", transport="rsa-oaep-mgf1p"), "valid",
     "AES-128-CBC, RSA-OAEP mgf1p"),
    ("valid-xmlsec-aes256-gcm-oaep-mgf1p", "assertion", "xmlsec", dict(cipher="aes256-gcm", transport="rsa-oaep-mgf1p"), "valid",
     "AES-256-GCM, RSA-OAEP mgf1p"),
    ("valid-xmlsec-aes128-gcm-oaep-mgf1p", "assertion", "xmlsec", dict(cipher="aes128-gcm", transport="rsa-oaep-mgf1p"), "valid",
     "AES-128-GCM, RSA-OAEP mgf1p"),
    ("valid-xmlsec-response-signed-assertion-unsigned", "response", "xmlsec", dict(cipher="aes256-cbc", transport="rsa-oaep-mgf1p"), "valid",
     "the Response signed (after encryption, covering the ciphertext), the Assertion inside unsigned"),
    ("valid-xmlsec-both-signed", "both", "xmlsec", dict(cipher="aes256-gcm", transport="rsa-oaep-mgf1p"), "valid",
     "the Assertion signed, encrypted, then the Response signed"),
    ("valid-xmlsec-second-sp-key", "assertion", "xmlsec", dict(cipher="aes256-cbc", transport="rsa-oaep-mgf1p", key="sp2"), "valid",
     "encrypted for the second SP key (a rotation: both keys configured, tried in order)"),
    ("legacy-xmlsec-rsa-1_5", "assertion", "xmlsec", dict(cipher="aes256-cbc", transport="rsa-1_5"), "unsupported_algorithm",
     "RSA PKCS#1 v1.5 key transport: refused unless the insecure opt-in is on"),
    ("valid-openssl-xenc11-oaep-sha256", "assertion", "openssl", dict(cipher="aes256-cbc", digest="sha256", mgf="sha256"), "valid",
     "xmlenc11#rsa-oaep with SHA-256 and MGF1-SHA-256 (openssl pkeyutl), AES-256-CBC (openssl enc)"),
    ("valid-openssl-xenc11-oaep-sha512-aes128", "assertion", "openssl", dict(cipher="aes128-cbc", digest="sha512", mgf="sha512"), "valid",
     "xmlenc11#rsa-oaep with SHA-512 and MGF1-SHA-512, AES-128-CBC"),
    ("valid-openssl-xenc11-oaep-sha1-defaults", "assertion", "openssl", dict(cipher="aes256-cbc", digest="sha1", mgf="sha1", layout="xenc11"), "valid",
     "xmlenc11#rsa-oaep with SHA-1 and MGF1-SHA-1 written out"),
    ("valid-openssl-arbitrary-cbc-padding", "assertion", "openssl", dict(cipher="aes256-cbc", digest="sha1", mgf="sha1", padding="xmlenc"), "valid",
     "CBC padding as XML Encryption defines it: random bytes, the last one the length (not PKCS#7)"),
    ("valid-openssl-retrieval-method", "assertion", "openssl", dict(cipher="aes256-cbc", digest="sha1", mgf="sha1", layout="retrieval"), "valid",
     "the EncryptedKey beside the EncryptedData, named by ds:RetrievalMethod (as Shibboleth sends it)"),
    ("valid-openssl-carried-key-name", "assertion", "openssl", dict(cipher="aes256-cbc", digest="sha1", mgf="sha1", layout="keyname"), "valid",
     "the EncryptedKey beside the EncryptedData, named by ds:KeyName = CarriedKeyName"),
    ("invalid-openssl-oaep-mixed-digests", "assertion", "openssl", dict(cipher="aes256-cbc", digest="sha256", mgf="sha1"), "unsupported_algorithm",
     "xmlenc11#rsa-oaep with SHA-256 but MGF1-SHA-1: a mixed pair is refused"),
    ("invalid-xmlsec-unsigned-inside-unsigned", "none", "xmlsec", dict(cipher="aes256-cbc", transport="rsa-oaep-mgf1p"), "decryption",
     "neither the Response nor the decrypted Assertion is signed: the one decryption error"),
    ("invalid-openssl-reencrypted-changed-assertion", "assertion", "openssl",
     dict(cipher="aes256-cbc", digest="sha1", mgf="sha1",
          tamper=(b">jane.doe@example.com</saml2:NameID>", b">admin@example.com</saml2:NameID>")), "decryption",
     "the signed Assertion changed (NameID) and encrypted again for the SP's public key, as anyone can: "
     "its signature no longer verifies, and without a signed Response that is the one decryption error"),
    ("invalid-xmlsec-for-another-key", "assertion", "xmlsec", dict(cipher="aes256-cbc", transport="rsa-oaep-mgf1p", key="other"), "decryption",
     "encrypted for a key the SP does not have (the IdP's own certificate)"),
]


def main():
    for tool in (["xmlsec1", "--version"], ["openssl", "version"]):
        if run(tool).returncode:
            sys.exit("generate.py: %s not found" % tool[0])
    ensure_keys()
    KEYS["other"] = (None, os.path.relpath(g.IDP_CERT, HERE), None)
    xmlsec_version = must(["xmlsec1", "--version"]).decode().strip()
    entries = []
    for name, sign, how, opts, expect, why in CASES:
        opts = dict(opts)
        doc, resp_id, rspec = signed_response(name, "both" if sign == "both" else
                                              ("response" if sign == "response" else
                                               ("assertion" if sign == "assertion" else "none")))
        if how == "xmlsec":
            out, plain = with_xmlsec(doc, opts.pop("cipher"), opts.pop("transport"), **opts)
        else:
            out, plain = with_openssl(doc, opts.pop("cipher"), opts.pop("digest"), opts.pop("mgf"), **opts)
        if sign in ("response", "both"):
            out = sign_response_after(out, resp_id, rspec)
        file = name + ".xml"
        with open(path(file), "wb") as f:
            f.write(out)
        # The independent check: xmlsec1 decrypts it with the SP key (where it reads the form).
        keyfile = KEYS.get(opts.get("key", "sp"), KEYS["sp"])[0] or KEYS["sp"][0]
        d = run(["xmlsec1", "--decrypt", "--privkey-pem", path(keyfile), path(file)])
        xmlsec = "OK" if d.returncode == 0 and plain in d.stdout else ("FAIL" if d.returncode else "DIFFERENT")
        e = dict(file=file, source="generated by generate.py: %s" % (
            "encrypted by " + xmlsec_version if how == "xmlsec" else "encrypted by the openssl CLI (pkeyutl, enc)"),
                 idp_cert="../vectors/generated/idp-cert.pem",
                 sp_keys=["sp-key.pem", "sp2-key.pem"], sp_certs=["sp-cert.pem", "sp2-cert.pem"],
                 sp_entity_id=g.SP_ENTITY_ID, acs_url=g.ACS_URL, idp_issuer=g.IDP_ISSUER, now=g.NOW,
                 expect=expect, why=why, email=g.EMAIL, email_attribute="email",
                 plaintext_sha256=hashlib.sha256(plain).hexdigest(),
                 sha256=hashlib.sha256(out).hexdigest(), xmlsec1_decrypt=xmlsec)
        if name.startswith("legacy-"):
            e["expect_with_rsa1_5"] = "valid"
        entries.append(e)
        if expect == "valid" and how == "xmlsec" and xmlsec != "OK":
            sys.exit("generate.py: xmlsec1 does not decrypt %s (%s)" % (file, d.stderr.decode()))
    manifest = {"format": "sso-scim encrypted SAML vectors v1 (see README.md)", "generator": "generate.py",
                "xmlsec1_version": xmlsec_version,
                "xmlsec1_decrypt_command": "xmlsec1 --decrypt --privkey-pem <sp key> <file>",
                "vectors": entries}
    with open(path("manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    for e in entries:
        print("%-50s %-22s xmlsec1 --decrypt: %s" % (e["file"], e["expect"], e["xmlsec1_decrypt"]))


if __name__ == "__main__":
    main()
