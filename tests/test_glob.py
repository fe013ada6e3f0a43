"""GitLab's glob matching for rules:changes, rules:exists and only/except:changes: Ruby's
File.fnmatch? with FNM_PATHNAME | FNM_DOTMATCH | FNM_EXTGLOB, and the clauses around it."""

from __future__ import annotations

import contextlib
import fnmatch as stdlib_fnmatch
import glob as stdlib_glob
import json
import random
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gitlabci_dsl.gitlab.glob import (
    CHANGES_MAX_PATTERN_COMPARISONS,
    EXISTS_MAX_PATTERN_COMPARISONS,
    MAX_BRACE_ALTERNATIVES,
    changes_match,
    exists_match,
    expand_braces,
    expand_variables,
    fnmatch,
    is_exact_glob,
    is_extension_glob,
    is_top_level_glob,
    only_changes_match,
)

# https://docs.gitlab.com/ci/yaml/#ruleschanges, https://docs.gitlab.com/ci/yaml/#rulesexists
# and https://docs.gitlab.com/ci/yaml/deprecated_keywords/#onlychanges--exceptchanges:
# the documented example globs, against paths they are said to match or not.
GITLAB_DOCS = [
    ("Dockerfile", "Dockerfile", True),
    ("Dockerfile", "sub/Dockerfile", False),  # "a Dockerfile exists in the root directory"
    ("**/Dockerfile", "Dockerfile", True),  # "a Dockerfile exists anywhere"
    ("**/Dockerfile", "a/b/Dockerfile", True),
    ("docker/scripts/*", "docker/scripts/build.sh", True),
    ("docker/scripts/*", "docker/scripts/sub/build.sh", False),
    ("dockerfiles/**/*", "dockerfiles/Dockerfile", True),
    ("dockerfiles/**/*", "dockerfiles/a/b/Dockerfile", True),
    ("more_scripts/*.{rb,py,sh}", "more_scripts/x.py", True),
    ("more_scripts/*.{rb,py,sh}", "more_scripts/x.js", False),
    ("path/to/directory/*", "path/to/directory/file", True),
    ("path/to/directory/*", "path/to/directory/sub/file", False),
    ("path/to/directory/**/*", "path/to/directory/sub/file", True),
    ("path/to/directory/*.{rb,py,sh}", "path/to/directory/run.sh", True),
    ("*.md", "README.md", True),
    ("*.md", "docs/README.md", False),
    ('"*.json"'.strip('"'), "package.json", True),
    ("**/*.json", "package.json", True),  # root files too: **/ is zero or more directories
    ("**/*.json", "a/b/package.json", True),
    ("src/**/*.{js,json}", "src/apps/location/queries/Location.js", True),
    # "Do not use ./, double slashes (//)...: paths are matched with exact string comparison"
    ("./README.md", "README.md", False),
    ("docs//index.md", "docs/index.md", False),
    ("/README.md", "README.md", False),  # paths are relative: a leading / never matches
]

