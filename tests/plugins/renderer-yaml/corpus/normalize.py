"""Turns kubectl's output into a corpus expectation (see ./regenerate).

objects: stdin holds the JSON objects kubectl printed, one after another.
error:   stdin holds kubectl's error output.
"""
import json
import sys


def objects(text):
    decoder = json.JSONDecoder()
    found, pos = [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            return found
        value, pos = decoder.raw_decode(text, pos)
        metadata = value.get("metadata")
        if isinstance(metadata, dict) and metadata.get("annotations") == {}:
            del metadata["annotations"]
        found.append(value)


if sys.argv[1] == "objects":
    result = {"objects": objects(sys.stdin.read())}
else:
    result = {"error": sys.stdin.read().strip().splitlines()[0]}
json.dump(result, sys.stdout, indent=1, ensure_ascii=False, sort_keys=True)
sys.stdout.write("\n")
