#!/usr/bin/env python3
"""An independent verifier for our AuthnRequests: pysaml2's IdP side (PyPI) parses and checks them.

usage: python pysaml2_authn_request.py --sp-metadata SP_METADATA.xml --idp-entity-id ID
           --idp-sso-url URL [--require-signed]
           (--redirect-url URL | --post-form-value BASE64 [--relay-state RS])
(in a venv with `pip install pysaml2`; needs the xmlsec1 binary (Debian package `xmlsec1`) and
openssl on PATH).

A throwaway pysaml2 IdP is configured in a temp dir: entityid=--idp-entity-id, SSO endpoints at
--idp-sso-url for HTTP-Redirect and HTTP-POST, metadata = the SP metadata file,
want_authn_requests_signed = --require-signed, only_use_keys_in_metadata = True. The request is
parsed with `saml2.server.Server.parse_authn_request`, which:
  * inflates (raw DEFLATE, RFC 1951) + base64-decodes (Redirect) or base64-decodes (POST);
  * verifies an enveloped XML signature, when the XML carries one (both bindings), with
    `SecurityContext.correctly_signed_authn_request` -> `_check_signature` (schema validation,
    saml-core 5.4 profile checks, then `xmlsec1 --verify` with the SP's metadata signing cert);
    with --require-signed and the POST binding an unsigned request is refused;
  * with --require-signed and the Redirect binding, requires SigAlg+Signature and verifies them
    with `saml2.request.Request._do_redirect_sig_check` -> `saml2.sigver.verify_redirect_signature`
    (SP signing certs from metadata, looked up by the request's Issuer);
  * checks Version, Destination (must be one of our SSO URLs), IssueInstant (+-1 day).
pysaml2 itself does NOT look at SigAlg/Signature unless want_authn_requests_signed is set, and it
rebuilds the signed string by re-URL-encoding the decoded values (urllib `urlencode`, i.e.
quote_plus) rather than using the bytes in the URL. So this script additionally, for any Redirect
request carrying SigAlg or Signature (with or without --require-signed):
  * runs the same pysaml2 check (`Request._do_redirect_sig_check`) itself, and
  * verifies the signature over the exact query-string bytes as they appear in the URL
    (`SAMLRequest=<raw>[&RelayState=<raw>]&SigAlg=<raw>`, SAML bindings 3.4.4.1) with pysaml2's
    own signer (`saml2.sigver.SIGNER_ALGS[SigAlg].verify`) and key extraction
    (`saml2.sigver.extract_rsa_key_from_x509_cert`) on each metadata signing cert;
both must pass. It also requires: an enveloped ds:Signature (if any) right after Issuer in the
received XML (pysaml2 schema-checks its own re-serialisation, so it misses this); the URL to start
with --idp-sso-url; no duplicated SAML query parameters; SAMLRequest to be strict base64 (after
URL-decoding); Issuer = an entity in the SP metadata; Destination present when signed (bindings 3.4.5.2 / 3.5.5.2); pysaml2's `verify()` to
return true (pysaml2 ignores a false IssueInstant check itself); and `Server.response_args` (what a
pysaml2 IdP calls to answer) to find the requested ACS URL / ProtocolBinding in the SP metadata.

stdout: exactly one JSON object. exit 0: {"id", "issuer", "destination", "acs_url",
"protocol_binding", "name_id_policy_format", "force_authn", "signed", "relay_state"};
exit 1: {"error": "<ExceptionClass>: <message>"}; exit 2: usage error.
"""
import argparse
import base64
import binascii
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit

warnings.filterwarnings("ignore")

from defusedxml import ElementTree as DefusedET
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.server import Server
from saml2.sigver import SIGNER_ALGS, extract_rsa_key_from_x509_cert, pem_format


class VerifyError(Exception):
    """A check this script makes on top of pysaml2's."""


def describe(exc):
    """`Class: message`, following the `raise ... from` chain (pysaml2 wraps the real reason)."""
    parts = []
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        parts.append(f"{type(exc).__name__}: {exc}")
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    text = " <- caused by ".join(parts)
    return text if len(text) <= 8000 else text[:8000] + "...(truncated)"


def parse_args(argv):
    p = argparse.ArgumentParser(description="Verify an AuthnRequest with pysaml2's IdP side.")
    p.add_argument("--sp-metadata", required=True)
    p.add_argument("--idp-entity-id", required=True)
    p.add_argument("--idp-sso-url", required=True)
    p.add_argument("--require-signed", action="store_true")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--redirect-url")
    g.add_argument("--post-form-value")
    p.add_argument("--relay-state")
    args = p.parse_args(argv)
    if args.relay_state is not None and args.post_form_value is None:
        p.error("--relay-state is only for --post-form-value (Redirect carries it in the URL)")
    if not os.path.isfile(args.sp_metadata):
        p.error(f"--sp-metadata {args.sp_metadata}: no such file")
    return args


