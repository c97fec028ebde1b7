"""Interop driver for @phlow/keys-httpsig: signs or verifies one request with PyPI http-message-signatures.

Reads one JSON request on stdin, writes one JSON answer on stdout:
  {"cmd": "verify", "alg": ..., "keyid": ..., "public_pem": ..., "method", "url", "headers": [[k, v], ...],
   "body": str|null, "tag": str, "require": [component ids]}
  {"cmd": "sign", "alg": ..., "keyid": ..., "private_pem": ..., "method", "url", "headers", "body", "components",
   "tag", "expires_in": int}
"""
import datetime
import json
import sys

from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, MappingKeyResolver, algorithms
from http_message_signatures.structures import CaseInsensitiveDict

ALGS = {
    "ed25519": algorithms.ED25519,
    "ecdsa-p256-sha256": algorithms.ECDSA_P256_SHA256,
    "rsa-v1_5-sha256": algorithms.RSA_V1_5_SHA256,
}


class Message:
    def __init__(self, method, url, headers):
        self.method = method
        self.url = url
        self.headers = CaseInsensitiveDict(headers)


def main():
    req = json.load(sys.stdin)
    alg = ALGS[req["alg"]]
    msg = Message(req["method"], req["url"], req["headers"])
    body = req.get("body")
    body = body.encode() if body is not None else None
    if req["cmd"] == "verify":
        resolver = MappingKeyResolver(public_keys={req["keyid"]: req["public_pem"].encode()}, private_keys={})
        verifier = HTTPMessageVerifier(signature_algorithm=alg, key_resolver=resolver)
        verifier.max_clock_skew = datetime.timedelta(seconds=60)
        try:
            results = verifier.verify(msg, expect_tag=req["tag"], require_components=req.get("require", ()), body=body)
        except Exception as e:  # noqa: BLE001 - the answer says why
            print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}))
            return
        params = dict(results[0].parameters)
        print(json.dumps({"ok": True, "keyid": params.get("keyid"), "tag": params.get("tag")}))
    else:
        resolver = MappingKeyResolver(public_keys={}, private_keys={req["keyid"]: req["private_pem"].encode()})
        signer = HTTPMessageSigner(signature_algorithm=alg, key_resolver=resolver)
        now = datetime.datetime.now(datetime.timezone.utc)
        signer.sign(
            msg,
            key_id=req["keyid"],
            created=now,
            expires=now + datetime.timedelta(seconds=req.get("expires_in", 60)),
            nonce=req.get("nonce"),
            label="sig1",
            tag=req["tag"],
            covered_component_ids=req["components"],
            body=body,
        )
        print(json.dumps({"ok": True, "headers": dict(msg.headers.items())}))


main()
