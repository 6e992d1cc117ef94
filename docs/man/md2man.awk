# md2man.awk - the small Markdown -> roff (man(7)) converter of wtexport's
# man pages: wtexport.1 from docs/man/wtexport.1.md, and wtexport.json.5
# from docs/config.md, which `wtexport check-config --reference` writes from
# the config key tables (so the page cannot drift from the tables).
#
#   awk -v name=wtexport -v section=1 -v date=2026-12-07 \
#       -v source="wtexport 0.1.0" -v manual="wtexport manual" \
#       [-v whatis="wtexport.json - text"] [-v seealso="wtexport(1), ..."] \
#       [-v out=FILE] -f md2man.awk PAGE.md
#
# The Markdown it knows (what those two files use):
#   "# title"             dropped (the .TH line names the page)
#   "## H"                .SH H          "### H", "#### H"   .SS H
#   paragraphs            .PP
#   "- item"              bullet list (continuation lines indented)
#   4-space indented or ``` fenced code (after a blank line)   .nf block
#   "term" then ":   definition"   (pandoc definition list)    .TP
#   | tables |            one .TP per row; in a table whose first column is
#                         "key", the tag is the key's full path, made from
#                         the headings: ## `inputs[]` + key path ->
#                         inputs[].path; ### `type: "file"` keeps its
#                         parent's path; #### `retry` (...) adds .retry
#   `code` -> bold, **bold**, [text](link) -> text, <!-- comments --> dropped
# With whatis set, the page starts with NAME (its " - " becomes " \- ") and
# DESCRIPTION; with seealso set, it ends with SEE ALSO.

function out_line(s) { print s > OUT }

# Plain text (no code spans): roff escapes, links, bold.
function plain(s,   t, i, j, k) {
    gsub(/\\/, "\\e", s)
    # [text](link) -> text (found from the "](" back to its "[")
    while ((j = index(s, "](")) > 0 && (k = index(substr(s, j + 2), ")")) > 0) {
        for (i = j - 1; i > 0 && substr(s, i, 1) != "["; i--)
            ;
        if (i == 0)
            break
        t = substr(s, i + 1, j - i - 1)
        s = substr(s, 1, i - 1) t substr(s, j + 2 + k)
    }
    while (match(s, /\*\*[^*]+\*\*/))
        s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 2, RLENGTH - 4) "\\fR" substr(s, RSTART + RLENGTH)
    return s
}

# Inline Markdown of one line of text -> roff.
function inline(s,   res, code, st, len) {
    res = ""
    while (match(s, /`[^`]*`/)) {
        st = RSTART
        len = RLENGTH
        code = substr(s, st + 1, len - 2)
        gsub(/\\/, "\\e", code)
        gsub(/-/, "\\-", code)
        res = res plain(substr(s, 1, st - 1)) "\\fB" code "\\fR"
        s = substr(s, st + len)
    }
    return res plain(s)
}

# A text line for roff: no leading control character, no leading spaces.
function text(s) {
    sub(/^[ \t]+/, "", s)
    if (s ~ /^[.']/)
        s = "\\&" s
    return s
}

function flush_para(   i, t) {
    if (npara == 0)
        return
    out_line(".PP")
    for (i = 1; i <= npara; i++) {
        t = inline(para[i])
        if (section_name == "NAME")
            sub(/ - /, " \\- ", t)
        out_line(text(t))
    }
    npara = 0
}

function flush_all() {
    flush_para()
    if (incode) {
        out_line(".fi")
        out_line(".RE")
        incode = 0
    }
}

function code_line(s) {
    gsub(/\\/, "\\e", s)
    if (s ~ /^[.']/)
        s = "\\&" s
    out_line(s)
}

function start_code() {
    flush_para()
    out_line(".PP")
    out_line(".RS 4")
    out_line(".nf")
    incode = 1
}

function cells(line, arr,   n, i) {
    sub(/^[ \t]*\|/, "", line)
    sub(/\|[ \t]*$/, "", line)
    n = split(line, arr, /\|/)
    for (i = 1; i <= n; i++) {
        sub(/^[ \t]+/, "", arr[i])
        sub(/[ \t]+$/, "", arr[i])
    }
    return n
}

function table_row(line,   c, n, i, key, tag, rest) {
    n = cells(line, c)
    if (!tab_head) { # header row
        tab_head = 1
        tab_n = n
        for (i = 1; i <= n; i++)
            tab_col[i] = c[i]
        tab_keys = (c[1] == "key")
        return
    }
    if (line ~ /^[ \t]*\|[ \t:|-]+\|?[ \t]*$/) # separator row
        return
    out_line(".TP")
    if (tab_keys) {
        key = c[1]
        gsub(/`/, "", key)
        tag = (path[hlevel] != "" ? path[hlevel] "." : "") key
        gsub(/-/, "\\-", tag)
        out_line("\\fB" tag "\\fR")
        # description first, then type, default, range, example
        for (i = 1; i <= tab_n; i++)
            if (tab_col[i] == "description" && c[i] != "")
                out_line(text(inline(c[i])))
        rest = ""
        for (i = 2; i <= tab_n; i++) {
            if (tab_col[i] == "description" || tab_col[i] == "example" || c[i] == "")
                continue
            rest = rest (rest == "" ? "" : "; ") tab_col[i] ": " inline(c[i])
        }
        if (rest != "") {
            out_line(".br")
            out_line(text(toupper(substr(rest, 1, 1)) substr(rest, 2) "."))
        }
        for (i = 1; i <= tab_n; i++)
            if (tab_col[i] == "example" && c[i] != "") {
                out_line(".br")
                out_line(text("Example: " inline(c[i])))
            }
    } else {
        out_line(text(inline(c[1])))
        rest = ""
        for (i = 2; i <= n; i++)
            if (c[i] != "")
                rest = rest (rest == "" ? "" : "; ") inline(c[i])
        out_line(text(rest))
    }
}

