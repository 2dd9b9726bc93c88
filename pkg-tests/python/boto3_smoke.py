"""boto3 against `kms-wasm serve`: the AWS SDK for Python speaking the AWS
KMS JSON protocol to kms-wasm, as it would to AWS KMS.

    AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... python boto3_smoke.py http://127.0.0.1:PORT

Requests are signed (SigV4) with the credentials of the environment, which
the server's config holds. Prints one line per step and "boto3 smoke: ok" at the end; exits 1 on the
first failed check. Run by pkg-tests/node/serve-boto3.test.mjs.
"""

import datetime
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def check(cond, what):
    if not cond:
        print(f"boto3 smoke: FAILED: {what}", flush=True)
        sys.exit(1)
    print(f"ok - {what}", flush=True)


def client(endpoint, secret):
    return boto3.client(
        "kms",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30),
    )


def main(endpoint):
    kms = client(endpoint, os.environ["AWS_SECRET_ACCESS_KEY"])

    meta = kms.create_key(Description="boto3 smoke")["KeyMetadata"]
    key_id = meta["KeyId"]
    check(meta["KeyState"] == "Enabled" and meta["Arn"].endswith(":key/" + key_id), "create_key")
    check(isinstance(meta["CreationDate"], datetime.datetime), "CreationDate is a datetime (epoch seconds on the wire)")

    kms.create_alias(AliasName="alias/boto3-smoke", TargetKeyId=key_id)
    aliases = kms.list_aliases(KeyId=key_id)["Aliases"]
    check([a["AliasName"] for a in aliases] == ["alias/boto3-smoke"], "create_alias / list_aliases")

    context = {"purpose": "boto3-smoke"}
    plaintext = bytes(range(256)) * 4
    old = kms.encrypt(KeyId="alias/boto3-smoke", Plaintext=plaintext, EncryptionContext=context)
    check(isinstance(old["CiphertextBlob"], bytes) and old["KeyId"] == meta["Arn"], "encrypt through the alias")
    back = kms.decrypt(CiphertextBlob=old["CiphertextBlob"], EncryptionContext=context)
    check(back["Plaintext"] == plaintext and back["KeyId"] == meta["Arn"], "decrypt")

    kms.rotate_key_on_demand(KeyId=key_id)
    rotations = kms.list_key_rotations(KeyId=key_id)["Rotations"]
    check(len(rotations) == 1 and rotations[0]["RotationType"] == "ON_DEMAND", "rotate_key_on_demand / list_key_rotations")
    check(isinstance(rotations[0]["RotationDate"], datetime.datetime), "RotationDate is a datetime")

    new = kms.encrypt(KeyId=key_id, Plaintext=b"after rotation")["CiphertextBlob"]
    check(kms.decrypt(CiphertextBlob=old["CiphertextBlob"], EncryptionContext=context)["Plaintext"] == plaintext,
          "a ciphertext from before the rotation still decrypts")
    check(kms.decrypt(CiphertextBlob=new)["Plaintext"] == b"after rotation", "a ciphertext from after it decrypts")

    dk = kms.generate_data_key(KeyId="alias/boto3-smoke", KeySpec="AES_256")
    check(len(dk["Plaintext"]) == 32, "generate_data_key: 32 bytes")
    check(kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"], "the data key's blob decrypts to it")

    try:
        kms.decrypt(CiphertextBlob=old["CiphertextBlob"])
        check(False, "decrypt without the encryption context is refused")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "InvalidCiphertextException", "decrypt without the context: InvalidCiphertextException")

    kms.disable_key(KeyId=key_id)
    try:
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
        check(False, "encrypt with a disabled key is refused")
    except ClientError as e:
        code = e.response["Error"]["Code"]
        check(code == "DisabledException", f"encrypt after disable_key: DisabledException (got {code})")
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, "HTTP 400")
        check(isinstance(e, kms.exceptions.DisabledException), "botocore's modeled DisabledException class")

    try:
        client(endpoint, "not-the-secret").list_keys()
        check(False, "a wrong secret is refused")
    except ClientError as e:
        code = e.response["Error"]["Code"]
        check(code == "InvalidSignatureException", f"a wrong secret: InvalidSignatureException (got {code})")
        check(e.response["Error"]["Message"].startswith("The request signature we calculated does not match"), "AWS's text")

    print("boto3 smoke: ok", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: boto3_smoke.py ENDPOINT_URL", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
