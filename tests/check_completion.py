#!/usr/bin/env python3
"""The bash completion for dacw (packaging/bash-completion/dacw) against the real help texts.

Usage: check_completion.py DACW COMPLETION_FILE

Every command `dacw --help` lists must be completed, and every --option that command's --help
prints must be among the options the completion offers for it. The completion is exercised by
sourcing it in bash and calling its function with COMP_WORDS, so it also fails when the script
itself is broken. Needs no display and no data.
"""
import re
import subprocess
import sys


def complete(completion_file, words):
    """The candidates the completion offers for the command line `words` (last = current word)."""
    script = (
        'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); '
        'COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; _dacw; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    out = subprocess.run(["bash", "-c", script, "check", completion_file, *words],
                         check=True, capture_output=True, text=True).stdout
    return set(out.split())


def main():
    dacw, completion_file = sys.argv[1], sys.argv[2]
    overview = subprocess.run([dacw, "--help"], check=True, capture_output=True, text=True).stdout
    section = overview.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    commands = [re.split(r"\s{2,}", line.strip())[0] for line in section.splitlines() if line.strip()]
    if len(commands) < 5:
        sys.exit(f"could not read the command list from `dacw --help`:\n{overview}")

    failures = []
    top = complete(completion_file, ["dacw", ""])
    for cmd in commands:
        words = cmd.split()
        if words[0] not in top:
            failures.append(f"'{words[0]}' is not completed after 'dacw'")
        if len(words) == 2:
            sub = complete(completion_file, ["dacw", words[0], ""])
            if words[1] not in sub:
                failures.append(f"'{words[1]}' is not completed after 'dacw {words[0]}'")
        help_text = subprocess.run([dacw, *words, "--help"], check=True, capture_output=True, text=True).stdout
        wanted = set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", help_text)) | {"--help"}
        offered = complete(completion_file, ["dacw", *words, "--"])
        for opt in sorted(wanted - offered):
            failures.append(f"'dacw {cmd} --help' prints {opt}, the completion does not offer it")
        print(f"dacw {cmd}: {len(wanted)} options in --help, {len(offered)} completed")

    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"completion covers all {len(commands)} commands and their options")


if __name__ == "__main__":
    main()
