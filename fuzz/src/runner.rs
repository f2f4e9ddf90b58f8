//! The run loop of a target: the corpus first, then generated inputs until the deadline. A
//! failing input is shrunk, written to `target/fuzz-failures/` and reported by failing the test.

use std::cell::{Cell, RefCell};
use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::Once;
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::{budget, failures_dir, seed, splitmix};

/// How long a failure may be shrunk, at most.
const SHRINK_TIME: Duration = Duration::from_secs(30);
/// How many shrinking steps, at most.
const SHRINK_STEPS: u32 = 5_000;

/// A fuzz input: printable, and writable as a file.
pub trait Input: Clone + Debug {
    /// What is written to `target/fuzz-failures/` when this input fails. For byte inputs it is
    /// the input itself, ready to be copied into the corpus as a regression seed.
    fn to_bytes(&self) -> Vec<u8>;

    /// How the input is shown in a failure report.
    fn describe(&self) -> String {
        format!("{self:#?}")
    }
}

impl Input for Vec<u8> {
    fn to_bytes(&self) -> Vec<u8> {
        self.clone()
    }

    /// The text when it is UTF-8, else the bytes with non-ASCII ones escaped.
    fn describe(&self) -> String {
        match std::str::from_utf8(self) {
            Ok(text) => format!("{text:?}"),
            Err(_) => format!("b\"{}\"", self.escape_ascii()),
        }
    }
}

/// What a target did.
#[derive(Debug, Clone)]
pub struct Summary {
    pub target: String,
    pub seed: u64,
    /// Corpus seeds replayed.
    pub corpus: usize,
    /// Generated inputs executed after the corpus.
    pub generated: u64,
    pub elapsed: Duration,
}

impl Summary {
    pub fn executed(&self) -> u64 {
        self.corpus as u64 + self.generated
    }
}

thread_local! {
    /// Set while an input runs: its panic is recorded instead of printed.
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                let message = info.payload_as_str().unwrap_or("(no message)");
                let location = info
                    .location()
                    .map_or_else(String::new, |at| format!(" at {at}"));
                LAST_PANIC.with(|last| *last.borrow_mut() = Some(format!("{message}{location}")));
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs one input: `Err` with what went wrong when it panics or breaks the property.
fn execute<T>(check: &impl Fn(&T) -> Result<(), String>, input: &T) -> Result<(), String> {
    QUIET.with(|quiet| quiet.set(true));
    let outcome = catch_unwind(AssertUnwindSafe(|| check(input)));
    QUIET.with(|quiet| quiet.set(false));
    match outcome {
        Ok(Ok(())) => Ok(()),
        Ok(Err(message)) => Err(format!("property broken: {message}")),
        Err(_) => {
            let message = LAST_PANIC.with(|last| last.borrow_mut().take());
            Err(format!(
                "panicked: {}",
                message.unwrap_or_else(|| "(no message)".into())
            ))
        }
    }
}

fn runner_for(seed: u64) -> TestRunner {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&splitmix(seed).to_le_bytes());
    bytes[8..].copy_from_slice(&splitmix(seed ^ 0x5555_5555_5555_5555).to_le_bytes());
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::XorShift, &bytes))
}

/// Shrinks a failing generated input: simpler values while it still fails.
fn shrink<T: Input>(
    tree: &mut impl ValueTree<Value = T>,
    check: &impl Fn(&T) -> Result<(), String>,
    mut failure: (T, String),
) -> (T, String) {
    let started = Instant::now();
    let mut steps = 0;
    if !tree.simplify() {
        return failure;
    }
    while steps < SHRINK_STEPS && started.elapsed() < SHRINK_TIME {
        steps += 1;
        let value = tree.current();
        match execute(check, &value) {
            Err(message) => {
                failure = (value, message);
                if !tree.simplify() {
                    break;
                }
            }
            Ok(()) => {
                if !tree.complicate() {
                    break;
                }
            }
        }
    }
    failure
}

/// Writes a failing input; returns the file written (the input's bytes) and a note beside it.
fn save_failure<T: Input>(target: &str, seed: u64, input: &T, message: &str) -> Option<PathBuf> {
    let dir = failures_dir();
    std::fs::create_dir_all(&dir).ok()?;
    let file = dir.join(format!("{target}-{seed:016x}.bin"));
    std::fs::write(&file, input.to_bytes()).ok()?;
    let note = format!(
        "target: {target}\nseed: {seed:#x}\n{message}\n\ninput: {}\n",
        input.describe()
    );
    std::fs::write(file.with_extension("txt"), note).ok()?;
    Some(file)
}

