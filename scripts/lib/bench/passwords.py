"""Writes the password corpus for scripts/bench, one JSON string per line:
common and leaked-style passwords, random ones, and adversarial inputs up to
Cognito's 256 characters (long repeats, sequences, keyboard walks,
dictionary concatenations, l33t, unicode). Deterministic (seeded)."""
import json
import random
import string
import sys

rng = random.Random(20261125)
WORDS = ("password dragon monkey letmein qwerty shadow master sunshine princess football "
         "baseball welcome admin login starwars freedom whatever trustno1 hello charlie "
         "correct horse battery staple violet quasar harbor lovelace analytical engine").split()
COMMON = ["123456", "password", "12345678", "qwerty", "123456789", "12345", "1234", "111111",
          "1234567", "dragon", "123123", "baseball", "abc123", "football", "monkey", "letmein",
          "696969", "shadow", "master", "666666", "qwertyuiop", "123321", "mustang", "1234567890",
          "michael", "654321", "superman", "1qaz2wsx", "7777777", "121212", "000000", "qazwsx",
          "Password1!", "P@ssw0rd", "Summer2024!", "Welcome123", "iloveyou", "trustno1"]
LEET = str.maketrans({"a": "@", "e": "3", "i": "1", "o": "0", "s": "$"})


def corpus():
    out = list(COMMON)
    for _ in range(300):  # random, lengths 6-64
        alphabet = string.ascii_letters + string.digits + string.punctuation
        out.append("".join(rng.choice(alphabet) for _ in range(rng.randint(6, 64))))
    for _ in range(200):  # passphrases and dictionary concatenations
        words = [rng.choice(WORDS) for _ in range(rng.randint(2, 12))]
        out.append(rng.choice(["", "-", " ", "."]).join(words)[:256])
    for word in WORDS:  # l33t, capitalised, with years
        out += [word.translate(LEET), word.capitalize() + str(rng.randint(1950, 2030)) + "!"]
    for n in (8, 16, 32, 64, 128, 200, 256):  # long repeats and sequences
        out += ["a" * n, ("ab" * n)[:n], ("abc123" * n)[:n], ("0123456789" * n)[:n],
                ("qwertyuiop" * n)[:n], ("zyxwvutsrq" * n)[:n], ("password" * n)[:n],
                ("1qaz2wsx3edc" * n)[:n], ("Aa1!" * n)[:n]]
    for _ in range(150):  # adversarial: long mixes of repeats, sequences and words
        parts = []
        while sum(map(len, parts)) < 256:
            kind = rng.randrange(4)
            if kind == 0:
                parts.append(rng.choice(string.ascii_lowercase) * rng.randint(3, 30))
            elif kind == 1:
                start = rng.randint(0, 20)
                parts.append(string.ascii_lowercase[start:start + rng.randint(3, 6)])
            elif kind == 2:
                parts.append(rng.choice(WORDS))
            else:
                parts.append(str(rng.randint(0, 10**8)))
        out.append("".join(parts)[:256])
    # Every l33t substitute zxcvbn knows, over and over: each one multiplies
    # the substitutions its l33t matcher tries (acsploit's zxcvbn attack).
    l33t = "4@8({[<3691!|70$5+%2"
    for n in (20, 32, 64, 128, 256):
        out.append((l33t * 13)[:n])
        shuffled = list((l33t * 13)[:n])
        rng.shuffle(shuffled)
        out.append("".join(shuffled))
    unicode_pool = "äöüßéèçñøåæœ€£¥漢字かなカナ한국어ру́сскийΕλληνικάعربى😀🔒🚀"
    for _ in range(120):  # unicode
        out.append("".join(rng.choice(unicode_pool) for _ in range(rng.randint(4, 256))))
    for _ in range(100):  # dates, phone-like, keyboard walks with shifts
        out.append(f"{rng.randint(1, 31):02d}{rng.randint(1, 12):02d}{rng.randint(1900, 2030)}")
        out.append("".join(rng.choice(["qwe", "asd", "zxc", "QWE", "!@#", "123"]) for _ in range(rng.randint(2, 40)))[:256])
    return [p for p in out if 0 < len(p) <= 256]


if __name__ == "__main__":
    passwords = corpus()
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        for password in passwords:
            f.write(json.dumps(password, ensure_ascii=False) + "\n")
    print(f"{len(passwords)} passwords, longest {max(map(len, passwords))} characters")
