//! Reading the files commands are given and writing their output: `-` is
//! standard input, errors name the file, and a failed write is an error,
//! never a panic.

use std::io::{Read, Write};

/// A file's text (`-` is standard input); errors name the file.
pub fn read_input(path: &str) -> Result<String, String> {
    let (label, bytes) = if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| format!("<stdin>: {e}"))?;
        ("<stdin>", bytes)
    } else {
        (path, std::fs::read(path).map_err(|e| format!("{path}: {e}"))?)
    };
    text_of(label, bytes)
}

/// `bytes` as text; where they are not UTF-8, an error with the line and
/// byte offset of the first bad byte.
fn text_of(label: &str, bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        format!("{label}:{line}: not UTF-8 text (byte {at} is 0x{:02x})", e.as_bytes()[at])
    })
}

/// The name a file is called in messages: as given, `<stdin>` for `-`.
pub fn label(path: &str) -> &str {
    if path == "-" { "<stdin>" } else { path }
}

/// A file named in messages as given (`-` is standard input).
pub fn read_source(path: Option<&str>) -> Result<Option<injit_inject::ConfigSource>, String> {
    let Some(path) = path else { return Ok(None) };
    read_input(path).map(|text| Some(injit_inject::ConfigSource::new(label(path), text)))
}

/// The exit status of a process that stopped because its reader went
/// away: what a shell reports for one killed by SIGPIPE (128 + 13).
pub const CLOSED_PIPE: i32 = 141;

/// Writes `bytes` to standard output and flushes it. A reader that went
/// away (`| head`) ends the process quietly with [`CLOSED_PIPE`], as
/// SIGPIPE ends Unix tools (a failure `set -o pipefail` sees, and no
/// message about the reader's choice); any other failure (a full disk) is
/// an error naming `<stdout>`, never a panic (as `print!` gives) or output
/// cut short with success.
pub fn write_stdout(bytes: &[u8]) -> Result<(), String> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(CLOSED_PIPE),
        result => result.map_err(|e| format!("<stdout>: {e}")),
    }
}

/// [`write_stdout`], with the error reported; false when it failed.
pub fn print_stdout(text: &str) -> bool {
    write_stdout(text.as_bytes()).map_err(|e| eprintln!("error: cannot write {e}")).is_ok()
}

/// A report as indented JSON and a newline.
pub fn json_text(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("a serde_json::Value always serializes");
    text.push('\n');
    text
}