fn fail<T: Input>(target: &str, seed: u64, origin: &str, input: &T, message: &str) -> ! {
    let saved = save_failure(target, seed, input, message).map_or_else(
        || "(could not be written)".to_owned(),
        |path| path.display().to_string(),
    );
    panic!(
        "fuzz target `{target}` failed on {origin}\n{message}\n\
         input: {}\n\
         saved to: {saved}\n\
         reproduce: GUICHET_FUZZ_SEED={seed:#x} cargo test -p guichet-fuzz --test targets {target}::\n\
         (byte inputs: copy the saved .bin into fuzz/corpus/{target}/ as a regression seed)",
        input.describe()
    );
}

/// Replays `seeds`, then executes inputs of `strategy` until the target's [`budget`] is spent.
/// `check` returns `Err` when a property does not hold; panics are caught. The first failure
/// fails the calling test, with the (shrunk) input.
pub fn run<T, S, F>(target: &str, seeds: Vec<T>, strategy: S, check: F) -> Summary
where
    T: Input,
    S: Strategy<Value = T>,
    F: Fn(&T) -> Result<(), String>,
{
    install_panic_hook();
    let seed = seed(target);
    let started = Instant::now();
    let deadline = started + budget();
    let trace = std::env::var_os("GUICHET_FUZZ_TRACE").is_some();
    let trace_file = failures_dir().join(format!("{target}.current"));
    if trace {
        let _ = std::fs::create_dir_all(failures_dir());
    }
    let record = |input: &T| {
        if trace {
            let _ = std::fs::write(&trace_file, input.to_bytes());
        }
    };

    for (index, input) in seeds.iter().enumerate() {
        record(input);
        if let Err(message) = execute(&check, input) {
            fail(
                target,
                seed,
                &format!("corpus seed #{index}"),
                input,
                &message,
            );
        }
    }

    let mut runner = runner_for(seed);
    let mut generated = 0u64;
    while Instant::now() < deadline {
        let mut tree = match strategy.new_tree(&mut runner) {
            Ok(tree) => tree,
            Err(reason) => panic!("fuzz target `{target}`: the strategy gave up: {reason}"),
        };
        let input = tree.current();
        generated += 1;
        record(&input);
        if let Err(message) = execute(&check, &input) {
            let (input, message) = shrink(&mut tree, &check, (input, message));
            fail(
                target,
                seed,
                &format!("generated input #{generated} (shrunk)"),
                &input,
                &message,
            );
        }
    }

    let summary = Summary {
        target: target.to_owned(),
        seed,
        corpus: seeds.len(),
        generated,
        elapsed: started.elapsed(),
    };
    eprintln!(
        "fuzz {}: {} inputs ({} corpus seeds + {} generated) in {:.1} s, seed {:#x}",
        summary.target,
        summary.executed(),
        summary.corpus,
        summary.generated,
        summary.elapsed.as_secs_f64(),
        summary.seed
    );
    summary
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn panics_are_caught_and_reported_with_their_message() {
        install_panic_hook();
        let check = |input: &Vec<u8>| -> Result<(), String> {
            if input.first() == Some(&b'!') {
                panic!("boom on {input:?}");
            }
            if input.len() > 3 {
                return Err("too long".into());
            }
            Ok(())
        };
        assert_eq!(execute(&check, &b"ok".to_vec()), Ok(()));
        let panicked = execute(&check, &b"!".to_vec()).unwrap_err();
        assert!(panicked.starts_with("panicked: boom on [33]"), "{panicked}");
        assert!(panicked.contains("runner.rs"), "{panicked}");
        assert_eq!(
            execute(&check, &b"long".to_vec()),
            Err("property broken: too long".into())
        );
    }

    #[test]
    fn the_same_seed_draws_the_same_inputs_and_failures_shrink() {
        let strategy = proptest::collection::vec(any::<u8>(), 0..64);
        let draw = |seed| {
            let mut runner = runner_for(seed);
            (0..20)
                .map(|_| strategy.new_tree(&mut runner).map(|tree| tree.current()))
                .collect::<Result<Vec<_>, _>>()
                .unwrap_or_default()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));

        install_panic_hook();
        let check = |input: &Vec<u8>| -> Result<(), String> {
            assert!(input.iter().all(|&byte| byte < 200), "big byte");
            Ok(())
        };
        let mut runner = runner_for(1);
        let (mut tree, input) = std::iter::repeat_with(|| {
            let tree = strategy
                .new_tree(&mut runner)
                .unwrap_or_else(|_| unreachable!());
            let input = tree.current();
            (tree, input)
        })
        .find(|(_, input)| execute(&check, input).is_err())
        .unwrap_or_else(|| unreachable!());
        let (shrunk, message) = shrink(&mut tree, &check, (input, String::new()));
        assert_eq!(shrunk, vec![200]);
        assert!(message.contains("big byte"), "{message}");
    }
}
