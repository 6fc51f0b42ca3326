#!/usr/bin/env python3
"""Regenerate tests/c14n/expected/ and tests/c14n/manifest.json from tests/c14n/cases/.

Every expected output is produced by libxml2 (never by sso-scim):
  * xmllint (libxml2-utils)   -- whole-document C14N 1.0 / 1.1 / exclusive
  * lxml (bundled libxml2)     -- whole-document and subtree C14N 1.0 / exclusive
  * xmlsec1 (system libxml2)   -- pre-digest bytes of a ds:Reference, used for
                                  subtree C14N 1.0 / 1.1 / exclusive (real
                                  document-subset canonicalization) and as a
                                  cross-check for whole documents.
Whenever several producers can compute the same output they are all run and
compared; the script fails on any disagreement that is not one of the known,
documented ones (see DIVERGENCE_WHY and README.md).

Usage (from the repository root):
    /tmp/c14n-venv/bin/python tests/c14n/generate.py
Requires: xmllint, xmlsec1 (with OpenSSL crypto) on PATH, and lxml importable.
The cases themselves are hand-written and committed; this script only reads them.
"""

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
EXPECTED = HERE / "expected"
MANIFEST = HERE / "manifest.json"

ALG = {
    "c14n10": "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "c14n11": "http://www.w3.org/2006/12/xml-c14n11",
    "exc": "http://www.w3.org/2001/10/xml-exc-c14n#",
}
XMLLINT_FLAG = {"c14n10": "--c14n", "c14n11": "--c14n11", "exc": "--exc-c14n"}
DSIG = "http://www.w3.org/2000/09/xmldsig#"
XML_NS = "{http://www.w3.org/XML/1998/namespace}"
ENVELOPED = DSIG + "enveloped-signature"
SIG_ID = "c14n-fixture-generator-signature"
HMAC_KEY = b"c14n-fixture-generator-hmac-key!"  # throwaway; only pre-digest bytes matter

# Extra exclusive-C14N InclusiveNamespaces prefix lists for specific cases
# (in addition to the automatic ones, see prefix_lists()).
EXTRA_PREFIX_LISTS = {
    "exc_prefix_list_variants": [["nosuchprefix"], ["q", "p"], ["r", "#default"]],
    "saml_okta_response": [["xs", "xsi"], ["saml2p"]],
}

# Known, explained disagreements between lxml and xmlsec1.  Each one is
# accepted only if its explanation is verified mechanically (see main()):
#
# XMLATTR: lxml canonicalizes a subtree by building a fake document whose root
#   is a shallow copy of the element, with the ancestors' namespace
#   declarations copied onto it (lxml proxy.pxi _plainFakeRootDoc /
#   _copyParentNamespaces).  It does NOT copy xml:* attributes of ancestors, so
#   inclusive C14N 1.0 of a subtree whose ancestors carry xml:lang / xml:space /
#   xml:base / xml:id lacks them.  xmlsec1 canonicalizes the real document
#   subset and adds them to the apex, as the C14N 1.0 spec requires.
#   Verified by: removing from xmlsec1's apex start tag the xml:* attributes
#   the apex itself does not carry gives exactly lxml's bytes.
# DEFAULT: lxml (serializer.pxi _convert_ns_prefixes) silently drops every
#   inclusive_ns_prefixes entry that is not already a string in the document's
#   libxml2 dictionary, so "#default" is never passed to libxml2.  xmlsec1
#   passes it to libxml2, which renders the in-scope default namespace on the
#   apex as Exclusive C14N requires.
#   Verified by: lxml's output with the list equals lxml's output with
#   "#default" removed from the list.
DIVERGENCE_WHY = {
    "XMLATTR": "lxml's fake-root subtree C14N does not inherit ancestors' xml:* attributes",
    "DEFAULT": "lxml drops '#default' from inclusive_ns_prefixes (never reaches libxml2)",
}


