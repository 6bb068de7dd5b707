//! The Dockerfile syntax as BuildKit's frontend parser reads it: parser directives at the
//! top (`# escape=` and `# syntax=`), comment lines dropped (also inside a continuation),
//! a trailing escape character continuing the line, empty continuation lines skipped.
//! Each logical line is one instruction: a case-insensitive keyword and its arguments.

use crate::error::{BuildError, Result};

/// One logical line of a Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The keyword, upper-cased.
    pub keyword: String,
    /// `--name=value` flags before the arguments (only the instructions that take them).
    pub flags: Vec<(String, String)>,
    /// The arguments after keyword and flags, continuation joined.
    pub rest: String,
    /// The instruction as Docker echoes it in `Step N/M : ...`.
    pub original: String,
    /// 1-based line where the instruction starts.
    pub line: usize,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, Default)]
pub struct Dockerfile {
    /// The instructions in order.
    pub lines: Vec<Line>,
    /// The escape character (`\` unless `# escape=` says otherwise).
    pub escape: char,
}

const FLAGGED: [&str; 5] = ["FROM", "COPY", "ADD", "RUN", "HEALTHCHECK"];

/// Parses a Dockerfile's text.
pub fn parse(text: &str) -> Result<Dockerfile> {
    let mut escape = '\\';
    let mut lines = text.lines().enumerate().peekable();
    // Directives: only before anything else, each once, as `# key=value`.
    while let Some((_, raw)) = lines.peek() {
        let Some((key, value)) = directive(raw) else {
            break;
        };
        if key == "escape" {
            escape = match value.as_str() {
                "\\" => '\\',
                "`" => '`',
                other => {
                    return Err(BuildError::parse(
                        1,
                        format!("invalid escape token '{other}' does not match ` or \\"),
                    ));
                }
            };
        }
        lines.next();
    }
    let mut out = Vec::new();
    while let Some((idx, raw)) = lines.next() {
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let start = idx + 1;
        let mut logical = String::new();
        let mut piece = raw.trim_end().to_owned();
        loop {
            match piece.strip_suffix(escape) {
                Some(head) => {
                    logical.push_str(head);
                    // The next non-comment, non-empty line continues this one.
                    let mut next = None;
                    for (_, raw) in lines.by_ref() {
                        let t = raw.trim_start();
                        if t.starts_with('#') || t.trim().is_empty() {
                            continue;
                        }
                        next = Some(raw.trim_end().to_owned());
                        break;
                    }
                    match next {
                        Some(n) => piece = n,
                        None => break,
                    }
                }
                None => {
                    logical.push_str(&piece);
                    break;
                }
            }
        }
        out.push(instruction(logical.trim(), start)?);
    }
    Ok(Dockerfile { lines: out, escape })
}

fn directive(raw: &str) -> Option<(String, String)> {
    let body = raw.trim().strip_prefix('#')?.trim();
    let (key, value) = body.split_once('=')?;
    let key = key.trim().to_lowercase();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    matches!(key.as_str(), "escape" | "syntax" | "check").then(|| (key, value.trim().to_owned()))
}

fn instruction(logical: &str, line: usize) -> Result<Line> {
    let (word, mut rest) = logical
        .split_once(char::is_whitespace)
        .map_or((logical, ""), |(w, r)| (w, r.trim_start()));
    let keyword = word.to_uppercase();
    let mut flags = Vec::new();
    if FLAGGED.contains(&keyword.as_str()) {
        while let Some(flag) = rest.strip_prefix("--") {
            let (token, tail) = flag
                .split_once(char::is_whitespace)
                .map_or((flag, ""), |(t, r)| (t, r.trim_start()));
            let (name, value) = token.split_once('=').unwrap_or((token, ""));
            flags.push((name.to_lowercase(), value.to_owned()));
            rest = tail;
        }
    }
    Ok(Line {
        keyword,
        flags,
        rest: rest.to_owned(),
        original: logical.to_owned(),
        line,
    })
}

/// The JSON (exec) form of `RUN`, `CMD`, `ENTRYPOINT`, `SHELL`, `COPY`, `ADD`, `VOLUME`:
/// a JSON array of strings. Anything else is the shell form.
pub fn json_form(rest: &str) -> Option<Vec<String>> {
    let t = rest.trim();
    if !t.starts_with('[') {
        return None;
    }
    serde_json::from_str::<Vec<String>>(t).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_comments_and_directives() {
        let df = parse(
            "# escape=`\n# comment\nFROM busybox AS b\nRUN echo a `\n# inside\n\n  && echo b\ncopy --chown=1:2 --from=x a b\n",
        )
        .unwrap();
        assert_eq!(df.escape, '`');
        assert_eq!(df.lines.len(), 3);
        assert_eq!(df.lines[1].rest, "echo a   && echo b");
        assert_eq!(df.lines[1].line, 4);
        assert_eq!(df.lines[2].keyword, "COPY");
        assert_eq!(
            df.lines[2].flags,
            vec![("chown".into(), "1:2".into()), ("from".into(), "x".into())]
        );
        assert_eq!(df.lines[2].rest, "a b");
    }

    #[test]
    fn backslash_is_the_default_escape() {
        let df = parse("FROM a\nRUN echo \\\n  b\n").unwrap();
        assert_eq!(df.lines[1].rest, "echo   b");
        assert_eq!(json_form("[\"a\", \"b c\"]").unwrap(), vec!["a", "b c"]);
        assert!(json_form("[not json").is_none());
    }

    #[test]
    fn a_directive_after_an_instruction_is_a_comment() {
        let df = parse("FROM a\n# escape=`\nRUN x \\\n y\n").unwrap();
        assert_eq!(df.escape, '\\');
        assert_eq!(df.lines[1].rest, "x  y");
    }
}