# ruby/spec core/file/shared/fnmatch.rb, each expected result under GitLab's flags (where the
# spec passes other flags, the result noted is the one with FNM_PATHNAME | FNM_DOTMATCH |
# FNM_EXTGLOB, as Ruby gives it).
RUBY_SPEC = [
    ("cat", "cat", True),
    ("cat", "category", False),
    ("c{at,ub}s", "cats", True),
    ("c{at,ub}s", "c{at,ub}s", False),
    ("{a,b}", "a", True),
    ("{a,b}", "b", True),
    ("c{at,ub}s", "cubs", True),
    ("-c{at,ub}s-", "-cats-", True),
    ("{a,b,c}{d,e,f}{g,h}", "adg", True),
    ("{a,b,c}{d,e,f}{g,h}", "ceh", True),
    ("{aa,bb,cc,dd}", "cc", True),
    ("{1,5{a,b{c,d}}}", "1", True),
    ("{1,5{a,b{c,d}}}", "5a", True),
    ("{1,5{a,b{c,d}}}", "5bc", True),
    ("{1,5{a,b{c,d}}}", "5bd", True),
    ("\\\\{a\\,b,b\\}c}", "\\a,b", True),
    ("\\\\{a\\,b,b\\}c}", "\\b}c", True),
    ("a{0..3}b", "a1b", False),
    ("{0..12}", "6", False),
    ("{a..g}", "d", False),
    ("escaping: {{,\\,,\\},\\{}", "escaping: {", False),
    ("escaping: {{,\\,,\\},\\{}", "escaping: ,", False),
    ("escaping: {{,\\,,\\},\\{}", "escaping: }", False),
    ("c{at,ub}}s", "cats", False),
    ("?.md", "a.md", True),
    ("c?t", "cat", True),
    ("c??t", "cat", False),
    ("c*", "cats", True),
    ("c*t", "c/a/b/t", False),  # true without FNM_PATHNAME
    ("abc[de", "abcd", False),
    ("abc[de", "abc[de", False),
    ("ca[a-z]", "cat", True),
    ("[a-z]", "D", False),
    ("[^a-z]", "D", True),
    ("[A-Z]", "d", False),
    ("[^A-Z]", "d", True),
    ("ca[x-z]", "cat", False),
    ("/ca[s][s-t]/rul[a-b]/[z]he/[x-Z]orld", "/cats/rule/the/World", False),
    ("ca[^t]", "cat", False),
    ("ca[^t]", "cas", True),
    ("ca[!t]", "cat", False),
    ("cat", "CAT", False),
    ("*a", "aa", True),
    ("a*", "aaa", True),
    ("?", "/", False),
    ("*", "/", False),
    ("[/]", "/", False),
    ("\\?", "?", True),
    ("\\?", "a", False),
    ("\\*", "*", True),
    ("\\*", "a", False),
    ("\\a", "a", True),
    ("this\\b", "thisb", True),
    ("[\\?]", "?", True),
    ("[\\*]", "*", True),
    ("*", ".profile", True),  # FNM_DOTMATCH
    ("*", "home/.profile", False),  # FNM_PATHNAME
    ("*/*", "home/.profile", True),
    ("*/*", "dave/.profile", True),
    (".*", ".profile", True),
    (".*file", "nondotfile", False),
    (".*", ".directory/nondotfile", False),
    ("**/.dotfile", ".dotsubdir/.dotfile", True),  # false without FNM_DOTMATCH
    ("**/*.rb", "main.rb", True),
    ("**/*.rb", "./main.rb", True),
    ("**/*.rb", "lib/song.rb", True),
    ("**.rb", "main.rb", True),
    ("**.rb", "./main.rb", False),
    ("**.rb", "lib/song.rb", False),  # true without FNM_PATHNAME
    ("**/*.rb", "one/two/three/main.rb", True),
    ("**/*.rb", "one/two/.main.rb", True),
    ("**/best/*", "lib/my/best/song.rb", True),
    ("**/foo", "a/b/c/foo", True),
    ("**/foo", "/a/b/c/foo", True),
    ("**/foo", "c:/a/b/c/foo", True),
    ("**/foo", "a/.b/c/foo", True),
    ("./*", ".", False),
    ("./*", "./", True),
    ("./*/", "./", False),
    ("./**", "./", True),
    ("./**/", "./", True),
    ("nested/**/*", "nested/subdir", True),
    ("nested/**/*", "nested/subdir/file", True),
    ("nested/**/*", "nested/.dotsubdir", True),
    ("nested/**/*", "nested/.dotsubir/.dotfile", True),
    ("nested/**", "nested/subdir", True),
    ("nested/**", "nested/subdir/file", False),
    ("nested/**", "nested/.dotsubdir", True),
    ("nested/**", "nested/.dotsubir/.dotfile", False),
    ("*/ä/ø/ñ", "a/ä/ø/ñ", True),
]

