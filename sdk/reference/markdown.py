#!/usr/bin/env python3
"""The SDK reference (docs/sdk-reference.md), generated from the headers.

Doxygen reads the SDK headers into XML (see Doxyfile); this script turns that
XML into one Markdown page in two parts, the contract (sdk/include/driftless/*.hpp)
and the toolkit (sdk/include/driftless/toolkit/*.hpp): per header its opening
comment, then each class, struct, enum and alias with its doc comment and public
members, then its functions and macros, all in the order of the header.

    markdown.py OUT.md           write the reference
    markdown.py --check DOC.md   exit 1 when DOC.md differs from a fresh one
"""
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
HEADERS = os.path.normpath(os.path.join(HERE, "..", "include", "driftless"))

# The headers every plugin uses come first in their part; the others follow by name.
FIRST = ["plugin.hpp", "export.hpp", "object.hpp", "value.hpp", "diagnostic.hpp", "result.hpp",
         "config.hpp", "context.hpp", "artifact.hpp", "toolkit/manifests.hpp", "toolkit/files.hpp"]

# The two parts of the SDK: (title, folder below HEADERS, what it is).
PARTS = [
    ("Contract", "",
     "What passes between the core and a plugin, in `sdk/include/driftless/` and the shared library "
     "`libdriftless-sdk.so` (CMake target `driftless::sdk`). It is under the ABI lock: any change to it "
     "raises `DRIFTLESS_ABI_VERSION`, and the SDK version's major number is that ABI version. The core "
     "loads only plugins built against the same major version."),
    ("Toolkit", "toolkit",
     "Helpers a plugin may use, in `sdk/include/driftless/toolkit/` and the static library "
     "`driftless::toolkit` (linked by `driftless_add_external_plugin`): each plugin gets its own copy "
     "of what it uses. Nothing of it crosses to the core, so it changes without an ABI bump; a plugin "
     "picks up a toolkit change when it is rebuilt."),
]

REGENERATE = "ninja -C <build> sdk-reference"


def run_doxygen(xml_dir):
    if not shutil.which("doxygen"):
        sys.exit("doxygen is not installed: tests/env/install-deps installs it (Debian package doxygen)")
    env = dict(os.environ, DRIFTLESS_SDK_HEADERS=HEADERS, DRIFTLESS_REFERENCE_XML=xml_dir)
    subprocess.run(["doxygen", os.path.join(HERE, "Doxyfile")], check=True, env=env, cwd=xml_dir)
    return os.path.join(xml_dir, "xml")


def tidy(code):
    """Doxygen's spelling of a type ("std::vector< Value >", "Context &c") as written in C++."""
    code = re.sub(r"\s+", " ", code).strip()
    code = re.sub(r"<\s+", "<", code)
    code = re.sub(r"\s+>", ">", code)
    code = re.sub(r"\s+([&*]+)(?=\w|\.\.\.)", r"\1 ", code)
    code = re.sub(r"\s+([&*]+)(?=[,)]|$)", r"\1", code)
    code = re.sub(r"\s*\*\s*\(\*\s*", "* (*", code)  # a function pointer: "void *(* f)()"
    code = re.sub(r"\s*=\s*(0|default|delete)$", r" = \1", code)
    return code


def text(node):
    """The prose of a description element as Markdown."""
    if node is None:
        return ""
    out = []
    for para in node.findall("para"):
        rendered = inline(para).strip()
        if rendered:
            out.append(rendered)
    return "\n\n".join(out)


