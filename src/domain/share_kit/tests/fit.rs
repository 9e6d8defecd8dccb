use super::super::*;
use unicode_segmentation::UnicodeSegmentation;

const URL: &str = "https://blog.example.com/2025/05/why-we-write-every-week";

fn separator(network: Network) -> Option<&'static str> {
    match network {
        Network::X => Some(" "),
        Network::Bluesky | Network::Threads | Network::Mastodon => Some("\n\n"),
        Network::Linkedin | Network::Facebook => None,
    }
}

/// Checks every promise of `fit` and returns the result: it fits (unless the link alone cannot),
/// its body is the original up to a grapheme boundary, and `shortened` says whether it had to be.
fn check(network: Network, text: &str, url: Option<&str>, limit_override: Option<usize>) -> Fitted {
    let fitted = fit(network, text, url, limit_override);
    let limit = limit(network, limit_override);
    let joined = separator(network).zip(url);
    let body = match joined {
        Some((_, url)) if fitted.text == url => "",
        Some((sep, url)) => fitted
            .text
            .strip_suffix(&format!("{sep}{url}"))
            .unwrap_or_else(|| panic!("{network}: link not appended: {:?}", fitted.text)),
        None => fitted.text.as_str(),
    };
    let whole = if joined.is_some() {
        text.trim_end()
    } else {
        text
    };
    let render = |body: &str| match joined {
        Some((_, url)) if body.is_empty() => url.to_string(),
        Some((sep, url)) => format!("{body}{sep}{url}"),
        None => body.to_string(),
    };
    let needed = limit.is_some_and(|limit| length(network, &render(whole)) > limit);
    assert_eq!(
        fitted.shortened, needed,
        "{network}: shortened flag for {text:?}"
    );
    if !needed {
        assert_eq!(body, whole, "{network}: a text that fits is kept as is");
        return fitted;
    }
    let kept = body.strip_suffix(ELLIPSIS).unwrap_or(body);
    assert!(
        kept.is_empty() || body.ends_with(ELLIPSIS),
        "{network}: cut without an ellipsis"
    );
    assert!(
        text.starts_with(kept),
        "{network}: {kept:?} is not a prefix of {text:?}"
    );
    assert!(
        kept.is_empty() || text.grapheme_indices(true).any(|(at, _)| at == kept.len()),
        "{network}: cut inside a grapheme: {kept:?}"
    );
    let link_alone = length(network, &render(""));
    if let Some(limit) = limit.filter(|&l| l >= link_alone) {
        assert!(
            length(network, &fitted.text) <= limit,
            "{network}: {} > {limit} for {:?}",
            length(network, &fitted.text),
            fitted.text
        );
    }
    fitted
}

#[test]
fn text_exactly_at_the_limit_is_unchanged() {
    for (network, limit) in [
        (Network::X, 280),
        (Network::Bluesky, 300),
        (Network::Threads, 500),
        (Network::Mastodon, 500),
    ] {
        let text = "a".repeat(limit);
        let fitted = check(network, &text, None, None);
        assert_eq!(
            fitted,
            Fitted {
                text: text.clone(),
                shortened: false
            }
        );
        let over = check(network, &"a".repeat(limit + 1), None, None);
        assert!(over.shortened);
        assert!(over.text.ends_with(ELLIPSIS));
        assert_eq!(length(network, &over.text), limit);
    }
}

#[test]
fn x_accounts_for_the_link_as_23_and_a_space() {
    let text = "b".repeat(256);
    let fitted = check(Network::X, &text, Some(URL), None);
    assert!(!fitted.shortened);
    assert_eq!(fitted.text, format!("{text} {URL}"));
    assert_eq!(x_weighted_length(&fitted.text), 280);
    let fitted = check(Network::X, &"b".repeat(257), Some(URL), None);
    assert!(fitted.shortened);
    assert_eq!(x_weighted_length(&fitted.text), 280, "'…' weighs 2 on X");
}

