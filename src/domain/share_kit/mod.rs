//! Share kits: each network's text fitted to its length rule, share-intent links, and checks on pasted post links.
//!
//! Pure functions only: the kit is rebuilt from the post's text and link whenever it is shown,
//! so nothing here keeps state, reads a clock or touches the network.

mod intent;
mod length;
mod post_url;
mod tlds;

#[cfg(test)]
mod tests;

pub use intent::{compose_url, intent_url, mastodon_host, mastodon_share_url};
pub use length::{grapheme_length, mastodon_length, x_weighted_length, URL_WEIGHT};
pub use post_url::{check_post_url, detect_network, PostUrlError};

use super::Network;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use unicode_segmentation::UnicodeSegmentation;

/// X's limit, in weighted characters.
pub const X_LIMIT: usize = 280;
/// Bluesky's limit, in graphemes.
pub const BLUESKY_LIMIT: usize = 300;
/// Threads' limit, in characters (counted as graphemes).
pub const THREADS_LIMIT: usize = 500;
/// Mastodon's stock limit; an instance may set another, so callers pass the member's.
pub const MASTODON_DEFAULT_LIMIT: usize = 500;
/// What marks a shortened text.
pub const ELLIPSIS: char = '…';

/// The limit `network`'s text is fitted to: the override (a Mastodon instance's own limit),
/// else the network's. LinkedIn and Facebook share a link only; their text is a copy block
/// with no limit to fit.
pub fn limit(network: Network, limit_override: Option<usize>) -> Option<usize> {
    limit_override.or(match network {
        Network::X => Some(X_LIMIT),
        Network::Bluesky => Some(BLUESKY_LIMIT),
        Network::Threads => Some(THREADS_LIMIT),
        Network::Mastodon => Some(MASTODON_DEFAULT_LIMIT),
        Network::Linkedin | Network::Facebook => None,
    })
}

/// The length of `text` as `network` counts it against its limit.
pub fn length(network: Network, text: &str) -> usize {
    match network {
        Network::X => x_weighted_length(text),
        Network::Mastodon => mastodon_length(text),
        Network::Bluesky | Network::Threads | Network::Linkedin | Network::Facebook => {
            grapheme_length(text)
        }
    }
}

/// How the post's link travels with the text on each network.
fn link_separator(network: Network) -> Option<&'static str> {
    match network {
        // X's intent takes the link apart and joins it after one space.
        Network::X => Some(" "),
        Network::Bluesky | Network::Threads | Network::Mastodon => Some("\n\n"),
        // The share link carries the URL; the copy block is the text alone.
        Network::Linkedin | Network::Facebook => None,
    }
}

/// A network's text, ready to post or copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fitted {
    /// The whole post as the network will show it, the link included where it goes in the text.
    pub text: String,
    /// Whether the insight had to be cut to fit.
    pub shortened: bool,
}

/// The insight part of a fitted post, before the link is joined on.
struct Body {
    text: String,
    shortened: bool,
}

/// Fits `text` (and the post's `url`, if any) to `network`'s limit, or to `limit_override`.
///
/// An over-long text is cut at a sentence end if one keeps at least two thirds of what would
/// fit, else at a word end if one keeps half, else at a grapheme boundary; never inside a
/// grapheme (emoji, flag, letter and its marks) or a link. Trailing spaces and punctuation go
/// before the ellipsis. If even the link alone is over the limit the result is the link alone:
/// a cut link is worse than a long post.
pub fn fit(
    network: Network,
    text: &str,
    url: Option<&str>,
    limit_override: Option<usize>,
) -> Fitted {
    let body = fit_body(network, text, url, limit_override);
    Fitted {
        text: render(network, &body.text, url),
        shortened: body.shortened,
    }
}

fn render(network: Network, body: &str, url: Option<&str>) -> String {
    match (link_separator(network), url) {
        (Some(_), Some(url)) if body.is_empty() => url.to_string(),
        (Some(sep), Some(url)) => format!("{body}{sep}{url}"),
        _ => body.to_string(),
    }
}

