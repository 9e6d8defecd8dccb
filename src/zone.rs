//! IANA time zone names: parsing with a did-you-mean for the ones people mistype.

use chrono_tz::Tz;

/// A zone name that is not in the IANA database, with the closest real name when one is close enough.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone \"{input}\"{}", suggestion_text(.suggestion))]
pub struct UnknownZone {
    pub input: String,
    pub suggestion: Option<&'static str>,
}

fn suggestion_text(suggestion: &Option<&'static str>) -> String {
    match suggestion {
        Some(name) => format!(" — did you mean \"{name}\"?"),
        None => " — use an IANA name such as \"Europe/Paris\" or \"America/New_York\"".to_string(),
    }
}

/// Parses an IANA zone name such as `Europe/Berlin`. Case mistakes and small typos get a suggestion.
pub fn parse_zone(input: &str) -> Result<Tz, UnknownZone> {
    let trimmed = input.trim();
    if let Ok(zone) = trimmed.parse::<Tz>() {
        return Ok(zone);
    }
    Err(UnknownZone {
        input: input.to_string(),
        suggestion: closest_zone(trimmed),
    })
}

/// The most similar zone name, if any is similar enough to be a plausible typo.
fn closest_zone(input: &str) -> Option<&'static str> {
    let wanted = input.to_ascii_lowercase().replace(' ', "_");
    let mut best: Option<(&'static str, f64)> = None;
    for zone in chrono_tz::TZ_VARIANTS.iter() {
        let name = zone.name();
        let lower = name.to_ascii_lowercase();
        // A bare city ("paris") is as good as the full name.
        let city = lower.rsplit('/').next().unwrap_or(&lower);
        let score = strsim::jaro_winkler(&wanted, &lower).max(if wanted.contains('/') {
            0.0
        } else {
            strsim::jaro_winkler(&wanted, city)
        });
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((name, score));
        }
    }
    best.filter(|(_, score)| *score >= 0.85)
        .map(|(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_zone_parses() {
        assert_eq!(parse_zone("Asia/Kathmandu"), Ok(chrono_tz::Asia::Kathmandu));
    }

    #[test]
    fn typo_gets_suggestion() {
        let err = parse_zone("Europe/Pariss").unwrap_err();
        assert_eq!(err.suggestion, Some("Europe/Paris"));
        assert!(err.to_string().contains("did you mean \"Europe/Paris\""));
    }

    #[test]
    fn wrong_case_and_bare_city_get_suggestions() {
        assert_eq!(
            parse_zone("europe/berlin").unwrap_err().suggestion,
            Some("Europe/Berlin")
        );
        assert_eq!(
            parse_zone("Tokyo").unwrap_err().suggestion,
            Some("Asia/Tokyo")
        );
        assert_eq!(
            parse_zone("new york").unwrap_err().suggestion,
            Some("America/New_York")
        );
    }

    #[test]
    fn nonsense_gets_an_example_instead() {
        let err = parse_zone("qqqqqqqqqqqqqqqqqq").unwrap_err();
        assert_eq!(err.suggestion, None);
        assert!(err.to_string().contains("IANA name"));
    }
}
