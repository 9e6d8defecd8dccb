//! TEMPORARY stand-in until the share-kit branch merges (same API, naive rules).
use super::Network;

pub struct Fitted {
    pub text: String,
    pub shortened: bool,
}

pub fn fit(_network: Network, text: &str, url: Option<&str>, _limit: Option<usize>) -> Fitted {
    let mut t: String = text.chars().take(200).collect();
    if let Some(u) = url {
        t.push(' ');
        t.push_str(u);
    }
    Fitted {
        shortened: text.chars().count() > 200,
        text: t,
    }
}

pub fn intent_url(
    network: Network,
    text: &str,
    url: Option<&str>,
    _instance: Option<&str>,
) -> Option<String> {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let t = fit(network, text, None, None).text;
    match network {
        Network::X => Some(format!(
            "https://x.com/intent/post?text={}{}",
            enc(&t),
            url.map(|u| format!("&url={}", enc(u))).unwrap_or_default()
        )),
        Network::Linkedin => url.map(|u| {
            format!(
                "https://www.linkedin.com/sharing/share-offsite/?url={}",
                enc(u)
            )
        }),
        _ => None,
    }
}

pub fn compose_url(network: Network, text: &str) -> Option<String> {
    intent_url(network, text, None, None)
}

#[derive(Debug)]
pub struct PostUrlError(pub String);
impl std::fmt::Display for PostUrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub fn check_post_url(network: Network, pasted: &str) -> Result<String, PostUrlError> {
    let host = match network {
        Network::Linkedin => "linkedin.com",
        Network::X => "x.com",
        Network::Bluesky => "bsky.app",
        _ => "",
    };
    if pasted.starts_with("https://") && !host.is_empty() && pasted.contains(host) {
        Ok(pasted.to_string())
    } else {
        Err(PostUrlError(format!(
            "that is not a {} post link",
            network.as_str()
        )))
    }
}

pub fn detect_network(pasted: &str) -> Option<Network> {
    [Network::Linkedin, Network::X, Network::Bluesky]
        .into_iter()
        .find(|n| check_post_url(*n, pasted).is_ok())
}
