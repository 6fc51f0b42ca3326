#!/usr/bin/env python3
"""Self-test of pysaml2_authn_request.py without our crate: pysaml2's own SP client makes the requests.

usage: python pysaml2_authn_request_selftest.py   (same venv as the verifier; xmlsec1 + openssl on PATH)
Prints one line per check; exit 0 when all pass, 1 otherwise.
"""
import base64
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
import zlib
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit

warnings.filterwarnings("ignore")

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256, SIG_RSA_SHA512

HERE = os.path.dirname(os.path.abspath(__file__))
VERIFIER = os.path.join(HERE, "pysaml2_authn_request.py")

IDP_ENTITY = "http://www.okta.com/exk1fakeokta"
IDP_SSO = "https://dev-123.okta.com/app/dev-123_sp_1/exk1fakeokta/sso/saml"
SP_ENTITY = "https://sp.example.com/saml/metadata"
SP_ACS = "https://sp.example.com/saml/acs"
RELAY = "https://sp.example.com/app/after login?x=1&y=~2"


def openssl_pair(tmp, name, cn):
    key, crt = os.path.join(tmp, f"{name}.key"), os.path.join(tmp, f"{name}.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", crt, "-days", "2", "-subj", f"/CN={cn}"], check=True, capture_output=True)
    return key, crt


