//! Where each item of a `List` document starts, so that findings and
//! errors about one item name its line rather than the List's.

use saphyr_parser::{Event, Parser};

/// The 1-based line, within `text` (one YAML document), of each entry of
/// its top-level `items` sequence; empty when the text is not such a
/// List or not YAML.
pub(crate) fn item_lines(text: &str) -> Vec<usize> {
    let mut parser = Parser::new_from_str(text);
    let mut lines = Vec::new();
    // Nesting depth; at depth 1 (the root mapping's entries) whether the
    // next scalar is a key, and whether the last key was `items`; whether
    // the sequence being read is that key's value.
    let (mut depth, mut expect_key, mut key_is_items, mut in_items) = (0usize, false, false, false);
    while let Some(Ok((event, span))) = parser.next_event() {
        match event {
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if depth == 1 {
                    in_items = key_is_items && matches!(event, Event::SequenceStart(..));
                } else if depth == 2 && in_items {
                    lines.push(span.start.line());
                }
                depth += 1;
                expect_key = depth == 1;
            }
            Event::MappingEnd | Event::SequenceEnd => {
                depth = depth.saturating_sub(1);
                if depth == 1 {
                    (in_items, expect_key) = (false, true);
                }
            }
            Event::Scalar(value, ..) if depth == 1 => {
                if expect_key {
                    key_is_items = value == "items";
                }
                expect_key = !expect_key;
            }
            Event::Scalar(..) if depth == 2 && in_items => lines.push(span.start.line()),
            _ => {}
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::item_lines;

    #[test]
    fn each_item_has_its_own_line() {
        let text = "apiVersion: v1\nkind: List\nitems:\n- kind: Service\n  metadata: {name: a}\n- kind: Pod\n  metadata:\n    name: b\nother: [1, 2]\n";
        assert_eq!(item_lines(text), [4, 6]);
        assert_eq!(item_lines("kind: List\nmetadata: {}\nitems: [{kind: Pod}, {kind: Service}]\n"), [3, 3]);
        assert_eq!(item_lines("kind: Pod\n"), Vec::<usize>::new());
        assert_eq!(item_lines(": : ["), Vec::<usize>::new());
    }
}
