//! Reading a render from the last one (`yaml::LastRead`, what the
//! injector's fast pipeline does) gives the tree reading the whole text
//! gives, whenever it reads it at all: from one Istio test case's render
//! to the next under the same configuration and template, and for
//! renders changed at random on one line in the ways a template's data
//! can change a line (quotes, colons, brackets, comments, anchors, block
//! indicators, numbers and YAML 1.1 words).

mod common;

use common::mix::Mix;
use injit_inject::object::yaml_documents;
use injit_inject::yaml::LastRead;
use serde_json::Value;

const TOKENS: &[&str] = &[
    "x", "\"q\"", "'s'", "a: b", "a:b", " # c", "#c", "[", "]", "{a: 1}", "[1, 2]", "- ", "&a ", "*a", "|", ">",
    "!!str ", "~", "null", "yes", "off", "0x1F", "1e3", ".inf", "-1", "0777", "\"", "'", ":", ",", "?", "%", "@", "`",
    "  ", "", "\\", "é", "😀",
];

fn whole(text: &str) -> Option<Value> {
    yaml_documents(text).ok()?.into_iter().next()
}

/// `text` with one line changed after a random column.
fn changed(text: &str, mix: &mut Mix) -> String {
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    let at = mix.below(lines.len());
    let line = &mut lines[at];
    // After the key, mostly: where a template's data lands.
    let mut cut = match line.find(": ") {
        Some(key) if mix.below(4) != 0 => key + 2,
        _ => mix.below(line.len() + 1),
    };
    while !line.is_char_boundary(cut) {
        cut -= 1;
    }
    line.truncate(cut);
    for _ in 0..=mix.below(3) {
        line.push_str(TOKENS[mix.below(TOKENS.len())]);
    }
    lines.join("\n")
}

#[test]
fn rereading_gives_what_reading_the_whole_gives() {
    let texts = common::overlays::rendered_texts();
    let mut last: std::collections::HashMap<String, LastRead> = std::collections::HashMap::new();
    let (mut reread, mut compared) = (0, 0);
    let mut mix = Mix(7);
    for (name, text) in &texts {
        let (config, template) =
            (name.split(':').next().expect("a config"), name.rsplit(':').next().expect("a template"));
        let key = format!("{config}:{template}");
        // From the last case's render under the same configuration and
        // template.
        if let Some(previous) = last.get(&key) {
            compared += 1;
            if let Some(value) = previous.reread(text) {
                assert_eq!(Some(value), whole(text), "{name}: reread from the last case's render");
                reread += 1;
            }
        }
        let Some((value, read)) = LastRead::read(text) else { continue };
        assert_eq!(Some(value), whole(text), "{name}: read with its slots");
        // From this render, changed on one line.
        for _ in 0..100 {
            let candidate = changed(text, &mut mix);
            compared += 1;
            if let Some(value) = read.reread(&candidate) {
                assert_eq!(Some(value), whole(&candidate), "{name}: reread, changed:\n{candidate}");
                reread += 1;
            }
        }
        last.insert(key, read);
    }
    assert!(compared > 10_000 && reread > 2_000, "{reread} of {compared} renders reread from the last");
}