def idp_metadata(tmp, crt):
    cert = "".join(l for l in open(crt).read().splitlines() if "-----" not in l)
    path = os.path.join(tmp, "idp_metadata.xml")
    with open(path, "w") as f:
        f.write(f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{IDP_ENTITY}">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="true"
      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:NameIDFormat>{NAMEID_FORMAT_EMAILADDRESS}</md:NameIDFormat>
    <md:SingleSignOnService Binding="{BINDING_HTTP_REDIRECT}" Location="{IDP_SSO}"/>
    <md:SingleSignOnService Binding="{BINDING_HTTP_POST}" Location="{IDP_SSO}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
""")
    return path


def sp_client(tmp, idp_md, key, crt, sign):
    conf = SPConfig()
    conf.load({
        "entityid": SP_ENTITY,
        "service": {"sp": {
            "endpoints": {"assertion_consumer_service": [(SP_ACS, BINDING_HTTP_POST)]},
            "authn_requests_signed": sign,
            "want_assertions_signed": True,
            "name_id_format": NAMEID_FORMAT_EMAILADDRESS,
            "signing_algorithm": SIG_RSA_SHA256,
            "digest_algorithm": DIGEST_SHA256,
        }},
        "key_file": key,
        "cert_file": crt,
        "xmlsec_binary": shutil.which("xmlsec1") or "/usr/bin/xmlsec1",
        "metadata": {"local": [idp_md]},
    })
    return Saml2Client(config=conf), conf


def redirect_url(client, sign, relay_state=RELAY):
    _reqid, info = client.prepare_for_authenticate(
        entityid=IDP_ENTITY, relay_state=relay_state, binding=BINDING_HTTP_REDIRECT,
        sign=sign, sigalg=SIG_RSA_SHA256 if sign else None, digest_alg=DIGEST_SHA256,
        force_authn="true")
    return dict(info["headers"])["Location"]


def post_value(client, sign):
    _reqid, req = client.create_authn_request(
        destination=IDP_SSO, binding=BINDING_HTTP_POST, sign=sign,
        sign_alg=SIG_RSA_SHA256 if sign else None, digest_alg=DIGEST_SHA256)
    info = client.apply_binding(BINDING_HTTP_POST, str(req), IDP_SSO, relay_state=RELAY)
    m = re.search(r'name="SAMLRequest" value="([^"]*)"', info["data"])
    return html.unescape(m.group(1))


def run(sp_md, *extra):
    p = subprocess.run([sys.executable, VERIFIER, "--sp-metadata", sp_md, "--idp-entity-id",
                        IDP_ENTITY, "--idp-sso-url", IDP_SSO, *extra], capture_output=True, text=True)
    lines = p.stdout.strip().splitlines()
    try:
        assert len(lines) == 1
        out = json.loads(lines[0])
    except Exception:
        out = {"unparsable_stdout": p.stdout, "stderr": p.stderr[-2000:]}
    return p.returncode, out


def set_param(url, name, new_raw):
    """Replace the raw value of one query parameter, leaving all other bytes alone."""
    base, q = url.split("?", 1)
    parts = [f"{name}={new_raw}" if piece.split("=", 1)[0] == name else piece for piece in q.split("&")]
    return base + "?" + "&".join(parts)


def get_raw(url, name):
    for piece in url.split("?", 1)[1].split("&"):
        k, _, v = piece.partition("=")
        if k == name:
            return v
    raise KeyError(name)


def reencode_saml_request(url, edit):
    """Inflate SAMLRequest, edit its XML, deflate+base64 it again (keeps the old Signature)."""
    val = dict(parse_qsl(urlsplit(url).query))["SAMLRequest"]
    xml = zlib.decompress(base64.b64decode(val), -15).decode()
    xml2 = edit(xml)
    assert xml2 != xml
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    new = base64.b64encode(c.compress(xml2.encode()) + c.flush()).decode()
    return set_param(url, "SAMLRequest", quote_plus(new))


def main():
    results = []

    def check(name, rc_out, want_rc, **want):
        rc, out = rc_out
        ok = rc == want_rc and all(out.get(k) == v for k, v in want.items())
        if want_rc == 1:
            ok = ok and "error" in out
        results.append(ok)
        print(f"{'PASS' if ok else 'FAIL'}: {name}: exit {rc} {json.dumps(out)[:300]}")

    with tempfile.TemporaryDirectory(prefix="pysaml2-selftest-") as tmp:
        sp_key, sp_crt = openssl_pair(tmp, "sp", "sp.example.com")
        _idp_key, idp_crt = openssl_pair(tmp, "idp", "idp.example.com")
        idp_md = idp_metadata(tmp, idp_crt)
        client, conf = sp_client(tmp, idp_md, sp_key, sp_crt, sign=True)
        sp_md = os.path.join(tmp, "sp_metadata.xml")
        with open(sp_md, "wb") as f:
            md = create_metadata_string(None, config=conf, valid=4, sign=False)
            f.write(md if isinstance(md, bytes) else md.encode())
        # An SP metadata of another SP (other key) under the same entityID: wrong-key test.
        other_key, other_crt = openssl_pair(tmp, "other", "other.example.com")
        _c2, conf2 = sp_client(tmp, idp_md, other_key, other_crt, sign=True)
        other_md = os.path.join(tmp, "other_sp_metadata.xml")
        with open(other_md, "wb") as f:
            md = create_metadata_string(None, config=conf2, valid=4, sign=False)
            f.write(md if isinstance(md, bytes) else md.encode())

        # --- HTTP-Redirect, signed over the query string ---
        url = redirect_url(client, sign=True)
        assert "Signature=" in url and "SigAlg=" in url and "RelayState=" in url, url
        for rs in (False, True):
            flags = ["--require-signed"] if rs else []
            check(f"redirect signed{' (--require-signed)' if rs else ''} -> ok, signed true",
                  run(sp_md, *flags, "--redirect-url", url), 0, signed=True, relay_state=RELAY,
                  issuer=SP_ENTITY, destination=IDP_SSO, acs_url=SP_ACS, force_authn=True,
                  protocol_binding=BINDING_HTTP_POST)
            sig = base64.b64decode(dict(parse_qsl(urlsplit(url).query))["Signature"])
            bad = bytes([sig[0] ^ 1]) + sig[1:]
            check(f"redirect signature bytes tampered{' (--require-signed)' if rs else ''} -> exit 1",
                  run(sp_md, *flags, "--redirect-url",
                      set_param(url, "Signature", quote_plus(base64.b64encode(bad).decode()))), 1)
            check(f"redirect SigAlg changed to rsa-sha512{' (--require-signed)' if rs else ''} -> exit 1",
                  run(sp_md, *flags, "--redirect-url", set_param(url, "SigAlg", quote_plus(SIG_RSA_SHA512))), 1)
            check(f"redirect RelayState changed after signing{' (--require-signed)' if rs else ''} -> exit 1",
                  run(sp_md, *flags, "--redirect-url", set_param(url, "RelayState", quote_plus(RELAY + "x"))), 1)
            check(f"redirect RelayState removed after signing{' (--require-signed)' if rs else ''} -> exit 1",
                  run(sp_md, *flags, "--redirect-url",
                      url.replace("&RelayState=" + get_raw(url, "RelayState"), "")
                         .replace("RelayState=" + get_raw(url, "RelayState") + "&", "")), 1)
            check(f"redirect XML changed after signing{' (--require-signed)' if rs else ''} -> exit 1",
                  run(sp_md, *flags, "--redirect-url",
                      reencode_saml_request(url, lambda x: x.replace(SP_ACS, SP_ACS + "2", 1))), 1)
            check(f"redirect Signature removed, SigAlg kept{' (--require-signed)' if rs else ''} -> exit 1",
                  run(sp_md, *flags, "--redirect-url",
                      url.replace("&Signature=" + get_raw(url, "Signature"), "")), 1)
            check(f"redirect verified with another SP's cert{' (--require-signed)' if rs else ''} -> exit 1",
                  run(other_md, *flags, "--redirect-url", url), 1)
        # Same signed value, but a percent-encoding that differs from the signed bytes (lower-case
        # hex): the exact-bytes check (bindings 3.4.4.1) must refuse it, even though the decoded
        # values are identical.
        lower = set_param(url, "SigAlg", quote(SIG_RSA_SHA256, safe="").replace("%3A", "%3a"))
        check("redirect SigAlg re-percent-encoded (same decoded value) -> exit 1",
              run(sp_md, "--redirect-url", lower), 1)
        # Re-signed by the SP key over a %20 (not '+') encoding of the RelayState space: valid over the
        # URL's bytes, but pysaml2 verifies over its own quote_plus re-encoding -> refused, with a note.
        from saml2.sigver import SIGNER_ALGS, import_rsa_key_from_file
        pct = set_param(url, "RelayState", quote(RELAY, safe=""))
        signed = "&".join(f"{n}={get_raw(pct, n)}" for n in ("SAMLRequest", "RelayState", "SigAlg"))
        resig = SIGNER_ALGS[SIG_RSA_SHA256].sign(signed.encode(), import_rsa_key_from_file(sp_key))
        pct = set_param(pct, "Signature", quote_plus(base64.b64encode(resig).decode()))
        for rs in (False, True):
            flags = ["--require-signed"] if rs else []
            rc, out = run(sp_md, *flags, "--redirect-url", pct)
            check(f"redirect signed over RelayState with %20{' (--require-signed)' if rs else ''} "
                  "-> exit 1 with encoding note", (rc, out), 1)
            if "pysaml2 re-encodes" not in out.get("error", ""):
                results[-1] = False
                print("FAIL: ... but without the encoding note")
        check("redirect URL not at the IdP SSO URL -> exit 1",
              run(sp_md, "--redirect-url", url.replace(IDP_SSO, IDP_SSO + "x", 1)), 1)
        check("redirect with a duplicated SAMLRequest -> exit 1",
              run(sp_md, "--redirect-url", url + "&SAMLRequest=" + get_raw(url, "SAMLRequest")), 1)

        # --- HTTP-Redirect, unsigned ---
        uclient, _ = sp_client(tmp, idp_md, sp_key, sp_crt, sign=False)
        uurl = redirect_url(uclient, sign=False)
        assert "Signature=" not in uurl, uurl
        check("redirect unsigned with --require-signed -> exit 1",
              run(sp_md, "--require-signed", "--redirect-url", uurl), 1)
        check("redirect unsigned without --require-signed -> ok, signed false",
              run(sp_md, "--redirect-url", uurl), 0, signed=False, relay_state=RELAY, issuer=SP_ENTITY)
        nors = redirect_url(uclient, sign=False, relay_state="")
        check("redirect unsigned, no RelayState -> ok, relay_state null",
              run(sp_md, "--redirect-url", nors), 0, signed=False, relay_state=None)
        check("redirect unsigned, Destination changed -> exit 1",
              run(sp_md, "--redirect-url",
                  reencode_saml_request(uurl, lambda x: x.replace(f'Destination="{IDP_SSO}"',
                                                                  f'Destination="{IDP_SSO}x"'))), 1)
        check("redirect unsigned, Issuer not in SP metadata -> exit 1",
              run(sp_md, "--redirect-url",
                  reencode_saml_request(uurl, lambda x: x.replace(f">{SP_ENTITY}<", ">https://evil.example/<"))), 1)
        check("redirect unsigned, ACS URL not in SP metadata -> exit 1",
              run(sp_md, "--redirect-url",
                  reencode_saml_request(uurl, lambda x: x.replace(f'"{SP_ACS}"', f'"{SP_ACS}/evil"'))), 1)
        check("redirect unsigned, IssueInstant 3 days old -> exit 1",
              run(sp_md, "--redirect-url",
                  reencode_saml_request(uurl, lambda x: re.sub(r'IssueInstant="[^"]*"',
                                                               'IssueInstant="2001-01-01T00:00:00Z"', x))), 1)

        # --- HTTP-POST, enveloped XML signature ---
        pv = post_value(client, sign=True)
        for rs in (False, True):
            flags = ["--require-signed"] if rs else []
            check(f"POST signed{' (--require-signed)' if rs else ''} -> ok, signed true",
                  run(sp_md, *flags, "--post-form-value", pv, "--relay-state", RELAY), 0,
                  signed=True, relay_state=RELAY, issuer=SP_ENTITY, destination=IDP_SSO, acs_url=SP_ACS)
            xml = base64.b64decode(pv).decode()
            tampered = xml.replace(f'"{SP_ACS}"', f'"{SP_ACS}2"', 1)
            assert tampered != xml
            check(f"POST XML tampered after signing{' (--require-signed)' if rs else ''} -> exit 1",
                  run(sp_md, *flags, "--post-form-value", base64.b64encode(tampered.encode()).decode()), 1)
            check(f"POST verified with another SP's cert{' (--require-signed)' if rs else ''} -> exit 1",
                  run(other_md, *flags, "--post-form-value", pv), 1)
        # Move the enveloped ds:Signature before the Issuer: still cryptographically valid (enveloped
        # transform), pysaml2 accepts it, but it breaks the schema order (Issuer, Signature, ...).
        xml = base64.b64decode(pv).decode()
        m = re.search(r"<(\w+:)?Signature[ >].*?</(\w+:)?Signature>", xml, re.S)
        iss = re.search(r"<(\w+:)?Issuer[ >]", xml)
        assert m and iss and iss.start() < m.start(), xml
        moved = xml.replace(m.group(0), "").replace(iss.group(0), m.group(0) + iss.group(0), 1)
        check("POST signed, ds:Signature moved before Issuer -> exit 1",
              run(sp_md, "--post-form-value", base64.b64encode(moved.encode()).decode()), 1)
        upv = post_value(uclient, sign=False)
        assert "Signature" not in base64.b64decode(upv).decode()
        check("POST unsigned with --require-signed -> exit 1",
              run(sp_md, "--require-signed", "--post-form-value", upv), 1)
        check("POST unsigned without --require-signed -> ok, signed false",
              run(sp_md, "--post-form-value", upv), 0, signed=False, relay_state=None)

        # --- usage ---
        rc, _ = run(sp_md)
        results.append(rc == 2)
        print(f"{'PASS' if rc == 2 else 'FAIL'}: no --redirect-url/--post-form-value -> exit {rc} (want 2)")
        rc, _ = run(sp_md, "--redirect-url", url, "--relay-state", "x")
        results.append(rc == 2)
        print(f"{'PASS' if rc == 2 else 'FAIL'}: --relay-state with --redirect-url -> exit {rc} (want 2)")

    n_ok = sum(results)
    print(f"{n_ok}/{len(results)} checks passed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