# Read from Ruby's dir.c and checked against Ruby 3.1: the corners of the syntax.
RUBY_CORNERS = [
    ("a\\", "a", True),  # a trailing backslash is ignored
    ("a\\", "a\\", False),
    ("a{}b", "ab", True),  # an empty group is an empty alternative
    ("{,a}", "", True),
    ("c{at", "c{at", False),  # a { never closed: the pattern matches nothing
    ("c}at", "c}at", True),  # a } with no { before it is literal
    ("[a/b]", "a", True),  # one bracket, even across a /
    ("[]", "]", False),  # matches nothing
    ("[]a]", "a", False),
    ("[!]", "a", True),  # matches anything but /
    ("[!]", "/", False),
    ("[\\]", "]", False),  # unterminated
    ("[\\]]", "]", True),
    ("[z-a]", "m", False),  # a reversed range holds only its two ends
    ("[z-a]", "z", True),
    ("[a-]", "-", True),
    ("a\\/**/b", "a/x/y/b", True),  # \/ separates directories; **/ after it still counts
    ("**\\/b", "x/y/b", False),  # **\/ is not **/
    ("***/x", "a/b/x", False),  # ***/ is */
    ("***/x", "a/x", True),
    ("a**/b", "ax/b", True),  # ** inside a name is *
    ("**", "a/b", False),
    ("**/", "a/", True),
    ("**/", "a", False),
    ("a/**/b", "a//b", True),  # **/ matches an empty directory name too
    ("{**/,}c", "x/y/c", True),  # braces expand first, so **/ can come from one
    ("[{a,b}]", "b", True),
    ("{[a,b]}", "b]", True),  # alternatives "[a" (unterminated) and "b]"
    ("{a,b\\}", "a", False),
    ("{a\\,b}", "a,b", True),
    ("*", "", True),
    ("", "", True),
    ("?", "", False),
    ("a/*", "a/", True),
    ("*/", "a/", True),
    ("[à-ü]", "é", True),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), GITLAB_DOCS)
def test_gitlab_documented_examples(pattern: str, path: str, expected: bool) -> None:
    """GitLab's documented rules:changes and rules:exists globs match as documented."""
    assert fnmatch(pattern, path) is expected


@pytest.mark.parametrize(("pattern", "path", "expected"), RUBY_SPEC + RUBY_CORNERS)
def test_ruby_fnmatch_cases(pattern: str, path: str, expected: bool) -> None:
    """ruby/spec's File.fnmatch cases and dir.c's corners give Ruby's results under GitLab's flags."""
    assert fnmatch(pattern, path) is expected


# Where Python's fnmatch (the old implementation) answers otherwise.
STDLIB_DIFFERS = [
    ("*.md", "docs/README.md", False),  # * does not cross /
    ("docs/*", "docs/a/b.md", False),
    ("*", "a/b", False),
    ("?", "/", False),
    ("[!a]", "/", False),
    ("*.{rb,py}", "main.py", True),  # braces
    ("{Dockerfile,Containerfile}", "Containerfile", True),
    ("a{}b", "ab", True),
    ("**/*.json", "package.json", True),  # **/ is zero or more directories
    ("src/**/*.py", "src/main.py", True),
    ("\\*", "*", True),  # backslash escapes
    ("\\?", "?", True),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), STDLIB_DIFFERS)
def test_differs_from_python_fnmatch(pattern: str, path: str, expected: bool) -> None:
    """GitLab's answer, where Python's fnmatch.fnmatch gives the other one."""
    assert fnmatch(pattern, path) is expected
    assert stdlib_fnmatch.fnmatch(path, pattern) is not expected


def test_dotfiles_match_unlike_python_glob(tmp_path: Path) -> None:
    """Wildcards match hidden files and directories (FNM_DOTMATCH), which Python's glob skips."""
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.py").touch()
    (tmp_path / ".gitlab-ci.yml").touch()
    dotted = [
        ("*", ".gitlab-ci.yml"),
        ("*.yml", ".gitlab-ci.yml"),
        ("**/*.py", ".hidden/x.py"),
        ("*/x.py", ".hidden/x.py"),
    ]
    for pattern, path in dotted:
        assert fnmatch(pattern, path)
        # The glob module, not Path.glob: the latter matches hidden files on Python 3.11.
        assert path not in stdlib_glob.glob(pattern, root_dir=tmp_path, recursive=True)  # noqa: PTH207


# ---------------------------------------------------------------------------------------------
# Property: an independent, brute-force reading of the same rules

TOKENS = ["a", "b", ".", "/", "*", "**", "**/", "?", "[ab]", "[!a]", "{a,b}", "{a/,}", "\\*"]
# What each token can stand for in a path, to draw paths that often match.
INSTANCES = {
    "*": ["", "a", "ab", ".b", "a/"],
    "**": ["", "a", "b.", "a/b"],
    "**/": ["", "a/", "./", "a/b/", "/"],
    "?": ["a", ".", "/"],
    "[ab]": ["a", "b", "."],
    "[!a]": ["a", "b", "/"],
    "{a,b}": ["a", "b", ""],
    "{a/,}": ["a/", "", "a"],
    "\\*": ["*", "a"],
}