function heading(line,   lvl, t, name, i) {
    flush_all()
    match(line, /^#+/)
    lvl = RLENGTH
    t = substr(line, lvl + 1)
    sub(/^[ \t]+/, "", t)
    if (lvl == 1)
        return
    # the key path of this section (see the header comment)
    name = ""
    if (match(t, /^`[^`]*`/))
        name = substr(t, 2, RLENGTH - 2)
    if (lvl == 2)
        path[1] = ""
    if (name == "")
        path[lvl] = (lvl == 2) ? "" : path[lvl - 1]
    else if (name ~ /^type:/)
        path[lvl] = path[lvl - 1]
    else
        path[lvl] = (path[lvl - 1] != "" ? path[lvl - 1] "." : "") name
    hlevel = lvl
    if (lvl == 2)
        section_name = t
    out_line((lvl == 2 ? ".SH " : ".SS ") "\"" inline(t) "\"")
}

BEGIN {
    OUT = (out != "") ? out : "/dev/stdout"
    if (manual == "")
        manual = "wtexport manual"
    up = toupper(name)
    out_line(".\\\" Generated by docs/man/md2man.awk; do not edit.")
    out_line(".TH \"" up "\" \"" section "\" \"" date "\" \"" source "\" \"" manual "\"")
    out_line(".nh")
    out_line(".ad l")
    if (whatis != "") {
        sub(/ - /, " \\- ", whatis)
        out_line(".SH NAME")
        out_line(whatis)
        out_line(".SH DESCRIPTION")
    }
    npara = 0; incode = 0; fence = 0; incomment = 0; inlist = 0; intable = 0
    hlevel = 1; path[1] = ""
}

# HTML comments (may span lines)
incomment {
    if ($0 ~ /-->/)
        incomment = 0
    next
}
/^[ \t]*<!--/ {
    if ($0 !~ /-->/)
        incomment = 1
    next
}

# fenced code
/^```/ {
    if (fence) {
        fence = 0
        flush_all()
    } else {
        start_code()
        fence = 1
    }
    next
}
fence { code_line($0); next }

# indented code (after a blank line, not inside a list or definition)
/^    / && (incode || (blank && !inlist && !indef)) {
    if (!incode)
        start_code()
    s = $0
    sub(/^    /, "", s)
    code_line(s)
    blank = 0
    next
}

/^[ \t]*$/ {
    if (incode) {
        # a blank line inside an indented block: end it unless code follows;
        # simplest: end the block (the pages have no blank lines in code)
        flush_all()
    }
    flush_para()
    intable = 0
    blank = 1
    next
}

/^#+ / { heading($0); blank = 0; inlist = 0; indef = 0; next }

/^[ \t]*\|/ {
    if (!intable) {
        flush_all()
        intable = 1
        tab_head = 0
    }
    table_row($0)
    blank = 0
    next
}

# definition list: the one-line paragraph before is the term
/^:   / {
    t = ""
    if (npara >= 1) {
        t = para[npara]
        npara--
    }
    flush_para()
    out_line(".TP")
    out_line(text(inline(t)))
    s = $0
    sub(/^:   /, "", s)
    out_line(text(inline(s)))
    indef = 1
    inlist = 0
    blank = 0
    next
}

/^- / {
    flush_all()
    s = $0
    sub(/^- /, "", s)
    out_line(".IP \\(bu 2")
    out_line(text(inline(s)))
    inlist = 1
    indef = 0
    blank = 0
    next
}

# continuation of a list item or definition
/^[ \t]+[^ \t]/ && (inlist || indef) && npara == 0 {
    out_line(text(inline($0)))
    blank = 0
    next
}

{
    if (blank) {
        inlist = 0
        indef = 0
    }
    if (inlist || indef) {
        # a non-indented line right after an item continues it
        out_line(text(inline($0)))
    } else
        para[++npara] = $0
    blank = 0
}

END {
    flush_all()
    if (seealso != "") {
        out_line(".SH \"SEE ALSO\"")
        out_line(text(inline(seealso)))
    }
}
