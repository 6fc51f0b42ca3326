#!/usr/bin/env python3
"""An independent SAML IdP for interop tests: pysaml2 (PyPI) signs an Okta-like Response.

usage: python pysaml2_idp.py OUT_DIR      (in a venv with `pip install pysaml2`)
Writes OUT_DIR/{idp.key,idp.crt,sp_metadata.xml,response.xml,response.b64}: a Response for
alice@example.com with a signed Assertion (RSA-SHA256), an `email` attribute, InResponseTo=REQ_ID,
valid for 5 minutes from now (so generate it at test time). Edit the constants below to vary it.
Variation (sso-scim): PYSAML2_SIGN=response signs the Response instead of the Assertion;
PYSAML2_SIGN=both signs both. PYSAML2_ENCRYPT_CERT=PEM_FILE encrypts the Assertion for that SP
certificate the way pysaml2 does (EncryptedKey inside KeyInfo, naming the certificate), with
pysaml2's default data encryption, 3DES-CBC, or with PYSAML2_ENCRYPT_ALG=aes256-cbc (or aes128-cbc,
aes256-gcm) instead.
Requires the xmlsec1 binary (Debian package `xmlsec1`) and openssl on PATH.
"""
import base64
import os
import subprocess
import sys
import warnings

warnings.filterwarnings("ignore")

from saml2 import BINDING_HTTP_POST
from saml2.config import IdPConfig
from saml2.saml import NAME_FORMAT_UNSPECIFIED, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.saml import AUTHN_PASSWORD_PROTECTED
from saml2.attribute_converter import AttributeConverter
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

OUT = sys.argv[1] if len(sys.argv) > 1 else "idp_out"
os.makedirs(OUT, exist_ok=True)

IDP_ENTITY = "http://www.okta.com/exk1fakeokta"
IDP_SSO = "https://dev-123.okta.com/app/dev-123_sp_1/exk1fakeokta/sso/saml"
SP_ENTITY = "https://sp.example.com/saml/metadata"
SP_ACS = "https://sp.example.com/saml/acs"
REQ_ID = "ONELOGIN_4fee3b046395c4e751011e97f8900b5273d56685"
SIGN = os.environ.get("PYSAML2_SIGN", "assertion")
SIGN_ASSERTION = SIGN in ("assertion", "both")
SIGN_RESPONSE = SIGN in ("response", "both")
ENCRYPT_CERT = os.environ.get("PYSAML2_ENCRYPT_CERT")
ENCRYPT_ALG = os.environ.get("PYSAML2_ENCRYPT_ALG")
if ENCRYPT_ALG:
    import functools
    import saml2.entity
    from saml2.sigver import pre_encryption_part
    DATA_ALG = {
        "aes128-cbc": "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
        "aes256-cbc": "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
        "aes256-gcm": "http://www.w3.org/2009/xmlenc11#aes256-gcm",
    }[ENCRYPT_ALG]
    # pysaml2's IdP takes its encryption template from this function, always with 3DES-CBC.
    saml2.entity.pre_encryption_part = functools.partial(pre_encryption_part, msg_enc=DATA_ALG)

key = os.path.join(OUT, "idp.key")
crt = os.path.join(OUT, "idp.crt")
if not os.path.exists(key):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
         "-out", crt, "-days", "3650", "-subj", "/CN=dev-123.okta.example"],
        check=True, capture_output=True)

# SP metadata, so the IdP knows the SP's ACS endpoint.
sp_md = os.path.join(OUT, "sp_metadata.xml")
with open(sp_md, "w") as f:
    f.write(f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{SP_ENTITY}">
  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true"
      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:AssertionConsumerService Binding="{BINDING_HTTP_POST}" Location="{SP_ACS}" index="0"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
""")

conf = IdPConfig()
conf.load({
    "entityid": IDP_ENTITY,
    "service": {"idp": {
        "endpoints": {"single_sign_on_service": [(IDP_SSO, BINDING_HTTP_POST)]},
        "policy": {"default": {"lifetime": {"minutes": 5},
                               "name_form": NAME_FORMAT_UNSPECIFIED,
                               "attribute_restrictions": None}},
        "sign_assertion": SIGN_ASSERTION,
        "sign_response": SIGN_RESPONSE,
    }},
    "key_file": key,
    "cert_file": crt,
    "xmlsec_binary": "/usr/bin/xmlsec1",
    "metadata": {"local": [sp_md]},
    # no attribute maps -> attribute names pass through verbatim ("email"), like Okta
})
idp = Server(config=conf)
if ENCRYPT_ALG:
    # ... and its session key type from this default (des-192): the one for the chosen cipher.
    _encrypt = idp.sec.encrypt_assertion
    _session = {"aes128-cbc": "aes-128", "aes256-cbc": "aes-256", "aes256-gcm": "aes-256"}[ENCRYPT_ALG]
    idp.sec.encrypt_assertion = lambda statement, enc_key, template, key_type=None, node_xpath=None: \
        _encrypt(statement, enc_key, template, key_type=_session, node_xpath=node_xpath)
# Okta sends Name="email" NameFormat=...:unspecified. The policy's name_form picks the FIRST
# converter with that name format; pysaml2's bundled adfs_v20 map claims "unspecified" and has
# no "email" (-> it silently falls back to NameFormat=uri), so put a pass-through converter first.
uc = AttributeConverter(NAME_FORMAT_UNSPECIFIED)
uc.from_dict({"identifier": NAME_FORMAT_UNSPECIFIED,
              "fro": {"email": "email"}, "to": {"email": "email"}})
idp.config.attribute_converters.insert(0, uc)  # before the bundled adfs map, which also claims "unspecified"

resp = idp.create_authn_response(
    identity={"email": ["alice@example.com"]},
    in_response_to=REQ_ID,
    destination=SP_ACS,
    sp_entity_id=SP_ENTITY,
    name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text="alice@example.com"),
    authn={"class_ref": AUTHN_PASSWORD_PROTECTED, "authn_auth": IDP_ENTITY},
    sign_assertion=SIGN_ASSERTION,
    sign_response=SIGN_RESPONSE,
    sign_alg=SIG_RSA_SHA256,
    digest_alg=DIGEST_SHA256,
    **({"encrypt_assertion": True, "encrypt_cert_assertion": open(ENCRYPT_CERT).read()}
       if ENCRYPT_CERT else {}),
)
xml = str(resp)
if not xml.lstrip().startswith("<?xml"):
    xml = '<?xml version="1.0" encoding="UTF-8"?>' + xml
with open(os.path.join(OUT, "response.xml"), "w") as f:
    f.write(xml)
b64 = base64.b64encode(xml.encode()).decode()
with open(os.path.join(OUT, "response.b64"), "w") as f:
    f.write(b64)
print("wrote", os.path.join(OUT, "response.xml"), len(xml), "bytes")