def run(cmd, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if p.returncode != 0:
        raise SystemExit(f"command failed ({p.returncode}): {cmd}\n{p.stderr.decode(errors='replace')}")
    return p


def tool_versions():
    if not shutil.which("xmllint") or not shutil.which("xmlsec1"):
        raise SystemExit("xmllint and xmlsec1 must be on PATH (apt: libxml2-utils xmlsec1)")
    v = run(["xmllint", "--version"]).stderr.decode().splitlines()[0]
    m = re.search(r"libxml version (\d+)", v)
    n = int(m.group(1))
    xmllint_libxml = f"{n // 10000}.{n // 100 % 100}.{n % 100}"
    xmlsec = run(["xmlsec1", "--version"]).stdout.decode().strip()
    # xmlsec1 is dynamically linked against the system libxml2, same as xmllint.
    lxml_v = ".".join(map(str, etree.LXML_VERSION[:3]))
    lxml_libxml = ".".join(map(str, etree.LIBXML_VERSION))
    return {
        "xmllint": f"xmllint {xmllint_libxml} (libxml2-utils, libxml2 {xmllint_libxml})",
        "xmlsec1": f"{xmlsec.split(' (')[0]} (system libxml2 {xmllint_libxml})",
        "lxml": f"lxml {lxml_v} (libxml2 {lxml_libxml})",
    }


def prefix_lists(case, target):
    """Exclusive C14N InclusiveNamespaces prefix lists to generate for a subtree."""
    in_scope = sorted(p for p in target.nsmap if p is not None and p != "xml")
    lists = [[], ["#default"]]
    lists += [[p] for p in in_scope]
    if len(in_scope) > 1:
        lists.append(in_scope + ["#default"])
    for extra in EXTRA_PREFIX_LISTS.get(case, []):
        if extra not in lists:
            lists.append(extra)
    return lists


def pfx_tag(prefixes):
    assert all(p != "default" for p in prefixes), "prefix literally named 'default' would clash"
    return "pfx-" + "-".join("default" if p == "#default" else p for p in prefixes)


def xmlsec_refs(raw, tree, target, refs, tmp):
    """Run xmlsec1 once with one ds:Reference per entry of refs and return the
    pre-digest bytes of each.  refs: list of (uri, algorithm, prefixes or None).
    The template ds:Signature is inserted textually as the last child of the
    document element (never inside the target subtree), so nothing that matters
    for the canonicalized node set changes.  URI="" references carry the
    enveloped-signature transform, which removes the template again."""
    root = tree.getroot()
    qname = (root.prefix + ":" if root.prefix else "") + etree.QName(root).localname
    m = None
    for m in re.finditer(rb"</" + re.escape(qname.encode()) + rb"\s*>", raw):
        pass
    if m is None:
        return None  # e.g. <root/>: no end tag to insert before
    sig = [f'<ds:Signature xmlns:ds="{DSIG}" Id="{SIG_ID}"><ds:SignedInfo>'
           f'<ds:CanonicalizationMethod Algorithm="{ALG["exc"]}"/>'
           f'<ds:SignatureMethod Algorithm="{DSIG}hmac-sha1"/>']
    for uri, alg, prefixes in refs:
        t = f'<ds:Transform Algorithm="{ENVELOPED}"/>' if uri == "" else ""
        if prefixes:
            t += (f'<ds:Transform Algorithm="{alg}"><ec:InclusiveNamespaces xmlns:ec="{ALG["exc"]}" '
                  f'PrefixList="{" ".join(prefixes)}"/></ds:Transform>')
        else:
            t += f'<ds:Transform Algorithm="{alg}"/>'
        sig.append(f'<ds:Reference URI="{uri}"><ds:Transforms>{t}</ds:Transforms>'
                   f'<ds:DigestMethod Algorithm="{DSIG}sha1"/><ds:DigestValue></ds:DigestValue></ds:Reference>')
    sig.append("</ds:SignedInfo><ds:SignatureValue></ds:SignatureValue></ds:Signature>")
    doc = raw[:m.start()] + "".join(sig).encode() + raw[m.start():]
    check = etree.fromstring(doc)
    assert check[-1].get("Id") == SIG_ID, "template not inserted as last child of root"
    src = tmp / "signme.xml"
    src.write_bytes(doc)
    key = tmp / "hmac.key"
    key.write_bytes(HMAC_KEY)
    cmd = ["xmlsec1", "--sign", "--hmackey", str(key), "--node-xpath", f"//*[@Id='{SIG_ID}']",
           "--store-references", "--print-debug", "--output", str(tmp / "signed.xml")]
    if target is not None:
        q = etree.QName(target)
        cmd += ["--id-attr:ID", (q.namespace + ":" if q.namespace else "") + q.localname]
    cmd.append(str(src))
    out = run(cmd).stdout
    blocks = out.split(b"= REFERENCE CALCULATION CONTEXT\n")[1:]
    assert len(blocks) == len(refs), (len(blocks), len(refs))
    res = []
    for (uri, _, _), b in zip(refs, blocks):
        assert b.startswith(b"== Status: succeeded\n== URI: \"" + uri.encode() + b"\"\n"), b[:100]
        start = b.index(b"== PreDigest data - start buffer:\n") + len(b"== PreDigest data - start buffer:\n")
        end = b.index(b"\n== PreDigest data - end buffer\n", start)
        res.append(b[start:end])
    return res


def main():
    V = tool_versions()
    if EXPECTED.exists():
        shutil.rmtree(EXPECTED)
    EXPECTED.mkdir()
    manifest = []
    problems = []
    divergences_seen = []

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    case_files = sorted(CASES.glob("*.xml"))
    for path in case_files:
        case = path.stem
        rel = f"cases/{path.name}"
        raw = path.read_bytes()
        assert b"<!DOCTYPE" not in raw
        tree = etree.parse(str(path), parser)
        targets = tree.xpath('//*[@ID="target"]')
        assert len(targets) <= 1, case
        target = targets[0] if targets else None
        assert target is None or target is not tree.getroot(), case
        has_comments = bool(tree.xpath("//comment()"))
        assert has_comments == (b"<!--" in raw), case

        with tempfile.TemporaryDirectory() as td:
            tmp = Path(td)
            # ---- xmllint, whole document (on a comment-stripped copy if needed)
            if has_comments:
                stripped = re.sub(rb"<!--.*?-->", b"", raw, flags=re.S)
                xl_in = tmp / path.name
                xl_in.write_bytes(stripped)
                xl_desc = f"on {rel} with its <!--...--> comments removed textually (nothing else changed)"
            else:
                xl_in = path
                xl_desc = rel
            xl = {m: run(["xmllint", XMLLINT_FLAG[m], str(xl_in)]).stdout for m in ALG}

            # ---- lxml
            lx_doc = {
                "c14n10": etree.tostring(tree, method="c14n", exclusive=False, with_comments=False),
                "exc": etree.tostring(tree, method="c14n", exclusive=True, with_comments=False),
            }

            # ---- xmlsec1: whole document + subtree in one run
            refs = [("", ALG[m], None) for m in ("c14n10", "c14n11", "exc")]
            plists = []
            if target is not None:
                plists = prefix_lists(case, target)
                refs += [("#target", ALG["c14n10"], None), ("#target", ALG["c14n11"], None)]
                refs += [("#target", ALG["exc"], pl) for pl in plists]
            xs = xmlsec_refs(raw, tree, target, refs, tmp)

        outputs = []  # (scope, method, prefixes, bytes, producer)

        def agree(key, results, primary, explain=None):
            """results: {producer_desc: bytes}; returns the primary's bytes.
            explain(producer, bytes) -> divergence tag if a mismatch is a
            verified known divergence, else None."""
            vals = {k: v for k, v in results.items() if v is not None}
            base = vals[primary]
            for k, v in vals.items():
                if v != base:
                    tag = explain(k, v) if explain else None
                    if tag:
                        divergences_seen.append((key, tag))
                        continue
                    problems.append((key, primary, k, base, v))
            return base

        # ---- document scope
        xs_doc = dict(zip(("c14n10", "c14n11", "exc"), xs[:3])) if xs else {}
        for m in ("c14n10", "c14n11", "exc"):
            key = (case, "document", m, ())
            xl_prod = f"{V['xmllint']} {XMLLINT_FLAG[m]} {xl_desc}"
            xs_prod = f"{V['xmlsec1']} URI=\"\" + enveloped-signature + {ALG[m]}"
            res = {xl_prod: xl[m], xs_prod: xs_doc.get(m)}
            if m in lx_doc:
                lx_prod = (f"{V['lxml']} etree.tostring(etree.parse({rel!r}), method='c14n', "
                           f"exclusive={m == 'exc'}, with_comments=False)")
                res[lx_prod] = lx_doc[m]
                primary = lx_prod if has_comments else xl_prod
            else:
                primary = xl_prod
            data = agree(key, res, primary)
            others = [k.split(" (")[0] for k, v in res.items() if v is not None and k != primary]
            outputs.append(("document", m, None, data, primary + ("; identical output from " + " and ".join(others) if others else "")))

        # ---- subtree scope (apex = element with ID="target")
        if target is not None:
            xs_sub = xs[3:]
            idattr = etree.QName(target)
            idspec = (idattr.namespace + ":" if idattr.namespace else "") + idattr.localname
            xs_base = f"{V['xmlsec1']} --sign --id-attr:ID {idspec} --store-references, pre-digest bytes of <ds:Reference URI=\"#target\"> with the single Transform"
            # c14n10
            key = (case, "subtree", "c14n10", ())
            lx = etree.tostring(target, method="c14n", exclusive=False, with_comments=False)
            xs_prod = f"{xs_base} {ALG['c14n10']}"
            lx_prod = f"{V['lxml']} etree.tostring(elem, method='c14n', exclusive=False, with_comments=False)"
            own = {a for a in target.attrib if a.startswith(XML_NS)}

            def explain_xmlattr(prod, v, xsd=xs_sub[0], own=own):
                end = xsd.index(b">")
                head = re.sub(rb' xml:(\w+)="[^"]*"',
                              lambda m: m.group(0) if XML_NS + m.group(1).decode() in own else b"",
                              xsd[:end])
                return "XMLATTR" if prod.startswith("lxml") and head + xsd[end:] == v else None
            data = agree(key, {xs_prod: xs_sub[0], lx_prod: lx}, xs_prod, explain_xmlattr)
            outputs.append(("subtree", "c14n10", None, data, xs_prod + ("; identical output from lxml" if lx == data else "")))
            # c14n11 (xmlsec1 only)
            outputs.append(("subtree", "c14n11", None, xs_sub[1], f"{xs_base} {ALG['c14n11']}"))
            # exc with prefix lists
            for pl, xsd in zip(plists, xs_sub[2:]):
                key = (case, "subtree", "exc", tuple(pl))
                lx = etree.tostring(target, method="c14n", exclusive=True, with_comments=False,
                                    inclusive_ns_prefixes=pl or None)
                xs_prod = f"{xs_base} {ALG['exc']}" + (f" + <ec:InclusiveNamespaces PrefixList=\"{' '.join(pl)}\"/>" if pl else "")
                lx_prod = (f"{V['lxml']} etree.tostring(elem, method='c14n', exclusive=True, with_comments=False, "
                           f"inclusive_ns_prefixes={pl or None!r})")
                def explain_default(prod, v, pl=pl):
                    if not prod.startswith("lxml") or "#default" not in pl:
                        return None
                    rest = [p for p in pl if p != "#default"]
                    alt = etree.tostring(target, method="c14n", exclusive=True, with_comments=False,
                                         inclusive_ns_prefixes=rest or None)
                    return "DEFAULT" if alt == v else None
                data = agree(key, {xs_prod: xsd, lx_prod: lx}, xs_prod, explain_default)
                outputs.append(("subtree", "exc", pl, data, xs_prod + ("; identical output from lxml" if lx == data else "")))

        for scope, m, pl, data, producer in outputs:
            name = f"{case}.{scope}.{m}"
            if m == "exc" and pl:
                name += "." + pfx_tag(pl)
            name += ".xml"
            (EXPECTED / name).write_bytes(data)
            entry = {"case": rel, "scope": scope, "method": m}
            if m == "exc":
                entry["prefixes"] = list(pl or [])
            entry.update({"expected": f"expected/{name}", "producer": producer})
            manifest.append(entry)

    MANIFEST.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(case_files)} cases, {len(manifest)} expected files")
    for key, tag in divergences_seen:
        print(f"verified known divergence {tag} {key}: {DIVERGENCE_WHY[tag]}")
    if problems:
        for key, a, b, va, vb in problems:
            print(f"DISAGREEMENT {key}:\n  {a}\n    {va!r}\n  {b}\n    {vb!r}")
        raise SystemExit(f"{len(problems)} producer disagreement(s)")


if __name__ == "__main__":
    main()
