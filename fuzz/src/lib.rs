//! Time-bounded mutation fuzzing on stable Rust, built on proptest.
//!
//! `cargo fuzz` needs a nightly toolchain; this crate gets most of its value on stable: each
//! target (one test file under `tests/`) replays its committed corpus (`corpus/<target>/`), then
//! until its time budget runs out executes inputs drawn by proptest strategies — fresh structured
//! inputs and [`mutate`]d corpus seeds (bit flips, inserted/deleted/duplicated slices, splices of
//! two seeds, interesting values: huge numbers, empty strings, invalid UTF-8, deep nesting). There
//! is no coverage feedback: the corpus and the structured strategies carry the knowledge of the
//! formats.
//!
//! - [`budget`]: `GUICHET_FUZZ_SECONDS` per target (default 2 s; CI sets more).
//! - [`seed`]: `GUICHET_FUZZ_SEED` (default: fixed per target, so a run is reproducible;
//!   `random` draws one, printed either way).
//! - [`runner::run`]: executes every input under `catch_unwind`; a panic or a broken property
//!   shrinks the input, writes it to `target/fuzz-failures/` and fails the test with it.

use std::path::PathBuf;
use std::time::Duration;

pub mod mutate;
pub mod runner;

pub use runner::{Input, Summary, run};

/// Time budget of one target when `GUICHET_FUZZ_SECONDS` is not set.
pub const DEFAULT_SECONDS: f64 = 2.0;

/// The folder of a target's seeds: `fuzz/corpus/<target>/`.
pub fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

/// Every file of `fuzz/corpus/<target>/`, in name order (an empty list when the folder is
/// missing: the target then starts from its fresh strategy alone).
pub fn corpus(target: &str) -> Vec<Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(corpus_dir(target)) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file())
        .collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|path| std::fs::read(path).ok())
        .collect()
}

/// How long each target runs: `GUICHET_FUZZ_SECONDS` (fractions allowed), else
/// [`DEFAULT_SECONDS`].
pub fn budget() -> Duration {
    std::env::var("GUICHET_FUZZ_SECONDS")
        .ok()
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
        .map_or(Duration::from_secs_f64(DEFAULT_SECONDS), |seconds| {
            Duration::from_secs_f64(seconds.min(86_400.0))
        })
}

/// The seed of a target's run: `GUICHET_FUZZ_SEED` (decimal or `0x…`; `random` for a fresh
/// one), else a fixed value derived from the target's name.
pub fn seed(target: &str) -> u64 {
    let text = std::env::var("GUICHET_FUZZ_SEED").unwrap_or_default();
    let text = text.trim();
    if text.eq_ignore_ascii_case("random") {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        return splitmix(nanos as u64 ^ u64::from(std::process::id()));
    }
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse::<u64>().ok(),
    };
    parsed.unwrap_or_else(|| {
        // FNV-1a of the name: stable across runs and platforms.
        target.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
    })
}

/// Where failing inputs are written: `<target dir>/fuzz-failures/`.
pub fn failures_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("fuzz-failures")
}

/// One step of SplitMix64: spreads a seed over all its bits.
pub(crate) fn splitmix(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `Ok` when `holds`, else the message: for the properties of a target's check.
pub fn ensure(holds: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if holds { Ok(()) } else { Err(message()) }
}

/// How many lines a text has for a YAML parser: `\n`, `\r\n`, a lone `\r`, NEL, LS and PS
/// each end one (invalid UTF-8 read as U+FFFD). The last line a problem can be reported at.
pub fn line_count(text: &[u8]) -> usize {
    let text = String::from_utf8_lossy(text);
    let mut chars = text.chars().peekable();
    let mut lines = 1;
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                lines += 1;
            }
            '\n' | '\u{85}' | '\u{2028}' | '\u{2029}' => lines += 1,
            _ => {}
        }
    }
    lines
}

/// Fuzzes a target whose input is bytes: its corpus (which must not be empty), mutations of
/// it, `fresh` structured inputs, and token soups built from `format_tokens` and
/// [`mutate::interesting`] values.
pub fn fuzz_bytes(
    target: &str,
    format_tokens: &[&str],
    fresh: proptest::strategy::BoxedStrategy<Vec<u8>>,
    check: impl Fn(&[u8]) -> Result<(), String>,
) -> Summary {
    let corpus = corpus(target);
    assert!(
        !corpus.is_empty(),
        "no seed in {}: the corpus is part of the repository",
        corpus_dir(target).display()
    );
    let strategy = mutate::bytes(&corpus, format_tokens, fresh);
    let summary = run(target, corpus, strategy, |input: &Vec<u8>| check(input));
    assert!(
        summary.generated > 0 || budget().is_zero(),
        "fuzz {target}: no input was generated within the budget"
    );
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_as_yaml_ends_them() {
        assert_eq!(line_count(b""), 1);
        assert_eq!(line_count(b"a\nb\n"), 3);
        assert_eq!(line_count(b"a\r\nb"), 2);
        assert_eq!(line_count(b"a\rb\r\rc"), 4);
        assert_eq!(line_count("a\u{2028}b\u{85}".as_bytes()), 3);
    }

    #[test]
    fn the_default_seed_is_stable_per_target() {
        if std::env::var_os("GUICHET_FUZZ_SEED").is_none() {
            assert_eq!(seed("fiche"), seed("fiche"));
            assert_ne!(seed("fiche"), seed("api_json"));
        }
    }
}