#[test]
fn bluesky_counts_the_link_in_full() {
    let text = "c".repeat(300 - 2 - URL.len());
    assert!(!check(Network::Bluesky, &text, Some(URL), None).shortened);
    let fitted = check(Network::Bluesky, &format!("{text}c"), Some(URL), None);
    assert!(fitted.shortened);
    assert_eq!(grapheme_length(&fitted.text), 300);
}

#[test]
fn mastodon_takes_the_instance_limit() {
    let text = "word ".repeat(200);
    let fitted = check(Network::Mastodon, &text, Some(URL), Some(100));
    assert!(fitted.shortened);
    assert!(mastodon_length(&fitted.text) <= 100);
    assert!(fitted.text.ends_with(&format!("word…\n\n{URL}")));
    assert!(!check(Network::Mastodon, &text, Some(URL), Some(5_000)).shortened);
}

#[test]
fn linkedin_and_facebook_keep_the_copy_block_as_is() {
    let text = "An insight. ".repeat(500);
    for network in [Network::Linkedin, Network::Facebook] {
        let fitted = check(network, &text, Some(URL), None);
        assert_eq!(
            fitted,
            Fitted {
                text: text.clone(),
                shortened: false
            }
        );
    }
}

#[test]
fn a_5000_character_insight_fits_every_network() {
    let sentence = "Leaders who write every week think more clearly about their craft. ";
    let text = sentence.repeat(5_000 / sentence.len() + 1);
    for network in Network::ALL {
        check(*network, &text, Some(URL), None);
        check(*network, &text, None, None);
    }
    let fitted = check(Network::X, &text, Some(URL), None);
    assert!(fitted.text.starts_with("Leaders who write"));
    assert!(
        fitted.text.ends_with(&format!("craft… {URL}")),
        "{}",
        fitted.text
    );
}

#[test]
fn cuts_at_a_sentence_end_near_the_limit() {
    let first = "x".repeat(200) + ".";
    let text = format!(
        "{first} Then a second sentence that runs on{}.",
        " and on".repeat(20)
    );
    let fitted = check(Network::X, &text, None, None);
    assert_eq!(fitted.text, format!("{}…", "x".repeat(200)));
}

#[test]
fn cuts_at_a_word_when_no_sentence_end_is_close() {
    let text = format!("{} {}", "Short.", "lorem ipsum ".repeat(40));
    let fitted = check(Network::X, &text, None, None);
    assert!(
        fitted.text.ends_with("ipsum…") || fitted.text.ends_with("lorem…"),
        "{}",
        fitted.text
    );
    assert!(x_weighted_length(&fitted.text) > 270);
}

#[test]
fn text_without_spaces_is_cut_at_a_grapheme() {
    let cjk = "日本語の文章".repeat(100);
    let fitted = check(Network::X, &cjk, None, None);
    assert_eq!(x_weighted_length(&fitted.text), 280);
    let fitted = check(Network::Bluesky, &cjk, Some(URL), None);
    assert_eq!(grapheme_length(&fitted.text), 300);
    let token = "z".repeat(5_000);
    assert_eq!(
        check(Network::Threads, &token, None, None).text,
        format!("{}…", "z".repeat(499))
    );
}

#[test]
fn never_splits_emoji_or_combining_marks() {
    for unit in [
        "👨‍👩‍👧‍👦",
        "🇫🇷",
        "e\u{301}\u{323}",
        "👍🏽",
        "1️⃣",
        "🏴󠁧󠁢󠁥󠁮󠁧󠁿",
        "ก\u{E31}\u{E49}",
    ] {
        for pad in 0..4 {
            let text = format!("{}{}", "a".repeat(pad), unit.repeat(400));
            for network in Network::ALL {
                check(*network, &text, None, Some(97));
                check(*network, &text, Some(URL), None);
            }
        }
    }
}

#[test]
fn rtl_and_invisible_characters_fit_and_are_trimmed_before_the_ellipsis() {
    let text = "שלום עולם \u{200F}مرحبا\u{200B} ".repeat(60);
    for network in Network::ALL {
        let fitted = check(*network, &text, Some(URL), None);
        if fitted.shortened {
            let body = fitted.text.split(ELLIPSIS).next().unwrap_or("");
            assert!(
                !body.ends_with(['\u{200F}', '\u{200B}', ' ']),
                "{network}: {body:?}"
            );
        }
    }
}