def _oracle(pattern: str, path: str) -> bool:
    """Brute force: every brace alternative, then every way to split the path."""
    return any(_oracle_match(alternative, 0, path, 0) for alternative in _oracle_braces(pattern))


def _oracle_braces(pattern: str) -> list[str]:
    """The generated patterns' braces are flat and unescaped."""
    start = pattern.find("{")
    if start < 0:
        return [pattern]
    end = pattern.index("}", start)
    return [
        pattern[:start] + choice + rest
        for choice in pattern[start + 1 : end].split(",")
        for rest in _oracle_braces(pattern[end + 1 :])
    ]


def _oracle_match(pattern: str, i: int, path: str, j: int) -> bool:
    """Whether pattern[i:] matches path[j:] (no escaped / nor / in brackets is generated)."""
    if i == len(pattern):
        return j == len(path)
    if (i == 0 or pattern[i - 1] == "/") and pattern.startswith("**/", i):
        # Zero directories, or everything up to and including any later /.
        ends = [j] + [k + 1 for k in range(j, len(path)) if path[k] == "/"]
        return any(_oracle_match(pattern, i + 3, path, end) for end in ends)
    char = pattern[i]
    if char == "*":
        while i < len(pattern) and pattern[i] == "*":
            i += 1
        end = j
        while not _oracle_match(pattern, i, path, end):
            if end == len(path) or path[end] == "/":
                return False
            end += 1
        return True
    if j == len(path):
        return False
    if char == "?":
        return path[j] != "/" and _oracle_match(pattern, i + 1, path, j + 1)
    if char == "[":
        close = pattern.index("]", i)
        body = pattern[i + 1 : close]
        negated = body.startswith("!")
        inside = path[j] in body.removeprefix("!")
        return (
            path[j] != "/" and inside != negated and _oracle_match(pattern, close + 1, path, j + 1)
        )
    if char == "\\":
        i += 1
    return path[j] == pattern[i] and _oracle_match(pattern, i + 1, path, j + 1)


@st.composite
def _cases(draw: st.DrawFn) -> tuple[str, str]:
    """A pattern of tokens, and a path drawn from what they stand for or at random."""
    tokens = draw(st.lists(st.sampled_from(TOKENS), max_size=6))
    if draw(st.booleans()):
        path = "".join(draw(st.sampled_from(INSTANCES.get(token, [token]))) for token in tokens)
    else:
        path = draw(st.text(alphabet="ab./*", max_size=8))
    return "".join(tokens), path


@settings(max_examples=1500, deadline=None)
@given(_cases())
@example(("**/*", ".a/.b"))
@example(("***/a", "b/a"))
@example(("a/**", "a/"))
@example(("{a/,}**/b", "a/c/b"))
def test_matches_brute_force_oracle(case: tuple[str, str]) -> None:
    """fnmatch agrees with an independent brute-force matcher on small patterns and paths."""
    pattern, path = case
    assert fnmatch(pattern, path) is _oracle(pattern, path)


# ---------------------------------------------------------------------------------------------
# Hostile input


