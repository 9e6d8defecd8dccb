//! Share-intent and compose links: a page on each network with the post prefilled, one click from the kit.

use super::{fit, fit_body, Network};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986's unreserved characters is encoded, so a space is `%20`: every
/// network decodes that, whereas `+` for a space is read literally by some.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE)))
        .collect();
    format!("{base}?{}", query.join("&"))
}

/// The post's link, if it is one a share page can take: an absolute http(s) URL with a host.
fn shareable(url: &str) -> Option<&str> {
    let url = url.trim();
    let parsed = url::Url::parse(url).ok()?;
    (matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some()).then_some(url)
}

/// A link that opens `network`'s composer with the post prefilled: the text fitted to the
/// network, with the post's `url` (LinkedIn and Facebook take the link only, so they need one).
/// Mastodon has no one home, so its link needs the member's instance (a plain host name) and
/// uses the stock 500 limit; see [`mastodon_share_url`] for an instance with another.
/// None when the network cannot be opened that way, or `url` is not an http(s) link.
pub fn intent_url(
    network: Network,
    text: &str,
    url: Option<&str>,
    mastodon_instance: Option<&str>,
) -> Option<String> {
    let url = match url {
        Some(u) => Some(shareable(u)?),
        None => None,
    };
    match network {
        Network::X => {
            let body = fit_body(network, text, url, None).text;
            let mut params = Vec::new();
            if !body.is_empty() {
                params.push(("text", body.as_str()));
            }
            if let Some(url) = url {
                params.push(("url", url));
            }
            Some(with_query("https://x.com/intent/post", &params))
        }
        Network::Bluesky => Some(with_query(
            "https://bsky.app/intent/compose",
            &[("text", &fit(network, text, url, None).text)],
        )),
        Network::Threads => Some(with_query(
            "https://www.threads.net/intent/post",
            &[("text", &fit(network, text, url, None).text)],
        )),
        Network::Mastodon => {
            mastodon_share_url(mastodon_instance?, text, url, super::MASTODON_DEFAULT_LIMIT)
        }
        Network::Linkedin => Some(with_query(
            "https://www.linkedin.com/sharing/share-offsite/",
            &[("url", url?)],
        )),
        Network::Facebook => Some(with_query(
            "https://www.facebook.com/sharer/sharer.php",
            &[("u", url?)],
        )),
    }
}

/// Mastodon's share page on the member's `instance`, the text fitted to that instance's `limit`.
/// None when `instance` is not a plain host name or `url` is not an http(s) link.
pub fn mastodon_share_url(
    instance: &str,
    text: &str,
    url: Option<&str>,
    limit: usize,
) -> Option<String> {
    let host = mastodon_host(instance)?;
    let url = match url {
        Some(u) => Some(shareable(u)?),
        None => None,
    };
    let fitted = fit(Network::Mastodon, text, url, Some(limit));
    Some(with_query(
        &format!("https://{host}/share"),
        &[("text", &fitted.text)],
    ))
}

/// A link that opens the leader's own composer with their insight prefilled, on the networks
/// that take prefilled text (X, Bluesky, Threads, Mastodon). LinkedIn and Facebook take none.
pub fn compose_url(
    network: Network,
    text: &str,
    mastodon_instance: Option<&str>,
) -> Option<String> {
    match network {
        Network::Linkedin | Network::Facebook => None,
        _ => intent_url(network, text, None, mastodon_instance),
    }
}

/// The member's Mastodon instance as a plain, lowercase host name (`mastodon.social`), or None
/// for anything else: a scheme, a port, a path, an address, a single label, non-ASCII letters.
/// It goes straight into a link the kit shows, so nothing but a host name may get through.
pub fn mastodon_host(instance: &str) -> Option<String> {
    let host = instance.trim().to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host);
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |l: &&str| {
        (1..=63).contains(&l.len())
            && l.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let tld_ok = labels.last().is_some_and(|t| {
        (t.bytes().any(|b| b.is_ascii_lowercase()) && !t.contains('-')) || t.starts_with("xn--")
    });
    (host.len() <= 253 && labels.len() >= 2 && labels.iter().all(label_ok) && tld_ok)
        .then(|| host.to_string())
}
