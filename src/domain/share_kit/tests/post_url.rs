use super::super::*;

/// Which refusal a hostile link must get.
type Kind = fn(&PostUrlError) -> bool;

fn ok(network: Network, pasted: &str) -> String {
    check_post_url(network, pasted).unwrap_or_else(|e| panic!("{network}: {pasted:?} refused: {e}"))
}

fn refused(network: Network, pasted: &str) -> PostUrlError {
    match check_post_url(network, pasted) {
        Ok(url) => panic!("{network}: {pasted:?} accepted as {url}"),
        Err(e) => e,
    }
}

#[test]
fn accepts_real_looking_post_links() {
    let cases = [
        (
            Network::Linkedin,
            "https://www.linkedin.com/posts/jane-doe_leadership-activity-7191234567890123456-AbCd",
        ),
        (
            Network::Linkedin,
            "https://www.linkedin.com/feed/update/urn:li:activity:7191234567890123456/",
        ),
        (
            Network::Linkedin,
            "https://fr.linkedin.com/pulse/why-we-write-jane-doe",
        ),
        (Network::Linkedin, "https://lnkd.in/dAbC123"),
        (
            Network::X,
            "https://x.com/janedoe/status/1790000000000000000",
        ),
        (
            Network::X,
            "https://twitter.com/janedoe/status/1790000000000000000",
        ),
        (
            Network::X,
            "https://mobile.twitter.com/janedoe/status/1790000000000000000/photo/1",
        ),
        (
            Network::Bluesky,
            "https://bsky.app/profile/jane.bsky.social/post/3kq2abcdxyz2a",
        ),
        (
            Network::Threads,
            "https://www.threads.net/@janedoe/post/C7abcDEFghi",
        ),
        (
            Network::Threads,
            "https://www.threads.com/@janedoe/post/C7abcDEFghi",
        ),
        (
            Network::Facebook,
            "https://www.facebook.com/janedoe/posts/pfbid02abcDEF",
        ),
        (
            Network::Facebook,
            "https://m.facebook.com/story.php?story_fbid=123&id=456",
        ),
        (
            Network::Facebook,
            "https://www.facebook.com/share/p/1AbCdEf/",
        ),
        (Network::Facebook, "https://fb.com/janedoe/posts/123"),
        (
            Network::Mastodon,
            "https://mastodon.social/@jane/112233445566778899",
        ),
        (
            Network::Mastodon,
            "https://hachyderm.io/@jane@mastodon.social/112233445566778899",
        ),
    ];
    for (network, link) in cases {
        assert_eq!(
            ok(network, link),
            link,
            "already clean links come back unchanged"
        );
        assert_eq!(detect_network(link), Some(network), "{link}");
    }
}

#[test]
fn normalizes_scheme_tracking_fragment_and_wrappers() {
    assert_eq!(
        ok(Network::Linkedin, "http://www.linkedin.com/posts/jane_x-activity-1-Ab?utm_source=share&utm_medium=member_desktop&rcm=ACoAA"),
        "https://www.linkedin.com/posts/jane_x-activity-1-Ab"
    );
    assert_eq!(
        ok(
            Network::X,
            "https://x.com/jane/status/123?s=20&t=AbCdEf&lang=en#m"
        ),
        "https://x.com/jane/status/123?lang=en"
    );
    assert_eq!(
        ok(
            Network::Threads,
            "https://www.threads.net/@jane/post/C7abc?xmt=AQG&igshid=1&slof=1"
        ),
        "https://www.threads.net/@jane/post/C7abc?slof=1"
    );
    assert_eq!(
        ok(
            Network::Facebook,
            "https://www.facebook.com/permalink.php?story_fbid=1&id=2&mibextid=Nif5oz&fbclid=x"
        ),
        "https://www.facebook.com/permalink.php?story_fbid=1&id=2"
    );
    assert_eq!(
        ok(
            Network::Bluesky,
            "<https://bsky.app/profile/jane.bsky.social/post/3kq2a|bsky.app/profile/jane…>"
        ),
        "https://bsky.app/profile/jane.bsky.social/post/3kq2a"
    );
    assert_eq!(
        ok(Network::X, "  <x.com/jane/status/123?si=abc>  "),
        "https://x.com/jane/status/123"
    );
    assert_eq!(
        ok(Network::Linkedin, "HTTPS://WWW.LinkedIn.COM./posts/jane_x"),
        "https://www.linkedin.com/posts/jane_x"
    );
}

