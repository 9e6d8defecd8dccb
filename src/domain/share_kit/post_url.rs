//! Pasted post links: whether a link is a post on a given network, cleaned of tracking, and which network a bare link is on.
//!
//! The link a leader pastes is shown to the whole team as "share this", so it must be what it
//! claims: a post on that network's own host, not a look-alike, a script, or a disguised address.

use super::Network;
use std::fmt;
use url::{Host, Url};

/// The longest link accepted; real post links are far shorter.
const MAX_LEN: usize = 2_000;

/// Why a pasted link was refused. Its message ends with what a right link looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostUrlError {
    Empty {
        network: Network,
    },
    TooLong {
        network: Network,
        chars: usize,
    },
    /// Not an http(s) address (`javascript:`, `mailto:`, plain words).
    NotALink {
        network: Network,
    },
    /// Spaces, line breaks or invisible characters inside: more than the link was pasted.
    NotJustALink {
        network: Network,
    },
    Credentials {
        network: Network,
    },
    IpAddress {
        network: Network,
    },
    /// A host written with non-ASCII letters (punycode): it may merely resemble the network's.
    LookalikeHost {
        network: Network,
        host: String,
    },
    WrongSite {
        network: Network,
        host: String,
    },
    /// The network's host, but not a post (a profile, the home page, a port number).
    NotAPost {
        network: Network,
    },
}

impl std::error::Error for PostUrlError {}

impl fmt::Display for PostUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use PostUrlError::*;
        let network = match self {
            Empty { network }
            | TooLong { network, .. }
            | NotALink { network }
            | NotJustALink { network }
            | Credentials { network }
            | IpAddress { network }
            | LookalikeHost { network, .. }
            | WrongSite { network, .. }
            | NotAPost { network } => *network,
        };
        let name = label(network);
        match self {
            Empty { .. } => write!(f, "that is empty"),
            TooLong { chars, .. } => write!(
                f,
                "that is {chars} characters long, more than any post link (at most {MAX_LEN})"
            ),
            NotALink { .. } => write!(f, "that is not a web link"),
            NotJustALink { .. } => write!(
                f,
                "that has more than a link in it (spaces, line breaks or invisible characters)"
            ),
            Credentials { .. } => write!(f, "that link carries a user name or password"),
            IpAddress { .. } => write!(f, "that link points at a numeric address, not at {name}"),
            LookalikeHost { host, .. } => write!(
                f,
                "the host {host} is written with look-alike letters, so it is not {name}"
            ),
            WrongSite { host, .. } => {
                write!(f, "that is not a {name} post link ({host} is not {name})")
            }
            NotAPost { .. } => write!(f, "that is not a {name} post link"),
        }?;
        write!(
            f,
            ": paste the address of your post, like {}",
            example(network)
        )
    }
}

fn label(network: Network) -> &'static str {
    match network {
        Network::Linkedin => "LinkedIn",
        Network::X => "X",
        Network::Bluesky => "Bluesky",
        Network::Mastodon => "Mastodon",
        Network::Threads => "Threads",
        Network::Facebook => "Facebook",
    }
}

fn example(network: Network) -> &'static str {
    match network {
        Network::Linkedin => "https://www.linkedin.com/posts/…",
        Network::X => "https://x.com/yourname/status/…",
        Network::Bluesky => "https://bsky.app/profile/you.bsky.social/post/…",
        Network::Mastodon => "https://your.instance/@yourname/… (your instance's own address)",
        Network::Threads => "https://www.threads.net/@yourname/post/…",
        Network::Facebook => "https://www.facebook.com/yourname/posts/…",
    }
}

/// Checks that `pasted` is a post on `network` and returns it as a clean https link: tracking
/// parameters, the fragment and a default port dropped. Accepts the `<link>` and
/// `<link|label>` forms chat apps wrap pasted links in, and a link without its scheme.
pub fn check_post_url(network: Network, pasted: &str) -> Result<String, PostUrlError> {
    let (mut url, host) = parse_link(pasted).map_err(|kind| kind.for_network(network))?;
    let on_network = host_network(&host);
    let right_site = match network {
        Network::Mastodon => on_network.is_none(),
        _ => on_network == Some(network),
    };
    if !right_site {
        return Err(PostUrlError::WrongSite { network, host });
    }
    if url.port().is_some() || !is_post_path(network, &host, &url) {
        return Err(PostUrlError::NotAPost { network });
    }
    // Infallible for http(s) URLs with a domain host; ignoring the results keeps this panic-free.
    let _ = url.set_scheme("https");
    let _ = url.set_host(Some(&host));
    url.set_fragment(None);
    let kept: Vec<&str> = url
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty() && !is_tracking(network, pair))
        .collect();
    let query = kept.join("&");
    url.set_query((!query.is_empty()).then_some(query.as_str()));
    Ok(url.to_string())
}

