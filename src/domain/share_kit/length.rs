//! How each network counts a post: X's weighted length, graphemes, and links counted as 23.
//!
//! Where the kit cannot tell for sure how a network will count something, it counts high: a
//! text that comes out a few characters short is harmless, one that comes out over the limit
//! makes the member trim it by hand.

use super::tlds::{FLAGS, SUBDIVISION_FLAGS, TLDS};
use std::ops::Range;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{EmojiStatus, UnicodeEmoji};
use unicode_segmentation::UnicodeSegmentation;

/// What X and Mastodon count any link as, however long it is (X's t.co length).
pub const URL_WEIGHT: usize = 23;

/// X's weighted length (twitter-text v3): NFC first; code points in U+0000–U+10FF, U+2000–U+200D,
/// U+2010–U+201F and U+2032–U+2037 weigh 1, all others 2; an emoji sequence weighs 2 in all;
/// a link weighs 23. A bare domain (`example.com`) counts at least 23, since X may link it.
pub fn x_weighted_length(text: &str) -> usize {
    let nfc: String = text.nfc().collect();
    measure(&nfc, LinkMode::WithBareDomains, x_plain_weight)
}

/// Extended grapheme clusters: what Bluesky and Threads count, and what a person sees as letters.
pub fn grapheme_length(text: &str) -> usize {
    text.graphemes(true).count()
}

/// Mastodon's count: graphemes, except that each http(s) link counts as 23.
pub fn mastodon_length(text: &str) -> usize {
    measure(text, LinkMode::SchemeOnly, grapheme_length)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LinkMode {
    /// Only links that start with http:// or https:// (Mastodon).
    SchemeOnly,
    /// Also host names without a scheme (X).
    WithBareDomains,
}

/// How a found link is counted.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum LinkWeight {
    /// Surely linked by the network: 23.
    Fixed,
    /// Maybe linked: 23 if it is, its own length if it is not, so count the larger.
    AtLeast,
}

#[derive(Debug)]
struct Link {
    span: Range<usize>,
    weight: LinkWeight,
}

fn measure(text: &str, mode: LinkMode, plain: fn(&str) -> usize) -> usize {
    let mut total = 0;
    let mut at = 0;
    for link in find_links(text, mode) {
        total += plain(&text[at..link.span.start]);
        let own = plain(&text[link.span.clone()]);
        total += match link.weight {
            LinkWeight::Fixed => URL_WEIGHT,
            LinkWeight::AtLeast => own.max(URL_WEIGHT),
        };
        at = link.span.end;
    }
    total + plain(&text[at..])
}

