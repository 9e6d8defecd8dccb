//! Escaping for Slack's `mrkdwn`: user text can never become a mention, a broadcast or a link.

/// Escapes `&`, `<` and `>` as Slack requires, so `<!channel>`, `<@U…>` or `<!subteam^…>` typed by a person
/// reach Slack as visible text rather than as a control sequence.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether `id` looks like a Slack user id (`U…` or `W…`), the only thing we ever put inside `<@…>`.
pub fn is_user_id(id: &str) -> bool {
    id.len() >= 2
        && id.len() <= 32
        && matches!(id.as_bytes()[0], b'U' | b'W')
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Cuts `text` to at most `max` characters, ending with `…` when something was cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Splits already escaped mrkdwn into pieces of at most `max` characters, preferring line breaks, then spaces,
/// and never cutting an `&amp;`-style entity in two.
pub fn split_escaped(text: &str, max: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut rest: Vec<char> = text.chars().collect();
    while rest.len() > max {
        let window = &rest[..max];
        let mut cut = window
            .iter()
            .rposition(|c| *c == '\n')
            .or_else(|| window.iter().rposition(|c| *c == ' '))
            .map(|i| i + 1)
            .filter(|i| *i > max / 2)
            .unwrap_or(max);
        // An entity is at most 5 characters (`&amp;`): step back over a cut one.
        if let Some(amp) = window[cut.saturating_sub(5)..cut]
            .iter()
            .rposition(|c| *c == '&')
        {
            let start = cut.saturating_sub(5) + amp;
            if !window[start..cut].contains(&';') {
                cut = start;
            }
        }
        if cut == 0 {
            cut = max;
        }
        let piece: String = rest.drain(..cut).collect();
        pieces.push(piece.trim_end().to_string());
    }
    if !rest.is_empty() || pieces.is_empty() {
        pieces.push(rest.into_iter().collect());
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_sequences_become_visible_text() {
        assert_eq!(
            escape("<!channel> @here <@U0123> &amp; *bold*"),
            "&lt;!channel&gt; @here &lt;@U0123&gt; &amp;amp; *bold*"
        );
        assert_eq!(escape("<!subteam^S1|x>"), "&lt;!subteam^S1|x&gt;");
    }

    #[test]
    fn only_slack_user_ids_pass_as_mentions() {
        assert!(is_user_id("U0ALICE001"));
        assert!(is_user_id("W123"));
        assert!(!is_user_id("!channel"));
        assert!(!is_user_id("U12>x"));
        assert!(!is_user_id("alice"));
    }

    #[test]
    fn splitting_respects_the_limit_and_entities() {
        let text = escape(&"a&b ".repeat(1000));
        let pieces = split_escaped(&text, 100);
        assert!(pieces.iter().all(|p| p.chars().count() <= 100));
        for p in &pieces {
            assert!(!p.ends_with('&') && !p.ends_with("&am"), "{p}");
        }
        assert_eq!(pieces.concat().replace(' ', ""), text.replace(' ', ""));
        let word = "x".repeat(250);
        let pieces = split_escaped(&word, 100);
        assert_eq!(pieces.len(), 3);
        assert_eq!(split_escaped("", 10), vec![String::new()]);
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