/// Which network a pasted link is a post on, going by its host, or for Mastodon (any host) by
/// its `/@user/123…` shape. None for anything [`check_post_url`] would refuse outright.
pub fn detect_network(pasted: &str) -> Option<Network> {
    let (url, host) = parse_link(pasted).ok()?;
    host_network(&host)
        .or_else(|| is_post_path(Network::Mastodon, &host, &url).then_some(Network::Mastodon))
}

/// What is wrong with a link before knowing which network it should be on.
enum LinkError {
    Empty,
    TooLong(usize),
    NotALink,
    NotJustALink,
    Credentials,
    IpAddress,
    Lookalike(String),
}

impl LinkError {
    fn for_network(self, network: Network) -> PostUrlError {
        match self {
            LinkError::Empty => PostUrlError::Empty { network },
            LinkError::TooLong(chars) => PostUrlError::TooLong { network, chars },
            LinkError::NotALink => PostUrlError::NotALink { network },
            LinkError::NotJustALink => PostUrlError::NotJustALink { network },
            LinkError::Credentials => PostUrlError::Credentials { network },
            LinkError::IpAddress => PostUrlError::IpAddress { network },
            LinkError::Lookalike(host) => PostUrlError::LookalikeHost { network, host },
        }
    }
}

/// Parses a pasted http(s) link with a plain ASCII domain host; returns it and its lowercase
/// host without a trailing dot.
fn parse_link(pasted: &str) -> Result<(Url, String), LinkError> {
    let chars = pasted.chars().take(MAX_LEN * 2 + 1).count();
    if chars > MAX_LEN * 2 {
        return Err(LinkError::TooLong(pasted.chars().count()));
    }
    let mut s = pasted.trim();
    // Slack sends `<https://…|label>`, Discord users write `<https://…>` to hide the preview.
    if let Some(inner) = s.strip_prefix('<').and_then(|r| r.strip_suffix('>')) {
        s = inner.split('|').next().unwrap_or(inner).trim();
    }
    let chars = s.chars().count();
    if chars == 0 {
        return Err(LinkError::Empty);
    }
    if chars > MAX_LEN {
        return Err(LinkError::TooLong(chars));
    }
    if s.chars()
        .any(|c| c.is_whitespace() || c.is_control() || is_invisible(c))
    {
        return Err(LinkError::NotJustALink);
    }
    let lower = s.to_ascii_lowercase();
    let with_scheme = if lower.starts_with("https://") || lower.starts_with("http://") {
        s.to_string()
    } else if s
        .split(['/', '?', '#'])
        .next()
        .is_some_and(|head| head.contains(':'))
        || s.starts_with('/')
    {
        // Another scheme (javascript:, data:, mailto:) or a relative path.
        return Err(LinkError::NotALink);
    } else {
        format!("https://{s}")
    };
    let url = Url::parse(&with_scheme).map_err(|_| LinkError::NotALink)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(LinkError::Credentials);
    }
    let host = match url.host() {
        Some(Host::Domain(d)) => d.trim_end_matches('.').to_ascii_lowercase(),
        Some(Host::Ipv4(_)) | Some(Host::Ipv6(_)) => return Err(LinkError::IpAddress),
        None => return Err(LinkError::NotALink),
    };
    let raw_authority = with_scheme.split_once("://").map_or("", |(_, rest)| {
        rest.split(['/', '?', '#']).next().unwrap_or("")
    });
    if !raw_authority.is_ascii() || host.split('.').any(|label| label.starts_with("xn--")) {
        return Err(LinkError::Lookalike(host));
    }
    if host.is_empty() || !host.contains('.') {
        return Err(LinkError::NotALink);
    }
    Ok((url, host))
}

/// Zero-width characters and bidi controls, which can hide what a link really says.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}' | '\u{00AD}')
}

