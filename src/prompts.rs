//! Prompt packs: the questions leaders are asked, from the built-in pack or a TOML file of the team's own.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The built-in pack, compiled into the binary so a deployment needs no `bots/` directory.
const DEFAULT_PACK: &str = include_str!("../bots/prompts/default.toml");

/// A named set of questions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptPack {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub prompts: Vec<Prompt>,
}

/// One question. The key is stable across edits of the text, so "which leader saw which" survives rewording.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prompt {
    pub key: String,
    pub text: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PromptPackError {
    #[error("cannot read prompt pack {path}: {source} (write \"default\" for the built-in pack, or a path relative to the config file such as \"bots/prompts/mine.toml\")")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("prompt pack {origin} is not valid: {message}")]
    Invalid { origin: String, message: String },
}

impl PromptPack {
    /// `default` is the built-in pack; anything else is a TOML file, relative to `base_dir` unless absolute.
    pub fn load(name_or_path: &str, base_dir: &Path) -> Result<PromptPack, PromptPackError> {
        if name_or_path == "default" {
            return Self::parse(DEFAULT_PACK, "default (built in)");
        }
        let path = base_dir.join(name_or_path);
        let text = std::fs::read_to_string(&path).map_err(|source| PromptPackError::Read {
            path: path.clone(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// Parses and checks a pack: at least one prompt, unique non-empty keys, non-empty texts.
    pub fn parse(text: &str, origin: &str) -> Result<PromptPack, PromptPackError> {
        let invalid = |message: String| PromptPackError::Invalid {
            origin: origin.to_string(),
            message,
        };
        let pack: PromptPack = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if pack.prompts.is_empty() {
            return Err(invalid(
                "it has no [[prompts]]: add at least one with key and text".into(),
            ));
        }
        let mut keys = std::collections::HashSet::new();
        for (i, prompt) in pack.prompts.iter().enumerate() {
            if prompt.key.trim().is_empty() || prompt.text.trim().is_empty() {
                return Err(invalid(format!(
                    "prompts[{i}] needs a non-empty key and text"
                )));
            }
            if !keys.insert(prompt.key.as_str()) {
                return Err(invalid(format!(
                    "prompts[{i}].key \"{}\" is used twice: keys must be unique",
                    prompt.key
                )));
            }
        }
        Ok(pack)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_pack_has_a_year_of_questions() {
        let pack = PromptPack::load("default", Path::new(".")).unwrap();
        assert!(pack.prompts.len() >= 52, "{} prompts", pack.prompts.len());
        assert!(pack.prompts.iter().all(|p| !p.tags.is_empty()));
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let text = "name = \"x\"\n[[prompts]]\nkey = \"a\"\ntext = \"one\"\n[[prompts]]\nkey = \"a\"\ntext = \"two\"\n";
        let err = PromptPack::parse(text, "test").unwrap_err().to_string();
        assert!(err.contains("used twice"), "{err}");
    }

    #[test]
    fn missing_file_says_what_to_write() {
        let err = PromptPack::load("nope.toml", Path::new("/nonexistent"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"default\""), "{err}");
    }
}
