//! Splitting command text into words: whitespace, quotes, and characters nobody can see.

use std::ops::Range;

use super::CommandError;

/// One word of a command, as typed.
#[derive(Debug, Clone)]
pub(super) struct Word<'a> {
    /// The word without its quotes (if it had any), not yet cleaned.
    pub text: &'a str,
    /// Where the word sits in the command text, quotes included (for "type this instead").
    pub span: Range<usize>,
    /// Written in quotes: a team name with spaces, never a keyword.
    pub quoted: bool,
}

impl Word<'_> {
    /// The word as a keyword: lowercase, without invisible characters.
    pub fn keyword(&self) -> String {
        keyword(self.text)
    }

    /// Whether this (unquoted) word is the keyword `k`.
    pub fn is(&self, k: &str) -> bool {
        !self.quoted && self.keyword() == k
    }
}

/// Reads words one at a time, so commands that end in free text (a draft, a cron expression) can
/// take the rest of the line verbatim instead of having it split and unquoted.
pub(super) struct Words<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Words<'a> {
    pub fn new(text: &'a str) -> Self {
        Words { text, pos: 0 }
    }

    /// The next word, skipping whitespace and words made only of invisible characters.
    pub fn next_word(&mut self) -> Result<Option<Word<'a>>, CommandError> {
        loop {
            let rest = &self.text[self.pos..];
            let skipped = rest.len()
                - rest
                    .trim_start_matches(|c: char| c.is_whitespace() || is_invisible(c))
                    .len();
            self.pos += skipped;
            let start = self.pos;
            let rest = &self.text[start..];
            let Some(first) = rest.chars().next() else {
                return Ok(None);
            };
            if let Some(closers) = closing_quotes(first) {
                let inner_start = start + first.len_utf8();
                let inner = &self.text[inner_start..];
                let Some((i, close)) = inner.char_indices().find(|(_, c)| closers.contains(c))
                else {
                    return Err(CommandError::new(
                        format!("the quote before {} is never closed", super::shown(inner)),
                        Some(super::typed(&format!("{}{}", self.text.trim(), closers[0]))),
                    ));
                };
                self.pos = inner_start + i + close.len_utf8();
                return Ok(Some(Word {
                    text: &self.text[inner_start..inner_start + i],
                    span: start..self.pos,
                    quoted: true,
                }));
            }
            let end = rest
                .find(char::is_whitespace)
                .map_or(self.text.len(), |i| start + i);
            self.pos = end;
            let text = &self.text[start..end];
            if text.chars().all(|c| is_invisible(c) || is_joiner(c)) {
                continue;
            }
            return Ok(Some(Word {
                text,
                span: start..end,
                quoted: false,
            }));
        }
    }

    /// Every word that is left.
    pub fn remaining(&mut self) -> Result<Vec<Word<'a>>, CommandError> {
        let mut words = Vec::new();
        while let Some(word) = self.next_word()? {
            words.push(word);
        }
        Ok(words)
    }

    /// The rest of the line, verbatim but for surrounding whitespace.
    pub fn rest(&self) -> &'a str {
        self.text[self.pos..].trim()
    }
}

/// The quote characters that close a word opened by `open`: straight quotes, and the curly ones
/// that phones and macOS substitute as people type.
fn closing_quotes(open: char) -> Option<&'static [char]> {
    match open {
        '"' | '“' | '”' | '„' => Some(&['"', '”', '“']),
        '\'' | '‘' | '’' => Some(&['\'', '’', '‘']),
        '«' => Some(&['»']),
        _ => None,
    }
}

/// Characters that take no space on screen and change no meaning: control characters, zero-width
/// spaces, direction marks, byte-order marks. Pasting from documents brings them in; they never
/// belong in a keyword, an id or a team name.
pub(super) fn is_invisible(c: char) -> bool {
    (c.is_control() && !c.is_whitespace())
        || matches!(
            c,
            '\u{00AD}'
                | '\u{061C}'
                | '\u{180E}'
                | '\u{200B}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FEFF}'
        )
}

