//! `injit certs`: a CA and a serving certificate for the webhook's
//! Service, and the `caBundle` that makes the API server trust it.

use std::path::Path;
use std::time::Duration;

use injit_webhook::certs::{Authority, issue, service_names};

use crate::exit::{Code, CommandResult, Failure};
use crate::io::print_stdout;

/// What to issue.
#[derive(clap::Args)]
#[command(after_help = crate::exit::CERTS)]
pub struct Args {
    /// The webhook's Service
    #[arg(long, default_value = "injit-webhook")]
    pub service: String,
    /// The Service's namespace
    #[arg(long, default_value = "istio-system")]
    pub namespace: String,
    /// More DNS names or IP addresses for the certificate
    #[arg(long = "name", value_name = "NAME")]
    pub names: Vec<String>,
    /// How long the certificates are valid
    #[arg(long, default_value_t = 365)]
    pub days: u64,
    /// Where `ca.crt`, `ca.key` (a new CA's), `tls.crt` and `tls.key` are
    /// written
    #[arg(long = "out-dir", value_name = "DIR")]
    pub out_dir: String,
    /// Sign with this CA certificate (PEM) instead of a new CA; with
    /// `--ca-key`
    #[arg(long = "ca-cert", value_name = "FILE", requires = "ca_key", conflicts_with = "renew")]
    pub ca_cert: Option<String>,
    /// The key of `--ca-cert` (PEM)
    #[arg(long = "ca-key", value_name = "FILE", requires = "ca_cert")]
    pub ca_key: Option<String>,
    /// Renew the serving certificate under the CA already in the output
    /// directory (its `ca.crt` and `ca.key`): the caBundle stays valid
    #[arg(long)]
    pub renew: bool,
    /// Replace certificates already in the output directory
    #[arg(long)]
    pub force: bool,
    /// A manifest (the MutatingWebhookConfiguration) to print with every
    /// `caBundle:` filled; without it the caBundle alone is printed
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<String>,
}

/// Issues the certificates and prints the `caBundle` or the manifest.
pub fn run(args: Args) -> CommandResult {
    let text = issue_files(&args)?;
    if print_stdout(&text) { Ok(Code::OK) } else { Err(Failure::reported(Code::INPUT)) }
}

fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path).map_err(|e| input(format!("{}: {e}", path.display())))
}

/// A file that could not be read, used or written.
fn input(message: String) -> Failure {
    Failure::new(Code::INPUT, format!("error: {message}"))
}

/// Writes the certificates into the output directory and returns what to
/// print: the filled manifest, or the bare `caBundle`. Everything that can
/// be refused is refused before anything is written.
pub fn issue_files(options: &Args) -> Result<String, Failure> {
    let mut names = service_names(&options.service, &options.namespace);
    names.extend(options.names.iter().cloned());
    if options.days == 0 {
        let message = "error: --days 0: the certificate would have expired when issued; give at least 1 day";
        return Err(Failure::new(Code::USAGE, message));
    }
    let validity = options.days.checked_mul(24 * 3600).map(Duration::from_secs);
    let validity =
        validity.ok_or_else(|| Failure::new(Code::USAGE, format!("error: --days {}: too many days", options.days)))?;
    let dir = Path::new(&options.out_dir);
    let manifest =
        options.manifest.as_deref().map(|path| read(Path::new(path)).map(|text| (path, text))).transpose()?;
    let (ca_cert, ca_key) = match (&options.ca_cert, &options.ca_key, options.renew) {
        (Some(cert), Some(key), _) => (Some(read(Path::new(cert))?), Some(read(Path::new(key))?)),
        (_, _, true) => {
            let missing = |file: &str| {
                input(format!(
                    "--renew: {}: no CA to renew under (the first run of `injit certs` writes it)",
                    dir.join(file).display()
                ))
            };
            let cert = read(&dir.join("ca.crt")).map_err(|_| missing("ca.crt"))?;
            let key = read(&dir.join("ca.key")).map_err(|_| missing("ca.key"))?;
            (Some(cert), Some(key))
        }
        _ => (None, None),
    };
    // Overwriting a CA in use would break every registration holding it.
    if !options.force && !options.renew {
        for file in ["ca.crt", "ca.key", "tls.crt", "tls.key"] {
            let path = dir.join(file);
            if path.exists() {
                return Err(input(format!(
                    "{}: already exists; renew under its CA with --renew, or replace everything with --force",
                    path.display()
                )));
            }
        }
    }
    let authority = match (&ca_cert, &ca_key) {
        (Some(cert), Some(key)) => Authority::Existing { cert, key },
        _ => Authority::New,
    };
    if let Some((path, text)) = &manifest
        && fill_ca_bundle(text, "") == fill_ca_bundle(text, "x")
    {
        return Err(input(format!("{path}: no `caBundle:` field to fill")));
    }
    let issued = issue(&names, validity, authority).map_err(input)?;
    std::fs::create_dir_all(dir).map_err(|e| input(format!("{}: {e}", dir.display())))?;
    let write = |name: &str, text: &str, private: bool| -> Result<(), Failure> {
        let path = dir.join(name);
        let mut open = std::fs::OpenOptions::new();
        open.write(true).create(true).truncate(true);
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            open.mode(0o600);
        }
        let mut file = open.open(&path).map_err(|e| input(format!("{}: {e}", path.display())))?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| input(format!("{}: {e}", path.display())))
    };
    write("ca.crt", &issued.ca, false)?;
    if let Some(ca_key) = &issued.ca_key {
        write("ca.key", ca_key, true)?;
    }
    write("tls.crt", &issued.cert, false)?;
    write("tls.key", &issued.key, true)?;
    let bundle = injit_runtime::encoding::base64::encode(issued.ca.as_bytes());
    match manifest {
        None => Ok(bundle + "\n"),
        Some((_, text)) => Ok(fill_ca_bundle(&text, &bundle)),
    }
}

/// Replaces the value of every `caBundle:` line, keeping its indentation.
pub fn fill_ca_bundle(manifest: &str, bundle: &str) -> String {
    let mut out = String::with_capacity(manifest.len() + bundle.len());
    for line in manifest.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = &line[..line.len() - trimmed.len()];
        let (key, dash) = match trimmed.strip_prefix("- ") {
            Some(rest) => (rest, "- "),
            None => (trimmed, ""),
        };
        if key.starts_with("caBundle:") {
            let newline = if line.ends_with('\n') { "\n" } else { "" };
            out.push_str(&format!("{indent}{dash}caBundle: {bundle}{newline}"));
        } else {
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fill_ca_bundle;

    #[test]
    fn every_ca_bundle_is_filled_in_place() {
        let manifest = "webhooks:\n- name: a\n  clientConfig:\n    caBundle: \"\"\n    service: {}\n";
        assert_eq!(
            fill_ca_bundle(manifest, "QUJD"),
            "webhooks:\n- name: a\n  clientConfig:\n    caBundle: QUJD\n    service: {}\n"
        );
    }
}
