"""Prints, per module of the extension, the fingerprints of the functions it
hooks in the MiniStack installed here, in the form FINGERPRINTS takes:
    python -m ministack_ext.fingerprints"""
from . import MODULES, fingerprint

if __name__ == "__main__":
    for module in MODULES:
        print(f"# {module.__name__}\nFINGERPRINTS = {{")
        for name, function in module._hooked().items():
            print(f'    "{name}": "{fingerprint(function)}",')
        print("}")