/// Zero-width (non-)joiners: invisible, but part of emoji and of some scripts, so kept in names.
fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

/// A word as a keyword: lowercase, nothing invisible, dashes and underscores alike (`forget_me`,
/// and the en/em dashes that autocorrect makes of `-`).
pub(super) fn keyword(word: &str) -> String {
    word.chars()
        .filter(|c| !is_invisible(*c) && !is_joiner(*c))
        .map(|c| match c {
            '_' | '–' | '—' => '-',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Text meant as a name: no invisible characters, single spaces, trimmed.
pub(super) fn clean_name(text: &str) -> String {
    let visible: String = text.chars().filter(|c| !is_invisible(*c)).collect();
    visible.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text meant as an id or a zone: nothing invisible at all, trimmed.
pub(super) fn clean_id(text: &str) -> String {
    text.chars()
        .filter(|c| !is_invisible(*c) && !is_joiner(*c))
        .collect::<String>()
        .trim()
        .to_string()
}

/// Longer words are not typos of a command word; capping also bounds the edit-distance work.
const MAX_TYPO_LEN: usize = 32;

/// The candidate that `word` is most plausibly a typo of: a small edit distance for its length,
/// or the only candidate it starts (`leader` → `leaderboard`).
pub(super) fn closest<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    let len = word.chars().count();
    if len == 0 || len > MAX_TYPO_LEN {
        return None;
    }
    let allowed = match len {
        0..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    let mut starting = candidates
        .iter()
        .filter(|c| len >= 3 && c.starts_with(word));
    if let (Some(only), None) = (starting.next(), starting.next()) {
        return Some(only);
    }
    candidates
        .iter()
        .map(|c| (*c, strsim::osa_distance(word, c)))
        .min_by_key(|(_, d)| *d)
        .filter(|(_, d)| *d <= allowed)
        .map(|(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<(String, bool)> {
        Words::new(text)
            .remaining()
            .unwrap()
            .into_iter()
            .map(|w| (w.text.to_string(), w.quoted))
            .collect()
    }

    #[test]
    fn splits_on_any_whitespace_and_keeps_quoted_words_whole() {
        assert_eq!(
            words(" team\tcreate\n \"Leadership EU\"  x "),
            vec![
                ("team".into(), false),
                ("create".into(), false),
                ("Leadership EU".into(), true),
                ("x".into(), false)
            ]
        );
    }

    #[test]
    fn curly_and_single_quotes_work_like_straight_ones() {
        assert_eq!(words("“A B”")[0], ("A B".into(), true));
        assert_eq!(words("'A B'")[0], ("A B".into(), true));
        assert_eq!(words("‘A B’")[0], ("A B".into(), true));
        assert_eq!(words("«A B»")[0], ("A B".into(), true));
    }

    #[test]
    fn words_of_only_invisible_characters_are_skipped() {
        assert_eq!(
            words("\u{200B} \u{FEFF}\u{200D} status"),
            vec![("status".into(), false)]
        );
    }

    #[test]
    fn keyword_drops_invisibles_and_folds_case_and_dashes() {
        assert_eq!(keyword("ST\u{200B}A\u{200F}TUS\u{7}"), "status");
        assert_eq!(keyword("Forget_Me"), "forget-me");
        assert_eq!(keyword("forget—me"), "forget-me");
    }

    #[test]
    fn closest_finds_typos_and_unique_prefixes() {
        let c = ["status", "stats", "leaderboard", "leave"];
        assert_eq!(closest("stauts", &c), Some("status"));
        assert_eq!(closest("leader", &c), Some("leaderboard"));
        assert_eq!(closest("xyzzyq", &c), None);
        assert_eq!(closest(&"s".repeat(1000), &c), None);
    }
}
