//! Mutations of corpus seeds, as proptest strategies (so that a failing input shrinks towards
//! its seed: fewer mutations, earlier positions).

use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;

/// One edit of a byte string. Positions and choices are any `usize`, taken modulo the current
/// length (so they shrink towards the start).
#[derive(Debug, Clone)]
pub enum Mutation {
    FlipBit {
        at: usize,
        bit: u8,
    },
    SetByte {
        at: usize,
        byte: u8,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Delete {
        at: usize,
        len: usize,
    },
    /// Copies a slice of the input somewhere else in it.
    Duplicate {
        from: usize,
        len: usize,
        to: usize,
    },
    /// Keeps the input up to a cut and continues with another seed from its own cut.
    Splice {
        other: usize,
        cut: usize,
        other_cut: usize,
    },
    /// Replaces a slice with an interesting token.
    Replace {
        at: usize,
        len: usize,
        token: usize,
    },
    InsertToken {
        at: usize,
        token: usize,
    },
}

/// Values that break parsers: huge and odd numbers, empty and special strings, invalid UTF-8,
/// deep nesting, very long values. Targets add the keys and words of their format.
pub fn interesting() -> Vec<Vec<u8>> {
    let mut tokens: Vec<Vec<u8>> = [
        "",
        "0",
        "-0",
        "-1",
        "1e999",
        "-1e999",
        "1e-400",
        "NaN",
        "nan",
        "inf",
        "-inf",
        "Infinity",
        "0x7fffffff",
        "2147483648",
        "4294967296",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "99999999999999999999999999999999999999999",
        "1.7976931348623157e308",
        "0.1e-2147483649",
        "null",
        "true",
        "~",
        "\"",
        "'",
        "\\",
        "\\u0000",
        "\\ud800",
        "\0",
        "\u{feff}",
        "\u{202e}",
        "é",
        "🙂",
        "\r\n",
        "\n",
        "\t",
        " ",
        "%",
        "%ZZ",
        "%00",
        "%FF",
        "&",
        "=",
        "+",
        ":",
        ",",
        ";",
        "#",
        "---\n",
        "...\n",
        "[",
        "]",
        "{",
        "}",
        "*a",
        "&a ",
        "!!binary ",
        "<<: ",
    ]
    .iter()
    .map(|token| token.as_bytes().to_vec())
    .collect();
    tokens.extend([
        vec![0xff],
        vec![0xfe, 0xff],
        vec![0xc3],
        vec![0xc0, 0x80],
        vec![0xed, 0xa0, 0x80],
        vec![0xf4, 0x90, 0x80, 0x80],
        "[".repeat(3000).into_bytes(),
        "{".repeat(3000).into_bytes(),
        "{\"a\":".repeat(1000).into_bytes(),
        "- ".repeat(1000).into_bytes(),
        (0..200)
            .map(|depth| format!("{}a:\n", "  ".repeat(depth)))
            .collect::<String>()
            .into_bytes(),
        "a".repeat(20_000).into_bytes(),
        "é".repeat(3000).into_bytes(),
        "9".repeat(400).into_bytes(),
    ]);
    tokens
}

/// One mutation of any kind.
pub fn mutation() -> impl Strategy<Value = Mutation> {
    let len = 0usize..64;
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::SetByte { at, byte }),
        (any::<usize>(), vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), len.clone()).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), len.clone(), any::<usize>())
            .prop_map(|(from, len, to)| Mutation::Duplicate { from, len, to }),
        (any::<usize>(), any::<usize>(), any::<usize>()).prop_map(|(other, cut, other_cut)| {
            Mutation::Splice {
                other,
                cut,
                other_cut,
            }
        }),
        (any::<usize>(), len, any::<usize>()).prop_map(|(at, len, token)| Mutation::Replace {
            at,
            len,
            token
        }),
        (any::<usize>(), any::<usize>())
            .prop_map(|(at, token)| Mutation::InsertToken { at, token }),
    ]
}

/// `choice` taken modulo `len` (`len` must not be 0).
fn pick(choice: usize, len: usize) -> usize {
    choice % len
}

