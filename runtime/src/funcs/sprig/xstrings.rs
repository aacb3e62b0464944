//! huandu/xstrings' word splitting, for `snakecase` and `kebabcase`.

use injit_strconv::{RUNE_ERROR, decode_rune, encode_rune, unicode};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum WordType {
    Invalid,
    Number,
    UpperCase,
    Alphabet,
    Connector,
    Punct,
    Other,
}

fn is_connector(r: char) -> bool {
    r == '-' || r == '_' || unicode::is_space(r)
}

/// xstrings' `isAlphabet`: a letter, but not a CJK ideograph.
fn is_alphabet(r: char) -> bool {
    if !unicode::is_letter(r) {
        return false;
    }
    let c = r as u32;
    !((0x4E00..=0x9FCC).contains(&c) || (0x3400..=0x4D85).contains(&c) || (0x20000..=0x2B81D).contains(&c))
}

/// `nextValidRune`: skips invalid bytes, returning the rune and the bytes
/// consumed; at the end, `prev` with the bytes skipped.
fn next_valid_rune(s: &[u8], prev: char) -> (char, usize) {
    let mut size = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let (r, sz) = decode_rune(rest);
        let sz = sz.max(1);
        size += sz;
        if r != RUNE_ERROR {
            return (r, size);
        }
        rest = &rest[sz..];
    }
    (prev, size)
}

fn next_word(s: &[u8]) -> (WordType, &[u8], &[u8]) {
    if s.is_empty() {
        return (WordType::Invalid, &[], &[]);
    }
    let mut offset;
    let mut remaining = s;
    let (mut r, size) = next_valid_rune(remaining, RUNE_ERROR);
    offset = size;
    if r == RUNE_ERROR {
        return (WordType::Invalid, &s[..offset], &s[offset..]);
    }
    let wt;
    let mut size = size;
    // Consumes following runes while `keep` holds.
    macro_rules! run_while {
        ($keep:expr) => {
            while !remaining.is_empty() {
                let (nr, sz) = next_valid_rune(remaining, r);
                r = nr;
                size = sz;
                if !$keep(r) {
                    break;
                }
                offset += size;
                remaining = &remaining[size..];
            }
        };
    }
    if is_connector(r) {
        wt = WordType::Connector;
        remaining = &remaining[size..];
        run_while!(is_connector);
    } else if unicode::is_punct(r) {
        wt = WordType::Punct;
        remaining = &remaining[size..];
        run_while!(unicode::is_punct);
    } else if unicode::is_upper(r) {
        wt = WordType::UpperCase;
        remaining = &remaining[size..];
        if !remaining.is_empty() {
            let (nr, sz) = next_valid_rune(remaining, r);
            r = nr;
            size = sz;
            if unicode::is_upper(r) {
                let mut prev_size = size;
                offset += size;
                remaining = &remaining[size..];
                while !remaining.is_empty() {
                    let (nr, sz) = next_valid_rune(remaining, r);
                    r = nr;
                    size = sz;
                    if !unicode::is_upper(r) {
                        break;
                    }
                    prev_size = size;
                    offset += size;
                    remaining = &remaining[size..];
                }
                if !remaining.is_empty() && is_alphabet(r) {
                    offset -= prev_size;
                    remaining = &s[offset..];
                }
            } else if is_alphabet(r) {
                offset += size;
                remaining = &remaining[size..];
                run_while!(|r| is_alphabet(r) && !unicode::is_upper(r));
            }
        }
    } else if is_alphabet(r) {
        wt = WordType::Alphabet;
        remaining = &remaining[size..];
        run_while!(|r| is_alphabet(r) && !unicode::is_upper(r));
    } else if unicode::is_number(r) {
        wt = WordType::Number;
        remaining = &remaining[size..];
        run_while!(unicode::is_number);
    } else {
        wt = WordType::Other;
        remaining = &remaining[size..];
        while !remaining.is_empty() {
            let (nr, sz) = next_valid_rune(remaining, r);
            r = nr;
            size = sz;
            if size == 0 || is_connector(r) || is_alphabet(r) || unicode::is_number(r) || unicode::is_punct(r) {
                break;
            }
            offset += size;
            remaining = &remaining[size..];
        }
    }
    (wt, &s[..offset], remaining)
}

fn to_lower(out: &mut Vec<u8>, wt: WordType, word: &[u8], connector: char) {
    if wt != WordType::UpperCase && wt != WordType::Connector {
        out.extend_from_slice(word);
        return;
    }
    let mut rest = word;
    while !rest.is_empty() {
        let (r, size) = decode_rune(rest);
        rest = &rest[size.max(1)..];
        if is_connector(r) {
            encode_rune(out, connector);
        } else if unicode::is_upper(r) {
            encode_rune(out, unicode::to_lower(r));
        } else {
            encode_rune(out, r);
        }
    }
}

/// `camelCaseToLowerCase`, transcribed.
pub(super) fn camel_case_to_lower_case(s: &[u8], connector: char) -> Vec<u8> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(s.len() + 4);
    let (mut wt, mut word, mut remaining) = next_word(s);
    while !remaining.is_empty() {
        if wt != WordType::Connector {
            to_lower(&mut out, wt, word, connector);
        }
        let prev = wt;
        let last = word;
        (wt, word, remaining) = next_word(remaining);
        match prev {
            WordType::Number => {
                while wt == WordType::Alphabet || wt == WordType::Number {
                    to_lower(&mut out, wt, word, connector);
                    (wt, word, remaining) = next_word(remaining);
                }
                if wt != WordType::Invalid && wt != WordType::Punct && wt != WordType::Connector {
                    encode_rune(&mut out, connector);
                }
            }
            WordType::Connector => to_lower(&mut out, prev, last, connector),
            WordType::Punct => {}
            _ => {
                if wt != WordType::Number {
                    if wt != WordType::Connector && wt != WordType::Punct {
                        encode_rune(&mut out, connector);
                    }
                    continue;
                }
                if remaining.is_empty() {
                    continue;
                }
                let last = word;
                (wt, word, remaining) = next_word(remaining);
                if wt != WordType::Alphabet {
                    to_lower(&mut out, WordType::Number, last, connector);
                    if wt != WordType::Connector && wt != WordType::Punct {
                        encode_rune(&mut out, connector);
                    }
                    continue;
                }
                encode_rune(&mut out, connector);
                to_lower(&mut out, WordType::Number, last, connector);
                while wt == WordType::Alphabet || wt == WordType::Number {
                    to_lower(&mut out, wt, word, connector);
                    (wt, word, remaining) = next_word(remaining);
                }
                if wt != WordType::Invalid && wt != WordType::Connector && wt != WordType::Punct {
                    encode_rune(&mut out, connector);
                }
            }
        }
    }
    to_lower(&mut out, wt, word, connector);
    out
}

#[cfg(test)]
mod tests {
    use super::camel_case_to_lower_case as lower;

    #[test]
    fn splits_words_like_xstrings() {
        assert_eq!(lower(b"FooBar", '_'), b"foo_bar");
        assert_eq!(lower(b"HTTPServer", '_'), b"http_server");
        assert_eq!(lower(b"foo-bar", '_'), b"foo_bar");
        assert_eq!(lower(b"FooBar", '-'), b"foo-bar");
        // Go's xstrings separates a digit run from the letters before it.
        assert_eq!(lower(b"abc123def", '_'), b"abc_123def");
        assert_eq!(lower(b"a1B2", '_'), b"a1_b2");
    }
}
