#!/usr/bin/env python3
"""Attributes every item of a wasm to a crate and to a family of crates.

    python3 scripts/size-attribute.py twiggy.csv   # from: twiggy top -f csv x.wasm

Used by scripts/size-report.sh (docs/size.md). A function is attributed to
the first non-std crate in its demangled path (`<rsa::X as core::Y>::z` ->
rsa); code that LLVM or wasm-opt inlined into another function counts for
that function, so shares are approximate: docs/size.md also removes features
from a build to measure what they really cost.
"""
import csv, re, sys, collections
STD = {'core', 'alloc', 'std', 'impl', 'dyn', 'mut', 'const'}
FAMILY = [
    ('RSA-OAEP unwrap (rsa, crypto-bigint, crypto-primes, pkcs1/pkcs8/der/spki)', {'rsa', 'crypto_bigint', 'crypto_primes', 'pkcs1', 'pkcs8', 'der', 'spki', 'const_oid', 'num_bigint_dig', 'num_traits', 'num_integer'}),
    ('P-384 ECDSA (p384, primeorder, elliptic-curve, ecdsa, ff, group, sec1, rfc6979, hmac)', {'p384', 'primeorder', 'elliptic_curve', 'ecdsa', 'ff', 'group', 'sec1', 'rfc6979', 'hmac', 'base16ct', 'signature'}),
    ('Argon2id (argon2, blake2)', {'argon2', 'blake2', 'password_hash'}),
    ('AES-GCM, AES-KW (aes, ghash, polyval, aes-gcm, aes-kw, ctr, cipher)', {'aes', 'ghash', 'polyval', 'aes_gcm', 'aes_kw', 'ctr', 'cipher', 'universal_hash', 'aead', 'inout'}),
    ('SHA-1/SHA-2, HKDF (sha1, sha2, hkdf, digest)', {'sha1', 'sha2', 'hkdf', 'digest', 'block_buffer', 'crypto_common'}),
    ('serde_json', {'serde_json'}),
    ('serde, postcard, serde_bytes', {'serde', 'postcard', 'serde_bytes', 'serde_core'}),
    ('request decoding: our request types\' serde deserializers, monomorphized inside serde_path_to_error', {'serde_path_to_error'}),
    ('wasm-bindgen, js-sys, serde-wasm-bindgen', {'wasm_bindgen', 'js_sys', 'serde_wasm_bindgen'}),
    ('small crates (hex, base64ct, uuid, humantime, subtle, zeroize, getrandom, rand_core)', {'hex', 'base64ct', 'uuid', 'humantime', 'subtle', 'zeroize', 'getrandom', 'rand_core', 'once_cell', 'itoa', 'ryu', 'memchr', 'hybrid_array', 'typenum', 'generic_array', 'cpufeatures', 'ctutils', 'cmov'}),
    ('Rust std (core, alloc, std, dlmalloc, compiler_builtins)', {'core', 'alloc', 'std', 'dlmalloc', 'compiler_builtins', '__rustc'}),
]
def crate_of(name):
    if re.match(r'^data\[\d+\]$', name) or name.startswith('data segment'):
        return 'data'
    if re.match(r'^(code|func)\[\d+\]$', name):
        return 'unnamed'
    if re.match(r'^(type|import|export|elem|table|global|memory)\b', name) or name in ('"function names" subsection', 'wasm magic bytes'):
        return 'wasm'
    heads = re.findall(r'(?<![A-Za-z0-9_:])([a-z_][a-z0-9_]*)(?:\[[0-9a-f]+\])?::', name)
    for h in heads:
        if h not in STD:
            return h
    if heads:
        return heads[0]
    if name.startswith('__wbg') or name.startswith('__wbindgen') or name.startswith('__externref') or 'externref shim' in name or 'multivalue shim' in name or re.match(r'^(wasmkms|envelope(en|de)cryptor|__benchcipher|rawAes)', name, re.I) or name in ('memcmp','memcpy','memset','memmove','__multi3','__lshrti3','__ashlti3'):
        return 'exports'
    if name.startswith('custom section'):
        return 'custom'
    return 'other'
def family(crate, name):
    if crate == 'exports':
        return 'exported functions (wasm-bindgen shims, with what wasm-opt/LLVM inlined into them)'
    if crate == 'kms_wasm':
        return 'kms-wasm (our code, incl. its serde derives)'
    for f, s in FAMILY:
        if crate in s:
            return f
    if crate == 'data':
        return 'data segments (tables, strings, panic locations)'
    if crate in ('wasm', 'unnamed', 'custom'):
        return 'wasm structure (types, imports/exports, tables) and unnamed'
    return 'other'
rows = list(csv.DictReader(open(sys.argv[1])))
total = 0
by_crate = collections.Counter(); by_family = collections.Counter(); count = collections.Counter()
skipped = 0
for r in rows:
    name = r['Name']; size = int(r['ShallowSize'])
    if '"data names"' in name or '"table names"' in name or '"global names"' in name or '"module name"' in name or name.startswith('custom section \'name\'') or name.startswith('custom section \'producers\'') or '"function names"' in name or name.startswith("custom section 'target_features'"):
        skipped += size; continue
    c = crate_of(name)
    by_crate[c] += size; by_family[family(c, name)] += size; count[c] += 1; total += size
print(f'total (without name/producers sections): {total} B = {total/1024:.1f} KiB; excluded {skipped} B')
print('\n## by family')
for f, s in by_family.most_common():
    print(f'{s/1024:9.1f} KiB {100*s/total:5.1f}%  {f}')
print('\n## by crate (top 45)')
for c, s in by_crate.most_common(45):
    print(f'{s/1024:9.1f} KiB {100*s/total:5.1f}%  {c} ({count[c]} items)')