/// Applies one mutation in place (those needing a second seed or a token are skipped when
/// `corpus` or `tokens` is empty).
pub fn apply(input: &mut Vec<u8>, mutation: &Mutation, corpus: &[Vec<u8>], tokens: &[Vec<u8>]) {
    let gap = |at: usize, input: &Vec<u8>| pick(at, input.len() + 1);
    match *mutation {
        Mutation::FlipBit { at, bit } => {
            if !input.is_empty() {
                let at = pick(at, input.len());
                input[at] ^= 1 << (bit % 8);
            }
        }
        Mutation::SetByte { at, byte } => {
            if !input.is_empty() {
                let at = pick(at, input.len());
                input[at] = byte;
            }
        }
        Mutation::Insert { at, ref bytes } => {
            let at = gap(at, input);
            input.splice(at..at, bytes.iter().copied());
        }
        Mutation::Delete { at, len } => {
            let start = gap(at, input);
            let end = (start + len).min(input.len());
            input.drain(start..end);
        }
        Mutation::Duplicate { from, len, to } => {
            let start = gap(from, input);
            let end = (start + len).min(input.len());
            let slice = input[start..end].to_vec();
            let to = gap(to, input);
            input.splice(to..to, slice);
        }
        Mutation::Splice {
            other,
            cut,
            other_cut,
        } => {
            if corpus.is_empty() {
                return;
            }
            let other = &corpus[pick(other, corpus.len())];
            let cut = gap(cut, input);
            let other_cut = pick(other_cut, other.len() + 1);
            input.truncate(cut);
            input.extend_from_slice(&other[other_cut..]);
        }
        Mutation::Replace { at, len, token } => {
            if tokens.is_empty() {
                return;
            }
            let start = gap(at, input);
            let end = (start + len).min(input.len());
            let token = &tokens[pick(token, tokens.len())];
            input.splice(start..end, token.iter().copied());
        }
        Mutation::InsertToken { at, token } => {
            if tokens.is_empty() {
                return;
            }
            let at = gap(at, input);
            let token = &tokens[pick(token, tokens.len())];
            input.splice(at..at, token.iter().copied());
        }
    }
}

/// A corpus seed with one to eight mutations applied. `corpus` must not be empty.
pub fn mutated(
    corpus: Arc<Vec<Vec<u8>>>,
    tokens: Arc<Vec<Vec<u8>>>,
) -> impl Strategy<Value = Vec<u8>> {
    (any::<usize>(), vec(mutation(), 1..8)).prop_map(move |(seed, mutations)| {
        let mut input = corpus[pick(seed, corpus.len())].clone();
        for mutation in &mutations {
            apply(&mut input, mutation, &corpus, &tokens);
        }
        input
    })
}

/// A concatenation of tokens (format keywords and interesting values), for formats where
/// the vocabulary matters more than the bytes.
pub fn tokens_joined(tokens: Arc<Vec<Vec<u8>>>) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<usize>(), 0..24).prop_map(move |picks| {
        picks
            .iter()
            .flat_map(|&choice| tokens[pick(choice, tokens.len())].iter().copied())
            .collect()
    })
}

/// Byte inputs for a target: mutated seeds (when there are any), the target's fresh structured
/// inputs, token soups and raw random bytes.
pub fn bytes(
    corpus: &[Vec<u8>],
    format_tokens: &[&str],
    fresh: BoxedStrategy<Vec<u8>>,
) -> BoxedStrategy<Vec<u8>> {
    let mut tokens = interesting();
    tokens.extend(format_tokens.iter().map(|token| token.as_bytes().to_vec()));
    let tokens = Arc::new(tokens);
    let random = vec(any::<u8>(), 0..512);
    let soup = tokens_joined(tokens.clone());
    if corpus.is_empty() {
        return prop_oneof![4 => fresh, 1 => soup, 1 => random].boxed();
    }
    let mutated = mutated(Arc::new(corpus.to_vec()), tokens);
    prop_oneof![5 => mutated, 3 => fresh, 1 => soup, 1 => random].boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_stay_in_bounds_and_do_what_they_say() {
        let corpus = vec![b"abc".to_vec(), b"XYZ".to_vec()];
        let tokens = vec![b"<tok>".to_vec()];
        let mut input = b"hello".to_vec();
        apply(
            &mut input,
            &Mutation::Delete { at: 1, len: 100 },
            &corpus,
            &tokens,
        );
        assert_eq!(input, b"h");
        apply(
            &mut input,
            &Mutation::InsertToken { at: 1, token: 0 },
            &corpus,
            &tokens,
        );
        assert_eq!(input, b"h<tok>");
        apply(
            &mut input,
            &Mutation::Splice {
                other: 1,
                cut: 1,
                other_cut: 2,
            },
            &corpus,
            &tokens,
        );
        assert_eq!(input, b"hZ");
        let mut empty = Vec::new();
        apply(
            &mut empty,
            &Mutation::FlipBit { at: 0, bit: 3 },
            &corpus,
            &tokens,
        );
        assert!(empty.is_empty());
    }
}
