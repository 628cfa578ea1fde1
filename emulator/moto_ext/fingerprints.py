"""Prints the fingerprints of the moto sources the extension builds on, in
the form FINGERPRINTS takes:  python -m moto_ext.fingerprints"""
from . import _hooked, fingerprint

if __name__ == "__main__":
    for name, function in _hooked().items():
        print(f'    "{name}": "{fingerprint(function)}",')