def code_text(node):
    """A line of a code listing, where Doxygen writes each space as <sp/>."""
    parts = [node.text or ""]
    for child in node:
        parts.append(" " if child.tag == "sp" else code_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def inline(node):
    def prose(piece):
        return re.sub(r"\s+", " ", piece or "")

    parts = [prose(node.text)]
    for child in node:
        if child.tag == "computeroutput":
            parts.append("`" + "".join(child.itertext()).strip() + "`")
        elif child.tag == "programlisting":
            lines = [code_text(line) for line in child.iter("codeline")]
            parts.append("\n\n```cpp\n" + "\n".join(lines) + "\n```\n\n")
        elif child.tag == "itemizedlist":
            items = [inline(item.find("para")).strip() for item in child.findall("listitem")]
            parts.append("\n\n" + "\n".join("- " + item for item in items) + "\n\n")
        elif child.tag == "ndash":  # Doxygen's reading of "--" ("--kube-version")
            parts.append("--")
        elif child.tag == "mdash":
            parts.append("---")
        elif child.tag != "para":  # nested paragraphs are visited by text()
            parts.append(inline(child))
        parts.append(prose(child.tail))
    return re.sub(r" *\n\n *", "\n\n", "".join(parts))


def doc(element):
    """Brief and detailed description together, one paragraph per para."""
    parts = [text(element.find("briefdescription")), text(element.find("detaileddescription"))]
    return "\n\n".join(p for p in parts if p)


def one_line(markdown):
    return re.sub(r"\s*\n+\s*", " ", markdown).strip()


def header_of(element):
    """The header's path below sdk/include/driftless ("plugin.hpp", "toolkit/yaml.hpp")."""
    return os.path.relpath(element.find("location").get("file"), HEADERS)


def line_of(element):
    return int(element.find("location").get("line"))


def intro(header):
    """The header's opening // comment: paragraphs, and indented lines as code."""
    blocks, prose, code = [], [], []

    def flush():
        if prose:
            blocks.append(" ".join(prose))
            prose.clear()
        if code:
            blocks.append("```cpp\n" + "\n".join(code) + "\n```")
            code.clear()

    with open(os.path.join(HEADERS, header), encoding="utf-8") as f:
        for line in f:
            if not line.startswith("//"):
                break
            line = line[2:].rstrip()
            if line.startswith("   ") and line.strip():
                if prose:
                    flush()
                code.append(line[3:])
            elif not line.strip():
                flush()
            else:
                if code:
                    flush()
                prose.append(line.strip())
    flush()
    return "\n\n".join(blocks)


def template_prefix(element):
    params = element.find("templateparamlist")
    if params is None:
        return ""
    names = [tidy("".join(p.find("type").itertext())) for p in params.findall("param")]
    return "template <" + ", ".join(names) + "> "


def member_signature(member):
    kind = member.get("kind")
    name = member.findtext("name")
    type_ = tidy("".join(member.find("type").itertext())) if member.find("type") is not None else ""
    if kind == "function":
        args = tidy(member.findtext("argsstring") or "")
        prefix = ""
        if member.get("static") == "yes":
            prefix += "static "
        if member.get("virt") in ("virtual", "pure-virtual"):
            prefix += "virtual "
        if member.get("explicit") == "yes":
            prefix += "explicit "
        return tidy(template_prefix(member) + prefix + (type_ + " " if type_ else "") + name + args)
    if kind == "variable":
        init = tidy("".join(member.find("initializer").itertext())) if member.find("initializer") is not None else ""
        if init.startswith("="):  # "= 0"; a brace initialiser ("{15'000}") follows the name directly
            init = " " + init
        # A function pointer comes as type "void *(*", name, argsstring ")()".
        declarator = name + (member.findtext("argsstring") or "")
        return tidy(("static " if member.get("static") == "yes" else "") + type_ + " " + declarator) + init
    if kind == "typedef":
        return "using " + name + " = " + type_
    if kind == "enum":
        return "enum class " + name if member.get("strong") == "yes" else "enum " + name
    if kind == "define":
        params = [p.findtext("defname") for p in member.findall("param")]
        return name + ("(" + ", ".join(params) + ")" if member.find("param") is not None else "")
    return name


def enum_values(member):
    out = []
    for value in member.findall("enumvalue"):
        described = doc(value)
        out.append("- `" + value.findtext("name") + "`" + (" — " + one_line(described) if described else ""))
    return out


def compound_title(compound):
    kind = compound.get("kind")
    name = tidy(compound.findtext("compoundname")).replace("driftless::", "")
    return template_prefix(compound) + kind + " " + name


def render_compound(compound):
    lines = ["#### `" + compound_title(compound) + "`", ""]
    bases = [tidy("".join(b.itertext())) for b in compound.findall("basecompoundref") if b.get("prot") == "public"]
    if bases:
        lines += ["Derives from " + ", ".join("`" + b.replace("driftless::", "") + "`" for b in bases) + ".", ""]
    described = doc(compound)
    if described:
        lines += [described, ""]
    members = [m for m in compound.iter("memberdef") if m.get("prot") == "public"]
    members.sort(key=line_of)
    lines += bullets(m for m in members if not m.findtext("name").startswith("~"))
    if members:
        lines.append("")
    return lines


def bullets(members):
    """One bullet per member; overloads without a doc of their own, and the
    members of a group sharing one doc, join the bullet before them."""
    groups = []  # [signatures, doc, name, enum values]
    for member in members:
        signature, described, name = member_signature(member), doc(member), member.findtext("name")
        if groups and ((described and described == groups[-1][1]) or (not described and name == groups[-1][2])):
            groups[-1][0].append(signature)
            continue
        values = enum_values(member) if member.get("kind") == "enum" else []
        groups.append([[signature], described, name, values])
    lines = []
    for signatures, described, _, values in groups:
        line = "- " + ", ".join("`" + s + "`" for s in signatures)
        lines.append(line + (" — " + one_line(described) if described else ""))
        lines += ["  " + v for v in values]
    return lines


def render_namespace_member(member):
    lines = ["#### `" + member_signature(member) + "`", ""]
    described = doc(member)
    if described:
        lines += [described, ""]
    if member.get("kind") == "enum":
        lines += enum_values(member) + [""]
    return lines


def load(xml_dir):
    """Per header: [(line, kind, element)] of what it declares."""
    index = ET.parse(os.path.join(xml_dir, "index.xml")).getroot()
    per_header = {}

    def add(element, kind):
        per_header.setdefault(header_of(element), []).append((line_of(element), kind, element))

    for entry in index.findall("compound"):
        path = os.path.join(xml_dir, entry.get("refid") + ".xml")
        compound = ET.parse(path).getroot().find("compounddef")
        kind = compound.get("kind")
        if kind in ("class", "struct"):
            add(compound, "compound")
        elif kind in ("namespace", "file"):
            for section in compound.findall("sectiondef"):
                for member in section.findall("memberdef"):
                    # A file lists its namespace's members too: take only its macros.
                    if kind == "namespace" or member.get("kind") == "define":
                        add(member, member.get("kind"))
    return per_header


def anchor(header):
    return re.sub(r"[^a-z0-9_-]", "", ("driftless/" + header).lower())


def headers_of(part_folder, per_header):
    """The part's headers: those of FIRST in its order, then the others by name."""
    mine = [h for h in per_header if os.path.dirname(h) == part_folder]
    return [h for h in FIRST if h in mine] + sorted(h for h in mine if h not in FIRST)


def render(xml_dir):
    per_header = load(xml_dir)
    out = [
        "# SDK reference",
        "",
        "<!-- Generated from sdk/include/driftless by sdk/reference/markdown.py (Doxygen XML); do not edit.",
        "     Regenerate with `" + REGENERATE + "`; the test sdk.reference-is-current fails when this is stale. -->",
        "",
        "Everything a plugin can use, header by header, as declared in `sdk/include/driftless/`",
        "(include `<driftless/export.hpp>`: it brings in the rest of what a renderer needs). Every type and",
        "function is in the namespace `driftless`; the macros and the plain-C handshake are not.",
        "[Writing a plugin](plugins.md) walks through a complete plugin first.",
        "",
    ]
    parts = [(title, about, headers_of(folder, per_header)) for title, folder, about in PARTS]
    for title, _, headers in parts:
        out += ["[" + title + "](#" + title.lower() + "):", ""]
        for header in headers:
            first = intro(header).split("\n\n")[0].split(". ")[0].rstrip(".:")
            out.append("- [`driftless/" + header + "`](#" + anchor(header) + ") — " + one_line(first) + ".")
        out.append("")
    for title, about, headers in parts:
        out += ["## " + title, "", about, ""]
        out += render_headers(per_header, headers)
    return "\n".join(out).rstrip() + "\n"


def render_headers(per_header, headers):
    out = []
    for header in headers:
        out += ["### `driftless/" + header + "`", "", intro(header), ""]
        entries = sorted(per_header[header], key=lambda e: e[0])
        functions = [e for _, kind, e in entries if kind == "function"]
        macros = [e for _, kind, e in entries if kind == "define"]
        for _, kind, element in entries:
            if kind == "compound":
                out += render_compound(element)
            elif kind in ("enum", "typedef", "variable"):
                out += render_namespace_member(element)
        if functions:
            out += ["#### Functions", ""] + bullets(functions) + [""]
        if macros:
            out += ["#### Macros", ""] + bullets(macros) + [""]
    return out


def main(argv):
    check = len(argv) == 3 and argv[1] == "--check"
    if len(argv) != 2 and not check:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = render(run_doxygen(tmp))
    target = argv[-1]
    if not check:
        with open(target, "w", encoding="utf-8") as f:
            f.write(fresh)
        return 0
    with open(target, encoding="utf-8") as f:
        current = f.read()
    if current == fresh:
        return 0
    sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), fresh.splitlines(True), target, "fresh"))
    print(target + " is stale: the SDK headers changed. Regenerate it with `" + REGENERATE + "`.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