fn fit_body(
    network: Network,
    text: &str,
    url: Option<&str>,
    limit_override: Option<usize>,
) -> Body {
    let joined = url.is_some() && link_separator(network).is_some();
    let whole = if joined { text.trim_end() } else { text };
    let Some(limit) = limit(network, limit_override) else {
        return Body {
            text: whole.to_string(),
            shortened: false,
        };
    };
    let fits = |body: &str| length(network, &render(network, body, url)) <= limit;
    if fits(whole) {
        return Body {
            text: whole.to_string(),
            shortened: false,
        };
    }
    let cuts = cut_points(text);
    let candidate = |cut: usize| {
        let kept = trim_for_ellipsis(&text[..cut]);
        if kept.is_empty() {
            String::new()
        } else {
            format!("{kept}{ELLIPSIS}")
        }
    };
    // Longer prefixes never count less, so the longest that fits is found by halving; the
    // candidate at index 0 is the empty text (the link alone).
    let (mut lo, mut hi) = (0, cuts.len());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(&candidate(cuts[mid])) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let best = cuts.get(lo).copied().unwrap_or(0);
    let kept_len = |cut: usize| grapheme_length(trim_for_ellipsis(&text[..cut]));
    let best_len = kept_len(best);
    let is_cut = |at: usize| cuts.binary_search(&at).is_ok();
    // A sentence end close enough, else a word end close enough, else the longest prefix.
    let sentence_starts: Vec<usize> = text
        .split_sentence_bound_indices()
        .map(|(at, _)| at)
        .filter(|&at| at > 0 && at <= best && is_cut(at))
        .collect();
    let sentence = sentence_starts
        .into_iter()
        .rev()
        .take_while(|&at| kept_len(at) * 3 >= best_len * 2)
        .find(|&at| fits(&candidate(at)));
    let word = || {
        text[..best]
            .char_indices()
            .chain(text[best..].chars().next().map(|c| (best, c)))
            .filter(|&(at, c)| at > 0 && c.is_whitespace() && is_cut(at))
            .map(|(at, _)| at)
            .rev()
            .take_while(|&at| kept_len(at) * 2 >= best_len)
            .find(|&at| fits(&candidate(at)))
    };
    let cut = sentence.or_else(word).unwrap_or(best);
    Body {
        text: candidate(cut),
        shortened: true,
    }
}

/// Grapheme boundaries of `text` that are not inside a link, ascending, starting with 0.
fn cut_points(text: &str) -> Vec<usize> {
    let spans = length::link_spans(text);
    let mut span = spans.iter().peekable();
    let mut cuts = vec![0];
    for (at, _) in text.grapheme_indices(true).skip(1) {
        while span.peek().is_some_and(|s| s.end <= at) {
            span.next();
        }
        if span.peek().is_none_or(|s| s.start >= at) {
            cuts.push(at);
        }
    }
    cuts
}

/// `text` without trailing graphemes that should not stand before an ellipsis: spaces,
/// invisible marks (bidi controls, zero-width characters), sentence and clause punctuation,
/// dashes and opening brackets or quotes. Closing ones stay: `"hi"…` reads better than `"hi…`.
fn trim_for_ellipsis(text: &str) -> &str {
    let mut end = text.len();
    while let Some(last) = text[..end].graphemes(true).next_back() {
        if !last.chars().all(trims_before_ellipsis) {
            break;
        }
        end -= last.len();
    }
    &text[..end]
}

fn trims_before_ellipsis(c: char) -> bool {
    c.is_whitespace()
        || ".,;:!?…‥·¡¿。、，．！？；：؟،؛।॥".contains(c)
        || matches!(
            c.general_category(),
            GeneralCategory::Format
                | GeneralCategory::Control
                | GeneralCategory::DashPunctuation
                | GeneralCategory::OpenPunctuation
                | GeneralCategory::InitialPunctuation
                | GeneralCategory::ConnectorPunctuation
        )
}