/// Byte ranges a shortened text must not be cut inside: each link, with whatever non-space,
/// non-CJK text is glued to its end (a cut there would leave a broken link).
pub(super) fn link_spans(text: &str) -> Vec<Range<usize>> {
    find_links(text, LinkMode::WithBareDomains)
        .into_iter()
        .map(|link| {
            let rest = &text[link.span.end..];
            let glued = rest
                .char_indices()
                .find(|&(_, c)| c.is_whitespace() || is_cjk(c))
                .map_or(rest.len(), |(i, _)| i);
            link.span.start..link.span.end + glued
        })
        .collect()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

/// Finds links left to right. Every position returned is at an ASCII byte, so a char boundary.
fn find_links(text: &str, mode: LinkMode) -> Vec<Link> {
    let b = text.as_bytes();
    let mut links = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if let Some(scheme_len) = scheme_at(b, i) {
            let preceded_ok = !text[..i].ends_with([
                '@', '#', '$', '＠', '＃', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}',
                '\u{202E}',
            ]);
            let end = url_end(text, i + scheme_len).filter(|_| preceded_ok);
            // Not surely a link: count the scheme itself as 23, which bounds whatever prefix
            // the network might link, and read on after it.
            let end = end.unwrap_or(i + scheme_len);
            links.push(Link {
                span: i..end,
                weight: LinkWeight::Fixed,
            });
            i = end;
        } else if mode == LinkMode::WithBareDomains
            && is_host_byte(b[i])
            && (i == 0 || !is_host_byte(b[i - 1]))
        {
            let mut end = i + b[i..].iter().take_while(|&&c| is_host_byte(c)).count();
            // "...http://" glued to a word: stop the run where the scheme begins.
            for scheme in ["https", "http"] {
                let s = end.saturating_sub(scheme.len());
                if s >= i
                    && b[end..].starts_with(b"://")
                    && b[s..end].eq_ignore_ascii_case(scheme.as_bytes())
                {
                    end = s;
                    break;
                }
            }
            if has_tld(&text[i..end]) {
                links.push(Link {
                    span: i..end,
                    weight: LinkWeight::AtLeast,
                });
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    links
}

fn scheme_at(b: &[u8], i: usize) -> Option<usize> {
    let rest = &b[i..];
    ["https://", "http://"]
        .iter()
        .find(|s| rest.len() >= s.len() && rest[..s.len()].eq_ignore_ascii_case(s.as_bytes()))
        .map(|s| s.len())
}

fn is_host_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'.' || c == b'-'
}

fn is_tld(label: &str) -> bool {
    let lower = label.to_ascii_lowercase();
    TLDS.binary_search(&lower.as_str()).is_ok()
}

/// A run of host characters in which some label after a non-empty one is a TLD X links.
fn has_tld(run: &str) -> bool {
    let labels: Vec<&str> = run.split('.').collect();
    labels.windows(2).any(|w| !w[0].is_empty() && is_tld(w[1]))
}

/// The end of a link that X surely shortens, given where its host starts; None when unsure
/// (no dotted ASCII host with a known TLD: IP addresses, IDN hosts, made-up TLDs, user:pass@).
fn url_end(text: &str, host_start: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut host_end = host_start
        + b[host_start..]
            .iter()
            .take_while(|&&c| is_host_byte(c))
            .count();
    let next = text[host_end..].chars().next();
    if next.is_some_and(|c| c == '_' || c == '@' || (!c.is_ascii() && c.is_alphanumeric())) {
        return None;
    }
    while host_end > host_start && b[host_end - 1] == b'.' {
        host_end -= 1;
    }
    let labels: Vec<&str> = text[host_start..host_end].split('.').collect();
    let valid = labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'))
        && labels.last().is_some_and(|t| is_tld(t));
    if !valid {
        return None;
    }
    let mut end = host_end;
    if b.get(end) == Some(&b':') {
        let digits = b[end + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits > 0 {
            end += 1 + digits;
        }
    }
    if matches!(b.get(end), Some(b'/') | Some(b'?')) {
        end = path_end(text, end);
    }
    Some(end)
}

/// The greedy path and query, then trailing characters X does not end a link with stripped
/// (also a final `#`, which twitter-text leaves out).
fn path_end(text: &str, start: usize) -> usize {
    let mut in_query = false;
    let mut end = start;
    let mut chars = text[start..].char_indices().peekable();
    while let Some((off, c)) = chars.next() {
        let at = start + off;
        if c == '?' {
            in_query = true;
        }
        if c == '(' {
            // Only a balanced "(...)" with plain path characters inside belongs to the link.
            let inner = &text[at + 1..];
            let close = inner.find(|c: char| !is_path_char(c, in_query) || c == '(');
            match close {
                Some(n) if inner[n..].starts_with(')') => {
                    end = at + 1 + n + 1;
                    while chars.peek().is_some_and(|&(o, _)| start + o < end) {
                        chars.next();
                    }
                    continue;
                }
                _ => break,
            }
        }
        if !is_path_char(c, in_query) {
            break;
        }
        end = at + c.len_utf8();
    }
    let has_query = text[start..end].contains('?');
    while let Some(c) = text[start..end].chars().next_back() {
        let ok = c.is_ascii_alphanumeric()
            || matches!(c, '=' | '_' | '/' | '-' | ')')
            || (!has_query && is_latin_or_cyrillic(c));
        if ok {
            break;
        }
        end -= c.len_utf8();
    }
    end
}

fn is_path_char(c: char, in_query: bool) -> bool {
    c.is_ascii_alphanumeric()
        || "!*';:=+,.$/%#[]-_~&|@?".contains(c)
        || (!in_query && is_latin_or_cyrillic(c))
}

fn is_latin_or_cyrillic(c: char) -> bool {
    matches!(c as u32, 0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x24F | 0x400..=0x527)
}

/// X's weight of text with no links in it: code points by range, emoji sequences 2.
fn x_plain_weight(s: &str) -> usize {
    let cs: Vec<char> = s.chars().collect();
    let mut total = 0;
    let mut i = 0;
    while i < cs.len() {
        match emoji_len(&cs[i..]) {
            Some(n) => {
                total += 2;
                i += n;
            }
            None => {
                total += code_point_weight(cs[i]);
                i += 1;
            }
        }
    }
    total
}

fn code_point_weight(c: char) -> usize {
    match c as u32 {
        0..=0x10FF | 0x2000..=0x200D | 0x2010..=0x201F | 0x2032..=0x2037 => 1,
        _ => 2,
    }
}

const ZWJ: char = '\u{200D}';
const VS16: char = '\u{FE0F}';

fn is_regional(c: char) -> bool {
    matches!(c, '\u{1F1E6}'..='\u{1F1FF}')
}

fn is_modifier(c: char) -> bool {
    matches!(c, '\u{1F3FB}'..='\u{1F3FF}')
}

fn has_emoji_presentation(c: char) -> bool {
    matches!(
        c.emoji_status(),
        EmojiStatus::EmojiPresentation
            | EmojiStatus::EmojiPresentationAndModifierBase
            | EmojiStatus::EmojiPresentationAndEmojiComponent
            | EmojiStatus::EmojiPresentationAndModifierAndEmojiComponent
    )
}

fn is_modifier_base(c: char) -> bool {
    matches!(
        c.emoji_status(),
        EmojiStatus::EmojiModifierBase | EmojiStatus::EmojiPresentationAndModifierBase
    )
}

/// How many chars at the start of `cs` form one emoji that X counts as 2, if any.
///
/// Without the full list of recommended sequences this follows their structure: flags from
/// the region list, keycaps, a skin tone only after a base that takes one, VS16 only after a
/// character that is text by default (X counts "😀\u{FE0F}" as 4), and ZWJ joins of those.
/// The one way this can count lower than X: a ZWJ join of emoji that is not a recommended
/// sequence ("😀\u{200D}😀" is 2 here, 5 on X), which no emoji keyboard produces.
fn emoji_len(cs: &[char]) -> Option<usize> {
    let c = *cs.first()?;
    if is_regional(c) {
        let d = *cs.get(1).filter(|d| is_regional(**d))?;
        let code: String = [c, d]
            .iter()
            .map(|r| char::from(b'A' + (*r as u32 - 0x1F1E6) as u8))
            .collect();
        return FLAGS.binary_search(&code.as_str()).is_ok().then_some(2);
    }
    if matches!(c, '0'..='9' | '#' | '*') {
        let n = if cs.get(1) == Some(&VS16) { 2 } else { 1 };
        return (cs.get(n) == Some(&'\u{20E3}')).then_some(n + 1);
    }
    if !c.is_emoji_char() {
        return None;
    }
    if c == '\u{1F3F4}' {
        let tags: String = cs[1..]
            .iter()
            .take_while(|t| matches!(t, '\u{E0061}'..='\u{E007A}'))
            .map(|t| char::from(b'a' + (*t as u32 - 0xE0061) as u8))
            .collect();
        if SUBDIVISION_FLAGS.contains(&tags.as_str())
            && cs.get(1 + tags.len()) == Some(&'\u{E007F}')
        {
            return Some(tags.len() + 2);
        }
    }
    let mut n = element_len(cs);
    while cs.get(n) == Some(&ZWJ)
        && cs
            .get(n + 1)
            .is_some_and(|e| e.is_emoji_char() && !is_regional(*e) && !e.is_ascii())
    {
        n += 1 + element_len(&cs[n + 1..]);
    }
    Some(n)
}

/// One emoji character with what may decorate it: VS16 or a skin tone.
fn element_len(cs: &[char]) -> usize {
    let c = cs[0];
    match cs.get(1) {
        Some(&VS16) if !has_emoji_presentation(c) => 2,
        Some(&m) if is_modifier(m) && is_modifier_base(c) => 2,
        _ => 1,
    }
}