#[test]
fn refuses_hostile_links_with_a_helpful_message() {
    let li = Network::Linkedin;
    let cases: Vec<(String, Kind)> = vec![
        ("javascript:alert(document.cookie)".into(), |e| {
            matches!(e, PostUrlError::NotALink { .. })
        }),
        ("data:text/html,<script>x</script>".into(), |e| {
            matches!(e, PostUrlError::NotALink { .. })
        }),
        ("mailto:jane@linkedin.com".into(), |e| {
            matches!(e, PostUrlError::NotALink { .. })
        }),
        ("https://user:pass@www.linkedin.com/posts/x".into(), |e| {
            matches!(e, PostUrlError::Credentials { .. })
        }),
        ("https://www.linkedin.com@evil.com/posts/x".into(), |e| {
            matches!(e, PostUrlError::Credentials { .. })
        }),
        ("https://192.168.0.1/posts/x".into(), |e| {
            matches!(e, PostUrlError::IpAddress { .. })
        }),
        ("https://2130706433/posts/x".into(), |e| {
            matches!(e, PostUrlError::IpAddress { .. })
        }),
        ("https://[::1]/posts/x".into(), |e| {
            matches!(e, PostUrlError::IpAddress { .. })
        }),
        ("https://www.lіnkedin.com/posts/x".into(), |e| {
            matches!(e, PostUrlError::LookalikeHost { .. })
        }),
        ("https://www.xn--lnkedin-1fg.com/posts/x".into(), |e| {
            matches!(e, PostUrlError::LookalikeHost { .. })
        }),
        ("https://linkedin.com.evil.com/posts/x".into(), |e| {
            matches!(e, PostUrlError::WrongSite { .. })
        }),
        ("https://evillinkedin.com/posts/x".into(), |e| {
            matches!(e, PostUrlError::WrongSite { .. })
        }),
        ("https://x.com/jane/status/1".into(), |e| {
            matches!(e, PostUrlError::WrongSite { .. })
        }),
        ("https://www.linkedin.com/in/jane-doe".into(), |e| {
            matches!(e, PostUrlError::NotAPost { .. })
        }),
        ("https://www.linkedin.com/".into(), |e| {
            matches!(e, PostUrlError::NotAPost { .. })
        }),
        ("https://www.linkedin.com:8443/posts/x".into(), |e| {
            matches!(e, PostUrlError::NotAPost { .. })
        }),
        (
            format!("https://www.linkedin.com/posts/{}", "a".repeat(2_000)),
            |e| matches!(e, PostUrlError::TooLong { .. }),
        ),
        ("https://www.linkedin.com/posts/x here it is".into(), |e| {
            matches!(e, PostUrlError::NotJustALink { .. })
        }),
        ("https://www.linked\u{200B}in.com/posts/x".into(), |e| {
            matches!(e, PostUrlError::NotJustALink { .. })
        }),
        ("https://www.linkedin.com/posts/\u{202E}x".into(), |e| {
            matches!(e, PostUrlError::NotJustALink { .. })
        }),
        ("https://www.linked\nin.com/posts/x".into(), |e| {
            matches!(e, PostUrlError::NotJustALink { .. })
        }),
        ("   ".into(), |e| matches!(e, PostUrlError::Empty { .. })),
        ("/posts/x".into(), |e| {
            matches!(e, PostUrlError::NotALink { .. })
        }),
        ("just some words".into(), |e| {
            matches!(e, PostUrlError::NotJustALink { .. })
        }),
    ];
    for (pasted, kind) in cases {
        let err = refused(li, &pasted);
        assert!(kind(&err), "{pasted:?} gave {err:?}");
        let msg = err.to_string();
        assert!(
            msg.ends_with("paste the address of your post, like https://www.linkedin.com/posts/…"),
            "{msg}"
        );
    }
    assert_eq!(
        refused(li, "https://www.linkedin.com/in/jane").to_string(),
        "that is not a LinkedIn post link: paste the address of your post, like https://www.linkedin.com/posts/…"
    );
}

