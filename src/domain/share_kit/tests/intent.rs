use super::super::*;

const URL: &str = "https://blog.example.com/post?id=7&lang=en";

fn param(link: &str, name: &str) -> Option<String> {
    url::Url::parse(link)
        .expect("intent links parse")
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn base(link: &str) -> String {
    link.split('?').next().unwrap_or_default().to_string()
}

const TEXT: &str = "Writing weekly: 50% + 50% = 100% of the habit & #focus 🇫🇷 — שלום";

#[test]
fn x_intent_carries_fitted_text_and_link_apart() {
    let link = intent_url(Network::X, TEXT, Some(URL), None).unwrap();
    assert_eq!(base(&link), "https://x.com/intent/post");
    let text = param(&link, "text").unwrap();
    assert_eq!(param(&link, "url").as_deref(), Some(URL));
    assert_eq!(
        format!("{text} {URL}"),
        fit(Network::X, TEXT, Some(URL), None).text
    );
    assert!(
        !link.contains('+') && !link.contains(' '),
        "spaces are %20: {link}"
    );
    let long = "word ".repeat(200);
    let link = intent_url(Network::X, &long, Some(URL), None).unwrap();
    let text = param(&link, "text").unwrap();
    assert!(x_weighted_length(&text) + 1 + 23 <= 280);
}

#[test]
fn bluesky_threads_and_mastodon_carry_the_whole_fitted_text() {
    let long = format!("{TEXT} {}", "more words ".repeat(100));
    for (network, want_base) in [
        (Network::Bluesky, "https://bsky.app/intent/compose"),
        (Network::Threads, "https://www.threads.net/intent/post"),
        (Network::Mastodon, "https://mastodon.social/share"),
    ] {
        for text in [TEXT, long.as_str()] {
            let link = intent_url(network, text, Some(URL), Some("mastodon.social")).unwrap();
            assert_eq!(base(&link), want_base);
            assert_eq!(
                param(&link, "text").unwrap(),
                fit(network, text, Some(URL), None).text
            );
        }
    }
}

#[test]
fn mastodon_needs_a_plain_instance_host() {
    assert_eq!(intent_url(Network::Mastodon, TEXT, Some(URL), None), None);
    for bad in [
        "https://mastodon.social",
        "mastodon.social/share",
        "mastodon.social:8080",
        "user@mastodon.social",
        "localhost",
        "192.168.1.10",
        "mastödon.social",
        "-bad.social",
        "evil.com/?x=",
        "",
        "a..b",
    ] {
        assert_eq!(
            intent_url(Network::Mastodon, TEXT, None, Some(bad)),
            None,
            "{bad:?}"
        );
    }
    assert_eq!(
        mastodon_host(" Hachyderm.IO. ").as_deref(),
        Some("hachyderm.io")
    );
    let link = mastodon_share_url("fosstodon.org", &"long ".repeat(150), Some(URL), 1_000).unwrap();
    assert!(link.starts_with("https://fosstodon.org/share?text="));
    let text = param(&link, "text").unwrap();
    assert!(
        !fit(
            Network::Mastodon,
            &"long ".repeat(150),
            Some(URL),
            Some(1_000)
        )
        .shortened
    );
    assert!(text.ends_with(URL));
}

#[test]
fn linkedin_and_facebook_share_the_link_only() {
    let link = intent_url(Network::Linkedin, TEXT, Some(URL), None).unwrap();
    assert_eq!(
        base(&link),
        "https://www.linkedin.com/sharing/share-offsite/"
    );
    assert_eq!(param(&link, "url").as_deref(), Some(URL));
    let link = intent_url(Network::Facebook, TEXT, Some(URL), None).unwrap();
    assert_eq!(base(&link), "https://www.facebook.com/sharer/sharer.php");
    assert_eq!(param(&link, "u").as_deref(), Some(URL));
    assert_eq!(intent_url(Network::Linkedin, TEXT, None, None), None);
    assert_eq!(intent_url(Network::Facebook, TEXT, None, None), None);
}

#[test]
fn a_link_that_is_not_http_gets_no_intent() {
    for bad in [
        "javascript:alert(1)",
        "not a url",
        "ftp://example.com/x",
        "/relative",
    ] {
        for network in Network::ALL {
            assert_eq!(
                intent_url(*network, TEXT, Some(bad), Some("mastodon.social")),
                None,
                "{bad}"
            );
        }
    }
}

#[test]
fn compose_links_for_the_leaders_own_post() {
    let x = compose_url(Network::X, TEXT, None).unwrap();
    assert_eq!(param(&x, "text").as_deref(), Some(TEXT));
    assert_eq!(param(&x, "url"), None);
    for network in [Network::Bluesky, Network::Threads] {
        let link = compose_url(network, TEXT, None).unwrap();
        assert_eq!(param(&link, "text").as_deref(), Some(TEXT));
    }
    assert!(compose_url(Network::Mastodon, TEXT, Some("mastodon.social")).is_some());
    assert_eq!(compose_url(Network::Mastodon, TEXT, None), None);
    assert_eq!(compose_url(Network::Linkedin, TEXT, None), None);
    assert_eq!(compose_url(Network::Facebook, TEXT, None), None);
}

#[test]
fn hostile_text_round_trips_through_the_query() {
    let text = "a&b=c#d?e%20f+g\u{0}\u{7}\u{202E}\u{200D}👨‍👩‍👧‍👦\r\n\"'<>";
    for network in [
        Network::X,
        Network::Bluesky,
        Network::Threads,
        Network::Mastodon,
    ] {
        let link = intent_url(network, text, None, Some("mastodon.social")).unwrap();
        assert!(link.is_ascii());
        assert_eq!(
            param(&link, "text").unwrap(),
            fit(network, text, None, None).text
        );
    }
}
