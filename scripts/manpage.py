#!/usr/bin/env python3
"""vtok(1) from the command line's own help text: `vtok --experimental-dump-help | scripts/manpage.py > vtok.1`.

swift-argument-parser dumps every command's abstract, discussion, arguments and options as JSON (the text that
`vtok <command> --help` prints); this writes them as one man page, a section per subcommand, so the page and
--help never disagree. Standard library only (make install runs it).
"""
import json
import sys


def roff(text):
    """Escapes text for roff: backslashes, and a leading dot or quote that would start a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(("\\&" + l if l[:1] in (".", "'") else l) for l in text.split("\n"))


def flag_names(arg):
    names = []
    for n in arg.get("names", []):
        names.append(("-" if n["kind"] == "short" else "--") + n["name"])
    return ", ".join("\\fB" + roff(n) + "\\fR" for n in names)


def arguments(args):
    out = []
    for a in args:
        if not a.get("shouldDisplay", True):
            continue
        if a["kind"] == "positional":
            head = "\\fI" + roff(a.get("valueName", "arg")) + "\\fR"
        else:
            head = flag_names(a)
            if a["kind"] == "option":
                head += " \\fI" + roff(a.get("valueName", "value")) + "\\fR"
        body = roff(a.get("abstract", ""))
        if a.get("defaultValue") not in (None, ""):
            body += " (default: " + roff(str(a["defaultValue"])) + ")"
        out += [".TP", head, body]
    return out


def discussion(text):
    return [".PP", ".nf", roff(text.strip("\n")), ".fi"] if text else []


def page(tool):
    root = tool["command"]
    name = root["commandName"]
    lines = ['.TH %s 1 "" "%s" "User Commands"' % (name.upper(), name),
             ".SH NAME", "%s \\- %s" % (name, roff(root.get("abstract", ""))),
             ".SH SYNOPSIS", "\\fB%s\\fR \\fIcommand\\fR [\\fIoptions\\fR]" % name,
             ".SH DESCRIPTION"] + discussion(root.get("discussion", ""))
    lines += arguments(root.get("arguments", []))
    for sub in root.get("subcommands", []):
        if not sub.get("shouldDisplay", True) or sub["commandName"] == "help":
            continue
        lines += [".SH %s %s" % (name.upper(), sub["commandName"].upper()),
                  "\\fB%s %s\\fR \\- %s" % (name, sub["commandName"], roff(sub.get("abstract", "")))]
        lines += discussion(sub.get("discussion", ""))
        lines += arguments(sub.get("arguments", []))
    lines += [".SH SEE ALSO", "ffmpeg(1), README.md and docs/ in /usr/share/doc/vtok"]
    return "\n".join(lines) + "\n"


def main():
    data = sys.stdin.read()
    if not data.strip():          # `make install-files BIN=/bin/true` (a stub binary): a page saying only that
        sys.stdout.write('.TH VTOK 1\n.SH NAME\nvtok \\- (no help text: built with a stub binary)\n')
        return
    sys.stdout.write(page(json.loads(data)))


if __name__ == "__main__":
    main()