def make_server(args, tmp):
    key = os.path.join(tmp, "idp.key")
    crt = os.path.join(tmp, "idp.crt")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
         "-out", crt, "-days", "2", "-subj", "/CN=pysaml2-verifier-idp"],
        check=True, capture_output=True)
    xmlsec = shutil.which("xmlsec1")
    if not xmlsec:
        raise VerifyError("xmlsec1 not on PATH (apt-get install xmlsec1)")
    conf = IdPConfig()
    conf.load({
        "entityid": args.idp_entity_id,
        "service": {"idp": {
            "endpoints": {"single_sign_on_service": [
                (args.idp_sso_url, BINDING_HTTP_REDIRECT),
                (args.idp_sso_url, BINDING_HTTP_POST),
            ]},
            "want_authn_requests_signed": bool(args.require_signed),
            "policy": {"default": {"lifetime": {"minutes": 5}}},
        }},
        "key_file": key,
        "cert_file": crt,
        "xmlsec_binary": xmlsec,
        "only_use_keys_in_metadata": True,
        "metadata": {"local": [args.sp_metadata]},
    })
    return Server(config=conf)


def split_redirect_url(url, sso_url):
    """-> (decoded params for pysaml2, raw params as in the URL). Rejects duplicate SAML params."""
    if not (url.startswith(sso_url) and url[len(sso_url):len(sso_url) + 1] in ("?", "&")):
        raise VerifyError(f"redirect URL does not start with the IdP SSO URL {sso_url!r}: {url!r}")
    query = urlsplit(url).query
    raw, dec = {}, {}
    for piece in query.split("&"):
        if not piece:
            continue
        name, sep, value = piece.partition("=")
        name = unquote_plus(name)
        if name in ("SAMLRequest", "RelayState", "SigAlg", "Signature"):
            if name in raw:
                raise VerifyError(f"duplicate query parameter {name}")
            if not sep:
                raise VerifyError(f"query parameter {name} without '='")
            raw[name] = value
            # the same decoding a web framework gives pysaml2 (parse_qs: '+' -> ' ', %XX)
            dec[name] = parse_qsl(f"x={value}", keep_blank_values=True, strict_parsing=True)[0][1]
    if "SAMLRequest" not in dec:
        raise VerifyError("no SAMLRequest in the redirect URL query")
    return dec, raw


def strict_b64(value, what):
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as e:
        raise VerifyError(f"{what} is not strict base64 ({e}): {value[:80]!r}") from None


def raw_query_signature_ok(server, issuer, dec, raw):
    """Bindings 3.4.4.1: verify over the exact URL-encoded bytes, with pysaml2's signer + key code."""
    sigalg = dec["SigAlg"]
    if sigalg not in SIGNER_ALGS:
        raise VerifyError(f"SigAlg not supported by pysaml2: {sigalg!r}")
    signed = "SAMLRequest=" + raw["SAMLRequest"]
    if "RelayState" in raw:
        signed += "&RelayState=" + raw["RelayState"]
    signed += "&SigAlg=" + raw["SigAlg"]
    sig = strict_b64(dec["Signature"], "Signature")
    certs = server.metadata.certs(issuer, "any", "signing")
    if not certs:
        raise VerifyError(f"no signing certificate for {issuer!r} in the SP metadata")
    signer = SIGNER_ALGS[sigalg]
    for _name, cert in certs:
        key = extract_rsa_key_from_x509_cert(pem_format(cert))
        if signer.verify(signed.encode("ascii"), sig, key):
            return True
    return False


def encoding_note(dec, raw):
    """Explain a Redirect signature failure caused by encoding: pysaml2 signs/verifies over its own
    re-encoding (urlencode/quote_plus) of the decoded values, not over the URL's bytes."""
    if "SigAlg" not in dec:
        return ""
    names = [n for n in ("SAMLRequest", "RelayState", "SigAlg") if n in dec]
    diff = [n for n in names if urlencode({n: dec[n]}) != f"{n}={raw[n]}"]
    if not diff:
        return ""
    detail = "; ".join(f"{n}: URL has {raw[n][:60]!r}, pysaml2 re-encodes {urlencode({n: dec[n]})[len(n) + 1:][:60]!r}"
                       for n in diff)
    return (" [note: pysaml2 verifies over urllib.parse.urlencode (quote_plus: space '+', keeps A-Za-z0-9_.-~,"
            f" upper-case %XX) of the decoded values, which differs from the URL's bytes here -- {detail}]")


DS_SIGNATURE = "{http://www.w3.org/2000/09/xmldsig#}Signature"
SAML_ISSUER = "{urn:oasis:names:tc:SAML:2.0:assertion}Issuer"


def check_signature_position(xmlstr):
    """samlp:RequestAbstractType is a sequence (Issuer?, ds:Signature?, Extensions?, ...). pysaml2's
    schema check validates its own re-serialisation (which re-orders children), so check the order
    in the bytes actually received."""
    root = DefusedET.fromstring(xmlstr)
    kids = [k for k in root if isinstance(k.tag, str)]
    sig_at = [i for i, k in enumerate(kids) if k.tag == DS_SIGNATURE]
    if len(sig_at) > 1:
        raise VerifyError("more than one ds:Signature in the AuthnRequest")
    if sig_at:
        before = [k.tag for k in kids[:sig_at[0]]]
        after = [k.tag for k in kids[sig_at[0] + 1:]]
        if before not in ([], [SAML_ISSUER]) or SAML_ISSUER in after:
            raise VerifyError("ds:Signature must directly follow saml:Issuer (schema order "
                              f"Issuer?, Signature?, Extensions?, ...); element children: {[k.tag for k in kids]}")