@contextlib.contextmanager
def _within(seconds: int) -> Iterator[None]:
    """Fail instead of hanging: exponential backtracking would take far longer than this."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("*a*a*a*a*a*a*a*b", "a" * 10_000, False),
        ("*a" * 200 + "*b", "a" * 10_000, False),
        ("*a*a*a*a*a*a*a*a", "a" * 10_000, True),
        ("**/**/**/**/**/x", "a/" * 5_000 + "y", False),
        ("**/**/**/**/**/x", "a/" * 5_000 + "x", True),
        ("**/a/**/a/**/a/**/a/**/b", "a/" * 5_000 + "c", False),
        ("{a,b}" * 10 + "*c", "a" * 10_000, False),  # 1,024 alternatives at once
        ("{" * 5_000 + "a" + "}" * 5_000, "a", True),
        ("{a," * 1_000 + "}" * 1_000, "a", True),
    ],
)
def test_hostile_patterns_finish(pattern: str, path: str, expected: bool) -> None:
    """Patterns that make a backtracking matcher exponential finish, with the right answer."""
    with _within(5):
        assert fnmatch(pattern, path) is expected


def test_brace_bomb_is_refused() -> None:
    """A pattern whose braces expand past MAX_BRACE_ALTERNATIVES raises ValueError at once."""
    with _within(5), pytest.raises(ValueError, match="brace alternatives"):
        fnmatch("{a,b}" * 60, "a" * 60)
    assert len(expand_braces("{a,b}" * 10)) == MAX_BRACE_ALTERNATIVES
    with pytest.raises(ValueError, match="more than 1024"):
        expand_braces("{a,b}" * 10 + "{c,d}")


def test_brace_expansion_size_is_capped() -> None:
    """Alternatives that add up to too many characters raise ValueError, however few they are."""
    with pytest.raises(ValueError, match="characters"):
        fnmatch("{a,b}" * 9 + "x" * 200, "a")


def test_nul_is_refused() -> None:
    """A NUL in the pattern or the path raises ValueError, as Ruby raises ArgumentError."""
    with pytest.raises(ValueError, match="NUL"):
        fnmatch("a\0b", "a")
    with pytest.raises(ValueError, match="NUL"):
        fnmatch("a", "a\0b")


def test_expand_braces_in_ruby_order() -> None:
    """Braces expand depth-first, first alternative first, escapes kept for the match."""
    assert expand_braces("{1,5{a,b{c,d}}}") == ("1", "5a", "5bc", "5bd")
    assert expand_braces("x{a,b}y{c,d}") == ("xayc", "xayd", "xbyc", "xbyd")
    assert expand_braces("\\{a,b}") == ("\\{a,b}",)
    assert expand_braces("{a\\,b,c}") == ("a\\,b", "c")
    assert expand_braces("{}{a}") == ("a",)
    assert expand_braces("{a,b}{") == ()


# ---------------------------------------------------------------------------------------------
# The clauses


def test_expand_variables() -> None:
    """$NAME, ${NAME} and %NAME% of known variables are replaced; unknown ones stay as they are."""
    variables = {"DIR": "src", "EMPTY": ""}
    assert expand_variables("$DIR/**/*", variables) == "src/**/*"
    assert expand_variables("${DIR}x/%DIR%/$EMPTY", variables) == "srcx/src/"
    assert expand_variables("$NOPE/$1/${DIR", variables) == "$NOPE/$1/${DIR"


def test_glob_kinds() -> None:
    """exists.rb's plain paths, top-level globs and extension globs are told apart as it does."""
    assert is_exact_glob("docs/index.md")
    assert is_exact_glob("a\\b")  # a backslash is no metacharacter there
    assert not is_exact_glob("*.md")
    assert not is_exact_glob("{a,b}")
    assert is_top_level_glob("*.md")
    assert not is_top_level_glob("docs/*.md")
    assert not is_top_level_glob("**.md")
    assert is_extension_glob("**/*.js")
    assert is_extension_glob("**/*.so.1")
    assert not is_extension_glob("**/*.{js,ts}")
    assert not is_extension_glob("**/*/x.js")
    assert not is_extension_glob("*.js")


def test_changes_clause() -> None:
    """rules:changes: variables expanded, unknown changes match, no changes do not."""
    assert changes_match(["$DIR/**/*"], ["src/a/b.py"], {"DIR": "src"})
    assert changes_match(["$DIR/x"], ["$DIR/x"], {})  # an unknown $DIR is part of the path
    assert changes_match(["Dockerfile"], None)  # GitLab cannot list the changes: true
    assert not changes_match(["Dockerfile"], [])
    assert not changes_match([], ["Dockerfile"])
    assert not changes_match(["*.md"], ["docs/a.md"])