#[test]
fn trailing_punctuation_goes_before_the_ellipsis() {
    let text = format!("{}, and then — more", "w".repeat(275));
    assert_eq!(
        check(Network::X, &text, None, None).text,
        format!("{}…", "w".repeat(275))
    );
}

#[test]
fn links_in_the_text_are_never_cut() {
    let link = format!("https://example.com/{}", "p".repeat(60));
    let text = format!("{} {link} tail", "word ".repeat(50));
    for limit in 240..300 {
        let fitted = check(Network::Bluesky, &text, None, Some(limit));
        assert!(
            !fitted.text.contains("https://") || fitted.text.contains(&link),
            "{}",
            fitted.text
        );
    }
    let glued = format!("{}{link}{}", "字".repeat(120), "字".repeat(120));
    let fitted = check(Network::X, &glued, None, None);
    assert!(!fitted.text.contains("https://") || fitted.text.contains(&link));
}

#[test]
fn a_link_too_long_for_the_limit_is_kept_whole() {
    let fitted = fit(Network::Bluesky, "text", Some(URL), Some(10));
    assert_eq!(
        fitted,
        Fitted {
            text: URL.to_string(),
            shortened: true
        }
    );
    assert_eq!(
        fit(Network::X, "", Some(URL), None),
        Fitted {
            text: URL.to_string(),
            shortened: false
        }
    );
    assert_eq!(
        fit(Network::X, "text", None, Some(0)),
        Fitted {
            text: String::new(),
            shortened: true
        }
    );
}

/// A fixed corpus mixed by a fixed seed: every network, with and without a link, at the
/// network's limit and at small limits that force cuts everywhere.
#[test]
fn every_fitted_text_fits_and_is_a_prefix() {
    let pieces = [
        "Leadership",
        "is",
        "a",
        "practice.",
        "日本語の文章",
        "한국어",
        "שלום",
        "\u{200F}مرحبا",
        "👨‍👩‍👧‍👦",
        "👍🏽",
        "🇫🇷",
        "1️⃣",
        "e\u{301}",
        "\u{200B}",
        "\u{200D}",
        "—",
        "…",
        "“quoted”",
        "(aside)",
        "https://example.com/a?b=c",
        "example.org",
        "https://例え.jp/x",
        "@someone",
        "#hashtag",
        "\r\n",
        "\n\n",
        "!",
        "?",
        "ไทย",
        "Vie\u{0302}\u{0323}t",
        "\u{0}",
        "ｘｙｚ",
        "🏴󠁧󠁢󠁥󠁮󠁧󠁿",
        "ก\u{E31}\u{E49}",
        "x".repeat(40).leak(),
    ];
    let mut seed: u64 = 0x5eed_cafe_f00d;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut shortened = 0;
    for round in 0..250 {
        let words = (next() % 160) as usize + 1;
        let mut text = String::new();
        for _ in 0..words {
            text.push_str(pieces[(next() % pieces.len() as u64) as usize]);
            if next() % 4 != 0 {
                text.push(' ');
            }
        }
        let small = Some((next() % 120) as usize + 5);
        for network in Network::ALL {
            for url in [None, Some(URL)] {
                let override_ = if round % 2 == 0 { small } else { None };
                shortened += usize::from(check(*network, &text, url, override_).shortened);
            }
        }
    }
    assert!(
        shortened > 500,
        "the corpus should force many cuts, got {shortened}"
    );
}

#[test]
fn hostile_text_fits_without_panic() {
    let hostile = [
        "a".repeat(50_000),
        format!("a{}", "\u{301}".repeat(25_000)),
        "\u{200D}".repeat(20_000),
        "👨‍".repeat(8_000),
        "\u{202E}\u{200F}\u{0}\u{7} ".repeat(5_000),
        "https://a.com/".repeat(3_000),
        "🇦".repeat(10_000),
        "   ".repeat(10_000),
        "...".repeat(10_000),
    ];
    for text in &hostile {
        for network in Network::ALL {
            check(*network, text, Some(URL), None);
        }
    }
}