#[test]
fn each_network_checks_its_own_hosts_and_post_shapes() {
    // Broken percent escapes are no URL, whatever the path looks like.
    for broken in [
        "https://www.linkedin.com/posts/%zz%",
        "https://www.linkedin.com/posts/jane_x-activity-1%",
        "https://bsky.app/profile/jane.bsky.social/post/3k%4",
    ] {
        let network = detect_network(broken).unwrap_or(Network::Linkedin);
        assert!(
            matches!(refused(network, broken), PostUrlError::NotAPost { .. }),
            "{broken}"
        );
    }
    assert_eq!(
        ok(
            Network::Linkedin,
            "https://www.linkedin.com/posts/jane_caf%C3%A9-activity-1"
        ),
        "https://www.linkedin.com/posts/jane_caf%C3%A9-activity-1"
    );
    assert!(matches!(
        refused(Network::X, "https://x.com/jane"),
        PostUrlError::NotAPost { .. }
    ));
    assert!(matches!(
        refused(Network::X, "https://x.com/jane/status/abc"),
        PostUrlError::NotAPost { .. }
    ));
    assert!(matches!(
        refused(
            Network::Bluesky,
            "https://bsky.app/profile/jane.bsky.social"
        ),
        PostUrlError::NotAPost { .. }
    ));
    assert!(matches!(
        refused(Network::Threads, "https://www.threads.net/@jane"),
        PostUrlError::NotAPost { .. }
    ));
    assert!(matches!(
        refused(Network::Facebook, "https://www.facebook.com/jane.doe"),
        PostUrlError::NotAPost { .. }
    ));
    assert!(matches!(
        refused(
            Network::Facebook,
            "https://www.facebook.com/profile.php?id=1"
        ),
        PostUrlError::NotAPost { .. }
    ));
    assert!(matches!(
        refused(Network::Mastodon, "https://mastodon.social/@jane"),
        PostUrlError::NotAPost { .. }
    ));
    assert!(matches!(
        refused(Network::Mastodon, "https://www.threads.net/@jane/123"),
        PostUrlError::WrongSite { .. }
    ));
    assert!(matches!(
        refused(
            Network::Mastodon,
            "https://xn--mstodon-0wa.social/@jane/123"
        ),
        PostUrlError::LookalikeHost { .. }
    ));
    let msg = refused(Network::Mastodon, "https://mastodon.social/@jane").to_string();
    assert!(msg.contains("/@yourname/"), "{msg}");
    let msg = refused(Network::X, "https://bsky.app/profile/a/post/b").to_string();
    assert!(
        msg.starts_with("that is not a X post link (bsky.app is not X)"),
        "{msg}"
    );
}

#[test]
fn detects_the_network_of_a_bare_link() {
    assert_eq!(
        detect_network("www.linkedin.com/posts/x"),
        Some(Network::Linkedin)
    );
    assert_eq!(detect_network("https://twitter.com/jane"), Some(Network::X));
    assert_eq!(detect_network("https://example.com/article"), None);
    assert_eq!(
        detect_network("https://social.example/@jane/123456"),
        Some(Network::Mastodon)
    );
    assert_eq!(detect_network("javascript:alert(1)"), None);
    assert_eq!(
        detect_network("https://www.xn--lnkedin-1fg.com/posts/x"),
        None
    );
    assert_eq!(detect_network(&"a".repeat(60_000)), None);
}
