//! Go's `unicode` predicates and simple case mappings, from tables generated
//! with Go itself (`tools/unicode-tables`), so results follow Go's Unicode
//! version rather than Rust's.

use crate::tables;

fn in_ranges(table: &[(u32, u32)], r: u32) -> bool {
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < r {
                std::cmp::Ordering::Less
            } else if lo > r {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

fn map(table: &[(u32, u32, i32, u32)], r: char) -> char {
    let c = r as u32;
    let idx = table.partition_point(|&(_, hi, _, _)| hi < c);
    if let Some(&(lo, hi, delta, stride)) = table.get(idx)
        && lo <= c
        && c <= hi
        && (c - lo).is_multiple_of(stride)
    {
        return char::from_u32((c as i64 + delta as i64) as u32).unwrap_or(r);
    }
    r
}

/// `strconv.IsPrint`.
pub fn is_print(r: char) -> bool {
    in_ranges(tables::PRINT, r as u32)
}
/// `unicode.IsGraphic`.
pub fn is_graphic(r: char) -> bool {
    in_ranges(tables::GRAPHIC, r as u32)
}
/// `unicode.IsLetter`.
pub fn is_letter(r: char) -> bool {
    if r.is_ascii() {
        return r.is_ascii_alphabetic();
    }
    in_ranges(tables::LETTER, r as u32)
}
/// `unicode.IsDigit`.
pub fn is_digit(r: char) -> bool {
    if r.is_ascii() {
        return r.is_ascii_digit();
    }
    in_ranges(tables::DIGIT, r as u32)
}
/// `unicode.IsSpace`.
pub fn is_space(r: char) -> bool {
    in_ranges(tables::SPACE, r as u32)
}
/// `unicode.IsUpper`.
pub fn is_upper(r: char) -> bool {
    in_ranges(tables::UPPER, r as u32)
}
/// `unicode.IsLower`.
pub fn is_lower(r: char) -> bool {
    in_ranges(tables::LOWER, r as u32)
}
/// `unicode.IsTitle`.
pub fn is_title(r: char) -> bool {
    in_ranges(tables::TITLE, r as u32)
}
/// `unicode.IsPunct`.
pub fn is_punct(r: char) -> bool {
    in_ranges(tables::PUNCT, r as u32)
}
/// `unicode.IsNumber`.
pub fn is_number(r: char) -> bool {
    in_ranges(tables::NUMBER, r as u32)
}
/// `unicode.ToUpper`: one rune to one rune, as Go maps case.
pub fn to_upper(r: char) -> char {
    if r.is_ascii() {
        return r.to_ascii_uppercase();
    }
    map(tables::TO_UPPER, r)
}
/// `unicode.ToLower`.
pub fn to_lower(r: char) -> char {
    if r.is_ascii() {
        return r.to_ascii_lowercase();
    }
    map(tables::TO_LOWER, r)
}
/// `unicode.ToTitle`.
pub fn to_title(r: char) -> char {
    if r.is_ascii() {
        return r.to_ascii_uppercase();
    }
    map(tables::TO_TITLE, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_follow_go() {
        assert!(is_print(' ') && is_print('é') && !is_print('\u{7f}') && !is_print('\u{a0}'));
        assert!(is_letter('é') && !is_letter('1') && is_digit('٣'));
        assert_eq!(to_upper('ß'), 'ß');
        assert_eq!(to_upper('é'), 'É');
        assert_eq!(to_lower('Σ'), 'σ');
        assert_eq!(to_title('ǆ'), 'ǅ');
        assert_eq!(to_upper('ǆ'), 'Ǆ');
    }
}
