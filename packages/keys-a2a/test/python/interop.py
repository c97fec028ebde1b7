"""Interop helper for @phlow/keys-a2a tests, run in the venv of tooling/services/python-a2a/install.sh.

Commands (JSON on stdin, JSON on stdout):
  jcs      {"values": [<json text>, ...]}            -> {"canonical": [<rfc8785 output or null>, ...]}
  sign     {"card": {...}, "key": <PEM>, "alg", "kid", "jku"?} -> the card signed by a2a-sdk, as JSON
  verify   {"card": {...}, "jwks": {...}, "algorithms": [...]} -> {"ok": true} or {"ok": false, "error": ...}
  canon    {"card": {...}}                           -> {"canonical": a2a-sdk's canonical card text}
"""
import json
import sys

import rfc8785
from a2a.types import AgentCard
from a2a.utils import signing
from google.protobuf.json_format import MessageToDict, ParseDict
from jwt.api_jwk import PyJWKSet
from jwt.exceptions import InvalidKeyError


def jcs(request):
    out = []
    for text in request["values"]:
        # Integers are read as floats: JSON numbers are IEEE 754 doubles in RFC 8785 (and in JavaScript).
        value = json.loads(text, parse_int=float)
        try:
            out.append(rfc8785.dumps(value).decode("utf-8"))
        except Exception as e:  # noqa: BLE001 - report which values rfc8785 refuses
            out.append(None)
    return {"canonical": out}


def card_of(data):
    return ParseDict(data, AgentCard(), ignore_unknown_fields=False)


def sign(request):
    header = {"alg": request["alg"], "kid": request["kid"], "typ": "JOSE"}
    if request.get("jku"):
        header["jku"] = request["jku"]
    signer = signing.create_agent_card_signer(request["key"], header)
    return MessageToDict(signer(card_of(request["card"])))


def verify(request):
    keys = {k.key_id: k for k in PyJWKSet.from_dict(request["jwks"]).keys}

    def provider(kid, jku):
        # The SDK skips a signature only on a PyJWTError; any other error ends the whole verification.
        if kid not in keys:
            raise InvalidKeyError("kid not in the trusted set")
        return keys[kid]

    try:
        signing.create_signature_verifier(provider, request["algorithms"])(card_of(request["card"]))
        return {"ok": True}
    except Exception as e:  # noqa: BLE001
        return {"ok": False, "error": type(e).__name__}


def canon(request):
    return {"canonical": signing._canonicalize_agent_card(card_of(request["card"]))}


if __name__ == "__main__":
    request = json.load(sys.stdin)
    result = {"jcs": jcs, "sign": sign, "verify": verify, "canon": canon}[sys.argv[1]](request)
    json.dump(result, sys.stdout, ensure_ascii=False)