def as_bool(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    return str(v).strip().lower() in ("true", "1")


def verify(args):
    with tempfile.TemporaryDirectory(prefix="pysaml2-authnreq-") as tmp:
        server = make_server(args, tmp)
        sp_entities = list(server.metadata.keys())
        if not sp_entities:
            raise VerifyError("pysaml2 found no usable entity in the SP metadata (it silently drops an "
                              "EntityDescriptor whose validUntil is past, and an SPSSODescriptor whose "
                              "protocolSupportEnumeration lacks urn:oasis:names:tc:SAML:2.0:protocol)")

        if args.redirect_url is not None:
            binding = BINDING_HTTP_REDIRECT
            dec, raw = split_redirect_url(args.redirect_url, args.idp_sso_url)
            strict_b64(dec["SAMLRequest"], "SAMLRequest")
            has_sig = "Signature" in dec or "SigAlg" in dec
            if has_sig and not ("Signature" in dec and "SigAlg" in dec):
                raise VerifyError("SigAlg and Signature must both be present (or neither)")
            relay_state = dec.get("RelayState")
            try:
                req = server.parse_authn_request(
                    dec["SAMLRequest"], BINDING_HTTP_REDIRECT, relay_state=relay_state,
                    sigalg=dec.get("SigAlg"), signature=dec.get("Signature"))
            except Exception as e:
                note = encoding_note(dec, raw)
                if note:
                    raise VerifyError(describe(e) + note) from None
                raise
        else:
            binding = BINDING_HTTP_POST
            strict_b64(args.post_form_value, "POST SAMLRequest")
            has_sig = False
            relay_state = args.relay_state
            req = server.parse_authn_request(args.post_form_value, BINDING_HTTP_POST)

        if req is None or req.message is None:
            raise VerifyError("pysaml2 returned no request")
        msg = req.message
        if msg.issuer is None or not (msg.issuer.text or "").strip():
            raise VerifyError("AuthnRequest has no Issuer")
        issuer = msg.issuer.text.strip()
        if issuer not in sp_entities:
            raise VerifyError(f"Issuer {issuer!r} is not in the SP metadata (entities: {sp_entities})")

        enc = dec["SAMLRequest"] if binding == BINDING_HTTP_REDIRECT else args.post_form_value
        check_signature_position(server.unravel(enc, binding, "authn_request"))
        xml_signed = msg.signature is not None  # pysaml2 has verified it if present (it raises otherwise)
        query_signed = False
        if has_sig:
            # pysaml2 only checks SigAlg/Signature itself when want_authn_requests_signed; run the same
            # pysaml2 code unconditionally, then the exact-bytes check.
            saml_msg = {"SAMLRequest": dec["SAMLRequest"], "SigAlg": dec["SigAlg"],
                        "Signature": dec["Signature"]}
            if relay_state is not None:
                saml_msg["RelayState"] = relay_state
            if not req._do_redirect_sig_check(saml_msg):
                raise VerifyError("pysaml2 verify_redirect_signature: signature does not verify "
                                  "(over pysaml2's re-URL-encoded SAMLRequest&RelayState&SigAlg)"
                                  + encoding_note(dec, raw))
            if not raw_query_signature_ok(server, issuer, dec, raw):
                raise VerifyError("signature does not verify over the exact query-string bytes "
                                  "(SAML bindings 3.4.4.1)")
            query_signed = True
        signed = xml_signed or query_signed
        if args.require_signed and not signed:  # pysaml2 already refuses this; belt and braces
            raise VerifyError("unsigned AuthnRequest but --require-signed")

        if not req.verify():  # pysaml2 calls this but ignores a False (bad IssueInstant)
            raise VerifyError(f"pysaml2 Request.verify() failed (IssueInstant {msg.issue_instant!r} "
                              "not within +-1 day of now?)")
        if signed and not msg.destination:
            raise VerifyError("signed AuthnRequest without Destination (bindings 3.4.5.2/3.5.5.2)")
        # What a pysaml2 IdP does next to answer: find the ACS (URL/index/ProtocolBinding) in metadata.
        server.response_args(msg)

        nip = msg.name_id_policy
        return {
            "id": msg.id,
            "issuer": issuer,
            "destination": msg.destination,
            "acs_url": msg.assertion_consumer_service_url,
            "protocol_binding": msg.protocol_binding,
            "name_id_policy_format": nip.format if nip is not None else None,
            "force_authn": as_bool(msg.force_authn),
            "signed": bool(signed),
            "relay_state": relay_state,
        }


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    out = sys.stdout
    try:
        with contextlib.redirect_stdout(sys.stderr):  # keep stdout for the one JSON object
            result = verify(args)
    except Exception as e:  # noqa: BLE001 - every failure is a verdict
        out.write(json.dumps({"error": describe(e)}) + "\n")
        return 1
    out.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
