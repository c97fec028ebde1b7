"""The Python side of the keys-jwt interop tests: PyJWT + cryptography, as Python Phlow agents use them.

Reads one JSON request on stdin, writes one JSON answer on stdout. Commands:
  verify        PyJWT decode of a token with a PEM public key or a JWK Set (picked by kid)
  phlow-verify  the Python Phlow middleware's verify_token rules (phlow 0.1.9, middleware.py), RS256 branch
  sign-rs256    a key pair made as the Python Phlow's key manager makes it, and a PyJWT RS256 token (no kid)
  sign-es256    a P-256 key pair made by cryptography, and a PyJWT ES256 token (no kid)
  pem-layout    re-serialises PEMs with cryptography in the Python Phlow's formats, to compare byte for byte
"""
import json
import sys

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa


def verify(req):
    if "jwks" in req:
        kid = jwt.get_unverified_header(req["token"])["kid"]
        key = jwt.PyJWKSet.from_dict(req["jwks"])[kid].key
    else:
        key = req["public_key"]
    claims = jwt.decode(
        req["token"],
        key,
        algorithms=[req["alg"]],
        audience=req.get("audience"),
        issuer=req.get("issuer"),
        options={"require": ["exp", "iat"]},
    )
    return {"claims": claims}


def phlow_verify(req):
    # Mirrors PhlowMiddleware.verify_token: size and shape checks, alg from the header limited to HS256/RS256,
    # RS256 against the configured public key PEM, then exactly its jwt.decode call.
    token = req["token"]
    if not token or len(token) > 8192 or len(token.split(".")) != 3:
        raise ValueError("Invalid token format")
    algorithm = jwt.get_unverified_header(token).get("alg", "HS256")
    if algorithm not in {"HS256", "RS256"}:
        raise ValueError("Algorithm not in allowed list")
    if algorithm != "RS256":
        raise ValueError("this test configures no HS256 secret")
    decoded = jwt.decode(
        token,
        req["public_key"],
        algorithms=[algorithm],
        options={"verify_signature": True, "require": ["exp", "iat"]},
    )
    return {"claims": decoded}


def sign_rs256(req):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    token = jwt.encode(req["claims"], private_pem, algorithm="RS256")
    return {"private_key": private_pem, "public_key": public_pem, "token": token}


def sign_es256(req):
    key = ec.generate_private_key(ec.SECP256R1())
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    token = jwt.encode(req["claims"], private_pem, algorithm="ES256")
    return {"private_key": private_pem, "public_key": public_pem, "token": token}


def pem_layout(req):
    private = serialization.load_pem_private_key(req["private_key"].encode(), password=None)
    public = serialization.load_pem_public_key(req["public_key"].encode())
    out = {
        "private_key": private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        "public_key": public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode(),
    }
    if isinstance(private, rsa.RSAPrivateKey):
        out["key_size"] = private.key_size
        out["public_exponent"] = private.public_key().public_numbers().e
    return out


COMMANDS = {
    "verify": verify,
    "phlow-verify": phlow_verify,
    "sign-rs256": sign_rs256,
    "sign-es256": sign_es256,
    "pem-layout": pem_layout,
}

if __name__ == "__main__":
    request = json.load(sys.stdin)
    try:
        result = {"ok": True, **COMMANDS[request["cmd"]](request)}
    except Exception as e:  # the test reads the exception class, never a traceback
        result = {"ok": False, "error": type(e).__name__}
    json.dump(result, sys.stdout)
