//! BuildKit's shell lexer for instruction arguments: words split on unquoted whitespace,
//! `'...'` literal, `"..."` keeps spaces and expands, the escape character escapes the
//! next one, and `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR-word}`, `${VAR:+word}`,
//! `${VAR+word}` expand from the build's variables (ARG and ENV so far).

use std::collections::BTreeMap;

use crate::error::{BuildError, Result};

/// Variables visible to a step: ENV of the image so far, then ARGs.
pub type Vars = BTreeMap<String, String>;

/// Splits `s` into words, removing quotes and expanding variables.
pub fn words(s: &str, vars: &Vars, escape: char) -> Result<Vec<String>> {
    lex(s, vars, escape, true)
}

/// Expands `s` as one word (quotes removed, whitespace kept).
pub fn word(s: &str, vars: &Vars, escape: char) -> Result<String> {
    Ok(lex(s, vars, escape, false)?.concat())
}

fn lex(s: &str, vars: &Vars, escape: char, split: bool) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_whitespace() && split {
            if in_word {
                out.push(std::mem::take(&mut cur));
                in_word = false;
            }
            continue;
        }
        in_word = true;
        if c == escape {
            match chars.next() {
                Some(n) => cur.push(n),
                None => cur.push(c),
            }
        } else if c == '\'' {
            loop {
                match chars.next() {
                    Some('\'') => break,
                    Some(n) => cur.push(n),
                    None => {
                        return Err(BuildError::Invalid(
                            "unexpected end of statement while looking for matching single-quote"
                                .into(),
                        ));
                    }
                }
            }
        } else if c == '"' {
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some(n) if n == escape => match chars.peek() {
                        Some(&m @ ('"' | '$')) => {
                            cur.push(m);
                            chars.next();
                        }
                        Some(&m) if m == escape => {
                            cur.push(m);
                            chars.next();
                        }
                        _ => cur.push(n),
                    },
                    Some('$') => cur.push_str(&variable(&mut chars, vars, escape)?),
                    Some(n) => cur.push(n),
                    None => {
                        return Err(BuildError::Invalid(
                            "unexpected end of statement while looking for matching double-quote"
                                .into(),
                        ));
                    }
                }
            }
        } else if c == '$' {
            cur.push_str(&variable(&mut chars, vars, escape)?);
        } else {
            cur.push(c);
        }
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

fn variable(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    vars: &Vars,
    escape: char,
) -> Result<String> {
    match chars.peek() {
        Some('{') => {
            chars.next();
            let mut name = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_ascii_alphanumeric() || c == '_' {
                    name.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            let mut modifier = String::new();
            let mut depth = 0;
            loop {
                match chars.next() {
                    Some('}') if depth == 0 => break,
                    Some(c) => {
                        if c == '{' {
                            depth += 1;
                        } else if c == '}' {
                            depth -= 1;
                        }
                        modifier.push(c);
                    }
                    None => {
                        return Err(BuildError::Invalid(format!("missing '}}' in '${{{name}'")));
                    }
                }
            }
            let value = vars.get(&name);
            let (colon, op, wordpart) = if let Some(m) = modifier.strip_prefix(':') {
                (true, m.chars().next(), m.get(1..).unwrap_or(""))
            } else {
                (
                    false,
                    modifier.chars().next(),
                    modifier.get(1..).unwrap_or(""),
                )
            };
            let set = match value {
                Some(v) => !(colon && v.is_empty()),
                None => false,
            };
            match op {
                None => Ok(value.cloned().unwrap_or_default()),
                Some('-') => {
                    if set {
                        Ok(value.cloned().unwrap_or_default())
                    } else {
                        word(wordpart, vars, escape)
                    }
                }
                Some('+') => {
                    if set {
                        word(wordpart, vars, escape)
                    } else {
                        Ok(String::new())
                    }
                }
                Some(other) => Err(BuildError::NotImplemented(format!(
                    "the variable modifier '{other}' in '${{{name}{modifier}}}'"
                ))),
            }
        }
        Some(&c) if c.is_ascii_alphabetic() || c == '_' => {
            let mut name = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_ascii_alphanumeric() || c == '_' {
                    name.push(c);
                    chars.next();
                } else {
                    break;
                }
            }
            Ok(vars.get(&name).cloned().unwrap_or_default())
        }
        _ => Ok("$".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        [
            ("A".to_owned(), "1".to_owned()),
            ("E".to_owned(), String::new()),
        ]
        .into()
    }

    #[test]
    fn expands_and_splits() {
        let v = vars();
        assert_eq!(
            words("$A ${A}x \"a b$A\" 'a $A'", &v, '\\').unwrap(),
            vec!["1", "1x", "a b1", "a $A"]
        );
        assert_eq!(
            word("${B:-def} ${E:-e} ${E-e} ${A:+set}", &v, '\\').unwrap(),
            "def e  set"
        );
        assert_eq!(word("\\$A $", &v, '\\').unwrap(), "$A $");
        assert!(word("${A", &v, '\\').is_err());
    }
}