def test_changes_comparison_limit() -> None:
    """Past 50,000 comparisons rules:changes assumes a match without comparing."""
    changed = [f"file{n}" for n in range(CHANGES_MAX_PATTERN_COMPARISONS // 2 + 1)]
    assert changes_match(["nothing", "matches"], changed)
    assert not changes_match(["nothing", "nothing"], changed)  # duplicates count once


def test_only_changes_clause() -> None:
    """only:changes expands no variables and has no comparison limit."""
    assert not only_changes_match(["$DIR/*"], ["src/a"])
    assert only_changes_match(["$DIR/*"], ["$DIR/a"])
    assert only_changes_match(["x"], None)


FILES = [".gitlab-ci.yml", "Dockerfile", "README.md", "docs/index.md", "src/app/main.py", "z"]


@pytest.mark.parametrize(
    ("globs", "expected"),
    [
        (["Dockerfile"], True),
        (["README"], False),
        (["/README.md"], False),  # compared as it is
        (["./README.md"], False),
        (["src/app/main.py"], True),
        (["**/*.py"], True),  # the extension fast path
        (["**/*.rb"], False),
        (["*.md"], True),
        (["*.py"], False),  # top-level files only
        (["src/**/*.{py,rb}"], True),
        (["**/.gitlab-ci.yml"], True),
        (["$DOCKERPATH"], True),  # the documented variable example
        (["docs/"], True),  # a directory
        (["src/"], False),  # there too, but GitLab's binary search misses it (below)
        ([], False),
    ],
)
def test_exists_clause(globs: list[str], expected: bool) -> None:
    """rules:exists finds files as GitLab does, documented examples included."""
    assert exists_match(globs, FILES, {"DOCKERPATH": "**/Dockerfile"}) is expected


def test_exists_plain_paths_are_not_unescaped() -> None:
    """A glob without *?[{ is compared as a plain string, a backslash staying a backslash."""
    assert fnmatch("ab\\c", "abc")
    assert not exists_match(["ab\\c"], ["abc"])
    assert exists_match(["ab\\c"], ["ab\\c"])
    assert fnmatch("**/*.p\\y", "a.py")
    assert not exists_match(["**/*.p\\y"], ["a.py"])  # the extension is a plain suffix too


def test_exists_directory_search_can_miss() -> None:
    """GitLab's binary search for a directory misses files that sit before the middle."""
    assert exists_match(["a/"], ["0", "a/x", "b"])
    assert not exists_match(["a/"], ["a/x", "b"])
    assert not exists_match(["a/"], ["a/x", "a/y", "b", "c"])


def test_exists_comparison_limit() -> None:
    """Past 50,000 file-times-pattern comparisons rules:exists assumes a match."""
    files = [f"f/{n}" for n in range(EXISTS_MAX_PATTERN_COMPARISONS // 5 + 1)]
    globs = [f"none{n}/*" for n in range(5)]
    assert exists_match(globs, files)
    assert not exists_match(globs[:4], files)
    assert not exists_match(["none"] * 10, files)  # plain paths are not counted


# ---------------------------------------------------------------------------------------------
# Against Ruby itself (tests/tools/install_ruby.sh installs it when missing)

_RUBY_CHECK = """
flags = File::FNM_PATHNAME | File::FNM_DOTMATCH | File::FNM_EXTGLOB
cases = JSON.parse($stdin.read)
puts JSON.generate(cases.map { |pattern, path| File.fnmatch?(pattern, path, flags) })
"""


def test_agrees_with_ruby(ruby: str) -> None:
    """Every table above and random hostile patterns give what Ruby's File.fnmatch? gives."""
    rng = random.Random(20_240_601)  # noqa: S311 - a reproducible sample, not a secret
    alphabet = [*TOKENS, "[", "]", "{", "}", ",", "\\", "\\/", "[a/b]", "[b-a]", "[]", "[!]", "é"]
    cases = [(p, s) for p, s, _ in GITLAB_DOCS + RUBY_SPEC + RUBY_CORNERS + STDLIB_DIFFERS]
    for _ in range(3_000):
        pattern = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 7)))
        path = "".join(rng.choice(["a", "b", ".", "/", "*", "{", "}", ",", "é"]) for _ in range(6))
        cases.append((pattern, path))
    result = subprocess.run(
        [ruby, "-rjson", "-e", _RUBY_CHECK],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    expected = json.loads(result.stdout)
    mismatches = [
        (pattern, path, want)
        for (pattern, path), want in zip(cases, expected, strict=True)
        if fnmatch(pattern, path) is not want
    ]
    assert mismatches == []