fn host_network(host: &str) -> Option<Network> {
    let under = |domain: &str| {
        host == domain || host.strip_suffix(domain).is_some_and(|h| h.ends_with('.'))
    };
    if under("linkedin.com") || host == "lnkd.in" {
        Some(Network::Linkedin)
    } else if matches!(
        host,
        "x.com"
            | "www.x.com"
            | "mobile.x.com"
            | "twitter.com"
            | "www.twitter.com"
            | "mobile.twitter.com"
    ) {
        Some(Network::X)
    } else if matches!(host, "bsky.app" | "www.bsky.app") {
        Some(Network::Bluesky)
    } else if matches!(
        host,
        "threads.net" | "www.threads.net" | "threads.com" | "www.threads.com"
    ) {
        Some(Network::Threads)
    } else if under("facebook.com") || matches!(host, "fb.com" | "www.fb.com") {
        Some(Network::Facebook)
    } else {
        None
    }
}

/// Every `%` starts an escape of two hex digits (`%zz` is no URL, though `Url` keeps it as typed).
fn percent_escapes_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let hex = |i: usize| b.get(i).is_some_and(u8::is_ascii_hexdigit);
    (0..b.len()).all(|i| b[i] != b'%' || (hex(i + 1) && hex(i + 2)))
}

fn is_post_path(network: Network, host: &str, url: &Url) -> bool {
    let segs: Vec<&str> = url.path().split('/').filter(|s| !s.is_empty()).collect();
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let word = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.~:@%".contains(&b))
            && percent_escapes_ok(s)
    };
    match network {
        Network::Linkedin if host == "lnkd.in" => segs.len() == 1 && word(segs[0]),
        Network::Linkedin => matches!(
            segs.as_slice(),
            ["posts", p, ..] | ["pulse", p, ..] | ["feed", "update", p, ..] | ["embed", "feed", "update", p, ..] if word(p)
        ),
        Network::X => match segs.as_slice() {
            ["i", "web", "status", id, ..] | ["i", "status", id, ..] => digits(id),
            [user, "status" | "statuses", id, ..] => word(user) && digits(id),
            _ => false,
        },
        Network::Bluesky => {
            matches!(segs.as_slice(), ["profile", handle, "post", rkey] if word(handle) && word(rkey))
        }
        Network::Threads => match segs.as_slice() {
            [user, "post", code, ..] => user.starts_with('@') && word(code),
            ["t", code] => word(code),
            _ => false,
        },
        Network::Facebook => match segs.as_slice() {
            [] => false,
            [one] => {
                matches!(
                    *one,
                    "permalink.php" | "story.php" | "photo.php" | "photo" | "watch"
                ) && url.query().is_some()
            }
            _ => {
                segs.iter().all(|s| word(s))
                    && segs.iter().any(|s| {
                        matches!(
                            *s,
                            "posts"
                                | "videos"
                                | "photos"
                                | "reel"
                                | "reels"
                                | "share"
                                | "permalink"
                        )
                    })
            }
        },
        Network::Mastodon => match segs.as_slice() {
            [user, id] => user.len() > 1 && user.starts_with('@') && word(user) && digits(id),
            ["users", user, "statuses", id] => word(user) && digits(id),
            _ => false,
        },
    }
}

/// Query parameters that only say who shared or clicked: dropped so the team's shares do not
/// carry the leader's tracking.
fn is_tracking(network: Network, pair: &str) -> bool {
    let key = pair.split('=').next().unwrap_or("").to_ascii_lowercase();
    key.starts_with("utm_")
        || key.starts_with("__cft__")
        || matches!(
            key.as_str(),
            "si" | "trk"
                | "trkinfo"
                | "trackingid"
                | "lipi"
                | "midtoken"
                | "midsig"
                | "rcm"
                | "fbclid"
                | "gclid"
                | "dclid"
                | "msclkid"
                | "igshid"
                | "igsh"
                | "mibextid"
                | "mc_cid"
                | "mc_eid"
                | "_hsenc"
                | "_hsmi"
                | "ref"
                | "ref_src"
                | "ref_url"
                | "__tn__"
                | "xmt"
                | "sfnsn"
                | "rdid"
                | "share_url"
        )
        || (network == Network::X && matches!(key.as_str(), "s" | "t"))
}
